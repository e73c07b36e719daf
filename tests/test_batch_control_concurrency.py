"""Two operators pause one batch at the same moment: one transition wins, the other call sees
the batch already paused (returned unchanged), and exactly one audit row exists."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import create_app
from core.settings import Settings
from db.engine import session_factory
from tests.batch_control_support import act
from tests.committed_data import CommittedData, committed
from tests.tenant import Tenant
from web.state import AppState

__all__ = ["committed"]


async def test_two_concurrent_pauses_one_wins_the_other_sees_the_new_state(
    settings: Settings, engine: AsyncEngine, committed: CommittedData
) -> None:
    agency_id, first_user = await committed.agency_with_user("operator")
    second_user = (await committed.agency_with_user("operator"))[1]
    await committed.execute(
        "UPDATE users SET agency_id = :agency WHERE id = :user", agency=agency_id, user=second_user
    )
    batch_id = await committed.batch(agency_id, status="processing")
    sessions = session_factory(engine)
    app = create_app(settings)
    app.state.app = AppState(
        settings=settings, engine=engine, read_engine=engine, sessions=sessions,
        read_sessions=sessions,
    )  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        first, second = (
            Tenant(agency_id, first_user, client),
            Tenant(agency_id, second_user, client),
        )
        async with engine.connect() as blocker:
            # Hold the row so both calls are in flight, waiting on the same lock, at once.
            await blocker.execute(
                text("SELECT 1 FROM call_batches WHERE id = :id FOR UPDATE"), {"id": batch_id}
            )
            calls = asyncio.gather(act(first, "pause", batch_id), act(second, "pause", batch_id))
            await _wait_for_lock_waiters(engine, 2)
            await blocker.rollback()
            bodies = await calls
    assert [b["data"]["result"]["status"] for b in bodies] == ["PAUSED", "PAUSED"]
    async with engine.connect() as connection:
        events = (
            await connection.execute(
                text("SELECT user_id, from_status FROM batch_events WHERE batch_id = :id"),
                {"id": batch_id},
            )
        ).all()
    assert len(events) == 1
    assert events[0].user_id in {first_user, second_user}
    assert events[0].from_status == "processing"


async def _wait_for_lock_waiters(engine: AsyncEngine, count: int) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    for _ in range(200):
        async with engine.connect() as connection:
            if (await connection.execute(query)).scalar_one() >= count:
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} transactions never waited on the batch's lock")
