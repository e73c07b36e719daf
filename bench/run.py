"""`python -m bench run --scale S|L`: build data, start the API, measure it beside the SQL floor.

The database is `BENCH_DATABASE_URL` (a server we may create databases on) or an embedded
PostgreSQL in `bench/.data/`. Data is generated once per scale into `callbatch_bench_<scale>`
and reused while its row counts match. The API runs as `python app.py` on loopback; load comes
from a small asyncio HTTP/1.1 keep-alive client so the client costs little CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import psutil  # type: ignore[import-untyped]

from bench import queries
from bench.data import SCALES, SEARCH_TERM, Scale, generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / ".results"
DOC = ROOT / "docs" / "BENCHMARKS.md"


def _url(server_url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def prepare_database(server_url: str, scale: Scale) -> str:
    """The URL of a migrated database holding this scale's data (built when missing)."""
    name = f"callbatch_bench_{scale.name.lower()}"
    url = _url(server_url, name)
    admin = await asyncpg.connect(_plain(server_url))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            try:
                probe = await asyncpg.connect(_plain(url))
                try:
                    contacts = await probe.fetchval("SELECT count(*) FROM campaign_contacts")
                finally:
                    await probe.close()
                if contacts == scale.contacts:
                    print(f"reusing {name}: {contacts} contacts")
                    return url
            except (asyncpg.PostgresError, OSError):
                pass
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    from alembic import command

    from migrations import alembic_config

    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    print(f"generating scale {scale.name} into {name} …")
    connection = await asyncpg.connect(_plain(url))
    try:
        seconds = await generate(connection, scale)
    finally:
        await connection.close()
    print(f"generated in {seconds:.0f}s")
    return url


@dataclass
class Targets:
    """What the benchmark needs from the data: ids, a token, a deep cursor."""

    agency_id: Any
    user_id: Any
    batch_id: Any
    batch_size: int
    deep_after: tuple[Any, Any] | None = None
    deep_cursor: str | None = None
    deep_position: int = 0


async def find_targets(url: str) -> Targets:
    connection = await asyncpg.connect(_plain(url))
    try:
        agency = await connection.fetchrow(
            "SELECT agency_id, count(*) FROM call_batches GROUP BY agency_id "
            "ORDER BY count(*) DESC, agency_id LIMIT 1"
        )
        user = await connection.fetchval(
            "SELECT id FROM users WHERE agency_id = $1 ORDER BY id LIMIT 1", agency["agency_id"]
        )
        batch = await connection.fetchrow(
            "SELECT batch_id, total_contacts FROM call_batch_counters WHERE agency_id = $1 "
            "ORDER BY total_contacts DESC, batch_id LIMIT 1",
            agency["agency_id"],
        )
    finally:
        await connection.close()
    return Targets(agency["agency_id"], user, batch["batch_id"], batch["total_contacts"])


class HttpClient:
    """One keep-alive HTTP/1.1 connection; POSTs JSON and reads a Content-Length body."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Length: {len(body)}\r\n\r\n"
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


def api_call(
    port: int, token: str, query: str, variables: dict[str, Any]
) -> Callable[[], Awaitable[Callable[[], Awaitable[bool]]]]:
    body = orjson.dumps({"query": query, "variables": variables})

    async def make() -> Callable[[], Awaitable[bool]]:
        client = HttpClient("127.0.0.1", port, token)

        async def call() -> bool:
            status, payload = await client.post(body)
            ok = status == 200 and b'"errors"' not in payload
            if not ok:
                FIRST_ERRORS.setdefault(query[:40], f"HTTP {status}: {payload[:300]!r}")
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(url: str, secret: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JWT_SECRET": secret,
        "DB_POOL_SIZE": str(max(4, 40 // workers)),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / "server.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "app.py", "--no-migrate", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def wait_ready(port: int, within_seconds: float = 60) -> None:
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            line = await reader.readline()
            writer.close()
            if b" 200 " in line:
                return
        except OSError:
            pass
        await asyncio.sleep(0.3)
    raise RuntimeError("the API did not start; see bench/.results/server.log")


def rss_mb(process: subprocess.Popen[bytes]) -> list[float]:
    """Resident memory of the server's worker processes (or of the server itself), in MB."""
    parent = psutil.Process(process.pid)
    children = [c for c in parent.children(recursive=True) if "python" in c.name().lower()]
    return [round(p.memory_info().rss / 2**20, 1) for p in (children or [parent])]


