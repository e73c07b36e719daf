"""Scale-out on real servers: reads from a streaming replica, and the app behind PgBouncer.

Both build their servers in temporary folders (never the shared test server): a pgserver primary,
a replica cloned from it with `pg_basebackup -R`, and a PgBouncer in transaction pooling mode. The
replica uses pgserver's own binaries, so it always runs; PgBouncer is Debian's `pgbouncer`
package, and its test is skipped (saying so) where the binary is absent.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import create_engine
from tests.factories import Factory
from tests.ops_support import (
    BATCHES_QUERY,
    PrivateServer,
    free_port,
    owned_folder,
    postgres_binaries,
    private_server,
    run_as,
    running_app,
)

PGBOUNCER_CANDIDATES = ("pgbouncer", "/usr/sbin/pgbouncer")


@dataclass
class Cluster:
    primary: PrivateServer
    replica_url: str


def socket_dir(url: str) -> str:
    host = make_url(url).query["host"]
    return host if isinstance(host, str) else host[0]


@pytest.fixture(scope="module")
def primary() -> Iterator[PrivateServer]:
    with private_server("cbscale") as server:
        yield server


@pytest.fixture(scope="module")
def cluster(primary: PrivateServer) -> Iterator[Cluster]:
    """A streaming replica of `primary`, cloned with pg_basebackup and started beside it."""
    binaries = postgres_binaries()
    user = primary.system_user
    folder = owned_folder(user)
    data, sockets = folder / "replica", folder / "sock"
    run_as(user, ["mkdir", "-m", "0700", str(sockets)])
    run_as(
        user,
        [
            str(binaries / "pg_basebackup"),
            "-D",
            str(data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "-h",
            socket_dir(primary.url),
            "-U",
            "postgres",
        ],
    )
    run_as(
        user,
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(folder / "replica.log"),
            "-o",
            f"-h '' -k {sockets}",
            "start",
        ],
    )
    try:
        yield Cluster(primary, f"postgresql://postgres:@/postgres?host={sockets}")
    finally:
        run_as(user, [str(binaries / "pg_ctl"), "-D", str(data), "-w", "-m", "immediate", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


async def _batch_count(client: object, token: str) -> int:
    response = await client.post(  # type: ignore[attr-defined]
        "/graphql", json={"query": BATCHES_QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    count: int = response.json()["data"]["batches"]["totalCount"]
    return count


async def test_reads_are_served_by_the_replica_named_in_database_read_url(
    cluster: Cluster,
) -> None:
    """With WAL replay paused on the replica, a batch committed on the primary stays invisible
    to the API until replay resumes: the API reads from the replica, not the primary."""
    primary = cluster.primary
    settings = primary.settings(database_read_url=cluster.replica_url)
    replica = create_engine(primary.settings(), cluster.replica_url, pool_size=1)
    writer = create_engine(primary.settings(), pool_size=1)
    try:
        async with running_app(settings) as (_, client):
            token = primary.token()
            before = await _batch_count(client, token)
            async with replica.connect() as connection:
                assert await connection.scalar(text("SELECT pg_is_in_recovery()"))
                await connection.execute(text("SELECT pg_wal_replay_pause()"))
                await connection.commit()
            async with writer.begin() as connection:
                await Factory(connection).batch(primary.agency_id, name="Written on the primary")
            paused = await _batch_count(client, token)
            readiness = (await client.get("/readyz")).json()
            async with replica.connect() as connection:
                await connection.execute(text("SELECT pg_wal_replay_resume()"))
                await connection.commit()
            deadline = time.monotonic() + 20
            resumed = await _batch_count(client, token)
            while resumed == before and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                resumed = await _batch_count(client, token)
    finally:
        await replica.dispose()
        await writer.dispose()

    assert paused == before, "the primary's new batch must not be visible while replay is paused"
    assert resumed == before + 1
    assert readiness == {"database": "up", "replica": "up", "status": "ok"}


def pgbouncer_binary() -> str | None:
    for candidate in PGBOUNCER_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture
def pgbouncer(primary: PrivateServer) -> Iterator[str]:
    """PgBouncer in transaction pooling mode in front of `primary`, at most 2 server connections."""
    binary = pgbouncer_binary()
    if binary is None:
        pytest.skip("PgBouncer is not installed (Debian: apt-get install pgbouncer)")
    user = primary.system_user or "postgres"
    folder = owned_folder(user)
    port = free_port()
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"callbatch = host={socket_dir(primary.url)} dbname=postgres user=postgres\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\n"
        "default_pool_size = 2\nmin_pool_size = 0\nmax_client_conn = 200\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
    )
    shutil.chown(config, user, user)
    process = subprocess.Popen(
        [binary, str(config)],
        user=user,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while not _accepts(port):
            assert process.poll() is None, _log(folder)
            assert time.monotonic() < deadline, _log(folder)
            time.sleep(0.05)
        yield f"postgresql://postgres@127.0.0.1:{port}/callbatch"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _accepts(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _log(folder: Path) -> str:
    log = folder / "pgbouncer.log"
    return log.read_text() if log.exists() else "(no PgBouncer log)"


async def test_concurrent_requests_through_pgbouncer_transaction_pooling(
    primary: PrivateServer, pgbouncer: str
) -> None:
    """Eight pooled app connections share PgBouncer's two server connections; with the statement
    cache off (DB_STATEMENT_CACHE=false) every request still succeeds. The one agency may use
    the whole pool here: fair share between agencies is not what this test is about."""
    settings = primary.settings(
        database_url=pgbouncer,
        db_statement_cache=False,
        db_pool_size=8,
        agency_concurrency=8,
        agency_queue=60,
        agency_queue_wait_seconds=30,
    )
    observer = create_engine(primary.settings(), pool_size=1)
    try:
        async with running_app(settings) as (_, client):
            token = primary.token()
            counts = await asyncio.gather(*(_batch_count(client, token) for _ in range(60)))
            async with observer.connect() as connection:
                server_connections = await connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
                    )
                )
            readiness = await client.get("/readyz")
    finally:
        await observer.dispose()

    assert len(set(counts)) == 1 and counts[0] >= 1
    assert server_connections is not None and server_connections <= 2
    assert readiness.status_code == 200
