"""A client told to retry later (429, `Retry-After`) is not read again before then on that
connection: a flood that ignores `Retry-After` on keep-alive connections waits in its sockets
instead of being read and refused again, while other connections are served."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import orjson
import pytest

from tests.live_server import LiveServer, live_server, status_of
from tests.ops_support import PrivateServer
from web.http_protocol import BoundedHttpProtocol
from web.throttled_tokens import ThrottledTokens


@pytest.fixture
async def live(server: PrivateServer) -> AsyncIterator[LiveServer]:
    settings = server.settings(agency_requests_per_second=1, agency_burst=1)
    async with live_server(settings) as live:
        yield live


def graphql_request(token: str) -> bytes:
    body = orjson.dumps({"query": "{ batches { totalCount } }"})
    head = (
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """One response on a keep-alive connection: its status and headers (its body is skipped)."""
    async with asyncio.timeout(10):
        status = status_of(await reader.readline())
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers


async def send_until_refused(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[list[int], dict[str, str]]:
    """Send `request` on one connection, one after the other, until a 429 (at most 4 times):
    the statuses, and the last answer's headers."""
    statuses: list[int] = []
    headers: dict[str, str] = {}
    while 429 not in statuses and len(statuses) < 4:
        writer.write(request)
        status, headers = await answer(reader)
        statuses.append(status)
    return statuses, headers


async def test_the_next_request_on_a_rate_limited_connection_waits_for_retry_after(
    live: LiveServer, server: PrivateServer
) -> None:
    request = graphql_request(server.token())
    reader, writer = await live.open()
    try:
        statuses, headers = await send_until_refused(reader, writer, request)
        refused_at = time.monotonic()
        writer.write(request)

        other_reader, other_writer = await live.open()
        other_writer.write(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        other, _ = await answer(other_reader)
        other_answered_after = time.monotonic() - refused_at
        other_writer.close()

        after_hold, _ = await answer(reader)
        held_for = time.monotonic() - refused_at
    finally:
        writer.close()

    assert statuses[-1] == 429 and headers["retry-after"] == "1", statuses
    assert other == 200 and other_answered_after < held_for, "only that connection waits"
    assert after_hold == 200, "read after Retry-After, when the agency may send again"
    assert held_for >= 0.9, f"answered {held_for:.2f} s after the 429"


async def test_a_new_connection_with_a_bearer_told_to_wait_is_held_then_refused_before_the_app(
    live: LiveServer, server: PrivateServer
) -> None:
    request = graphql_request(server.token())
    reader, writer = await live.open()
    try:
        statuses, _ = await send_until_refused(reader, writer, request)
    finally:
        writer.close()
    refused_by_app = BoundedHttpProtocol.refusals[429]

    another_reader, another_writer = await live.open()
    another_writer.write(request)
    status, headers = await answer(another_reader)
    another_writer.close()

    assert statuses[-1] == 429
    assert (status, headers["retry-after"], headers["connection"]) == (429, "1", "close")
    assert BoundedHttpProtocol.refusals[429] == refused_by_app + 1, "refused by the protocol"


def test_throttled_tokens_forget_expired_ones_and_stay_bounded() -> None:
    tokens = ThrottledTokens(capacity=2)
    tokens.hold(b"Bearer a", until=10.0, now=0.0)
    tokens.hold(b"Bearer b", until=20.0, now=0.0)
    tokens.hold(b"Bearer c", until=30.0, now=15.0)

    assert len(tokens) == 2, "a expired and was forgotten to make room"
    assert tokens.seconds_left(b"Bearer b", now=15.0) == 5.0
    assert tokens.seconds_left(b"Bearer b", now=21.0) == 0.0
    assert tokens.seconds_left(b"Bearer c", now=15.0) == 15.0
