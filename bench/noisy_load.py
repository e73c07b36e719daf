"""The two agencies' traffic: B's dashboard at a steady pace, A's hostile mix as fast as it can.

Each client is one HTTP/1.1 keep-alive connection (`bench.measure.HttpClient`). A's clients are
cancelled when the attack ends; B's finish the request they are in.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import orjson

from bench import queries
from bench.measure import HttpClient

CLIENT_TIMEOUT_SECONDS = 20.0
"""Far above the service's 5 s deadline: a B request still unanswered by then counts as failed."""

CLIENT_FAILURES = (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError)
"""What a client sees when the server closes or never answers (an empty status line: IndexError)."""

ContactQuery = tuple[str, int, int, bool]
"""(label, aliases, offset, with search) of one of A's deep queries."""

A_QUERIES: tuple[ContactQuery, ...] = (
    ("30 aliases, search, offset 150000", 30, 150_000, True),
    ("10 aliases, search, offset 100000", 10, 100_000, True),
    ("3 aliases, offset 50000", 3, 50_000, False),
    ("1 search, offset 0", 1, 0, True),
)


def deep_query(batch_id: str, aliases: int, offset: int, search: bool) -> bytes:
    """The issue's probe: `aliases` copies of a sorted (no index serves it) deep-offset read."""
    condition = 'search: "a", ' if search else ""
    field_ = (
        f"contacts({condition}sort: [{{field: STATUS, direction: DESC}}, {{field: NAME}}], "
        f"offset: {offset}, limit: 1) {{ totalCount nodes {{ id }} }}"
    )
    body = " ".join(f"a{n}: {field_}" for n in range(aliases))
    query = f'{{ batch(id: "{batch_id}") {{ id {body} }} }}'
    return orjson.dumps({"query": query})


def outcome_of(status: int, payload: bytes) -> str:
    """`HTTP 429 RATE_LIMITED`, `HTTP 200 ok`, `HTTP 200 TIMEOUT` (a partial answer)…"""
    codes: list[str] = []
    try:
        errors = orjson.loads(payload).get("errors") or []
        codes = sorted({str((e.get("extensions") or {}).get("code", "no code")) for e in errors})
    except (orjson.JSONDecodeError, AttributeError):
        codes = ["not JSON"]
    return f"HTTP {status} {'+'.join(codes) or 'ok'}"


@dataclass
class Traffic:
    """What one agency's clients saw during one phase."""

    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def record(self, kind: str, outcome: str, seconds: float | None, example: bytes = b"") -> None:
        key = f"{kind}: {outcome}"
        self.outcomes[key] += 1
        if seconds is not None:
            self.latencies.append(seconds)
        if example and key not in self.examples:
            self.examples[key] = example[:240].decode(errors="replace")

    def merged(self, other: Traffic) -> Traffic:
        """Both phases' requests as one."""
        return Traffic(
            self.latencies + other.latencies,
            self.outcomes + other.outcomes,
            {**other.examples, **self.examples},
        )

    @property
    def errors(self) -> int:
        return sum(n for key, n in self.outcomes.items() if not key.endswith("HTTP 200 ok"))

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def dashboard_client(
    port: int, token: str, batch_id: str, every: float, until: float, seen: Traffic
) -> None:
    """B: the batch list with counts and a batch page (50 contacts and call logs) in turn, one
    request every `every` seconds (at once when the previous one took longer)."""
    bodies = (
        ("batches page", orjson.dumps({"query": queries.Q1})),
        ("batch + 50 contacts", orjson.dumps({"query": queries.Q2, "variables": {"id": batch_id}})),
    )
    client = HttpClient("127.0.0.1", port, token)
    turn = 0
    next_at = time.perf_counter()
    try:
        while time.perf_counter() < until:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at = max(next_at + every, time.perf_counter())
            kind, body = bodies[turn % 2]
            turn += 1
            started = time.perf_counter()
            try:
                async with asyncio.timeout(CLIENT_TIMEOUT_SECONDS):
                    status, payload = await client.post(body)
            except CLIENT_FAILURES as error:
                seen.record(kind, type(error).__name__, None)
                await client.close()
                client = HttpClient("127.0.0.1", port, token)
                continue
            elapsed = time.perf_counter() - started
            outcome = outcome_of(status, payload)
            seen.record(kind, outcome, elapsed, payload if outcome != "HTTP 200 ok" else b"")
    finally:
        await client.close()


async def deep_client(
    port: int, token: str, kind: str, body: bytes, seen: Traffic, polite: bool = False
) -> None:
    """A: one deep query after another on one connection, answers read; Retry-After (1 s at
    the defaults) ignored unless `polite`."""
    client = HttpClient("127.0.0.1", port, token)
    try:
        while True:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(CLIENT_TIMEOUT_SECONDS):
                    status, payload = await client.post(body)
            except CLIENT_FAILURES as error:
                seen.record(kind, type(error).__name__, None)
                await client.close()
                client = HttpClient("127.0.0.1", port, token)
                await asyncio.sleep(0.1)
                continue
            outcome = outcome_of(status, payload)
            seen.record(kind, outcome, time.perf_counter() - started, payload)
            if polite and status == 429:
                await asyncio.sleep(1.0)
    finally:
        await client.close()


def _post_head(token: str, length: int) -> bytes:
    return (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def abandoning_client(
    port: int, token: str, body: bytes, hold_seconds: float, seen: Traffic
) -> None:
    """A: sends a whole deep query, waits `hold_seconds` and hangs up (a fresh connection each
    time); an answer that arrives first (a refusal) is recorded as such."""
    kind = "abandoned after send"
    while True:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(_post_head(token, len(body)) + body)
            try:
                async with asyncio.timeout(hold_seconds):
                    status, payload = await _read_answer(reader)
                seen.record(kind, f"answered first: {outcome_of(status, payload)}", None)
            except TimeoutError:
                seen.record(kind, "hung up", None)
            except CLIENT_FAILURES as error:
                seen.record(kind, type(error).__name__, None)
        finally:
            writer.close()
        await asyncio.sleep(0.05)


async def slow_body_client(port: int, token: str, declared: int, sent: int, seen: Traffic) -> None:
    """A: declares `declared` bytes of body, sends `sent` at once, then a byte a second, until
    the server answers (408 expected) or the run ends; then again on a new connection."""
    kind = "slow body"
    while True:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.perf_counter()
        try:
            writer.write(_post_head(token, declared) + b'{"query": "' + b" " * (sent - 11))
            answer = asyncio.create_task(_read_answer(reader))
            try:
                while not answer.done():
                    await asyncio.wait({answer}, timeout=1.0)
                    if not answer.done():
                        writer.write(b" ")
                status, payload = answer.result()
                seen.record(kind, outcome_of(status, payload), time.perf_counter() - started)
            except CLIENT_FAILURES as error:
                seen.record(kind, type(error).__name__, None)
            finally:
                answer.cancel()
        finally:
            writer.close()
