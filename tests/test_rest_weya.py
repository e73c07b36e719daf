"""Weya's REST API served from our queries: `GET /api/call/batches/{userId}` and
`GET /api/call/batch-details/{id}` (seeds 000, 001, 002)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from db import batches as batch_queries
from db import contacts as contact_queries
from db.models import BATCH_STATUSES
from tests.factories import Factory
from tests.rest_support import at, rest_get, weya_seed_batches
from tests.tenant import Tenant, token_for
from web.rest.queue_status import (
    QUEUE_STATUS_BY_STATUS,
    batch_status,
    queue_status,
    statuses_matching,
)

ENVELOPE_KEYS = {"message", "status", "code", "errorMessage", "data"}


def batches_url(user_id: uuid.UUID | str) -> str:
    return f"/api/call/batches/{user_id}"


def details_url(batch_id: uuid.UUID | str) -> str:
    return f"/api/call/batch-details/{batch_id}"


def assert_error(response: httpx.Response, status: int, fragment: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["status"] is False
    assert body["code"] == status
    assert body["data"] is None
    assert isinstance(body["message"], str) and body["message"]
    assert fragment in body["errorMessage"], body["errorMessage"]
    return body


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


async def seed_details_batch(factory: Factory, agency_id: uuid.UUID) -> dict[str, uuid.UUID]:
    batch_id = await factory.batch(
        agency_id, name="Marketing Campaign May 2025", status="processing"
    )
    older = await factory.contact(
        batch_id,
        agency_id,
        phone_number="12125550000",
        first_name="Adam",
        priority="low",
        created_at=at("2025-05-15T13:00:00.000Z"),
    )
    emily = await factory.contact(
        batch_id,
        agency_id,
        phone_number="12125551234",
        first_name="Emily",
        last_name="Davis",
        account_id="ACC-5678",
        priority="high",
        status="completed",
        created_at=at("2025-05-15T14:00:00.000Z"),
    )
    await factory.call_log(
        emily,
        agency_id,
        call_status="completed",
        duration_seconds=120,
        recording_url="https://example.com/recording.mp3",
        transcript="Call transcript here...",
        created_at=at("2025-05-15T14:30:00.000Z"),
    )
    return {"batch": batch_id, "older": older, "emily": emily}


async def test_seed_details_example_returns_the_batch_and_its_calls_with_phone_logs(
    tenant: Tenant, factory: Factory
) -> None:
    ids = await seed_details_batch(factory, tenant.agency_id)

    response = await rest_get(
        tenant, details_url(ids["batch"]), page=1, limit=10, sortBy="createdAt", sortOrder="desc"
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "message": "Calls fetched successfully",
        "status": True,
        "code": 200,
        "errorMessage": "",
        "data": {
            "batchId": str(ids["batch"]),
            "batchName": "Marketing Campaign May 2025",
            "batchStatus": "active",
            "page": 1,
            "limit": 10,
            "total": 2,
            "totalPages": 1,
            "data": [
                {
                    "_id": str(ids["emily"]),
                    "phoneNumber": "12125551234",
                    "name": "Emily Davis",
                    "account_id": "ACC-5678",
                    "priority": "high",
                    "phoneLogs": [
                        {
                            "callStatus": "completed",
                            "callDuration": 120,
                            "recordingUrl": "https://example.com/recording.mp3",
                            "transcript": "Call transcript here...",
                            "createdAt": "2025-05-15T14:30:00.000Z",
                        }
                    ],
                    "createdAt": "2025-05-15T14:00:00.000Z",
                },
                {
                    "_id": str(ids["older"]),
                    "phoneNumber": "12125550000",
                    "name": "Adam",
                    "account_id": None,
                    "priority": "low",
                    "phoneLogs": [],
                    "createdAt": "2025-05-15T13:00:00.000Z",
                },
            ],
        },
    }


async def test_details_filter_json_selects_calls_by_phone_log_status_and_contact_fields(
    tenant: Tenant, factory: Factory
) -> None:
    ids = await seed_details_batch(factory, tenant.agency_id)

    async def found(filter: dict[str, Any]) -> list[str]:
        response = await rest_get(tenant, details_url(ids["batch"]), filter=json.dumps(filter))
        assert response.status_code == 200, response.text
        return [call["_id"] for call in response.json()["data"]["data"]]

    assert await found({"callStatus": "completed"}) == [str(ids["emily"])]
    assert await found({"callStatus": "failed"}) == []
    assert await found({"priority": "low"}) == [str(ids["older"])]
    assert await found({"status": "pending"}) == [str(ids["older"])]
    assert await found({"statusIn": ["pending", "completed"]}) == [
        str(ids["older"]),
        str(ids["emily"]),
    ]
    assert await found({"doNotCall": False, "status": None}) == [
        str(ids["older"]),
        str(ids["emily"]),
    ]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"filter": "{callStatus: completed}"}, "filter is not valid JSON"),
        ({"filter": '["completed"]'}, "filter must be a JSON object"),
        ({"filter": '{"isDeleted": false}'}, "unknown field(s) 'isDeleted'"),
        ({"filter": '{"status": "done"}'}, "filter status must be one of"),
        ({"filter": '{"doNotCall": "yes"}'}, "filter.doNotCall must be true or false"),
        ({"filter": '{"callStatus": 3}'}, "filter.callStatus must be a string"),
        ({"sortBy": "favouriteColour"}, "sortBy must be one of createdAt, name"),
        ({"sortOrder": "sideways"}, "sortOrder must be asc or desc"),
        ({"page": 0}, "page must be"),
        ({"limit": 201}, "limit must be between 1 and 200"),
    ],
)
async def test_details_rejects_invalid_filter_sort_and_paging_with_400(
    tenant: Tenant, factory: Factory, query: dict[str, Any], fragment: str
) -> None:
    ids = await seed_details_batch(factory, tenant.agency_id)
    response = await rest_get(tenant, details_url(ids["batch"]), **query)
    assert_error(response, 400, fragment)


async def test_details_sorts_by_the_seeds_camel_case_names(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    short, long, unknown = await factory.contacts(
        batch_id,
        tenant.agency_id,
        [
            {"first_name": "Zoe", "duration_seconds": 10},
            {"first_name": "Amy", "duration_seconds": 300},
            {"first_name": "Bob", "duration_seconds": None},
        ],
    )

    async def order(**query: Any) -> list[str]:
        response = await rest_get(tenant, details_url(batch_id), **query)
        assert response.status_code == 200, response.text
        return [call["_id"] for call in response.json()["data"]["data"]]

    assert await order(sortBy="name") == [str(long), str(unknown), str(short)]
    assert await order(sortBy="name", sortOrder="DESC") == [str(short), str(unknown), str(long)]
    assert await order(sortBy="callDuration") == [str(short), str(long), str(unknown)]
    assert await order(sortBy="duration_seconds") == await order(sortBy="durationSeconds")
    assert await order() == [str(short), str(long), str(unknown)]


async def test_details_search_and_paging_count_every_matching_call(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    acme = await factory.contacts(
        batch_id, tenant.agency_id, [{"company": f"Acme {i}"} for i in range(12)]
    )
    await factory.contacts(batch_id, tenant.agency_id, [{"company": "Globex"}] * 3)

    page2 = (await rest_get(tenant, details_url(batch_id), search="acme", page=2, limit=5)).json()[
        "data"
    ]

    assert (page2["page"], page2["limit"], page2["total"], page2["totalPages"]) == (2, 5, 12, 3)
    assert [call["_id"] for call in page2["data"]] == [str(i) for i in acme[5:10]]


async def test_details_page_is_the_same_as_graphql_contacts_with_the_same_arguments(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    contacts = await factory.contacts(
        batch_id,
        tenant.agency_id,
        [{"priority": ("low", "normal", "high")[i % 3], "attempts": i % 4} for i in range(30)],
    )
    for contact_id in contacts[::2]:
        await factory.call_log(contact_id, tenant.agency_id, call_status="no_answer")

    rest = await rest_get(
        tenant,
        details_url(batch_id),
        filter='{"callStatus": "no_answer"}',
        sortBy="attempts",
        sortOrder="desc",
        page=2,
        limit=4,
    )
    graphql = await tenant.data(
        """query($id: ID!) { batch(id: $id) { contacts(
             filter: {callStatus: "no_answer"}, sort: [{field: ATTEMPTS, direction: DESC}],
             offset: 4, limit: 4) { totalCount nodes { id } } } }""",
        {"id": str(batch_id)},
    )

    connection = graphql["batch"]["contacts"]
    assert rest.json()["data"]["total"] == connection["totalCount"] == 15
    assert [c["_id"] for c in rest.json()["data"]["data"]] == [n["id"] for n in connection["nodes"]]


async def test_details_answers_404_alike_for_missing_deleted_and_other_agencys_batches(
    tenant: Tenant, other_tenant: Tenant, factory: Factory
) -> None:
    theirs = await factory.batch(other_tenant.agency_id)
    deleted = await factory.batch(tenant.agency_id, deleted_at=at("2025-02-01T00:00:00Z"))

    answers = [
        await rest_get(tenant, details_url(batch_id))
        for batch_id in (theirs, deleted, uuid.uuid4())
    ]

    bodies = [assert_error(a, 404, "Batch not found") for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert (await rest_get(other_tenant, details_url(theirs))).status_code == 200


async def test_details_rejects_a_malformed_batch_id_with_400(tenant: Tenant) -> None:
    response = await rest_get(tenant, details_url("67def9053495307c718d9dfb"))
    assert_error(response, 400, "id must be a UUID")


async def test_details_database_outage_is_503_in_the_envelope(
    tenant: Tenant, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await seed_details_batch(factory, tenant.agency_id)

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionResetError("server closed the connection")

    monkeypatch.setattr(contact_queries, "list_contacts", unreachable)
    response = await rest_get(tenant, details_url(ids["batch"]))

    body = assert_error(response, 503, "database is unavailable")
    assert body["message"] == "Failed to fetch calls"
