"""The compiled path plans a request shape once (document, operation, variables, agency) and
reuses that plan, answering each request from the database as it stands."""

from __future__ import annotations

from typing import Any

import pytest

from schema.compiled.reads import CompiledReads
from tests.factories import Factory
from tests.tenant import Tenant

QUERY = "query($first: Int) { batches(first: $first) { totalCount nodes { name } } }"


@pytest.fixture
def plans_made(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    made: list[Any] = []
    original = CompiledReads._plan

    def counting(self: CompiledReads, *args: Any) -> Any:
        made.append(args[-1].agency_id)
        return original(self, *args)

    monkeypatch.setattr(CompiledReads, "_plan", counting)
    return made


async def test_a_repeated_request_is_planned_once_per_agency_and_still_reads_afresh(
    tenant: Tenant, other_tenant: Tenant, factory: Factory, plans_made: list[Any]
) -> None:
    await factory.batch(tenant.agency_id, name="First")
    first = await tenant.data(QUERY, {"first": 5})
    await factory.batch(tenant.agency_id, name="Second")
    second = await tenant.data(QUERY, {"first": 5})
    others = await other_tenant.data(QUERY, {"first": 5})
    await tenant.data(QUERY, {"first": 6})

    assert first["batches"]["totalCount"] == 1
    assert second["batches"]["totalCount"] == 2
    assert others["batches"] == {"totalCount": 0, "nodes": []}
    assert plans_made == [tenant.agency_id, other_tenant.agency_id, tenant.agency_id]
