"""Property: for random contacts with many tied sort keys and a random sort list, following
endCursor from the start visits every contact exactly once, in the contract's order."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.models import CONTACT_STATUSES, PRIORITIES
from tests.factories import Factory
from tests.read_api_support import (
    SORT_VALUE,
    at,
    contact_row,
    expected_order,
    walk_with_cursors,
    with_ids,
)
from tests.tenant import Tenant

optional_time = st.one_of(st.none(), st.sampled_from([at(1), at(2), at(3)]))

contact_rows = st.builds(
    contact_row,
    created_at=st.sampled_from([at(1), at(2)]),
    first_name=st.sampled_from([None, "", "ann", "bob"]),
    last_name=st.sampled_from([None, "kim", "lee"]),
    phone_number=st.sampled_from(["+15550000001", "+15550000002"]),
    status=st.sampled_from(CONTACT_STATUSES[:3]),
    priority=st.sampled_from(PRIORITIES),
    attempts=st.integers(0, 2),
    last_attempt_at=optional_time,
    completed_at=optional_time,
    duration_seconds=st.sampled_from([None, 0, 30]),
)

sort_lists = st.lists(
    st.fixed_dictionaries(
        {"field": st.sampled_from(list(SORT_VALUE)), "direction": st.sampled_from(["ASC", "DESC"])}
    ),
    max_size=4,
    unique_by=lambda item: item["field"],
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(contact_rows, max_size=25),
    sort=sort_lists,
    first=st.integers(1, 7),
)
async def test_cursor_paging_visits_each_contact_once_in_order_with_tied_sort_keys(
    tenant: Tenant,
    factory: Factory,
    rows: list[dict[str, Any]],
    sort: list[dict[str, str]],
    first: int,
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    contacts = with_ids(rows, await factory.contacts(batch_id, tenant.agency_id, rows))

    visited = await walk_with_cursors(tenant, batch_id, first=first, sort=sort)

    assert visited == expected_order(contacts, sort or [{"field": "CREATED_AT"}])
