"""Offset mode of both lists at the edges: first, middle, last and past-the-end pages, empty
lists, `page` and `offset` spellings, pageInfo in offset mode, limits and mixed modes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import Factory
from tests.read_api_support import (
    BATCHES_QUERY,
    CONTACTS_QUERY,
    contact_row,
    contacts,
    error_codes,
)
from tests.tenant import Tenant


@pytest.fixture
async def seven(tenant: Tenant, factory: Factory) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A batch of 7 contacts (ids in the default order)."""
    batch_id = await factory.batch(tenant.agency_id)
    return batch_id, await factory.contacts(batch_id, tenant.agency_id, [contact_row()] * 7)


def _ids(page: dict[str, Any]) -> list[uuid.UUID]:
    return [uuid.UUID(n["id"]) for n in page["nodes"]]


@pytest.mark.parametrize(
    ("arguments", "rows", "pagination", "has_next", "has_previous"),
    [
        ({"page": 1, "limit": 3}, slice(0, 3), (1, 0, 3, True), True, False),
        ({"page": 2, "limit": 3}, slice(3, 6), (2, 3, 3, True), True, True),
        ({"page": 3, "limit": 3}, slice(6, 7), (3, 6, 3, False), False, True),
        ({"page": 4, "limit": 3}, slice(0, 0), (4, 9, 3, False), False, True),
        ({"page": 1, "limit": 7}, slice(0, 7), (1, 0, 1, False), False, False),
        ({"page": 2, "limit": 7}, slice(0, 0), (2, 7, 1, False), False, True),
        ({"offset": 5, "limit": 3}, slice(5, 7), (2, 5, 3, False), False, True),
        ({"offset": 4, "limit": 3}, slice(4, 7), (2, 4, 3, False), False, True),
        ({"offset": 2}, slice(2, 7), (1, 2, 1, False), False, True),
        ({"offset": 100, "limit": 200}, slice(0, 0), (1, 100, 1, False), False, True),
        ({}, slice(0, 7), (1, 0, 1, False), False, False),
    ],
)
async def test_offset_maths_of_contacts_at_every_edge(
    tenant: Tenant,
    seven: tuple[uuid.UUID, list[uuid.UUID]],
    arguments: dict[str, Any],
    rows: slice,
    pagination: tuple[int, int, int, bool],
    has_next: bool,
    has_previous: bool,
) -> None:
    batch_id, ids = seven
    page_number, offset, total_pages, has_more = pagination

    page = await contacts(tenant, batch_id, **arguments)

    assert _ids(page) == ids[rows]
    assert page["totalCount"] == 7
    assert page["pagination"] == {
        "total": 7,
        "page": page_number,
        "limit": arguments.get("limit", 50),
        "offset": offset,
        "totalPages": total_pages,
        "hasMore": has_more,
    }
    assert page["pageInfo"]["hasNextPage"] is has_next
    assert page["pageInfo"]["hasPreviousPage"] is has_previous
    cursors = [edge["cursor"] for edge in page["edges"]]
    assert page["pageInfo"]["startCursor"] == (cursors[0] if cursors else None)
    assert page["pageInfo"]["endCursor"] == (cursors[-1] if cursors else None)


@pytest.mark.parametrize("arguments", [{}, {"page": 3, "limit": 10}, {"first": 5}])
async def test_an_empty_batch_has_no_rows_no_pages_and_no_neighbours(
    tenant: Tenant, factory: Factory, arguments: dict[str, Any]
) -> None:
    batch_id = await factory.batch(tenant.agency_id)

    page = await contacts(tenant, batch_id, **arguments)

    assert page["nodes"] == page["edges"] == []
    assert page["totalCount"] == 0
    assert page["pagination"]["total"] == page["pagination"]["totalPages"] == 0
    assert page["pagination"]["hasMore"] is False
    assert page["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


async def test_batches_offset_maths_match_the_rest_list_shape(
    tenant: Tenant, factory: Factory
) -> None:
    ids = [await factory.batch(tenant.agency_id) for _ in range(5)]
    newest_first = ids[::-1]

    data = await tenant.data(BATCHES_QUERY, {"page": 2, "limit": 2})
    by_offset = await tenant.data(BATCHES_QUERY, {"offset": 2, "limit": 2})
    past_end = await tenant.data(BATCHES_QUERY, {"page": 9, "limit": 2})
    default = await tenant.data(BATCHES_QUERY, {})

    batches = data["batches"]
    assert [uuid.UUID(n["id"]) for n in batches["nodes"]] == newest_first[2:4]
    assert batches["nodes"] == by_offset["batches"]["nodes"]
    assert batches["pagination"] == {
        "total": 5, "page": 2, "limit": 2, "offset": 2, "totalPages": 3, "hasMore": True,
    }  # fmt: skip
    assert past_end["batches"]["nodes"] == []
    assert past_end["batches"]["pageInfo"]["hasPreviousPage"] is True
    assert past_end["batches"]["pagination"]["hasMore"] is False
    assert default["batches"]["pagination"]["limit"] == 25
    assert len(default["batches"]["nodes"]) == 5


@pytest.mark.parametrize(
    "arguments",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": -1},
        {"page": 0},
        {"page": -3},
        {"offset": -1},
        {"first": 0},
        {"first": 201},
        {"page": 1, "offset": 0},
        {"page": 1, "first": 5},
        {"limit": 5, "first": 5},
        {"offset": 0, "after": "x"},
        {"limit": 5, "after": "x"},
    ],
)
async def test_contact_paging_arguments_out_of_range_or_mixed_are_bad_user_input(
    tenant: Tenant, factory: Factory, arguments: dict[str, Any]
) -> None:
    batch_id = await factory.batch(tenant.agency_id)

    codes = await error_codes(tenant, CONTACTS_QUERY, {"id": str(batch_id), **arguments})

    assert codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"limit": 0},
        {"limit": 101},
        {"page": 0},
        {"offset": -1},
        {"first": 101},
        {"page": 2, "first": 5},
        {"page": 1, "offset": 0},
    ],
)
async def test_batch_paging_arguments_out_of_range_or_mixed_are_bad_user_input(
    tenant: Tenant, arguments: dict[str, Any]
) -> None:
    assert await error_codes(tenant, BATCHES_QUERY, arguments) == ["BAD_USER_INPUT"]


async def test_maximum_limits_are_accepted(tenant: Tenant, factory: Factory) -> None:
    batch_id = await factory.batch(tenant.agency_id)

    contacts_page = await contacts(tenant, batch_id, limit=200)
    batches = await tenant.data(BATCHES_QUERY, {"first": 100})

    assert contacts_page["pagination"]["limit"] == 200
    assert batches["batches"]["pagination"]["limit"] == 100
