"""`python -m bench run --scale S|L`: build data, start the API, measure it beside the SQL floor
and, when Node is available, PostGraphile v4 on the same database (bench/peer_server.py).

Before measuring, every system's answer to each question is compared (bench/answers.py) and the
round trips per request are counted (bench/trip_counts.py). Each cell is measured
`--repetitions` times with the systems in reversed order every other time, and pooled.

The database is `BENCH_DATABASE_URL` (a server we may create databases on) or an embedded
PostgreSQL in `bench/.data/`. Data is generated once per scale into `callbatch_bench_<scale>`
and reused while its row counts match. The API runs as `python app.py` on loopback; load comes
from a small asyncio HTTP/1.1 keep-alive client so the client costs little CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
from typing import Any

import asyncpg
import orjson

from bench import queries, trip_counts
from bench.data import SCALES, Scale
from bench.floor_server import start_floor
from bench.measure import (
    FIRST_ERRORS,
    HttpClient,
    Measurement,
    measure,
    measure_alternating,
    measure_mixed,
    pooled,
)
from bench.peer_server import running_peer
from bench.report import ROOT, comparison, markdown, write_results
from bench.scenarios import Scenario, build, check_answers, peer_cursor_at
from bench.server import (
    Targets,
    find_targets,
    free_port,
    plain_url,
    pool_size,
    prepare_database,
    rss_mb,
    start_server,
    stop_server,
    wait_ready,
)
from bench.targets import API, FLOOR, HTTP_FLOOR


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


ONE_AGENCY_UNLIMITED = {
    # The bench sends all its load as one agency: the per-agency fair share (issue 12) would
    # answer most 32-client requests 429 or queue them behind each other (the large-read turn
    # runs one read of 10,000 rows or more at a time per agency), and PostGraphile has no such
    # limit, so they are lifted: this measures speed, `python -m bench noisy` the isolation.
    "AGENCY_REQUESTS_PER_SECOND": "1000000",
    "AGENCY_LARGE_READ_ROWS": "1000000000",
    "AGENCY_BURST": "1000000",
    "AGENCY_ROWS_READ_PER_SECOND": "1000000000",
    "AGENCY_QUEUE": "64",
    "AGENCY_QUEUE_WAIT_SECONDS": "30",
}

CLIENTS = (1, 32)


async def measure_cells(
    scenarios: list[Scenario], seconds: float, repetitions: int
) -> list[dict[str, Any]]:
    """Each cell (question, clients, system) measured `repetitions` times, the systems in
    reversed order every other time, and pooled: p50 over all requests, req/s over all time."""
    results: list[dict[str, Any]] = []
    for scenario in scenarios:
        for concurrency in CLIENTS:
            parts: dict[str, list[Measurement]] = {via: [] for via in scenario.calls}
            for repetition in range(repetitions):
                order = list(scenario.calls)
                for via in order if repetition % 2 == 0 else reversed(order):
                    m = await measure(scenario.calls[via], concurrency, seconds)
                    parts[via].append(m)
                    print(
                        f"{scenario.name:30} {via:15} c={concurrency:<3} #{repetition + 1} "
                        f"p50 {m.p(0.5):7.1f} ms  p99 {m.p(0.99):7.1f} ms  "
                        f"{m.rps:7.1f} req/s  errors {m.errors}",
                        flush=True,
                    )
            for via, measured in parts.items():
                m = pooled(measured)
                results.append(
                    {
                        "query": scenario.name,
                        "via": via,
                        "concurrency": concurrency,
                        "p50": m.p(0.5),
                        "p99": m.p(0.99),
                        "rps": m.rps,
                        "requests": len(m.latencies),
                        "errors": m.errors,
                    }
                )
    return results


async def measure_deep_page(
    scenarios: list[Scenario], seconds: float
) -> dict[str, dict[str, float]]:
    """The first page (Q2) and the deep page (Q4) asked in turn by one client, for the API and
    for each floor: {system: {"first": p50 ms, "deep": p50 ms}}."""
    first = next(s for s in scenarios if s.name.startswith("Q2"))
    deep = next(s for s in scenarios if s.name.startswith("Q4"))
    measured: dict[str, dict[str, float]] = {}
    for via in (API, HTTP_FLOOR, FLOOR):
        if via not in first.calls:
            continue
        pair = await measure_alternating([first.calls[via], deep.calls[via]], seconds)
        measured[via] = {"first": pair[0].p(0.5), "deep": pair[1].p(0.5)}
        print(
            f"deep page in turn with the first, {via}: Q4 p50 {pair[1].p(0.5):.2f} ms, "
            f"Q2 p50 {pair[0].p(0.5):.2f} ms ({len(pair[0].latencies)} pairs, "
            f"errors {pair[0].errors + pair[1].errors})",
            flush=True,
        )
    return measured


async def run(
    scale: Scale,
    workers: int,
    seconds: float,
    repetitions: int,
    soak_seconds: float,
    server_url: str,
    with_peer: bool,
) -> dict[str, Any]:
    url = await prepare_database(server_url, scale)
    targets = await find_targets(url)
    secret = secrets.token_urlsafe(48)
    from web.auth import issue_token

    token = issue_token(targets.user_id, secret)
    settings = {**ONE_AGENCY_UNLIMITED, "AGENCY_CONCURRENCY": str(pool_size(workers))}
    port = free_port()
    server = start_server(url, secret, port, workers, settings)
    # 16 connections for 32 clients (two cores do not run more statements at once) that close
    # after 2 s idle, so the three systems' pools fit PostgreSQL's max_connections together
    # (the API keeps its pools; PostGraphile's also close when idle).
    pool = await asyncpg.create_pool(
        plain_url(url), min_size=4, max_size=16, max_inactive_connection_lifetime=2.0
    )
    load_before = os.getloadavg()
    cells = 4 * len(CLIENTS) * 4 * repetitions
    bound = cells * (seconds + 3) + soak_seconds + 600
    floor_port = free_port()
    floor = start_floor(plain_url(url), floor_port, workers)
    try:
        async with running_peer(
            # node:cluster hands connections out round-robin: 16 each of 32 clients with 2 processes
            plain_url(url),
            free_port(),
            workers,
            max(4, 32 // workers),
            bound,
            with_peer,
        ) as peer_port:
            await wait_ready(port)
            await wait_ready(floor_port)
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
            peer_cursor = None if peer_port is None else await peer_cursor_at(peer_port, targets)
            scenarios = build(port, token, peer_port, peer_cursor, pool, floor_port, targets, deep)
            await check_answers(scenarios)
            round_trips = await trip_counts.count(
                url, secret, token, settings, scenarios, peer_port is not None
            )
            for name, trips in round_trips.items():
                print(f"round trips per request, {name}: {trips}", flush=True)
            memory_before = rss_mb(server)
            results = await measure_cells(scenarios, seconds, repetitions)
            deep_page = await measure_deep_page(scenarios, seconds * repetitions)
            memory_after = rss_mb(server)
        soak = await measure_mixed([s.calls[API] for s in scenarios], 32, soak_seconds)
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
            "repetitions": repetitions,
            "peer": peer_port is not None,
            "round_trips": round_trips,
            "results": results,
            "deep_page": deep_page,
            "memory_before": memory_before,
            "memory_after": memory_after,
            "load": (load_before, os.getloadavg()),
            "postgres": version,
            "pg_trgm": bool(trgm),
            "batch_size": targets.batch_size,
        }
    finally:
        await pool.close()
        stop_server(floor)
        stop_server(server)


EMBEDDED_DATA = ROOT / "bench" / ".data" / "pg"
"""The embedded PostgreSQL's data directory (when `BENCH_DATABASE_URL` is unset)."""


def server_url_from_environment() -> tuple[str, Any]:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url, None
    import pgserver

    EMBEDDED_DATA.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(EMBEDDED_DATA, cleanup_mode="stop")
    return str(server.get_uri()), server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="generate data (once) and measure")
    run_parser.add_argument(
        "--scale", choices=sorted(SCALES), nargs="+", default=["S"], help="one or more, in order"
    )
    run_parser.add_argument("--workers", type=int, default=2)
    run_parser.add_argument(
        "--seconds", type=float, default=5.0, help="per measured cell and repetition"
    )
    run_parser.add_argument(
        "--repetitions",
        type=int,
        default=2,
        help="each cell this many times, the systems in reversed order every other time",
    )
    run_parser.add_argument(
        "--no-peer", action="store_true", help="leave PostGraphile out even when Node is there"
    )
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
                        arguments.repetitions,
                        arguments.soak,
                        server_url,
                        not arguments.no_peer,
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
