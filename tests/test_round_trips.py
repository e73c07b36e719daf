"""How many round trips to PostgreSQL a read request makes, counted on the app's own engine and
pool (not the tests' shared connection): every statement SQLAlchemy sends, plus what asyncpg
sends by itself (BEGIN, ROLLBACK, a pre-ping's `;`), for the bench's own Q1 and Q2 documents,
on the resolvers' path and on the compiled path; the numbers are reported in docs/BENCHMARKS.md."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app import create_app
from bench.queries import Q1, Q2
from core.settings import Settings
from db.driver_transaction import READ_IN_SCOPE
from db.engine import create_engine, session_factory
from tests.committed_data import CommittedData, committed
from tests.tenant import Tenant
from web.state import AppState

__all__ = ["committed"]


@dataclass
class RoundTrips:
    announced: list[str] = field(default_factory=list)
    """What the engine's statement listeners heard of (SQLAlchemy's statements, and those the
    app sends on the driver itself, `db.driver_transaction.fetch_row`)."""
    by_driver: list[str] = field(default_factory=list)
    """What asyncpg's query logger saw (its own BEGIN and ROLLBACK, and `fetch_row`'s)."""

    @property
    def sent(self) -> list[str]:
        return self.announced + [sql for sql in self.by_driver if sql not in self.announced]

    def clear(self) -> None:
        self.announced.clear()
        self.by_driver.clear()


@contextmanager
def counting(engine: AsyncEngine, trips: RoundTrips) -> Iterator[None]:
    """Record statements from SQLAlchemy, and asyncpg's own queries on every new connection."""

    def statement(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        trips.announced.append(sql)

    def driver_query(record: Any) -> None:
        trips.by_driver.append(record.query)

    def connected(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(driver_query)

    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    event.listen(engine.sync_engine.pool, "connect", connected)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", statement)
        event.remove(engine.sync_engine.pool, "connect", connected)


@asynccontextmanager
async def app_on_own_engine(
    settings: Settings, agency_id: uuid.UUID, user_id: uuid.UUID
) -> AsyncIterator[tuple[Tenant, RoundTrips]]:
    engine = create_engine(settings, pool_size=1, max_overflow=0)
    trips = RoundTrips()
    sessions = session_factory(engine)
    state = AppState(
        settings=settings,
        engine=engine,
        read_engine=engine,
        sessions=sessions,
        read_sessions=sessions,
    )
    app = create_app(settings)
    app.state.app = state
    try:
        with counting(engine, trips):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield Tenant(agency_id, user_id, client), trips
    finally:
        await engine.dispose()


async def _trips_of(
    tenant: Tenant, trips: RoundTrips, query: str, variables: dict[str, Any]
) -> list[str]:
    await tenant.data(query, variables)  # warm: connection opened, statements prepared
    await _logged()
    trips.clear()
    data = await tenant.data(query, variables)
    assert data
    await _logged()
    return list(trips.sent)


async def _logged() -> None:
    """Let asyncpg's query loggers run: it calls them soon after each query, not during it."""
    for _ in range(5):
        await asyncio.sleep(0)


def assert_one_transaction_begun_with_its_scope(sent: list[str]) -> None:
    """`BEGIN` and the scope travel together; one `ROLLBACK` ends the request. (The driver
    reports its own queries a moment later than SQLAlchemy its statements: order not checked.)"""
    begun = [sql for sql in sent if sql.startswith("BEGIN")]
    assert len(begun) == 1
    assert begun[0].startswith("BEGIN; SELECT set_config('role', 'callbatch_app', true)")
    assert " FROM users WHERE id = " in begun[0], "the membership check rides along"
    assert [sql for sql in sent if sql.startswith("ROLLBACK")] == ["ROLLBACK"]


def assert_one_statement_in_scope(sent: list[str]) -> None:
    """The membership check, the scope and the read as one `read_in_scope()` statement: no
    transaction of the request's own, no pre-ping."""
    assert sent == [READ_IN_SCOPE], sent


@pytest.mark.parametrize(("compiled", "expected"), [(False, 4), (True, 3)])
async def test_the_batch_list_round_trips_and_no_pre_ping(
    settings: Settings, committed: CommittedData, compiled: bool, expected: int
) -> None:
    """A caller seen before (the warm-up request): BEGIN with the scope and the check that the
    user still belongs to its agency, the page, the count, ROLLBACK. Compiled: the page and its
    count are one statement."""
    agency_id, user_id = await committed.agency_with_user()
    for _ in range(3):
        await committed.batch(agency_id, contacts=2)
    settings = settings.model_copy(
        update={"compiled_reads": compiled, "one_statement_reads": False}
    )
    async with app_on_own_engine(settings, agency_id, user_id) as (tenant, trips):
        sent = await _trips_of(tenant, trips, Q1, {})

    assert len(sent) == expected, sent
    assert_one_transaction_begun_with_its_scope(sent)
    assert ";" not in sent, "no pre-ping"
    assert compiled == any("json_build_object" in sql for sql in sent)


@pytest.mark.parametrize("query", ["Q1", "Q2"])
async def test_a_compiled_read_of_a_caller_seen_before_is_one_round_trip(
    settings: Settings, committed: CommittedData, query: str
) -> None:
    agency_id, user_id = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id, contacts=60)
    document, variables = {"Q1": (Q1, {}), "Q2": (Q2, {"id": str(batch_id)})}[query]
    async with app_on_own_engine(settings, agency_id, user_id) as (tenant, trips):
        sent = await _trips_of(tenant, trips, document, variables)

    assert_one_statement_in_scope(sent)


@pytest.mark.parametrize(("compiled", "expected"), [(False, 6), (True, 3)])
async def test_a_batch_with_50_contacts_and_call_logs_round_trips(
    settings: Settings, committed: CommittedData, compiled: bool, expected: int
) -> None:
    """Resolvers: BEGIN with the scope and the membership check, the batch, its contacts,
    their count, their call logs, ROLLBACK. Compiled: the batch with all of its page in one
    statement."""
    agency_id, user_id = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id, contacts=60)
    settings = settings.model_copy(
        update={"compiled_reads": compiled, "one_statement_reads": False}
    )
    async with app_on_own_engine(settings, agency_id, user_id) as (tenant, trips):
        sent = await _trips_of(tenant, trips, Q2, {"id": str(batch_id)})

    assert len(sent) == expected, sent
    assert_one_transaction_begun_with_its_scope(sent)
    assert compiled == any("json_build_object" in sql for sql in sent)


