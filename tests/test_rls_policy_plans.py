"""The row-level security policies read the request's tenant once per statement (an InitPlan),
not once per row read (migration 0008)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from db.tenancy import RequestDatabase
from tests.tenant import Tenant

READS = {
    "contacts": "SELECT count(*) FROM campaign_contacts WHERE status = 'completed'",
    "call logs": "SELECT count(*) FROM call_logs",
    "batches": "SELECT count(*) FROM call_batches",
    "users": "SELECT count(*) FROM users",
}


@pytest.mark.parametrize("name", list(READS))
async def test_a_policy_reads_the_tenant_once_per_statement(
    sessions: async_sessionmaker[Any], tenant: Tenant, name: str
) -> None:
    db = RequestDatabase(sessions, agency_id=tenant.agency_id, user_id=tenant.user_id)
    try:
        async with db.session() as session:
            plan = (await session.execute(text(f"EXPLAIN (COSTS OFF) {READS[name]}"))).scalars()
            lines = list(plan)
    finally:
        await db.close()

    filters = [line for line in lines if "Filter" in line or "Cond" in line]
    assert any("InitPlan" in line for line in lines), lines
    assert not [line for line in filters if "current_setting" in line], lines
