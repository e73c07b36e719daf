"""`python -m bench.soak`: 64 clients for 60 s mixing the benchmark queries, on loopback only.

Reuses the benchmark's data (scale S by default, generated once by `bench/data.py` into the
embedded server in `bench/.data/` or `BENCH_DATABASE_URL`) and starts `python app.py` on a free
127.0.0.1 port. Each client keeps one HTTP/1.1 connection and cycles through Q1-Q4 (batches page,
largest batch with 50 contacts, completed + search, a deep cursor page). Every response must be
HTTP 200 without `errors`. The server's resident memory is sampled every few seconds: after the
warm-up it must stay flat. The run is bounded (`--seconds`, default 60) and stops by itself.

Prints a Markdown section (the "Soak" section of docs/BENCHMARKS.md) and writes it, with the raw
samples, to `bench/.results/soak.json` and `bench/.results/soak.md`. Exit status 1 when any
request failed or memory grew by more than `--max-growth` percent after the warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench import queries
from bench.data import SCALES, SEARCH_TERM
from bench.measure import HttpClient
from bench.report import RESULTS, ROOT, machine
from bench.run import server_url_from_environment, walk_to_depth
from bench.server import find_targets, free_port, prepare_database, rss_mb, wait_ready

WARM_UP_SECONDS = 10.0
SAMPLE_EVERY_SECONDS = 5.0


def start_server(url: str, secret: str, port: int, workers: int, pool: int) -> Any:
    """`python app.py` on loopback, each worker's pool large enough for its share of clients
    (with fewer connections than clients, requests queue for one and, past
    DB_POOL_TIMEOUT_SECONDS, are answered 503 "at capacity": the designed degradation, which
    is not what a soak measures)."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "JWT_SECRET": secret,
        "DB_POOL_SIZE": str(pool),
        "DB_MAX_OVERFLOW": "0",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / "soak-server.log").open("wb")
    command = [sys.executable, "app.py", "--no-migrate", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)


@dataclass
class SoakResult:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    failure_examples: list[str] = field(default_factory=list)
    memory: list[tuple[float, float]] = field(default_factory=list)
    """(seconds since start, total RSS of the server's processes in MB)."""
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def percentile(self, name: str, q: float) -> float:
        ordered = sorted(self.latencies[name])
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    def memory_after_warm_up(self) -> tuple[float, float, float]:
        """(first, last, highest) RSS after the warm-up."""
        settled = [mb for at, mb in self.memory if at >= WARM_UP_SECONDS] or [
            mb for _, mb in self.memory
        ]
        return settled[0], settled[-1], max(settled)


async def soak(
    port: int, token: str, mix: dict[str, bytes], clients: int, seconds: float, server: Any
) -> SoakResult:
    result = SoakResult(latencies={name: [] for name in mix})
    names = list(mix)
    started = time.perf_counter()
    deadline = started + seconds

    async def client(offset: int) -> None:
        connection = HttpClient("127.0.0.1", port, token)
        turn = offset
        try:
            while time.perf_counter() < deadline:
                name = names[turn % len(names)]
                turn += 1
                sent = time.perf_counter()
                try:
                    status, payload = await connection.post(mix[name])
                except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                    result.failures[f"{name}: {type(error).__name__}"] += 1
                    connection = HttpClient("127.0.0.1", port, token)
                    continue
                if status != 200 or b'"errors"' in payload:
                    result.failures[f"{name}: HTTP {status}"] += 1
                    if len(result.failure_examples) < 5:
                        result.failure_examples.append(payload[:300].decode(errors="replace"))
                    continue
                result.latencies[name].append(time.perf_counter() - sent)
        finally:
            await connection.close()

    async def sample_memory() -> None:
        while time.perf_counter() < deadline:
            result.memory.append(
                (round(time.perf_counter() - started, 1), round(sum(rss_mb(server)), 1))
            )
            await asyncio.sleep(SAMPLE_EVERY_SECONDS)
        result.memory.append(
            (round(time.perf_counter() - started, 1), round(sum(rss_mb(server)), 1))
        )

    await asyncio.gather(sample_memory(), *(client(i) for i in range(clients)))
    result.seconds = time.perf_counter() - started
    return result


