"""The cost model counts the database work a list argument causes, not only the fields: deep
offsets and searches multiplied through aliases are refused before any SQL, and each contacts
list is charged the rows it really reads (from the batch's counters) before its own SQL."""

from __future__ import annotations

import uuid
from typing import Any

from graphql import parse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from schema import build_schema
from schema.limits.bounds import QueryLimits
from schema.limits.cost import estimated_cost
from tests.factories import Factory
from tests.read_api_support import statements_on
from tests.rest_support import assert_error, details_url, rest_get
from tests.security_support import error_of
from tests.tenant import Tenant
from web.state import AppState

LIMITS = QueryLimits()
ASSUMED = LIMITS.assumed_list_rows


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    return estimated_cost(build_schema()._schema, parse(query), variables, LIMITS)


def contacts(arguments: str) -> str:
    return f'{{ batch(id: "{uuid.uuid4()}") {{ contacts({arguments}) {{ totalCount }} }} }}'


def test_an_offset_costs_the_rows_it_skips_up_to_the_assumed_list_size() -> None:
    plain = cost(contacts("limit: 10"))

    assert cost(contacts("offset: 500, limit: 10")) == plain + 500
    assert cost(contacts("offset: 150000, limit: 10")) == plain + ASSUMED
    assert (
        cost("{ batches(page: 3, limit: 20) { totalCount } }")
        == cost("{ batches(limit: 20) { totalCount } }") + 2 * 20
    )


def test_a_search_a_filter_or_a_sort_of_several_fields_costs_a_whole_list() -> None:
    plain = cost(contacts("limit: 10"))

    assert cost(contacts('search: "a", limit: 10')) == plain + ASSUMED
    assert cost(contacts("filter: {status: COMPLETED}, limit: 10")) == plain + ASSUMED
    assert cost(contacts("sort: [{field: STATUS}, {field: NAME}], limit: 10")) == plain + ASSUMED
    assert cost(contacts("sort: [{field: NAME}], limit: 10")) == plain
    assert cost(contacts("search: null, filter: null, limit: 10")) == plain
    by_variable = 'query($s: String) { batch(id: "x") { contacts(search: $s) { totalCount } } }'
    assert cost(by_variable, {"s": "a"}) == cost(by_variable, {}) + ASSUMED


ATTACK = (
    'contacts(search: "a", sort: [{field: STATUS, direction: DESC}, {field: NAME}], '
    "offset: 150000, limit: 1) { totalCount nodes { id } }"
)


async def test_ten_aliased_deep_searches_are_refused_before_any_sql(
    tenant: Tenant, connection: AsyncConnection
) -> None:
    aliases = " ".join(f"a{i}: {ATTACK}" for i in range(10))
    query = f'{{ batch(id: "{uuid.uuid4()}") {{ {aliases} }} }}'

    with statements_on(connection) as log:
        response = await tenant.post(query)

    error = error_of(response)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["extensions"]["limit"] == "cost"
    assert error["extensions"]["actual"] > LIMITS.max_cost
    assert "cursors" in error["message"]
    assert not [s for s in log.statements if "campaign_contacts" in s or "call_batches" in s]


async def test_aliases_are_charged_the_rows_they_really_read_before_their_sql(
    app_state: AppState, tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    """Three searching aliases pass the estimate (three assumed lists), but the batch holds more
    contacts than the request may read three times over: the third is refused unrun."""
    app_state.settings = app_state.settings.model_copy(update={"max_rows_read": 300})
    per_search = 300 // 3 + 1
    batch_id = await factory.batch(tenant.agency_id)
    await factory.connection.execute(
        text(
            "INSERT INTO campaign_contacts (batch_id, agency_id, phone_number, first_name) "
            "SELECT :batch, :agency, '+1555' || n, 'Ann' FROM generate_series(1, :count) n"
        ),
        {"batch": batch_id, "agency": tenant.agency_id, "count": per_search},
    )
    aliases = " ".join(
        f'a{i}: contacts(search: "ann", limit: 1) {{ totalCount }}' for i in range(3)
    )
    searched = 3

    with statements_on(connection) as log:
        body = await tenant.query(f'{{ batch(id: "{batch_id}") {{ {aliases} }} }}')

    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["extensions"]["limit"] == "rowsRead"
    assert error["extensions"]["maximum"] == 300
    assert error["path"] == ["batch", "a2"]
    searches = [s for s in log.statements if "campaign_contacts" in s]
    assert len(searches) < searched, "the refused alias ran no statement"


async def test_an_offset_far_past_a_small_batch_reads_little_and_is_answered(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    await factory.contacts(batch_id, tenant.agency_id, [{} for _ in range(3)])
    aliases = " ".join(f"a{i}: contacts(offset: 2000000000) {{ totalCount }}" for i in range(5))

    data = await tenant.data(f'{{ batch(id: "{batch_id}") {{ {aliases} }} }}')

    assert all(data["batch"][f"a{i}"]["totalCount"] == 3 for i in range(5))


async def test_a_rest_page_is_charged_the_rows_it_reads_and_refused_past_the_maximum(
    app_state: AppState, tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    app_state.settings = app_state.settings.model_copy(update={"max_rows_read": 300})
    batch_id = await factory.batch(tenant.agency_id)
    await factory.connection.execute(
        text(
            "INSERT INTO campaign_contacts (batch_id, agency_id, phone_number, first_name) "
            "SELECT :batch, :agency, '+1555' || n, 'Ann' FROM generate_series(1, 301) n"
        ),
        {"batch": batch_id, "agency": tenant.agency_id},
    )

    with statements_on(connection) as log:
        searched = await rest_get(tenant, details_url(batch_id), search="ann")
    paged = await rest_get(tenant, details_url(batch_id), limit=5)

    assert_error(searched, 400, "may read at most 300")
    assert not [s for s in log.statements if "campaign_contacts" in s], "refused unrun"
    assert paged.status_code == 200 and paged.json()["data"]["total"] == 301
