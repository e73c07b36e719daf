"""Sibling fields resolve concurrently on one request's session: several aliased `batch(id:)`
fields with their contacts and callLogs, next to `batches` lists, must all answer correctly."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import Factory
from tests.read_api_support import contact_row, statements_on
from tests.tenant import Tenant

SIBLINGS = """
query($a: ID!, $b: ID!, $c: ID!) {
  a: batch(id: $a) { ...B }
  b: batch(id: $b) { ...B }
  c: batch(id: $c) { ...B }
  again: batch(id: $a) { name contacts(first: 2, sort: [{field: NAME, direction: DESC}]) {
    nodes { name } pageInfo { hasNextPage } } }
  newest: batches(first: 2) { totalCount nodes { id name totalContacts } pageInfo { hasNextPage } }
  paged: batches(page: 2, limit: 2) { nodes { id } pagination { total page totalPages } }
  searched: batches(search: "beta") { nodes { name } }
}
fragment B on Batch {
  id name totalContacts completed
  contacts(limit: 10) {
    totalCount
    nodes { name status callLogs { callStatus } }
    pagination { total hasMore }
  }
}
"""


async def test_aliased_batches_and_lists_resolved_together_each_answer_their_own_rows(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    ids: list[uuid.UUID] = []
    for index, name in enumerate(["alpha", "beta", "gamma"]):
        batch_id = await factory.batch(tenant.agency_id, name=name)
        ids.append(batch_id)
        contact_ids = await factory.contacts(
            batch_id,
            tenant.agency_id,
            [
                contact_row(first_name=f"{name}{i}", status="completed" if i < index else "pending")
                for i in range(index + 2)
            ],
        )
        for contact_id in contact_ids:
            await factory.call_log(contact_id, tenant.agency_id, call_status=f"{name}-call")

    with statements_on(connection) as log:
        data = await tenant.data(SIBLINGS, {"a": str(ids[0]), "b": str(ids[1]), "c": str(ids[2])})

    for alias, batch_id, name, size in (("a", ids[0], "alpha", 2), ("b", ids[1], "beta", 3),
                                        ("c", ids[2], "gamma", 4)):  # fmt: skip
        batch = data[alias]
        assert (batch["id"], batch["name"], batch["totalContacts"]) == (str(batch_id), name, size)
        assert batch["completed"] == size - 2
        contacts = batch["contacts"]
        assert contacts["totalCount"] == contacts["pagination"]["total"] == size
        assert [n["name"] for n in contacts["nodes"]] == [f"{name}{i}" for i in range(size)]
        assert all(n["callLogs"] == [{"callStatus": f"{name}-call"}] for n in contacts["nodes"])
    assert [n["name"] for n in data["again"]["contacts"]["nodes"]] == ["alpha1", "alpha0"]
    assert data["again"]["contacts"]["pageInfo"]["hasNextPage"] is False
    assert [n["name"] for n in data["newest"]["nodes"]] == ["gamma", "beta"]
    assert data["newest"]["totalCount"] == 3
    assert data["newest"]["pageInfo"]["hasNextPage"] is True
    assert [n["id"] for n in data["paged"]["nodes"]] == [str(ids[0])]
    assert data["paged"]["pagination"] == {"total": 3, "page": 2, "totalPages": 2}
    assert data["searched"]["nodes"] == [{"name": "beta"}]
    assert 1 <= len(log.reading("call_logs")) <= 3, "one call_logs statement per page at most"
