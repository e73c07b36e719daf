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
import secrets
import subprocess
from typing import Any

import asyncpg
import orjson

from bench import queries
from bench.data import SCALES, SEARCH_TERM, Scale
from bench.measure import (
    FIRST_ERRORS,
    HttpClient,
    api_call,
    floor_call,
    measure,
    measure_mixed,
)
from bench.report import ROOT, comparison, markdown, write_results
from bench.server import (
    Targets,
    find_targets,
    free_port,
    plain_url,
    prepare_database,
    rss_mb,
    start_server,
    wait_ready,
)


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
    port = free_port()
    server = start_server(url, secret, port, workers)
    pool = await asyncpg.create_pool(plain_url(url), min_size=4, max_size=32)
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
