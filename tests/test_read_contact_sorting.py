"""Oracle tests of `batch.contacts(sort:)`: every sort key in both directions, NULLs last both
ways, lists of keys, the id tie-break, and the checks on the sort argument."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import Factory
from tests.read_api_support import (
    CONTACTS_QUERY,
    SORT_VALUE,
    at,
    contact_ids,
    contact_row,
    contacts,
    error_codes,
    expected_order,
    walk_with_cursors,
    with_ids,
)
from tests.tenant import Tenant

# Few distinct values per column, NULLs included, so every key has ties and NULLs to order.
ROWS = [
    contact_row(created_at=at(2), first_name="bob", last_name="lee", status="completed",
                priority="high", attempts=2, last_attempt_at=at(9), completed_at=at(9),
                duration_seconds=60, phone_number="+15550000003"),
    contact_row(created_at=at(1), first_name="ann", last_name=None, status="pending",
                priority="low", attempts=0, phone_number="+15550000001"),
    contact_row(created_at=at(2), first_name=None, last_name="kim", status="queued",
                priority="normal", attempts=1, last_attempt_at=at(5), duration_seconds=0,
                phone_number="+15550000002"),
    contact_row(created_at=at(1), first_name="ann", last_name="kim", status="in_progress",
                priority="high", attempts=1, last_attempt_at=at(9), phone_number="+15550000003"),
    contact_row(created_at=at(3), first_name=None, last_name=None, status="failed",
                priority="low", attempts=3, last_attempt_at=at(5), completed_at=at(7),
                duration_seconds=5, phone_number="+15550000001"),
    contact_row(created_at=at(2), first_name="bob", last_name="lee", status="skipped",
                priority="normal", attempts=0, completed_at=at(7), duration_seconds=60,
                phone_number="+15550000004"),
    contact_row(created_at=at(3), first_name="ann", last_name="kim", status="completed",
                priority="normal", attempts=2, last_attempt_at=at(5), completed_at=at(9),
                duration_seconds=5, phone_number="+15550000002"),
    contact_row(created_at=at(1), first_name="", last_name="", status="pending",
                priority="high", attempts=2, phone_number="+15550000004"),
]  # fmt: skip

FIELDS = list(SORT_VALUE)


@pytest.fixture
async def seeded(tenant: Tenant, factory: Factory) -> tuple[uuid.UUID, list[dict[str, Any]]]:
    batch_id = await factory.batch(tenant.agency_id)
    return batch_id, with_ids(ROWS, await factory.contacts(batch_id, tenant.agency_id, ROWS))


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", FIELDS)
async def test_each_sort_key_orders_contacts_with_nulls_last_and_id_breaking_ties(
    tenant: Tenant, seeded: tuple[uuid.UUID, list[dict[str, Any]]], field: str, direction: str
) -> None:
    batch_id, rows = seeded
    sort = [{"field": field, "direction": direction}]
    expected = expected_order(rows, sort)

    assert await contact_ids(tenant, batch_id, sort=sort) == expected
    assert await walk_with_cursors(tenant, batch_id, first=3, sort=sort) == expected


SORT_LISTS = [
    [{"field": "STATUS"}, {"field": "NAME", "direction": "DESC"}],
    [{"field": "PRIORITY", "direction": "DESC"}, {"field": "ATTEMPTS"}],
    [{"field": "LAST_ATTEMPT_AT", "direction": "DESC"}, {"field": "DURATION_SECONDS"}],
    [{"field": "CREATED_AT", "direction": "DESC"}, {"field": "PHONE_NUMBER", "direction": "DESC"},
     {"field": "COMPLETED_AT"}],
    [{"field": "NAME"}, {"field": "CREATED_AT"}, {"field": "PRIORITY"}],
]  # fmt: skip


@pytest.mark.parametrize("sort", SORT_LISTS, ids=lambda s: "+".join(i["field"] for i in s))
async def test_a_list_of_sort_keys_orders_lexicographically(
    tenant: Tenant, seeded: tuple[uuid.UUID, list[dict[str, Any]]], sort: list[dict[str, str]]
) -> None:
    batch_id, rows = seeded
    expected = expected_order(rows, sort)

    assert await contact_ids(tenant, batch_id, sort=sort) == expected
    assert await walk_with_cursors(tenant, batch_id, first=2, sort=sort) == expected


async def test_default_order_is_created_at_ascending_then_id(
    tenant: Tenant, seeded: tuple[uuid.UUID, list[dict[str, Any]]]
) -> None:
    batch_id, rows = seeded
    expected = expected_order(rows, [{"field": "CREATED_AT"}])

    assert await contact_ids(tenant, batch_id) == expected
    assert await contact_ids(tenant, batch_id, sort=[]) == expected


async def test_status_sorts_in_lifecycle_order_and_priority_from_low_to_high(
    tenant: Tenant, seeded: tuple[uuid.UUID, list[dict[str, Any]]]
) -> None:
    batch_id, _ = seeded
    query = """query($id: ID!, $sort: [ContactSort!]) { batch(id: $id) {
        contacts(sort: $sort, limit: 200) { nodes { status priority } } } }"""

    data = await tenant.data(query, {"id": str(batch_id), "sort": [{"field": "STATUS"}]})
    statuses = [n["status"] for n in data["batch"]["contacts"]["nodes"]]
    data = await tenant.data(query, {"id": str(batch_id), "sort": [{"field": "PRIORITY"}]})
    priorities = [n["priority"] for n in data["batch"]["contacts"]["nodes"]]

    assert list(dict.fromkeys(statuses)) == [
        "PENDING", "QUEUED", "IN_PROGRESS", "COMPLETED", "FAILED", "SKIPPED",
    ]  # fmt: skip
    assert list(dict.fromkeys(priorities)) == ["low", "normal", "high"]


async def test_name_sort_orders_by_the_name_the_api_shows(
    tenant: Tenant, seeded: tuple[uuid.UUID, list[dict[str, Any]]]
) -> None:
    batch_id, _ = seeded
    data = await tenant.data(
        """query($id: ID!) { batch(id: $id) {
            contacts(sort: [{field: NAME}], limit: 200) { nodes { name } } } }""",
        {"id": str(batch_id)},
    )

    names = [n["name"] for n in data["batch"]["contacts"]["nodes"]]

    present = [n for n in names if n is not None]
    assert names == present + [None] * (len(names) - len(present))
    assert present == sorted(present)
    assert "ann kim" in present and "kim" in present and "ann" in present


async def test_sort_listing_a_field_twice_is_bad_user_input(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    sort = [{"field": "NAME"}, {"field": "NAME", "direction": "DESC"}]

    codes = await error_codes(tenant, CONTACTS_QUERY, {"id": str(batch_id), "sort": sort})

    assert codes == ["BAD_USER_INPUT"]


async def test_sort_by_an_unknown_field_is_rejected_by_validation(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)

    body = await tenant.query(CONTACTS_QUERY, {"id": str(batch_id), "sort": [{"field": "EMAIL"}]})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_offset_pages_follow_the_sort_order(
    tenant: Tenant, seeded: tuple[uuid.UUID, list[dict[str, Any]]]
) -> None:
    batch_id, rows = seeded
    sort = [{"field": "DURATION_SECONDS", "direction": "DESC"}]
    expected = expected_order(rows, sort)

    pages = [await contacts(tenant, batch_id, sort=sort, page=p, limit=3) for p in (1, 2, 3)]

    assert [uuid.UUID(n["id"]) for p in pages for n in p["nodes"]] == expected
