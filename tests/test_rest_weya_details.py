"""Weya's `GET /api/call/batch-details/{id}` served from our queries (seeds 001, 002)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from db import contacts as contact_queries
from tests.factories import Factory
from tests.rest_support import (
    assert_error,
    at,
    details_url,
    rest_get,
)
from tests.tenant import Tenant


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