async def walk_to_depth(port: int, token: str, targets: Targets) -> None:
    """Page with cursors (200 a page) to the last 50 rows (position 100,000 in L)."""
    client = HttpClient("127.0.0.1", port, token)
    after: str | None = None
    position = 0
    while position + 200 < targets.batch_size - 50:
        body = orjson.dumps(
            {"query": queries.WALK, "variables": {"id": str(targets.batch_id), "after": after}}
        )
        status, payload = await client.post(body)
        assert status == 200 and b'"errors"' not in payload, payload[:300]
        info = orjson.loads(payload)["data"]["batch"]["contacts"]["pageInfo"]
        after, position = info["endCursor"], position + 200
    await client.close()
    targets.deep_cursor, targets.deep_position = after, position


async def run(
    scale: Scale, workers: int, seconds: float, soak_seconds: float, server_url: str
) -> dict[str, Any]:
    url = await prepare_database(server_url, scale)
    targets = await find_targets(url)
    secret = secrets.token_urlsafe(48)
    from web.auth import issue_token

    token = issue_token(targets.user_id, secret)
    port = _free_port()
    server = start_server(url, secret, port, workers)
    pool = await asyncpg.create_pool(_plain(url), min_size=4, max_size=32)
    try:
        await wait_ready(port)
        await walk_to_depth(port, token, targets)
        async with pool.acquire() as connection:
            deep = await connection.fetchrow(
                "SELECT created_at, id FROM campaign_contacts WHERE batch_id = $1 "
                "ORDER BY created_at, id OFFSET $2 LIMIT 1",
                targets.batch_id,
                targets.deep_position - 1,
            )
            version = await connection.fetchval("SHOW server_version")
            trgm = await connection.fetchval(
                "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"
            )
        batch = str(targets.batch_id)
        pattern = f"%{SEARCH_TERM}%"
        scenarios: dict[str, tuple[Any, Any]] = {
            "Q1 batches page 1": (
                api_call(port, token, queries.Q1, {}),
                floor_call(pool, queries.FLOOR_Q1, (targets.agency_id,), queries.encode_batches),
            ),
            "Q2 largest batch, 50 contacts": (
                api_call(port, token, queries.Q2, {"id": batch}),
                floor_call(
                    pool,
                    queries.FLOOR_Q2,
                    (targets.batch_id,),
                    lambda rows: queries.encode_contacts(rows, True),
                ),
            ),
            "Q3 completed + search": (
                api_call(port, token, queries.Q3, {"id": batch, "search": SEARCH_TERM}),
                floor_call(
                    pool,
                    queries.FLOOR_Q3,
                    (targets.batch_id, pattern),
                    lambda rows: queries.encode_contacts(rows, False),
                ),
            ),
            f"Q4 page at {targets.deep_position:,}": (
                api_call(port, token, queries.Q4, {"id": batch, "after": targets.deep_cursor}),
                floor_call(
                    pool,
                    queries.FLOOR_Q4,
                    (targets.batch_id, deep["created_at"], deep["id"]),
                    lambda rows: queries.encode_contacts(rows, True),
                ),
            ),
        }
        results: list[dict[str, Any]] = []
        memory_before = rss_mb(server)
        for name, (api, floor) in scenarios.items():
            for concurrency in (1, 32):
                for via, make in (("API", api), ("asyncpg floor", floor)):
                    m = await measure(make, concurrency, seconds)
                    row = {
                        "query": name,
                        "via": via,
                        "concurrency": concurrency,
                        "p50": m.p(0.5),
                        "p99": m.p(0.99),
                        "rps": m.rps,
                        "requests": len(m.latencies),
                        "errors": m.errors,
                    }
                    results.append(row)
                    print(
                        f"{name:32} {via:14} c={concurrency:<3} p50 {row['p50']:7.1f} ms  "
                        f"p99 {row['p99']:7.1f} ms  {row['rps']:7.1f} req/s  "
                        f"errors {m.errors}",
                        flush=True,
                    )
        memory_after = rss_mb(server)
        soak = await measure_mixed([api for api, _ in scenarios.values()], 32, soak_seconds)
        memory_soaked = rss_mb(server)
        print(
            f"soak: 32 clients, {soak_seconds:.0f}s, Q1-Q4 in turn: {len(soak.latencies)} "
            f"requests, {soak.errors} errors, p50 {soak.p(0.5):.1f} ms; RSS {memory_soaked}",
            flush=True,
        )
        return {
            "soak": {
                "seconds": soak_seconds,
                "requests": len(soak.latencies),
                "errors": soak.errors,
                "p50": soak.p(0.5),
                "p99": soak.p(0.99),
                "memory": memory_soaked,
            },
            "scale": scale,
            "workers": workers,
            "seconds": seconds,
            "results": results,
            "memory_before": memory_before,
            "memory_after": memory_after,
            "postgres": version,
            "pg_trgm": bool(trgm),
            "batch_size": targets.batch_size,
        }
    finally:
        await pool.close()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({model}), "
        f"{memory:.0f} GB RAM, Python {platform.python_version()}"
    )


