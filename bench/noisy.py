"""`python -m bench noisy`: can one agency take the service away from another?

Agency B (a few clients, its dashboard's queries at a steady pace) is measured alone, then again
while agency A attacks with many clients on its 200,000-contact batch: aliased deep offsets and
searches, requests sent and abandoned, and slow bodies (a Content-Length never reached, then a
byte a second). The API runs as shipped, `python app.py --workers 2` with its capacity defaults,
on the benchmark's embedded PostgreSQL (or `BENCH_DATABASE_URL`); the data is generated once
into `callbatch_bench_noisy` and reused. Reported: B's p50/p95/p99 and errors in both phases,
A's outcomes by HTTP status and `extensions.code`, the API's database connections by state
(sampled from `pg_stat_activity`) and the server's RSS. Target: B sees no error and its p95
under attack stays within 3x of its p95 alone; the exit status is 1 when it is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench.cpu_split import CpuMeter, postmaster_pid
from bench.noisy_attack import Attack, AttackPlan
from bench.noisy_load import Traffic, dashboard_client
from bench.noisy_report import Samples, markdown, target_met
from bench.noisy_setup import NOISY_SCALES, find_agencies, start_server_with_defaults
from bench.report import RESULTS, machine
from bench.run import EMBEDDED_DATA, server_url_from_environment
from bench.server import free_port, plain_url, prepare_database, rss_mb, stop_server, wait_ready

CONNECTIONS_BY_STATE = """
SELECT coalesce(state, 'unknown') AS state, count(*) AS n FROM pg_stat_activity
WHERE application_name = 'callbatch-graphql' GROUP BY 1
"""


async def sample(
    pool: Any, server: subprocess.Popen[bytes], into: Samples, every: float = 0.5
) -> None:
    while True:
        async with pool.acquire() as connection:
            rows = await connection.fetch(CONNECTIONS_BY_STATE)
        into.add({row["state"]: row["n"] for row in rows}, sum(rss_mb(server)))
        await asyncio.sleep(every)


async def phase(
    arguments: argparse.Namespace,
    port: int,
    tokens: tuple[str, str],
    batches: tuple[str, str],
    seconds: float,
    attack: bool,
    pool: Any,
    server: subprocess.Popen[bytes],
) -> tuple[Traffic, Traffic, Samples, float]:
    """B's dashboard for `seconds` (with A's attack, in its own process, when `attack`):
    (B, A, samples, CPU seconds of A's process)."""
    token_a, token_b = tokens
    batch_a, batch_b = batches
    b_seen, samples = Traffic(), Samples()
    attacker = None
    if attack:
        attacker = Attack(
            AttackPlan(
                port,
                token_a,
                batch_a,
                arguments.a_clients,
                arguments.abandoning,
                arguments.slow_bodies,
                arguments.polite,
            )
        )
        await attacker.start()
    until = time.perf_counter() + seconds
    sampler = asyncio.create_task(sample(pool, server, samples))
    spacing = arguments.b_interval / arguments.b_clients
    dashboards: list[asyncio.Task[None]] = []
    try:
        for n in range(arguments.b_clients):
            await asyncio.sleep(spacing if n else 0.0)
            dashboards.append(
                asyncio.create_task(
                    dashboard_client(port, token_b, batch_b, arguments.b_interval, until, b_seen)
                )
            )
        await asyncio.gather(*dashboards)
    finally:
        for task in [sampler, *dashboards]:
            task.cancel()
        await asyncio.gather(sampler, *dashboards, return_exceptions=True)
        a_seen, attack_cpu = await attacker.finish() if attacker else (Traffic(), 0.0)
    return b_seen, a_seen, samples, attack_cpu


async def run(
    arguments: argparse.Namespace, server_url: str, database_dir: Path | None
) -> dict[str, Any]:
    scale = NOISY_SCALES[arguments.scale]
    url = await prepare_database(server_url, scale)
    a, b = await find_agencies(url)
    secret = secrets.token_urlsafe(48)
    from web.auth import issue_token

    tokens = (issue_token(a.user_id, secret), issue_token(b.user_id, secret))
    batches = (str(a.batch_id), str(b.batch_id))
    overrides = dict(item.split("=", 1) for item in arguments.set)
    port = free_port()
    server = start_server_with_defaults(url, secret, port, arguments.workers, overrides)
    pool = await asyncpg.create_pool(plain_url(url), min_size=1, max_size=2)
    try:
        await wait_ready(port)
        async with pool.acquire() as connection:
            version = await connection.fetchval("SHOW server_version")
        print(f"A: {a.batch_size:,}-contact batch; B: {b.batches} batches, page of {b.batch_size}")
        await phase(arguments, port, tokens, batches, 3.0, False, pool, server)  # warm-up
        rss_start = sum(rss_mb(server))
        load_start = os.getloadavg()[0]
        cpu = CpuMeter(server.pid, postmaster_pid(database_dir))
        half = arguments.baseline / 2
        print(f"B alone for {half:.0f} s …", flush=True)
        before = await phase(arguments, port, tokens, batches, half, False, pool, server)
        cpu_alone = cpu.split()
        print(f"A attacking, B measured, for {arguments.seconds:.0f} s …", flush=True)
        cpu.start()
        *attacked, attack_cpu = await phase(
            arguments, port, tokens, batches, arguments.seconds, True, pool, server
        )
        split = cpu.split()
        cpu_attack = replace(split, client=split.client + attack_cpu)
        load_end = os.getloadavg()[0]
        cores = os.cpu_count() or 1
        after = Samples()
        await asyncio.sleep(2.0)
        async with pool.acquire() as connection:
            rows = await connection.fetch(CONNECTIONS_BY_STATE)
        after.add({row["state"]: row["n"] for row in rows}, sum(rss_mb(server)))
        print(f"B alone again for {half:.0f} s …", flush=True)
        again = await phase(arguments, port, tokens, batches, half, False, pool, server)
        alone = (before[0].merged(again[0]), before[1], before[2])
        return {
            "command": arguments.command_line,
            "machine": machine(),
            "postgres": version,
            "scale": scale.name,
            "a_batch_size": a.batch_size,
            "b_batches": b.batches,
            "b_page": b.batch_size,
            "arguments": vars(arguments),
            "rss_start": rss_start,
            "load": (load_start, load_end),
            "client_cpu": cpu_attack.client,
            "api_cpu": cpu_attack.api,
            "cpu_alone": cpu_alone.describe(half, cores),
            "cpu_attack": cpu_attack.describe(arguments.seconds, cores),
            "alone": alone,
            "alone_before": before[0],
            "alone_after": again[0],
            "attacked": tuple(attacked),
            "after": after,
        }
    finally:
        await pool.close()
        stop_server(server)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench noisy", description=__doc__)
    parser.add_argument("--scale", choices=sorted(NOISY_SCALES), default="full")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the attack")
    parser.add_argument(
        "--baseline",
        type=float,
        default=20.0,
        help="length of B alone, half before the attack and half after it",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--b-clients", type=int, default=4)
    parser.add_argument(
        "--b-interval", type=float, default=0.25, help="seconds between one B client's requests"
    )
    parser.add_argument("--a-clients", type=int, default=32, help="A's deep-query clients")
    parser.add_argument("--abandoning", type=int, default=8, help="A's send-and-hang-up clients")
    parser.add_argument(
        "--polite",
        action="store_true",
        help="A's deep-query clients wait a second (Retry-After) after a 429",
    )
    parser.add_argument("--slow-bodies", type=int, default=20, help="A's slow-body clients")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a server setting (environment variable) other than its default",
    )
    return parser


def main(argv: list[str]) -> int:
    arguments = parser().parse_args(argv)
    arguments.command_line = "python -m bench noisy " + " ".join(argv)
    server_url, embedded = server_url_from_environment()
    try:
        database_dir = EMBEDDED_DATA if embedded is not None else None
        report = asyncio.run(run(arguments, server_url, database_dir))
    finally:
        if embedded is not None:
            embedded.cleanup()
    text = markdown(report)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "noisy.md").write_text(text)
    (RESULTS / "noisy.json").write_bytes(
        orjson.dumps(report, default=lambda value: getattr(value, "__dict__", str(value)))
    )
    print(f"written to {RESULTS / 'noisy.md'}")
    return 0 if target_met(report) else 1
