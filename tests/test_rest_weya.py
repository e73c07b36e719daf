"""Weya's REST API served from our queries: `GET /api/call/batches/{userId}` (seed 000) and the
queue_status vocabulary (batch details: test_rest_weya_details.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from db import batches as batch_queries
from db.models import BATCH_STATUSES
from tests.factories import Factory
from tests.rest_support import (
    assert_error,
    at,
    batches_url,
    rest_get,
    weya_seed_batches,
)
from tests.tenant import Tenant, token_for
from web.rest.queue_status import (
    QUEUE_STATUS_BY_STATUS,
    batch_status,
    queue_status,
    statuses_matching,
)

# --- queue_status vocabulary ------------------------------------------------------------------


def test_queue_status_vocabulary_renames_only_processing_to_active() -> None:
    assert QUEUE_STATUS_BY_STATUS == {
        "pending": "pending",
        "scheduled": "scheduled",
        "processing": "active",
        "paused": "paused",
        "completed": "completed",
        "failed": "failed",
        "cancelled": "cancelled",
    }
    for status in BATCH_STATUSES:
        assert batch_status(queue_status(status)) == status
    assert batch_status("Active") == "processing"
    assert batch_status("running") is None


def test_search_matches_substrings_of_weya_status_words_not_contract_words() -> None:
    assert statuses_matching("active") == ("processing",)
    assert statuses_matching("ACT") == ("processing",)
    assert statuses_matching("processing") == ()
    assert set(statuses_matching("ed")) == {
        "scheduled",
        "paused",
        "completed",
        "failed",
        "cancelled",
    }
    assert statuses_matching("Marketing") == ()


# --- GET /api/call/batches/{userId} ------------------------------------------------------------


async def test_seed_list_example_returns_matching_batches_newest_first_in_the_envelope(
    tenant: Tenant, factory: Factory
) -> None:
    june, may = await weya_seed_batches(factory, tenant.agency_id)

    response = await rest_get(
        tenant, batches_url(tenant.user_id), page=1, limit=10, search="Marketing"
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "message": "Batches fetched successfully",
        "status": True,
        "code": 200,
        "errorMessage": "",
        "data": {
            "batches": [
                {
                    "_id": str(june),
                    "batchName": "Marketing Sales Outreach June 2025",
                    "totalCalls": 2,
                    "callsPicked": 1,
                    "callsCompleted": 1,
                    "queue_status": "paused",
                    "createdAt": "2025-06-01T09:00:00.000Z",
                    "updatedAt": "2025-06-10T16:45:00.000Z",
                },
                {
                    "_id": str(may),
                    "batchName": "Marketing Campaign May 2025",
                    "totalCalls": 6,
                    "callsPicked": 3,
                    "callsCompleted": 4,
                    "queue_status": "active",
                    "createdAt": "2025-05-01T12:00:00.000Z",
                    "updatedAt": "2025-05-15T14:30:00.000Z",
                },
            ],
            "pagination": {"total": 2, "page": 1, "limit": 10, "totalPages": 1},
        },
    }


async def test_list_pages_by_ten_by_default_and_reports_the_seeds_pagination(
    tenant: Tenant, factory: Factory
) -> None:
    ids = [await factory.batch(tenant.agency_id) for _ in range(25)]
    newest_first = [str(i) for i in reversed(ids)]

    first = (await rest_get(tenant, batches_url(tenant.user_id))).json()["data"]
    third = (await rest_get(tenant, batches_url(tenant.user_id), page=3)).json()["data"]

    assert first["pagination"] == {"total": 25, "page": 1, "limit": 10, "totalPages": 3}
    assert [b["_id"] for b in first["batches"]] == newest_first[:10]
    assert third["pagination"] == {"total": 25, "page": 3, "limit": 10, "totalPages": 3}
    assert [b["_id"] for b in third["batches"]] == newest_first[20:]


async def test_list_search_matches_name_or_queue_status_word_case_insensitively(
    tenant: Tenant, factory: Factory
) -> None:
    running = await factory.batch(tenant.agency_id, name="Spring", status="processing")
    paused = await factory.batch(tenant.agency_id, name="Summer", status="paused")
    named = await factory.batch(tenant.agency_id, name="Paused leads", status="completed")
    reactivation = await factory.batch(tenant.agency_id, name="Inactive leads", status="pending")

    async def found(term: str) -> set[str]:
        response = await rest_get(tenant, batches_url(tenant.user_id), search=term)
        data = response.json()["data"]  # None with the seed's 404 when nothing matches
        return {b["_id"] for b in data["batches"]} if data else set()

    assert await found("active") == {str(running), str(reactivation)}
    assert await found("ACT") == {str(running), str(reactivation)}
    assert await found("processing") == set()
    assert await found("paused") == {str(paused), str(named)}
    assert await found("spr") == {str(running)}


async def test_list_answers_404_when_the_user_has_no_batches_or_none_match(
    tenant: Tenant, factory: Factory
) -> None:
    empty = await rest_get(tenant, batches_url(tenant.user_id))
    assert_error(empty, 404, "No batches found for the authenticated user")

    await factory.batch(tenant.agency_id, name="Spring")
    no_match = await rest_get(tenant, batches_url(tenant.user_id), search="Autumn")
    past_end = await rest_get(tenant, batches_url(tenant.user_id), page=2)
    assert_error(no_match, 404, "No batches found")
    assert_error(past_end, 404, "No batches found")


async def test_list_shows_only_the_callers_agency_and_never_deleted_batches(
    tenant: Tenant, other_tenant: Tenant, factory: Factory
) -> None:
    mine = await factory.batch(tenant.agency_id, name="Mine")
    await factory.batch(tenant.agency_id, name="Gone", deleted_at=at("2025-02-01T00:00:00Z"))
    theirs = await factory.batch(other_tenant.agency_id, name="Theirs")

    my_list = await rest_get(tenant, batches_url(tenant.user_id))
    their_list = await rest_get(other_tenant, batches_url(other_tenant.user_id))

    assert [b["_id"] for b in my_list.json()["data"]["batches"]] == [str(mine)]
    assert [b["_id"] for b in their_list.json()["data"]["batches"]] == [str(theirs)]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"page": 0}, "page must be"),
        ({"page": "two"}, "page must be an integer"),
        ({"limit": 0}, "limit must be between 1 and 100"),
        ({"limit": 101}, "limit must be between 1 and 100"),
        ({"page": 2**40}, "page must be at most"),
        ({"search": "x" * 201}, "search must be at most 200"),
    ],
)
async def test_list_rejects_invalid_query_parameters_with_400(
    tenant: Tenant, factory: Factory, query: dict[str, Any], fragment: str
) -> None:
    await factory.batch(tenant.agency_id)
    response = await rest_get(tenant, batches_url(tenant.user_id), **query)
    assert_error(response, 400, fragment)


async def test_list_rejects_a_malformed_user_id_with_400_and_another_users_id_with_403(
    tenant: Tenant, factory: Factory
) -> None:
    await factory.batch(tenant.agency_id)
    colleague = await factory.user(tenant.agency_id)

    malformed = await rest_get(tenant, batches_url("64e5f12345abcdef12345678"))
    someone_else = await rest_get(tenant, batches_url(colleague))

    assert_error(malformed, 400, "userId must be a UUID")
    assert_error(someone_else, 403, "userId must be the authenticated user's id")


async def test_list_without_a_valid_token_is_401_and_a_user_without_agency_403(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    loner = await factory.user(None)
    missing = await client.get(batches_url(loner))
    garbage = await client.get(batches_url(loner), headers={"Authorization": "Bearer nope"})
    no_agency = await client.get(
        batches_url(loner), headers={"Authorization": f"Bearer {token_for(loner)}"}
    )

    assert_error(missing, 401, "missing Authorization header")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert_error(garbage, 401, "not a valid token")
    assert_error(no_agency, 403, "no agency")


async def test_list_answers_other_methods_with_405_in_the_envelope(tenant: Tenant) -> None:
    response = await tenant.client.post(
        batches_url(tenant.user_id),
        headers={"Authorization": f"Bearer {token_for(tenant.user_id)}"},
    )
    assert_error(response, 405, "POST is not allowed")
    assert response.headers["allow"] == "GET"


async def test_a_database_outage_is_503_in_the_envelope_and_a_bug_a_generic_500(
    tenant: Tenant, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    await factory.batch(tenant.agency_id)

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionRefusedError("connection refused to 10.0.0.5:5432")

    async def buggy(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("SELECT secret FROM users")

    monkeypatch.setattr(batch_queries, "list_batches", unreachable)
    outage = await rest_get(tenant, batches_url(tenant.user_id))
    monkeypatch.setattr(batch_queries, "list_batches", buggy)
    bug = await rest_get(tenant, batches_url(tenant.user_id))

    assert_error(outage, 503, "database is unavailable")
    assert "10.0.0.5" not in outage.text
    body = assert_error(bug, 500, "Internal server error")
    assert "SELECT" not in bug.text
    assert bug.headers["x-request-id"] in body["errorMessage"]


# --- GET /api/call/batch-details/{id} ----------------------------------------------------------
