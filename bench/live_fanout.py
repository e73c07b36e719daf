"""`python -m bench.live_fanout`: many live subscribers while contacts change at a steady rate.

Builds `callbatch_bench_live` afresh (one agency, `--batches` batches of `--contacts` contacts),
starts `python app.py` (one worker: one LISTEN connection), opens `--hot` websocket subscribers
on one batch, `--spread` spread evenly over the other batches and `--dashboards` `batchUpdates`
subscribers, then for `--seconds` commits `--rate` single-contact updates per second (each its
own transaction, half of them on the hot batch), as a dialer would.

Measured: for each (change, subscriber of its batch), the time from the change's COMMIT returning
to the first message showing it (a message showing the batch's `completed` count at or past the
change's value: later messages may carry several changes at once, coalesced); messages per
change; CPU and RSS of the server process. Clients, writer and server share this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import psutil  # type: ignore[import-untyped]
import websockets
from websockets.typing import Subprotocol

from bench.report import ROOT
from bench.run import server_url_from_environment
from bench.server import _url, free_port, plain_url, start_server, wait_ready

DATABASE = "callbatch_bench_live"
GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")
PROGRESS = "subscription($id: ID!) { batchProgress(id: $id) { id completed totalContacts } }"
UPDATES = "subscription { batchUpdates { id completed } }"


@dataclass
class Observed:
    """Arrival times of each (batch, completed) value, per subscriber."""

    arrivals: dict[uuid.UUID, list[tuple[float, int]]] = field(default_factory=dict)
    messages: int = 0
    errors: list[str] = field(default_factory=list)


async def prepare(server_url: str, batches: int, contacts: int) -> tuple[str, uuid.UUID]:
    admin = await asyncpg.connect(plain_url(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    url = _url(server_url, DATABASE)
    from alembic import command

    from migrations import alembic_config

    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    connection = await asyncpg.connect(plain_url(url))
    try:
        agency_id = await connection.fetchval(
            "INSERT INTO agencies (name) VALUES ('Live bench') RETURNING id"
        )
        user_id = await connection.fetchval(
            "INSERT INTO users (agency_id, email, role) VALUES ($1, 'bench@example.com', "
            "'viewer') RETURNING id",
            agency_id,
        )
        await connection.execute(
            "INSERT INTO call_batches (agency_id, name, status, created_at) "
            "SELECT $1, 'Batch ' || n, 'processing', now() - n * interval '1 minute' "
            "FROM generate_series(1, $2) n",
            agency_id,
            batches,
        )
        await connection.execute(
            "INSERT INTO campaign_contacts (batch_id, agency_id, phone_number) "
            "SELECT b.id, b.agency_id, '+1555' || lpad(n::text, 7, '0') "
            "FROM call_batches b, generate_series(1, $1) n",
            contacts,
        )
    finally:
        await connection.close()
    return url, user_id


async def subscriber(
    url: str,
    token: str,
    query: str,
    variables: dict[str, Any],
    observed: Observed,
    ready: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    async with websockets.connect(
        url, subprotocols=[GRAPHQL_TRANSPORT_WS], max_queue=None, open_timeout=60
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables},
                }
            )
        )
        first = True
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.monotonic()
            message = json.loads(raw)
            if message["type"] != "next":
                observed.errors.append(str(message)[:200])
                continue
            data = message["payload"].get("data") or {}
            batch = data.get("batchProgress") or data.get("batchUpdates")
            if batch is None:
                observed.errors.append(str(message)[:200])
                continue
            if first:
                first = False
                ready.set()
            observed.messages += 1
            observed.arrivals.setdefault(uuid.UUID(batch["id"]), []).append(
                (now, batch["completed"])
            )


async def writer(
    url: str,
    hot: uuid.UUID,
    others: list[uuid.UUID],
    rate: float,
    seconds: float,
    commits: dict[uuid.UUID, list[tuple[float, int]]],
) -> None:
    connection = await asyncpg.connect(plain_url(url))
    try:
        pending: dict[uuid.UUID, list[uuid.UUID]] = {}
        for batch_id in [hot, *others]:  # one transaction each (the report subtracts them)
            rows = await connection.fetch(
                "SELECT id FROM campaign_contacts WHERE batch_id = $1 ORDER BY id", batch_id
            )
            pending[batch_id] = [r["id"] for r in rows]
        completed: dict[uuid.UUID, int] = defaultdict(int)
        chooser = random.Random(7)
        interval = 1 / rate
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            batch_id = hot if n % 2 == 0 else chooser.choice(others)
            if not pending[batch_id]:
                break
            await connection.execute(
                "UPDATE campaign_contacts SET status = 'completed' WHERE id = $1",
                pending[batch_id].pop(),
            )
            completed[batch_id] += 1
            commits.setdefault(batch_id, []).append((time.monotonic(), completed[batch_id]))
            n += 1
            await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))
    finally:
        await connection.close()


def latencies(
    commits: dict[uuid.UUID, list[tuple[float, int]]],
    per_subscriber: list[tuple[set[uuid.UUID] | None, Observed]],
) -> tuple[list[float], int]:
    """Milliseconds from each commit to the first message of each interested subscriber showing
    it; and how many (change, subscriber) pairs never got one."""
    found, missing = [], 0
    for interest, observed in per_subscriber:
        for batch_id, changes in commits.items():
            if interest is not None and batch_id not in interest:
                continue
            arrivals = observed.arrivals.get(batch_id, [])
            for committed_at, value in changes:
                seen = next((t for t, c in arrivals if c >= value and t >= committed_at), None)
                if seen is None:
                    missing += 1
                else:
                    found.append((seen - committed_at) * 1000)
    return found, missing


async def transactions(url: str) -> int:
    """Transactions the database has finished so far (committed or rolled back)."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        query = (
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        count: int = await connection.fetchval(query)
        return count
    finally:
        await connection.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(arguments: argparse.Namespace, server_url: str) -> dict[str, Any]:
    url, user_id = await prepare(server_url, arguments.batches, arguments.contacts)
    secret = secrets.token_urlsafe(32)
    port = free_port()
    server = start_server(url, secret, port, workers=1)
    try:
        await wait_ready(port)
        from web.auth import issue_token

        token = issue_token(user_id, secret)
        connection = await asyncpg.connect(plain_url(url))
        batch_ids = [
            r["id"] for r in await connection.fetch("SELECT id FROM call_batches ORDER BY id")
        ]
        await connection.close()
        hot, others = batch_ids[0], batch_ids[1:]
        ws_url = f"ws://127.0.0.1:{port}/graphql"
        stop = asyncio.Event()
        plan: list[tuple[str, dict[str, Any], set[uuid.UUID] | None]] = []
        plan += [(PROGRESS, {"id": str(hot)}, {hot})] * arguments.hot
        plan += [
            (PROGRESS, {"id": str(others[i % len(others)])}, {others[i % len(others)]})
            for i in range(arguments.spread)
        ]
        plan += [(UPDATES, {}, None)] * arguments.dashboards
        per_subscriber: list[tuple[set[uuid.UUID] | None, Observed]] = []
        tasks, readiness = [], []
        for query, variables, interest in plan:
            observed, ready = Observed(), asyncio.Event()
            per_subscriber.append((interest, observed))
            readiness.append(ready)
            tasks.append(
                asyncio.create_task(
                    subscriber(ws_url, token, query, variables, observed, ready, stop)
                )
            )
            if len(tasks) % 25 == 0:  # in waves: each wave subscribed before the next opens
                await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readiness)), 120)
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readiness)), 120)
        await asyncio.sleep(1.0)
        for _, observed in per_subscriber:
            observed.arrivals.clear()
            observed.messages = 0
        transactions_before = await transactions(url)
        process = psutil.Process(server.pid)
        rss_before = process.memory_info().rss / 2**20
        cpu_before = process.cpu_times()
        client_before = psutil.Process().cpu_times()
        load_before = os.getloadavg()[0]
        commits: dict[uuid.UUID, list[tuple[float, int]]] = {}
        started = time.monotonic()
        await writer(url, hot, others, arguments.rate, arguments.seconds, commits)
        await asyncio.sleep(2.0)  # let the last messages arrive
        elapsed = time.monotonic() - started
        cpu_after = process.cpu_times()
        transactions_after = await transactions(url)
        client_after = psutil.Process().cpu_times()
        load_after = os.getloadavg()[0]
        rss_after = process.memory_info().rss / 2**20
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        found, missing = latencies(commits, per_subscriber)
        classes = {
            "hot batch": per_subscriber[: arguments.hot],
            "spread": per_subscriber[arguments.hot : arguments.hot + arguments.spread],
            "batchUpdates": per_subscriber[arguments.hot + arguments.spread :],
        }
        by_class = {}
        for name, members in classes.items():
            values, lost = latencies(commits, members)
            if values or lost:
                by_class[name] = (
                    percentile(values, 0.5),
                    percentile(values, 0.99),
                    len(values),
                    lost,
                )
        changes = sum(len(c) for c in commits.values())
        deliveries_wanted = len(found) + missing
        messages = sum(o.messages for _, o in per_subscriber)
        errors = [e for _, o in per_subscriber for e in o.errors]
        return {
            "subscribers": len(plan),
            "hot": arguments.hot,
            "spread": arguments.spread,
            "dashboards": arguments.dashboards,
            "batches": arguments.batches,
            "rate": arguments.rate,
            "seconds": arguments.seconds,
            "changes": changes,
            "pairs": deliveries_wanted,
            "missing": missing,
            "messages": messages,
            "p50": percentile(found, 0.5),
            "p99": percentile(found, 0.99),
            "max": max(found) if found else float("nan"),
            "mean": statistics.fmean(found) if found else float("nan"),
            "cpu": (
                (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system)
                / elapsed
                * 100
            ),
            "client_cpu": (
                (
                    client_after.user
                    + client_after.system
                    - client_before.user
                    - client_before.system
                )
                / elapsed
                * 100
            ),
            "load": (load_before, load_after),
            "reads": transactions_after - transactions_before - changes - len(batch_ids) - 1,
            "rss_before": rss_before,
            "rss_after": rss_after,
            "errors": errors[:3],
            "by_class": by_class,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        }
    finally:
        server.terminate()
        server.wait(30)


