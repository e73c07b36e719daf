"""What a query costs in SQL statements on the resolvers' path (the reference, and what answers
whatever the compiled path does not cover): a fixed number however many contacts a page holds
(callLogs through one DataLoader), and nothing that the query does not select. The compiled
path's statements are counted in tests/test_round_trips.py."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.compiled_fixtures import resolvers_only_app_state
from tests.factories import Factory
from tests.read_api_support import batch_with_two_call_logs_each, statements_on
from tests.tenant import Tenant

__all__ = ["resolvers_only_app_state"]


PAGE_WITH_CALL_LOGS = """
query($id: ID!, $limit: Int) {
  batch(id: $id) {
    id name totalContacts
    contacts(limit: $limit) {
      totalCount
      nodes { id name callLogs { id callStatus durationSeconds recordingUrl transcript } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def test_a_page_of_50_contacts_with_call_logs_runs_four_reading_statements(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    batch_id = await batch_with_two_call_logs_each(tenant, factory, 50)

    with statements_on(connection) as log:
        data = await tenant.data(PAGE_WITH_CALL_LOGS, {"id": str(batch_id), "limit": 50})

    nodes = data["batch"]["contacts"]["nodes"]
    assert len(nodes) == 50
    assert all(len(node["callLogs"]) == 2 for node in nodes)
    assert [n["callLogs"][0]["callStatus"] for n in nodes] == ["no-answer"] * 50
    assert len(log.queries) == 4, log.queries
    assert len(log.reading("v_call_batch_summary")) == 1
    assert len(log.reading("campaign_contacts")) == 1
    assert len(log.reading("call_logs")) == 1
    assert len(log.counts()) == 1


async def test_the_statement_count_does_not_grow_with_the_page_size(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    batch_id = await batch_with_two_call_logs_each(tenant, factory, 60)
    counts = []
    for limit in (1, 10, 60):
        with statements_on(connection) as log:
            await tenant.data(PAGE_WITH_CALL_LOGS, {"id": str(batch_id), "limit": limit})
        counts.append(len(log.queries))

    assert counts == [4, 4, 4]


async def test_selecting_only_nodes_runs_no_count(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    batch_id = await batch_with_two_call_logs_each(tenant, factory, 3)

    with statements_on(connection) as log:
        await tenant.data(
            """query($id: ID!) { batch(id: $id) { contacts(first: 2) {
                nodes { id } pageInfo { hasNextPage endCursor } } }
                batches { nodes { id } edges { cursor } } }""",
            {"id": str(batch_id)},
        )

    assert log.counts() == []
    assert len(log.queries) == 3, log.queries


async def test_selecting_only_total_count_reads_no_rows(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    batch_id = await batch_with_two_call_logs_each(tenant, factory, 3)

    with statements_on(connection) as log:
        data = await tenant.data(
            """query($id: ID!) { batch(id: $id) { contacts { totalCount } }
                batches { totalCount } }""",
            {"id": str(batch_id)},
        )

    assert data["batch"]["contacts"]["totalCount"] == 3
    assert len(log.queries) == 3, log.queries
    assert len(log.counts()) == 2
    assert log.reading("call_logs") == []


async def test_total_count_and_pagination_together_share_one_count(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    batch_id = await batch_with_two_call_logs_each(tenant, factory, 3)

    with statements_on(connection) as log:
        await tenant.data(
            """query($id: ID!) { batch(id: $id) { contacts(page: 2, limit: 2) {
                totalCount pagination { total totalPages } pageInfo { hasPreviousPage }
                nodes { id } edges { cursor } } } }""",
            {"id": str(batch_id)},
        )

    assert len(log.counts()) == 1
    assert len(log.reading("campaign_contacts")) == 1


async def test_a_cursor_page_counts_only_when_its_position_is_selected(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    batch_id = await batch_with_two_call_logs_each(tenant, factory, 4)
    data = await tenant.data(
        "query($id: ID!) { batch(id: $id) { contacts(first: 1) { pageInfo { endCursor } } } }",
        {"id": str(batch_id)},
    )
    after = data["batch"]["contacts"]["pageInfo"]["endCursor"]
    query = """query($id: ID!, $after: String) { batch(id: $id) {
        contacts(first: 1, after: $after) { nodes { id } %s } } }"""

    with statements_on(connection) as plain:
        await tenant.data(query % "", {"id": str(batch_id), "after": after})
    with statements_on(connection) as positioned:
        await tenant.data(
            query % "pagination { offset } pageInfo { hasPreviousPage }",
            {"id": str(batch_id), "after": after},
        )

    assert plain.counts() == []
    assert len(positioned.counts()) == 2
