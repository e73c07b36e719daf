"""What every request's transaction is: the app role (row-level security applies), its agency,
and statements that each run on one process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from db.tenancy import RequestDatabase
from tests.tenant import Tenant


async def test_a_requests_statements_run_as_the_app_role_on_one_process_each(
    sessions: async_sessionmaker[Any], tenant: Tenant
) -> None:
    db = RequestDatabase(sessions, agency_id=tenant.agency_id, user_id=tenant.user_id)
    try:
        async with db.session() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT current_user, current_setting('app.agency_id'), "
                        "current_setting('max_parallel_workers_per_gather')"
                    )
                )
            ).one()
    finally:
        await db.close()

    assert tuple(row) == ("callbatch_app", str(tenant.agency_id), "0")
