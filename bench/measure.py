"""Load and timing: a small asyncio HTTP/1.1 keep-alive client (so the client costs little CPU),
measurements of API calls and of the SQL floor beside them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson


class HttpClient:
    """One keep-alive HTTP/1.1 connection; POSTs JSON to `path` and reads a Content-Length body
    (with a bearer token unless `token` is empty)."""

    def __init__(self, host: str, port: int, token: str, path: str = "/graphql") -> None:
        self.host, self.port, self.token, self.path = host, port, token, path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        authorization = f"Authorization: Bearer {self.token}\r\n" if self.token else ""
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"{authorization}Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        status_line = b""
        for _ in range(2):  # the server closes idle keep-alive connections: reconnect once
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            try:
                self.writer.write(head + body)
                status_line = await self.reader.readline()
            except ConnectionError:
                status_line = b""
            if status_line:
                break
            self.writer.close()
            self.writer = None
        assert self.reader is not None
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


FIRST_ERRORS: dict[str, str] = {}
"""The first failed answer of each query (printed at the end of a run)."""


@dataclass
class Measurement:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def pooled(parts: list[Measurement]) -> Measurement:
    """One measurement of several runs of a cell: all latencies, all errors, all seconds."""
    return Measurement(
        latencies=[latency for part in parts for latency in part.latencies],
        errors=sum(part.errors for part in parts),
        seconds=sum(part.seconds for part in parts),
    )


async def measure(
    make_call: Callable[[], Awaitable[Callable[[], Awaitable[bool]]]],
    concurrency: int,
    seconds: float,
) -> Measurement:
    """Run `concurrency` loops for `seconds`; each loop gets its own call (own connection)."""
    result = Measurement()
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        call = await make_call()
        await call()  # warm the connection and caches, not timed
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = await call()
            result.latencies.append(time.perf_counter() - started)
            result.errors += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


async def measure_mixed(
    makers: list[Callable[[], Awaitable[Callable[[], Awaitable[bool]]]]],
    concurrency: int,
    seconds: float,
) -> Measurement:
    """Like `measure`, but each client sends the given requests in turn (a mixed workload)."""
    result = Measurement()
    deadline = time.perf_counter() + seconds

    async def loop(offset: int) -> None:
        calls = [await make() for make in makers]
        turn = offset
        while time.perf_counter() < deadline:
            call = calls[turn % len(calls)]
            turn += 1
            started = time.perf_counter()
            ok = await call()
            result.latencies.append(time.perf_counter() - started)
            result.errors += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


async def measure_alternating(
    makers: list[Callable[[], Awaitable[Callable[[], Awaitable[bool]]]]], seconds: float
) -> list[Measurement]:
    """One client sending the given requests in turn for `seconds`, each request's latencies
    kept apart: requests compared this way meet the same moments of the machine's load, where
    cells measured minutes apart do not."""
    results = [Measurement() for _ in makers]
    calls = [await make() for make in makers]
    for call in calls:
        await call()  # warm the connection and caches, not timed
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for call, result in zip(calls, results, strict=True):
            began = time.perf_counter()
            ok = await call()
            result.latencies.append(time.perf_counter() - began)
            result.errors += 0 if ok else 1
    for result in results:
        result.seconds = time.perf_counter() - started
    return results


def api_call(
    port: int, token: str, query: str, variables: dict[str, Any]
) -> Callable[[], Awaitable[Callable[[], Awaitable[bool]]]]:
    return http_call(
        port, token, "/graphql", orjson.dumps({"query": query, "variables": variables}), query
    )


def http_call(
    port: int, token: str, path: str, body: bytes, name: str
) -> Callable[[], Awaitable[Callable[[], Awaitable[bool]]]]:
    """POSTs of `body` to `path`; `name` labels the first failed answer."""

    async def make() -> Callable[[], Awaitable[bool]]:
        client = HttpClient("127.0.0.1", port, token, path)

        async def call() -> bool:
            status, payload = await client.post(body)
            ok = status == 200 and b'"errors"' not in payload
            if not ok:
                FIRST_ERRORS.setdefault(name[:40], f"HTTP {status}: {payload[:300]!r}")
            return ok

        return call

    return make


def floor_call(
    pool: Any, sql: str, args: tuple[Any, ...], encode: Callable[[list[Any]], bytes]
) -> Callable[[], Awaitable[Callable[[], Awaitable[bool]]]]:
    async def make() -> Callable[[], Awaitable[bool]]:
        async def call() -> bool:
            async with pool.acquire() as connection:
                rows = await connection.fetch(sql, *args)
            return len(encode(rows)) > 0

        return call

    return make
