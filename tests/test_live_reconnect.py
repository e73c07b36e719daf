"""The LISTEN connection lost under live subscriptions (a database restart, a killed backend):
the process reconnects on its own and every subscriber gets a fresh snapshot, which shows
changes whose notifications nobody heard."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator

import pytest
from alembic import command
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.settings import Settings
from db.engine import async_database_url
from migrations import alembic_config
from tests.committed_data import CommittedData, committed
from tests.database import scratch_database
from tests.live_support import PROGRESS, GraphQLWs, running_server
from tests.tenant import JWT_SECRET, token_for

__all__ = ["committed"]

UNHEARD = (
    "SET LOCAL session_replication_role = replica; "  # triggers off: this notifies nobody
    "UPDATE call_batches SET name = 'changed unheard' WHERE id = :id"
)


async def _unheard_change(data: CommittedData, batch_id: object) -> None:
    async with data.engine.begin() as connection:
        for statement in UNHEARD.split("; "):
            await connection.execute(text(statement), {"id": batch_id})


async def test_a_terminated_listener_reconnects_and_resends_a_snapshot(
    settings: Settings, committed: CommittedData
) -> None:
    agency_id, user_id = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id, contacts=2)
    async with (
        running_server(settings) as (url, state),
        GraphQLWs.connect(url, token_for(user_id)) as client,
    ):
        listener = state.listener
        assert listener is not None and listener.connections == 1
        await client.acknowledged()
        await client.subscribe(
            "subscription($id: ID!) { batchProgress(id: $id) { name totalContacts } }",
            {"id": str(batch_id)},
        )
        assert (await client.next_payload())["data"]["batchProgress"]["totalContacts"] == 2
        await _unheard_change(committed, batch_id)
        assert await client.messages_until_quiet(quiet=1.0) == []

        await committed.execute("SELECT pg_terminate_backend(:pid)", pid=listener.backend_pid)
        resent = (await client.next_payload(within=15))["data"]["batchProgress"]
        assert resent == {"name": "changed unheard", "totalContacts": 2}
        assert listener.connections == 2

        await committed.execute("DELETE FROM campaign_contacts WHERE batch_id = :id", id=batch_id)
        after = (await client.next_payload())["data"]["batchProgress"]
        assert after["totalContacts"] == 0


@pytest.fixture
def restartable_server() -> Iterator[tuple[str, object]]:
    """A PostgreSQL of this test alone (embedded), so restarting it disturbs no other test."""
    pgserver = pytest.importorskip("pgserver")
    commands = pytest.importorskip("pgserver._commands")
    with tempfile.TemporaryDirectory(prefix="cbpg-restart") as data:
        server = pgserver.get_server(data, cleanup_mode="stop")
        try:

            def restart() -> None:
                commands.pg_ctl(
                    ["-w", "restart", "-m", "fast"], pgdata=server.pgdata, user=server.system_user
                )

            with scratch_database(str(server.get_uri()), prefix="callbatch_restart") as url:
                command.upgrade(alembic_config(url), "head")
                yield url, restart
        finally:
            server.cleanup()


async def test_a_database_restart_under_a_live_subscription_resumes_with_a_snapshot(
    restartable_server: tuple[str, object],
) -> None:
    url, restart = restartable_server
    settings = Settings(database_url=url, jwt_secret=SecretStr(JWT_SECRET))
    engine: AsyncEngine = create_async_engine(async_database_url(url), pool_pre_ping=True)
    data = CommittedData(engine)
    try:
        agency_id, user_id = await data.agency_with_user()
        batch_id = await data.batch(agency_id, contacts=3, status="processing")
        async with (
            running_server(settings) as (ws_url, state),
            GraphQLWs.connect(ws_url, token_for(user_id)) as client,
        ):
            await client.acknowledged()
            await client.subscribe(PROGRESS, {"id": str(batch_id)})
            assert (await client.next_payload())["data"]["batchProgress"]["pending"] == 3
            async with engine.begin() as connection:
                await connection.execute(text("SET LOCAL session_replication_role = replica"))
                await connection.execute(
                    text("UPDATE call_batches SET status = 'paused' WHERE id = :id"),
                    {"id": batch_id},
                )
            assert await client.messages_until_quiet(quiet=1.0) == []

            await asyncio.to_thread(restart)  # type: ignore[arg-type]

            resent = (await client.next_payload(within=30))["data"]["batchProgress"]
            assert (resent["status"], resent["pending"]) == ("PAUSED", 3)
            assert state.listener is not None and state.listener.connections == 2
            await data.execute(
                "UPDATE campaign_contacts SET status = 'completed' WHERE batch_id = :id",
                id=batch_id,
            )
            after = (await client.next_payload())["data"]["batchProgress"]
            assert (after["completed"], after["pending"]) == (3, 0)
        await data.cleanup()
    finally:
        await engine.dispose()
