"""Cursor mode: opaque signed cursors bound to their list, pageInfo and pagination exact."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import delete

from db.models import CampaignContact
from tests.factories import T0, Factory
from tests.read_api_support import (
    BATCHES_QUERY,
    CONTACTS_QUERY,
    contact_row,
    contacts,
    error_codes,
    walk_with_cursors,
)
from tests.tenant import Tenant


@pytest.fixture
async def five(tenant: Tenant, factory: Factory) -> tuple[uuid.UUID, list[uuid.UUID]]:
    batch_id = await factory.batch(tenant.agency_id)
    rows = [contact_row(status="completed" if i % 2 else "pending") for i in range(5)]
    return batch_id, await factory.contacts(batch_id, tenant.agency_id, rows)


async def test_cursor_pages_resume_after_the_cursor_with_exact_page_info_and_offset(
    tenant: Tenant, five: tuple[uuid.UUID, list[uuid.UUID]]
) -> None:
    batch_id, ids = five

    first = await contacts(tenant, batch_id, first=2)
    second = await contacts(tenant, batch_id, first=2, after=first["pageInfo"]["endCursor"])
    last = await contacts(tenant, batch_id, first=2, after=second["pageInfo"]["endCursor"])

    assert [[uuid.UUID(n["id"]) for n in p["nodes"]] for p in (first, second, last)] == [
        ids[0:2], ids[2:4], ids[4:5],
    ]  # fmt: skip
    assert [p["pageInfo"]["hasNextPage"] for p in (first, second, last)] == [True, True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in (first, second, last)] == [False, True, True]
    assert [p["pagination"]["offset"] for p in (first, second, last)] == [0, 2, 4]
    assert [p["pagination"]["page"] for p in (first, second, last)] == [1, 2, 3]
    assert {p["pagination"]["totalPages"] for p in (first, second, last)} == {3}
    assert [p["pagination"]["hasMore"] for p in (first, second, last)] == [True, True, False]
    assert {p["totalCount"] for p in (first, second, last)} == {5}
    assert second["edges"][0]["cursor"] == second["pageInfo"]["startCursor"]


async def test_after_the_last_cursor_the_page_is_empty_without_a_next_page(
    tenant: Tenant, five: tuple[uuid.UUID, list[uuid.UUID]]
) -> None:
    batch_id, _ = five
    everything = await contacts(tenant, batch_id, first=5)

    after_end = await contacts(tenant, batch_id, first=5, after=everything["pageInfo"]["endCursor"])

    assert everything["pageInfo"]["hasNextPage"] is False
    assert after_end["nodes"] == []
    assert after_end["pageInfo"]["hasNextPage"] is False
    assert after_end["pageInfo"]["hasPreviousPage"] is True
    assert after_end["pagination"]["offset"] == 5


async def test_an_edge_cursor_from_offset_mode_resumes_cursor_mode(
    tenant: Tenant, five: tuple[uuid.UUID, list[uuid.UUID]]
) -> None:
    batch_id, ids = five
    page = await contacts(tenant, batch_id, page=1, limit=3)

    resumed = await contacts(tenant, batch_id, first=10, after=page["edges"][1]["cursor"])

    assert [uuid.UUID(n["id"]) for n in resumed["nodes"]] == ids[2:]


async def test_a_cursor_still_works_after_its_row_is_gone(tenant: Tenant, factory: Factory) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    ids = await factory.contacts(batch_id, tenant.agency_id, [contact_row()] * 3)
    first = await contacts(tenant, batch_id, first=1)
    await factory.connection.execute(delete(CampaignContact).where(CampaignContact.id == ids[0]))

    page = await contacts(tenant, batch_id, first=5, after=first["pageInfo"]["endCursor"])

    assert [uuid.UUID(n["id"]) for n in page["nodes"]] == ids[1:]
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert page["pagination"]["offset"] == 0


async def _cursor(tenant: Tenant, batch_id: uuid.UUID, **arguments: Any) -> str:
    page = await contacts(tenant, batch_id, first=1, **arguments)
    cursor: str = page["pageInfo"]["endCursor"]
    return cursor


async def test_a_cursor_from_another_batch_sort_filter_or_search_is_bad_user_input(
    tenant: Tenant, factory: Factory, five: tuple[uuid.UUID, list[uuid.UUID]]
) -> None:
    batch_id, _ = five
    other_batch = await factory.batch(tenant.agency_id)
    await factory.contacts(other_batch, tenant.agency_id, [contact_row()] * 2)
    plain = await _cursor(tenant, batch_id)
    batches = await tenant.data(BATCHES_QUERY, {"first": 1})
    foreign: list[tuple[dict[str, Any], str]] = [
        ({"id": str(other_batch)}, plain),
        ({"id": str(batch_id), "sort": [{"field": "NAME"}]}, plain),
        ({"id": str(batch_id), "sort": [{"field": "CREATED_AT", "direction": "DESC"}]}, plain),
        ({"id": str(batch_id), "filter": {"status": "PENDING"}}, plain),
        ({"id": str(batch_id), "search": "+1"}, plain),
        ({"id": str(batch_id)}, await _cursor(tenant, batch_id, filter={"status": "PENDING"})),
        ({"id": str(batch_id)}, batches["batches"]["pageInfo"]["endCursor"]),
    ]

    for variables, cursor in foreign:
        codes = await error_codes(tenant, CONTACTS_QUERY, {**variables, "after": cursor})
        assert codes == ["BAD_USER_INPUT"], variables


async def test_a_tampered_or_made_up_cursor_is_bad_user_input(
    tenant: Tenant, five: tuple[uuid.UUID, list[uuid.UUID]]
) -> None:
    batch_id, ids = five
    cursor = await _cursor(tenant, batch_id)
    body, signature = cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["k"][-1] = {"u": str(ids[3])}
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    flipped = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    bad = [f"{forged}.{signature}", flipped, "", "garbage", "a.b.c", body, "x" * 5000]

    for after in bad:
        codes = await error_codes(
            tenant, CONTACTS_QUERY, {"id": str(batch_id), "first": 2, "after": after}
        )
        assert codes == ["BAD_USER_INPUT"], after


async def test_a_cursor_of_a_statusin_filter_survives_reordering_the_list(
    tenant: Tenant, five: tuple[uuid.UUID, list[uuid.UUID]]
) -> None:
    batch_id, ids = five
    cursor = await _cursor(tenant, batch_id, filter={"statusIn": ["PENDING", "COMPLETED"]})

    page = await contacts(
        tenant,
        batch_id,
        first=10,
        after=cursor,
        filter={"statusIn": ["COMPLETED", "PENDING", "COMPLETED"]},
    )

    assert [uuid.UUID(n["id"]) for n in page["nodes"]] == ids[1:]


async def test_batches_cursor_walk_visits_every_batch_once_newest_first_with_ties(
    tenant: Tenant, factory: Factory
) -> None:
    ids = [await factory.batch(tenant.agency_id, created_at=T0) for _ in range(4)]
    ids += [await factory.batch(tenant.agency_id) for _ in range(3)]
    expected = ids[4:][::-1] + sorted(ids[:4], reverse=True)
    visited: list[uuid.UUID] = []
    after = None
    while True:
        data = await tenant.data(BATCHES_QUERY, {"first": 2, "after": after})
        visited += [uuid.UUID(n["id"]) for n in data["batches"]["nodes"]]
        assert data["batches"]["pagination"]["total"] == 7
        if not data["batches"]["pageInfo"]["hasNextPage"]:
            break
        after = data["batches"]["pageInfo"]["endCursor"]

    assert visited == expected


async def test_a_batches_cursor_is_bound_to_its_search_status_and_campaign(
    tenant: Tenant, factory: Factory
) -> None:
    campaign = await factory.campaign(tenant.agency_id)
    for _ in range(3):
        await factory.batch(tenant.agency_id, campaign_id=campaign)
    data = await tenant.data(BATCHES_QUERY, {"first": 1})
    cursor = data["batches"]["pageInfo"]["endCursor"]

    for variables in ({"search": "b"}, {"status": "PENDING"}, {"campaignId": str(campaign)}):
        codes = await error_codes(tenant, BATCHES_QUERY, {**variables, "after": cursor})
        assert codes == ["BAD_USER_INPUT"], variables


async def test_cursor_walk_of_a_filtered_search_matches_offset_listing(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    rows = [contact_row(company=f"acme {i % 3}", status="completed") for i in range(11)]
    await factory.contacts(batch_id, tenant.agency_id, rows)
    arguments = {"search": "ACME 1", "filter": {"status": "COMPLETED"}}

    walked = await walk_with_cursors(tenant, batch_id, first=2, **arguments)
    listed = await contacts(tenant, batch_id, limit=200, **arguments)

    assert walked == [uuid.UUID(n["id"]) for n in listed["nodes"]]
    assert len(walked) == 4


async def test_a_batches_cursor_of_one_agency_is_refused_for_another(
    tenant: Tenant, other_tenant: Tenant, factory: Factory
) -> None:
    for agency in (tenant.agency_id, other_tenant.agency_id):
        for _ in range(2):
            await factory.batch(agency)
    cursor = (await tenant.data(BATCHES_QUERY, {"first": 1}))["batches"]["pageInfo"]["endCursor"]

    assert await error_codes(tenant, BATCHES_QUERY, {"first": 1, "after": cursor}) == []
    codes = await error_codes(other_tenant, BATCHES_QUERY, {"first": 1, "after": cursor})
    assert codes == ["BAD_USER_INPUT"]
