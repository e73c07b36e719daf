"""Each request's work is bounded in time: past its deadline, or once its client hangs up, its
statements are cancelled in PostgreSQL and its connection goes back to the pool."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.engine import create_engine
from tests.live_server import live_server, read_response, status_of
from tests.ops_support import BATCHES_QUERY, PrivateServer, running_app

WAITING_ON_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE application_name = 'callbatch-graphql' AND wait_event_type = 'Lock'"
)


@pytest.fixture
async def observer(server: PrivateServer) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(server.settings(), pool_size=2, max_overflow=0)
    yield engine
    await engine.dispose()


async def lock_batches(connection: AsyncConnection) -> None:
    """Every batch query now waits: a statement that runs as long as we hold the lock."""
    await connection.begin()
    await connection.execute(text("LOCK TABLE call_batches IN ACCESS EXCLUSIVE MODE"))


async def waiting_statements(observer: AsyncEngine) -> int:
    async with observer.connect() as connection:
        return int(await connection.scalar(WAITING_ON_LOCK) or 0)


async def until(check: object, seconds: float) -> float:
    """Seconds until the async `check()` is true (fails after `seconds`)."""
    started = time.monotonic()
    while not await check():  # type: ignore[operator]
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not true within {seconds} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_a_graphql_request_past_its_deadline_is_timeout_503_and_its_statement_is_cancelled(
    server: PrivateServer, observer: AsyncEngine
) -> None:
    settings = server.settings(request_deadline_seconds=0.5)
    async with running_app(settings) as (_, client), observer.connect() as blocker:
        await lock_batches(blocker)
        started = time.monotonic()
        response = await client.post(
            "/graphql",
            json={"query": BATCHES_QUERY},
            headers={"Authorization": f"Bearer {server.token()}"},
        )
        seconds = time.monotonic() - started
        still_waiting = await waiting_statements(observer)
        await blocker.rollback()
        after = await client.post(
            "/graphql",
            json={"query": BATCHES_QUERY},
            headers={"Authorization": f"Bearer {server.token()}"},
        )

    assert response.status_code == 503
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert "deadline of 0.5 seconds" in error["message"]
    assert seconds < 1.5
    assert still_waiting == 0, "the statement was cancelled in PostgreSQL, not left running"
    assert after.status_code == 200, after.text


async def test_a_rest_request_past_its_deadline_is_timeout_503_in_that_apis_shape(
    server: PrivateServer, observer: AsyncEngine
) -> None:
    settings = server.settings(request_deadline_seconds=0.5)
    async with running_app(settings) as (_, client), observer.connect() as blocker:
        await lock_batches(blocker)
        response = await client.get(
            "/functions/v1/calls-batch-list",
            headers={"Authorization": f"Bearer {server.token()}"},
        )
        still_waiting = await waiting_statements(observer)
        await blocker.rollback()

    assert response.status_code == 503
    assert response.json()["code"] == "TIMEOUT"
    assert still_waiting == 0


async def test_a_client_hanging_up_cancels_its_statement_within_a_second(
    server: PrivateServer, observer: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = server.settings(request_deadline_seconds=30)
    body = orjson.dumps({"query": BATCHES_QUERY})
    request = (
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s"
        % (server.token().encode(), len(body), body)
    )
    async with live_server(settings) as live, observer.connect() as blocker:
        await lock_batches(blocker)
        _, writer = await live.open()
        writer.write(request)
        await writer.drain()

        async def waiting() -> bool:
            return await waiting_statements(observer) == 1

        async def cancelled() -> bool:
            return await waiting_statements(observer) == 0

        await until(waiting, 10)
        writer.close()
        seconds = await until(cancelled, 5)
        await blocker.rollback()
        async with httpx.AsyncClient(base_url=live.url) as client:
            after = await client.post(
                "/graphql",
                json={"query": BATCHES_QUERY},
                headers={"Authorization": f"Bearer {server.token()}"},
            )

    assert seconds < 1.0
    assert after.status_code == 200
    disconnects = [r for r in caplog.records if "client disconnected" in r.getMessage()]
    assert len(disconnects) == 1 and disconnects[0].levelno == logging.INFO
    access = [r.__dict__ for r in caplog.records if r.name == "callbatch.access"]
    assert [line["status"] for line in access][:1] == [499], "the hang-up is no server error"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_slow_body_is_408_and_never_holds_a_transaction(
    server: PrivateServer, observer: AsyncEngine
) -> None:
    settings = server.settings(request_body_timeout_seconds=0.5)
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer %s\r\nContent-Length: 300000\r\n\r\n" % server.token().encode()
    )
    async with live_server(settings) as live:
        clients = [await live.open() for _ in range(20)]
        for _, writer in clients:
            writer.write(head + b'{"query": "' + b" " * 1000)
            await writer.drain()
        await asyncio.sleep(0.3)
        async with observer.connect() as connection:
            in_transaction = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                    "'callbatch-graphql' AND state LIKE 'idle in transaction%'"
                )
            )
        answers = [await read_response(reader) for reader, _ in clients]
        for _, writer in clients:
            writer.close()

    assert in_transaction == 0
    assert {status_of(answer) for answer in answers} == {408}
    assert b'"code":"BAD_REQUEST"' in answers[0]