async def scrape_metrics(port: int) -> dict[str, float]:
    """The server's own request and error counters, from /metrics."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n")
    raw = await reader.read()
    writer.close()
    counters: dict[str, float] = {}
    for line in raw.decode().splitlines():
        if line.startswith(("callbatch_requests_total", "callbatch_errors_total")):
            key, value = line.rsplit(" ", 1)
            counters[key] = float(value)
    return counters


async def run(arguments: argparse.Namespace, server_url: str) -> dict[str, Any]:
    scale = SCALES[arguments.scale]
    url = await prepare_database(server_url, scale)
    targets = await find_targets(url)
    secret = secrets.token_urlsafe(48)
    from web.auth import issue_token

    token = issue_token(targets.user_id, secret)
    port = free_port()
    # The kernel does not spread connections evenly over workers: any one may hold them all.
    pool = arguments.clients + 2
    server = start_server(url, secret, port, arguments.workers, pool)
    try:
        await wait_ready(port)
        await walk_to_depth(port, token, targets)
        batch = str(targets.batch_id)
        mix = {
            "Q1 batches page 1": (queries.Q1, {}),
            "Q2 largest batch, 50 contacts": (queries.Q2, {"id": batch}),
            "Q3 completed + search": (queries.Q3, {"id": batch, "search": SEARCH_TERM}),
            f"Q4 page at {targets.deep_position:,}": (
                queries.Q4,
                {"id": batch, "after": targets.deep_cursor},
            ),
        }
        bodies = {
            name: orjson.dumps({"query": query, "variables": variables})
            for name, (query, variables) in mix.items()
        }
        result = await soak(port, token, bodies, arguments.clients, arguments.seconds, server)
        metrics = await scrape_metrics(port) if arguments.workers == 1 else {}
    finally:
        server.terminate()
        server.wait(30)
    return {
        "scale": scale.name,
        "pool": pool,
        "seconds": arguments.seconds,
        "workers": arguments.workers,
        "clients": arguments.clients,
        "result": result,
        "metrics": metrics,
        "machine": machine(),
    }


def markdown(report: dict[str, Any]) -> str:
    result: SoakResult = report["result"]
    first, last, highest = result.memory_after_warm_up()
    growth = (last - first) / first * 100 if first else 0.0
    failures = sum(result.failures.values())
    lines = [
        "## Soak",
        "",
        f"`python -m bench.soak --scale {report['scale']} --clients {report['clients']} "
        f"--seconds {report['seconds']:.0f} --workers {report['workers']}` on loopback; "
        f"{report['machine']}. Each client cycles Q1-Q4 on one keep-alive connection; "
        f"DB_POOL_SIZE={report['pool']} per worker; JSON access log on.",
        "",
        "| query | requests | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, latencies in result.latencies.items():
        lines.append(
            f"| {name} | {len(latencies):,} | {result.percentile(name, 0.5):.0f} "
            f"| {result.percentile(name, 0.95):.0f} | {result.percentile(name, 0.99):.0f} |"
        )
    lines += [
        "",
        f"- **{result.requests:,} requests in {result.seconds:.0f} s (the last ones started "
        f"before the {report['seconds']:.0f} s deadline) "
        f"({result.requests / result.seconds:.0f} req/s), {failures} failed**"
        + (f": {dict(result.failures)}" if failures else "."),
        f"- Server RSS (all processes) after the {WARM_UP_SECONDS:.0f} s warm-up: "
        f"{first:.0f} MB → {last:.0f} MB at the end (highest {highest:.0f} MB, {growth:+.1f} %). "
        f"Samples (s, MB): {', '.join(f'{at:.0f}: {mb:.0f}' for at, mb in result.memory)}.",
    ]
    if report["metrics"]:
        outcomes = ", ".join(f"{k} = {v:.0f}" for k, v in sorted(report["metrics"].items()))
        lines.append(f"- The server's own counters (`/metrics`): {outcomes}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-growth", type=float, default=10.0, help="percent, after warm-up")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.seconds <= 600:
        parser.error("--seconds must be between 1 and 600 (the soak is bounded)")
    server_url, embedded = server_url_from_environment()
    try:
        report = asyncio.run(run(arguments, server_url))
    finally:
        if embedded is not None:
            embedded.cleanup()
    text = markdown(report)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.md").write_text(text)
    result: SoakResult = report["result"]
    raw = {**report, "result": {"memory": result.memory, "failures": dict(result.failures)}}
    (RESULTS / "soak.json").write_bytes(orjson.dumps(raw, default=str))
    first, last, _ = result.memory_after_warm_up()
    grew = first and (last - first) / first * 100 > arguments.max_growth
    if result.failures:
        print("failures, e.g.:", *result.failure_examples, sep="\n", file=sys.stderr)
    return 1 if result.failures or grew else 0


if __name__ == "__main__":
    sys.exit(main())