async def test_a_first_request_signs_in_with_its_own_statement(
    settings: Settings, committed: CommittedData
) -> None:
    """A caller this worker has not seen: BEGIN with the scope (no agency yet), the sign-in
    lookup (which scopes the agency), the compiled page, ROLLBACK."""
    agency_id, user_id = await committed.agency_with_user()
    await committed.batch(agency_id, contacts=2)
    async with app_on_own_engine(settings, agency_id, user_id) as (tenant, trips):
        assert await tenant.data(Q1, {})
        await _logged()

    assert len(trips.sent) == 4, trips.sent
    assert sum("FROM users" in sql for sql in trips.sent) == 1
    assert not any(" true) FROM users" in sql for sql in trips.sent)


async def test_a_batch_the_compiled_read_finds_not_is_answered_by_the_resolvers_in_its_transaction(
    settings: Settings, committed: CommittedData
) -> None:
    """Another agency's batch: the compiled read (one statement) finds no row, so the resolvers
    answer (null and NOT_FOUND) in the request's transaction, opened then: one BEGIN, one
    ROLLBACK."""
    agency_id, user_id = await committed.agency_with_user()
    other_agency, _ = await committed.agency_with_user()
    others_batch = await committed.batch(other_agency, contacts=2)
    async with app_on_own_engine(settings, agency_id, user_id) as (tenant, trips):
        await tenant.data(Q1, {})  # the caller is now one this worker has seen
        await _logged()
        trips.clear()
        body = await tenant.query(Q2, {"id": str(others_batch)})
        await _logged()
        sent = list(trips.sent)

    assert body["data"] == {"batch": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
    assert_one_transaction_begun_with_its_scope(sent)
    assert sent.count(READ_IN_SCOPE) == 1, sent
    assert any("FROM v_call_batch_summary" in sql for sql in sent), sent