def markdown(report: dict[str, Any]) -> str:
    r = report
    return "\n".join(
        [
            f"Subscribers: {r['subscribers']} ({r['hot']} on one batch, {r['spread']} spread over "
            f"{r['batches'] - 1} batches, {r['dashboards']} batchUpdates); "
            f"{r['rate']:g} commits/s for {r['seconds']:g} s; {r['machine']}.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| changes committed | {r['changes']} |",
            f"| (change, interested subscriber) pairs | {r['pairs']} |",
            f"| pairs never delivered | {r['missing']} |",
            f"| delivery latency p50 / p99 / max | {r['p50']:.1f} / {r['p99']:.1f} / {r['max']:.1f} ms |",
            f"| messages sent | {r['messages']} ({r['messages'] / max(r['pairs'], 1):.2f} per pair) |",
            f"| database transactions besides the writer's (snapshot reads) | {r['reads']} ({r['reads'] / max(r['changes'], 1):.1f} per change) |",
            f"| server CPU | {r['cpu']:.0f} % of one core |",
            f"| bench client CPU (all sockets and the writer) | {r['client_cpu']:.0f} % of one core |",
            f"| machine load average (1 min) at start / end | {r['load'][0]:.1f} / {r['load'][1]:.1f} |",
            f"| server RSS before / after | {r['rss_before']:.0f} / {r['rss_after']:.0f} MB |",
            f"| errors received | {len(r['errors'])} {r['errors']} |",
            "",
            "| subscribers | pairs | latency p50 | p99 | never delivered |",
            "|---|---|---|---|---|",
            *(
                f"| {name} | {n} | {p50:.1f} ms | {p99:.1f} ms | {lost} |"
                for name, (p50, p99, n, lost) in r["by_class"].items()
            ),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live_fanout")
    parser.add_argument("--hot", type=int, default=200, help="subscribers of the hot batch")
    parser.add_argument("--spread", type=int, default=200, help="subscribers over the others")
    parser.add_argument("--dashboards", type=int, default=20, help="batchUpdates subscribers")
    parser.add_argument("--batches", type=int, default=51)
    parser.add_argument("--contacts", type=int, default=2000, help="per batch")
    parser.add_argument("--rate", type=float, default=20.0, help="commits per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    arguments = parser.parse_args(argv)
    server_url, embedded = server_url_from_environment()
    try:
        report = asyncio.run(run(arguments, server_url))
    finally:
        if embedded is not None:
            embedded.cleanup()
    text = markdown(report)
    print(text)
    results = ROOT / "bench" / ".results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "live_fanout.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