def markdown(report: dict[str, Any]) -> str:
    scale: Scale = report["scale"]
    lines = [
        f"### Scale {scale.name}: {scale.agencies} agencies, {scale.batches:,} batches, "
        f"{scale.contacts:,} contacts (largest batch {report['batch_size']:,})",
        "",
        f"- Machine: {machine()}; PostgreSQL {report['postgres']} "
        f"(pg_trgm {'installed' if report['pg_trgm'] else 'not available'}), "
        f"API `--workers {report['workers']}`, {report['seconds']:.0f} s per cell.",
        f"- Server RSS (MB; supervisor first, then each worker): before the cells "
        f"{report['memory_before']}, after them {report['memory_after']}.",
        "",
        "| query | via | clients | p50 ms | p99 ms | req/s | requests | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['query']} | {r['via']} | {r['concurrency']} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['rps']:.0f} | {r['requests']} | {r['errors']} |"
        )
    soak = report["soak"]
    lines += [
        "",
        f"Soak: 32 clients sending Q1-Q4 in turn for {soak['seconds']:.0f} s: "
        f"{soak['requests']} requests, **{soak['errors']} errors**, p50 {soak['p50']:.1f} ms, "
        f"p99 {soak['p99']:.1f} ms; RSS after (MB) {soak['memory']}.",
    ]
    ratios = []
    by_key = {(r["query"], r["via"], r["concurrency"]): r for r in report["results"]}
    for r in report["results"]:
        if r["via"] == "API" and r["concurrency"] == 1:
            floor = by_key[(r["query"], "asyncpg floor", 1)]
            ratios.append(f"{r['query'].split()[0]} {r['p50'] / max(floor['p50'], 1e-6):.1f}x")
    queries_run = list(dict.fromkeys(r["query"] for r in report["results"]))
    first = by_key[(queries_run[1], "API", 1)]["p50"]
    deep = by_key[(queries_run[3], "API", 1)]["p50"]
    lines += [
        "",
        f"API p50 ÷ floor p50 at 1 client: {', '.join(ratios)}. "
        f"Deep page ÷ first page (Q4 ÷ Q2, API, 1 client): {deep / max(first, 1e-6):.2f}.",
        "",
    ]
    return "\n".join(lines)


def write_results(report: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scale_{report['scale'].name}.md"
    path.write_text(markdown(report))
    return path


def server_url_from_environment() -> tuple[str, Any]:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url, None
    import pgserver

    data = ROOT / "bench" / ".data" / "pg"
    data.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data, cleanup_mode="stop")
    return str(server.get_uri()), server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="generate data (once) and measure")
    run_parser.add_argument(
        "--scale", choices=sorted(SCALES), nargs="+", default=["S"], help="one or more, in order"
    )
    run_parser.add_argument("--workers", type=int, default=2)
    run_parser.add_argument("--seconds", type=float, default=5.0, help="per measured cell")
    run_parser.add_argument(
        "--soak", type=float, default=30.0, help="seconds of the mixed 32-client run"
    )
    arguments = parser.parse_args(argv)
    server_url, embedded = server_url_from_environment()
    reports = []
    try:
        for name in arguments.scale:
            reports.append(
                asyncio.run(
                    run(
                        SCALES[name],
                        arguments.workers,
                        arguments.seconds,
                        arguments.soak,
                        server_url,
                    )
                )
            )
    finally:
        if embedded is not None:
            embedded.cleanup()
    for report in reports:
        print(markdown(report))
        print(f"written to {write_results(report)}")
    if len(reports) > 1:
        print(comparison(reports))
    for query, error in FIRST_ERRORS.items():
        print(f"first error of {query!r}: {error}")
    return 0


def comparison(reports: list[dict[str, Any]]) -> str:
    """Q1 p50 of each scale relative to the first (API and floor, 1 client)."""
    lines = []
    base = reports[0]
    for report in reports[1:]:
        for via in ("API", "asyncpg floor"):
            cells = [
                next(
                    r["p50"]
                    for r in rep["results"]
                    if r["query"].startswith("Q1") and r["via"] == via and r["concurrency"] == 1
                )
                for rep in (base, report)
            ]
            lines.append(
                f"Q1 p50 {via}: {report['scale'].name} {cells[1]:.1f} ms ÷ "
                f"{base['scale'].name} {cells[0]:.1f} ms = {cells[1] / max(cells[0], 1e-6):.2f}"
            )
    return "\n".join(lines)
