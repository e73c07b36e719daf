"""The benchmark's database (created and filled once per scale) and the API server it measures
(`python app.py` on loopback), with its readiness and memory."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import psutil  # type: ignore[import-untyped]

from bench.data import Scale, generate
from bench.report import RESULTS, ROOT


def _url(server_url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def prepare_database(server_url: str, scale: Scale) -> str:
    """The URL of a migrated database holding this scale's data (built when missing)."""
    name = f"callbatch_bench_{scale.name.lower()}"
    url = _url(server_url, name)
    admin = await asyncpg.connect(plain_url(server_url))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            try:
                probe = await asyncpg.connect(plain_url(url))
                try:
                    contacts = await probe.fetchval("SELECT count(*) FROM campaign_contacts")
                finally:
                    await probe.close()
                if contacts == scale.contacts:
                    print(f"reusing {name}: {contacts} contacts (migrating to head)")
                    await _migrate(url)
                    return url
            except (asyncpg.PostgresError, OSError):
                pass
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await _migrate(url)
    print(f"generating scale {scale.name} into {name} …")
    connection = await asyncpg.connect(plain_url(url))
    try:
        seconds = await generate(connection, scale)
    finally:
        await connection.close()
    print(f"generated in {seconds:.0f}s")
    return url


async def _migrate(url: str) -> None:
    from alembic import command

    from migrations import alembic_config

    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")


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
    connection = await asyncpg.connect(plain_url(url))
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


def pool_size(workers: int) -> int:
    """Database connections per API worker (and per PostGraphile process)."""
    return max(4, 40 // workers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(
    url: str,
    secret: str,
    port: int,
    workers: int,
    settings: dict[str, str] | None = None,
    log_name: str = "server.log",
) -> subprocess.Popen[bytes]:
    """`settings`: environment variables for the API beyond the database, secret and pool."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JWT_SECRET": secret,
        "DB_POOL_SIZE": str(pool_size(workers)),
        **(settings or {}),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / log_name).open("wb")
    return subprocess.Popen(
        [sys.executable, "app.py", "--no-migrate", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Ask a server process to stop; kill it when it has not within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
