"""The Supabase functions served from our queries: `GET /functions/v1/calls-batch-list` and
`GET /functions/v1/calls-batch-get` (seeds 003, 004)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from db import batches as batch_queries
from tests.factories import Factory
from tests.rest_support import SeedBatch, at, function_seed_batch, rest_get
from tests.tenant import Tenant, token_for

LIST = "/functions/v1/calls-batch-list"
GET = "/functions/v1/calls-batch-get"


def assert_error(response: httpx.Response, status: int, code: str, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code"}
    assert body["code"] == code
    assert fragment in body["error"], body["error"]


def expected_summary(seed: SeedBatch, agency_id: uuid.UUID) -> dict[str, Any]:
    """The seed example's batch, for 10 contacts instead of 1000."""
    return {
        "id": str(seed.batch_id),
        "agency_id": str(agency_id),
        "campaign_id": str(seed.campaign_id),
        "campaign_name": "Q1 Outreach",
        "agent_mapping_id": str(seed.agent_id),
        "agent_name": "Sales Agent",
        "name": "Q1 Outreach batch",
        "from_number": "+15551234567",
        "status": "processing",
        "total_contacts": 10,
        "pending": 0,
        "queued": 5,
        "in_progress": 0,
        "completed": 4,
        "failed": 1,
        "skipped": 0,
        "calls_picked": 1,
        "progress_percentage": 50.0,
        "remaining_count": 5,
        "calls_per_minute": 30,
        "max_concurrent": 10,
        "scheduled_for": None,
        "created_at": "2025-01-15T10:30:00Z",
        "started_at": "2025-01-15T10:31:00Z",
        "updated_at": "2025-01-15T10:31:00Z",
        "deleted_at": None,
    }


# --- calls-batch-list --------------------------------------------------------------------------


async def test_seed_list_example_returns_view_rows_and_offset_pagination(
    tenant: Tenant, factory: Factory
) -> None:
    seed = await function_seed_batch(factory, tenant.agency_id)

    response = await rest_get(tenant, LIST)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "batches": [expected_summary(seed, tenant.agency_id)],
        "pagination": {"total": 1, "limit": 25, "offset": 0, "has_more": False},
    }
    assert isinstance(body["batches"][0]["progress_percentage"], float)


async def test_list_filters_by_status_and_campaign_and_pages_newest_first(
    tenant: Tenant, factory: Factory
) -> None:
    campaign = await factory.campaign(tenant.agency_id)
    paused = [
        await factory.batch(tenant.agency_id, status="paused", campaign_id=campaign)
        for _ in range(5)
    ]
    await factory.batch(tenant.agency_id, status="completed", campaign_id=campaign)
    await factory.batch(tenant.agency_id, status="paused")

    query = {"status": "paused", "campaign_id": str(campaign), "limit": 2}
    page = (await rest_get(tenant, LIST, **query, offset=2)).json()
    last = (await rest_get(tenant, LIST, **query, offset=4)).json()

    newest_first = [str(b) for b in reversed(paused)]
    assert [b["id"] for b in page["batches"]] == newest_first[2:4]
    assert page["pagination"] == {"total": 5, "limit": 2, "offset": 2, "has_more": True}
    assert [b["id"] for b in last["batches"]] == newest_first[4:]
    assert last["pagination"] == {"total": 5, "limit": 2, "offset": 4, "has_more": False}


async def test_list_answers_an_empty_page_with_200_not_404(tenant: Tenant) -> None:
    response = await rest_get(tenant, LIST)
    assert response.status_code == 200
    assert response.json() == {
        "batches": [],
        "pagination": {"total": 0, "limit": 25, "offset": 0, "has_more": False},
    }


async def test_list_shows_only_the_callers_agency_and_never_deleted_batches(
    tenant: Tenant, other_tenant: Tenant, factory: Factory
) -> None:
    mine = await factory.batch(tenant.agency_id)
    await factory.batch(tenant.agency_id, deleted_at=at("2025-02-01T00:00:00Z"))
    await factory.batch(other_tenant.agency_id)

    body = (await rest_get(tenant, LIST)).json()

    assert [b["id"] for b in body["batches"]] == [str(mine)]
    assert body["pagination"]["total"] == 1


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"status": "active"}, "status must be one of pending, scheduled, processing"),
        ({"campaign_id": "42"}, "campaign_id must be a UUID"),
        ({"limit": 0}, "limit must be between 1 and 100"),
        ({"limit": 101}, "limit must be between 1 and 100"),
        ({"limit": "ten"}, "limit must be an integer"),
        ({"offset": -1}, "offset must be at least 0"),
    ],
)
async def test_list_rejects_invalid_query_parameters_with_400(
    tenant: Tenant, query: dict[str, Any], fragment: str
) -> None:
    assert_error(await rest_get(tenant, LIST, **query), 400, "BAD_USER_INPUT", fragment)


# --- calls-batch-get ---------------------------------------------------------------------------


async def test_seed_get_example_returns_the_batch_contacts_and_contact_pagination(
    tenant: Tenant, factory: Factory
) -> None:
    seed = await function_seed_batch(factory, tenant.agency_id)

    response = await rest_get(tenant, GET, batch_id=str(seed.batch_id), contact_limit=2)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"batch", "contacts", "contact_pagination"}
    assert body["batch"] == expected_summary(seed, tenant.agency_id)
    assert body["contact_pagination"] == {"total": 10, "limit": 2, "offset": 0, "has_more": True}
    assert len(body["contacts"]) == 2
    assert body["contacts"][0] == {
        "id": str(seed.answered_contact_id),
        "batch_id": str(seed.batch_id),
        "agency_id": str(tenant.agency_id),
        "phone_number": "+15559876543",
        "first_name": "John",
        "last_name": "Doe",
        "email": "john@example.com",
        "company": "ACME",
        "title": "Manager",
        "account_id": "ACC-1",
        "priority": "high",
        "status": "completed",
        "call_id": "8a6f6d0e-0000-4000-8000-000000000001",
        "attempts": 1,
        "max_attempts": 3,
        "outcome": "answered",
        "duration_seconds": 145,
        "outcome_notes": None,
        "last_attempt_at": "2025-01-15T10:35:00Z",
        "completed_at": "2025-01-15T10:37:25Z",
        "custom_data": {},
        "do_not_call": False,
        "timezone": "EST",
        "created_at": "2025-01-15T10:30:00Z",
    }


