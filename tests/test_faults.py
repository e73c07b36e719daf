"""Faults the service must survive: the database stopping mid-traffic and coming back, slow
statements, an exhausted pool, and a shutdown with requests in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app import create_app
from core.settings import Settings
from db.engine import create_engine, session_factory
from tests.ops_support import BATCHES_QUERY, PrivateServer, free_port, running_app
from tests.tenant import Tenant, token_for
from web.state import AppState

ROOT = Path(__file__).resolve().parent.parent
CONNECT_TIMEOUT_SECONDS = 2.0
FAILURE_BOUND_SECONDS = CONNECT_TIMEOUT_SECONDS + 3.0
"""While the database is down a request must fail within the connect timeout plus slack."""


@dataclass
class Observed:
    """One response seen by the traffic generator."""

    status: int
    code: str | None
    seconds: float


@dataclass
class Traffic:
    """Clients querying in a loop until stopped, recording every answer."""

    client: httpx.AsyncClient
    token: str
    seen: list[Observed] = field(default_factory=list)
    running: bool = True

    async def one(self) -> Observed:
        started = time.perf_counter()
        response = await self.client.post(
            "/graphql",
            json={"query": BATCHES_QUERY},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        errors = response.json().get("errors")
        code = errors[0].get("extensions", {}).get("code") if errors else None
        observed = Observed(response.status_code, code, time.perf_counter() - started)
        self.seen.append(observed)
        return observed

    async def loop(self) -> None:
        while self.running:
            await self.one()
            await asyncio.sleep(0.01)


async def _until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_database_stopped_mid_traffic_answers_503_then_recovers_without_restart(
    server: PrivateServer,
) -> None:
    settings = server.settings(
        db_connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS, db_pool_timeout_seconds=2.0
    )
    async with running_app(settings) as (_, client):
        traffic = Traffic(client, server.token())
        assert (await traffic.one()).status == 200
        workers = [asyncio.create_task(traffic.loop()) for _ in range(4)]

        async def flowing() -> bool:
            return len(traffic.seen) > 4

        await _until(flowing, 10, "traffic to flow before the stop")
        healthy = len(traffic.seen)

        await asyncio.to_thread(server.stop)
        down_from = len(traffic.seen)
        await asyncio.sleep(1.0)
        during = [await traffic.one() for _ in range(3)]
        readiness_down = await client.get("/readyz")

        await asyncio.to_thread(server.start)

        async def serving() -> bool:
            return (await traffic.one()).status == 200

        await _until(serving, 30, "the service to answer again")
        after = [await traffic.one() for _ in range(5)]
        readiness_up = await client.get("/readyz")
        traffic.running = False
        await asyncio.gather(*workers)
        metrics = (await client.get("/metrics")).text

    assert healthy > 4, "traffic was flowing before the stop"
    assert all(o.status == 503 and o.code == "SERVICE_UNAVAILABLE" for o in during), during
    assert max(o.seconds for o in during) < FAILURE_BOUND_SECONDS
    outages = [o for o in traffic.seen[down_from:] if o.status != 200]
    assert outages, "requests made while the server was down must fail"
    assert {(o.status, o.code) for o in outages} == {(503, "SERVICE_UNAVAILABLE")}
    assert all(o.status in (200, 503) for o in traffic.seen), "never a 500"
    assert readiness_down.status_code == 503
    assert readiness_down.json()["database"] == "down"
    assert all(o.status == 200 and o.code is None for o in after)
    assert readiness_up.status_code == 200
    assert 'callbatch_errors_total{code="SERVICE_UNAVAILABLE"}' in metrics


async def test_after_a_database_restart_the_first_request_is_answered_on_a_fresh_connection(
    server: PrivateServer,
) -> None:
    """The engine does not ping on checkout: the pooled connections the restart killed fail on
    first use, and the request retries its first statement once on a new connection."""
    settings = server.settings(db_connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS)
    async with running_app(settings) as (_, client):
        traffic = Traffic(client, server.token())
        before = await asyncio.gather(*(traffic.one() for _ in range(3)))
        await asyncio.to_thread(server.stop)
        await asyncio.to_thread(server.start)
        first = await traffic.one()
        rest = await asyncio.gather(*(traffic.one() for _ in range(3)))

    assert all(o.status == 200 for o in before), before
    assert (first.status, first.code) == (200, None), first
    assert all(o.status == 200 for o in rest), rest


@asynccontextmanager
async def tenant_with(
    settings: Settings, sessions: async_sessionmaker[Any], engine: AsyncEngine, tenant: Tenant
) -> AsyncIterator[Tenant]:
    state = AppState(
        settings=settings,
        engine=engine,
        read_engine=engine,
        sessions=sessions,
        read_sessions=sessions,
    )
    app = create_app(settings)
    app.state.app = state
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Tenant(tenant.agency_id, tenant.user_id, client)


async def test_statement_over_the_timeout_is_cancelled_with_timeout_code_and_503(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[Any],
    tenant: Tenant,
) -> None:
    """A statement stuck behind a lock is cancelled by the per-request statement timeout."""
    quick = settings.model_copy(update={"db_statement_timeout_ms": 200})
    async with tenant_with(quick, sessions, engine, tenant) as caller, engine.connect() as blocker:
        await blocker.begin()
        await blocker.execute(text("SET LOCAL lock_timeout = '5s'"))
        await blocker.execute(text("LOCK TABLE call_batches IN ACCESS EXCLUSIVE MODE"))
        try:
            started = time.perf_counter()
            response = await caller.post("{ batches { nodes { id } } }")
            seconds = time.perf_counter() - started
        finally:
            await blocker.rollback()
        after = await caller.post("{ batches { nodes { id } } }")

    assert response.status_code == 503
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert "took too long" in error["message"]
    assert seconds < 5, "cancelled by the 200 ms timeout, not by the 10 s default"
    assert after.status_code == 200, after.text


async def test_exhausted_pool_answers_503_after_the_pool_timeout_then_serves_again(
    settings: Settings,
) -> None:
    tight = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_seconds": 0.3}
    )
    engine = create_engine(tight)
    sessions = session_factory(engine)
    state = AppState(
        settings=tight, engine=engine, read_engine=engine, sessions=sessions, read_sessions=sessions
    )
    app = create_app(tight)
    app.state.app = state
    headers = {"Authorization": f"Bearer {token_for(uuid.uuid4())}"}
    body = {"query": "{ batches { totalCount } }"}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            async with engine.connect() as held:
                await held.execute(text("SELECT 1"))
                exhausted = await client.post("/graphql", json=body, headers=headers)
                readiness = await client.get("/readyz")
            freed = await client.post("/graphql", json=body, headers=headers)
    finally:
        await engine.dispose()

    assert exhausted.status_code == 503
    error = exhausted.json()["errors"][0]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "at capacity" in error["message"]
    assert readiness.status_code == 200, "a busy pool does not take the instance out of rotation"
    # With a connection free again the request reaches the database (and finds no such user).
    assert freed.status_code == 401
    assert freed.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sigterm_lets_the_in_flight_request_finish_then_exits_cleanly(
    server: PrivateServer, tmp_path: Path
) -> None:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": server.url,
        "JWT_SECRET": server.settings().jwt_secret.get_secret_value(),  # type: ignore[union-attr]
        "LOG_FORMAT": "json",
    }
    log = tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: ASYNC220 (started once, before any traffic)
            [sys.executable, "app.py", "--no-migrate", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    blocker_engine = create_engine(server.settings(), pool_size=2, max_overflow=0)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:

            async def listening() -> bool:
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    assert process.poll() is None, log.read_text()
                    return False

            await _until(listening, 30, "the server to listen")
            async with blocker_engine.connect() as blocker:
                await blocker.begin()
                await blocker.execute(text("LOCK TABLE call_batches IN ACCESS EXCLUSIVE MODE"))
                in_flight = asyncio.create_task(
                    client.post(
                        "/graphql",
                        json={"query": BATCHES_QUERY},
                        headers={"Authorization": f"Bearer {server.token()}"},
                    )
                )

                async def waiting_on_lock() -> bool:
                    async with blocker_engine.connect() as observer:
                        waiting = await observer.scalar(
                            text(
                                "SELECT count(*) FROM pg_stat_activity "
                                "WHERE application_name = 'callbatch-graphql' "
                                "AND wait_event_type = 'Lock'"
                            )
                        )
                    return bool(waiting)

                await _until(waiting_on_lock, 10, f"a request waiting: {log.read_text()}")
                process.send_signal(signal.SIGTERM)

                async def refusing() -> bool:
                    try:
                        async with httpx.AsyncClient(base_url=base, timeout=1) as fresh:
                            await fresh.get("/healthz")
                    except httpx.TransportError:
                        return True
                    return False

                await _until(refusing, 10, "the server to stop accepting connections")
                assert not in_flight.done()
                await blocker.rollback()
            response = await in_flight
        exit_code = await asyncio.to_thread(process.wait, 20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        await blocker_engine.dispose()

    assert response.status_code == 200, response.text
    assert response.json()["data"]["batches"]["totalCount"] == 1
    assert exit_code in (0, -signal.SIGTERM), log.read_text()
    assert '"operation":"Batches","status":200' in log.read_text()
    assert "Finished server process" in log.read_text()
