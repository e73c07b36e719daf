"""The short request path: call logs loaded by the page (fragments included), and cursors that
are not even ASCII refused as client input."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import Factory
from tests.read_api_support import batch_with_two_call_logs_each, statements_on
from tests.tenant import Tenant

THROUGH_FRAGMENTS = """
fragment Logs on Contact { callLogs { callStatus } }
fragment Node on Contact { id ...Logs }
query($id: ID!) {
  batch(id: $id) {
    contacts(first: 10) {
      nodes { ...Node }
      edges { node { ... on Contact { id callLogs { id } } } }
    }
  }
}
"""


async def test_call_logs_selected_only_through_fragments_are_loaded_once_for_the_page(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    batch_id = await batch_with_two_call_logs_each(tenant, factory, 4)

    with statements_on(connection) as log:
        data = await tenant.data(THROUGH_FRAGMENTS, {"id": str(batch_id)})

    contacts = data["batch"]["contacts"]
    assert [len(n["callLogs"]) for n in contacts["nodes"]] == [2, 2, 2, 2]
    assert [n["callLogs"][0]["callStatus"] for n in contacts["nodes"]] == ["no-answer"] * 4
    assert [len(e["node"]["callLogs"]) for e in contacts["edges"]] == [2, 2, 2, 2]
    assert len(log.reading("call_logs")) == 1


async def test_contacts_without_call_logs_selected_read_no_call_logs(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    batch_id = await batch_with_two_call_logs_each(tenant, factory, 2)

    with statements_on(connection) as log:
        data = await tenant.data(
            """query($id: ID!) { batch(id: $id) { contacts { nodes { id status }
                edges { cursor node { name } } } } }""",
            {"id": str(batch_id)},
        )

    assert len(data["batch"]["contacts"]["nodes"]) == 2
    assert log.reading("call_logs") == []


async def test_a_cursor_with_non_ascii_characters_is_bad_user_input(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)

    body = await tenant.query(
        """query($id: ID!, $after: String) { batch(id: $id) {
            contacts(first: 1, after: $after) { nodes { id } } } }""",
        {"id": str(batch_id), "after": ".\x80"},
    )

    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