async def test_get_filters_contacts_by_status_oldest_first_and_pages_them(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    queued = await factory.contacts(batch_id, tenant.agency_id, [{"status": "queued"}] * 7)
    await factory.contacts(batch_id, tenant.agency_id, [{"status": "failed"}] * 3)

    page = (
        await rest_get(
            tenant,
            GET,
            batch_id=str(batch_id),
            contact_status="queued",
            contact_limit=3,
            contact_offset=3,
        )
    ).json()
    everything = (await rest_get(tenant, GET, batch_id=str(batch_id))).json()

    assert [c["id"] for c in page["contacts"]] == [str(c) for c in queued[3:6]]
    assert page["contact_pagination"] == {"total": 7, "limit": 3, "offset": 3, "has_more": True}
    assert everything["contact_pagination"] == {
        "total": 10,
        "limit": 50,
        "offset": 0,
        "has_more": False,
    }


async def test_get_allows_up_to_200_contacts_per_page(tenant: Tenant, factory: Factory) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    await factory.contacts(batch_id, tenant.agency_id, [{}] * 201)

    body = (await rest_get(tenant, GET, batch_id=str(batch_id), contact_limit=200)).json()

    assert len(body["contacts"]) == 200
    assert body["contact_pagination"] == {
        "total": 201,
        "limit": 200,
        "offset": 0,
        "has_more": True,
    }


THE_BATCH = "<the batch's id>"


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({}, "batch_id query parameter is required"),
        ({"batch_id": ""}, "batch_id query parameter is required"),
        ({"batch_id": "not-a-uuid"}, "batch_id must be a UUID"),
        ({"batch_id": THE_BATCH, "contact_status": "done"}, "contact_status must be one of"),
        ({"batch_id": THE_BATCH, "contact_limit": 201}, "contact_limit must be between 1 and 200"),
        ({"batch_id": THE_BATCH, "contact_offset": -5}, "contact_offset must be at least 0"),
        ({"batch_id": THE_BATCH, "contact_offset": "x"}, "contact_offset must be an integer"),
    ],
)
async def test_get_rejects_invalid_query_parameters_with_400(
    tenant: Tenant, factory: Factory, query: dict[str, Any], fragment: str
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    query = {k: str(batch_id) if v == THE_BATCH else v for k, v in query.items()}
    assert_error(await rest_get(tenant, GET, **query), 400, "BAD_USER_INPUT", fragment)


async def test_get_answers_404_alike_for_missing_deleted_and_other_agencys_batches(
    tenant: Tenant, other_tenant: Tenant, factory: Factory
) -> None:
    theirs = await factory.batch(other_tenant.agency_id)
    deleted = await factory.batch(tenant.agency_id, deleted_at=at("2025-02-01T00:00:00Z"))

    answers = [
        await rest_get(tenant, GET, batch_id=str(batch_id))
        for batch_id in (theirs, deleted, uuid.uuid4())
    ]

    for answer in answers:
        assert_error(answer, 404, "NOT_FOUND", "Batch not found")
    assert len({a.text for a in answers}) == 1
    assert (await rest_get(other_tenant, GET, batch_id=str(theirs))).status_code == 200


# --- errors common to both functions -------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST, GET])
async def test_functions_need_a_valid_token_401_and_an_agency_403(
    client: httpx.AsyncClient, factory: Factory, url: str
) -> None:
    loner = await factory.user(None)

    missing = await client.get(url)
    basic = await client.get(url, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    no_agency = await client.get(url, headers={"Authorization": f"Bearer {token_for(loner)}"})

    assert_error(missing, 401, "UNAUTHENTICATED", "missing Authorization header")
    assert_error(basic, 401, "UNAUTHENTICATED", "Bearer")
    assert_error(no_agency, 403, "FORBIDDEN", "no agency")


@pytest.mark.parametrize("url", [LIST, GET])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_functions_answer_methods_other_than_get_with_405(
    client: httpx.AsyncClient, url: str, method: str
) -> None:
    response = await client.request(method, url)

    assert_error(response, 405, "METHOD_NOT_ALLOWED", f"{method} is not allowed")
    assert response.headers["allow"] == "GET"


async def test_functions_answer_database_faults_with_503_and_bugs_with_a_generic_500(
    tenant: Tenant, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = await function_seed_batch(factory, tenant.agency_id)

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionRefusedError("could not connect to db.internal:5432")

    async def buggy(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("password")

    monkeypatch.setattr(batch_queries, "list_batches", unreachable)
    monkeypatch.setattr(batch_queries, "get_batch", buggy)
    outage = await rest_get(tenant, LIST)
    bug = await rest_get(tenant, GET, batch_id=str(seed.batch_id))

    assert_error(outage, 503, "SERVICE_UNAVAILABLE", "database is unavailable")
    assert "db.internal" not in outage.text
    assert_error(bug, 500, "INTERNAL_SERVER_ERROR", "Internal server error")
    assert "password" not in bug.text
