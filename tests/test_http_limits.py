"""HTTP limits of the server we ship (uvicorn with `web.http_protocol`): header size and count,
slow headers, idle connections, all refused before the app (and the database) see anything."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from tests.live_server import LiveServer, live_server, read_response, status_of
from tests.ops_support import PrivateServer


@pytest.fixture
async def live(server: PrivateServer) -> AsyncIterator[LiveServer]:
    settings = server.settings(
        http_max_header_bytes=8 * 1024,
        http_max_headers=50,
        http_header_timeout_seconds=0.5,
        http_keep_alive_seconds=0.5,
    )
    async with live_server(settings) as live:
        yield live


def request_head(*extra: bytes) -> bytes:
    lines = [b"GET /healthz HTTP/1.1", b"Host: test", *extra, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def exchange(live: LiveServer, raw: bytes) -> bytes:
    reader, writer = await live.open()
    writer.write(raw)
    await writer.drain()
    try:
        return await read_response(reader)
    finally:
        writer.close()


async def test_a_plain_request_is_answered(live: LiveServer) -> None:
    assert status_of(await exchange(live, request_head())) == 200


async def test_a_one_megabyte_header_is_431_without_reaching_the_app(live: LiveServer) -> None:
    raw = await exchange(live, request_head(b"X-Big: " + b"a" * (1024 * 1024)))

    assert status_of(raw) == 431
    assert b'"code":"BAD_REQUEST"' in raw


async def test_headers_just_under_the_limit_are_answered(live: LiveServer) -> None:
    assert status_of(await exchange(live, request_head(b"X-Big: " + b"a" * 7000))) == 200


async def test_too_many_headers_are_431(live: LiveServer) -> None:
    many = [b"X-H%d: v" % i for i in range(20_000)]

    assert status_of(await exchange(live, request_head(*many))) == 431
    assert status_of(await exchange(live, request_head(*many[:45]))) == 200


async def test_unfinished_headers_past_the_limit_are_refused_before_they_end(
    live: LiveServer,
) -> None:
    """The header never ends: the refusal comes once the limit is passed, with the server
    discarding (not buffering) the rest of the 2 MB the client goes on sending."""
    reader, writer = await live.open()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Endless: " + b"a" * 16 * 1024)
    try:
        raw_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        for _ in range(512):
            writer.write(b"a" * 4096)
            await writer.drain()
        rest = await read_response(reader)
    finally:
        writer.close()

    assert status_of(raw_head) == 431
    assert b"too large" in rest


async def test_headers_dribbling_in_are_408_after_the_header_timeout(live: LiveServer) -> None:
    reader, writer = await live.open()
    started = time.monotonic()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
    try:

        async def dribble() -> None:
            while True:
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
                await asyncio.sleep(0.1)

        dribbling = asyncio.create_task(dribble())
        try:
            raw = await read_response(reader, within_seconds=5)
        finally:
            dribbling.cancel()
    finally:
        writer.close()

    assert status_of(raw) == 408
    assert time.monotonic() - started < 3


async def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(
    live: LiveServer,
) -> None:
    reader, writer = await live.open()
    started = time.monotonic()
    try:
        raw = await read_response(reader, within_seconds=5)
    finally:
        writer.close()

    assert status_of(raw) == 408
    assert time.monotonic() - started < 3


async def test_an_idle_keep_alive_connection_is_closed(live: LiveServer) -> None:
    reader, writer = await live.open()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    await writer.drain()
    started = time.monotonic()
    try:
        raw = await read_response(reader, within_seconds=5)
    finally:
        writer.close()

    assert status_of(raw) == 200
    assert time.monotonic() - started < 3, "closed by the keep-alive timeout"
