"""Private PostgreSQL servers for the operations tests (faults, replicas, PgBouncer).

These tests stop, restart and copy servers, so they never touch the suite's shared database: each
gets a `pgserver` instance of its own in a temporary folder, migrated with Alembic and holding a
little committed data (one agency, its user, one batch of contacts).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from pydantic import SecretStr
from starlette.applications import Starlette

from app import create_app
from core.settings import Settings
from db.engine import create_engine
from migrations import alembic_config
from tests.factories import Factory
from web.auth import issue_token

TEST_REQUEST_RATE = 100_000
"""Request rate per agency in tests that are not about it: each test is one agency at full tilt."""
TEST_ROWS_READ_RATE = 10**12
"""Rows read a second per agency in tests that are not about it (a test's big batches are real)."""
JWT_SECRET = "ops-test-secret-0123456789abcdef-0123456789"
BATCHES_QUERY = "query Batches { batches { totalCount nodes { name totalContacts } } }"


@dataclass
class PrivateServer:
    """A pgserver instance we may stop and start; `url` stays valid across restarts."""

    handle: Any
    url: str
    user_id: uuid.UUID
    agency_id: uuid.UUID

    @property
    def data_dir(self) -> Path:
        return Path(self.handle.pgdata)

    @property
    def system_user(self) -> str | None:
        return self.handle.system_user  # type: ignore[no-any-return]

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: open sessions are terminated, as in a real restart."""
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self.system_user)

    def start(self) -> None:
        with self.handle._lock:
            self.handle.ensure_postgres_running()

    def settings(self, **values: Any) -> Settings:
        values.setdefault("database_url", self.url)
        values.setdefault("agency_requests_per_second", TEST_REQUEST_RATE)
        values.setdefault("agency_burst", TEST_REQUEST_RATE)
        values.setdefault("agency_rows_read_per_second", TEST_ROWS_READ_RATE)
        return Settings(jwt_secret=SecretStr(JWT_SECRET), **values)

    def token(self) -> str:
        return self.token_for(self.user_id)

    def token_for(self, user_id: uuid.UUID) -> str:
        return issue_token(user_id, JWT_SECRET)


async def _seed(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    engine = create_engine(Settings(database_url=url, jwt_secret=SecretStr(JWT_SECRET)))
    try:
        async with engine.begin() as connection:
            factory = Factory(connection)
            agency_id = await factory.agency(name="Ops Agency")
            user_id = await factory.user(agency_id)
            batch_id = await factory.batch(agency_id, name="Ops batch")
            await factory.contacts(batch_id, agency_id, [{"first_name": f"C{i}"} for i in range(5)])
    finally:
        await engine.dispose()
    return agency_id, user_id


@contextmanager
def private_server(prefix: str = "cbops") -> Iterator[PrivateServer]:
    """A migrated, seeded pgserver instance of our own (sync: Alembic runs its own event loop)."""
    import pgserver

    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        handle: Any = pgserver.get_server(Path(folder) / "pg", cleanup_mode="stop")
        try:
            url = str(handle.get_uri())
            command.upgrade(alembic_config(url), "head")
            agency_id, user_id = asyncio.run(_seed(url))
            yield PrivateServer(handle, url, user_id, agency_id)
        finally:
            handle.cleanup()


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The real app with its lifespan (engines built, statements watched), called over ASGI."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def postgres_binaries() -> Path:
    """pgserver's own server binaries (PostgreSQL 16), always present with the package."""
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def run_as(user: str | None, arguments: list[str], **options: Any) -> None:
    """Run a server binary, as `user` when we are root (PostgreSQL refuses to run as root)."""
    if user is not None and os.geteuid() == 0:
        options["user"] = user
    subprocess.run(arguments, check=True, capture_output=True, timeout=60, **options)


def owned_folder(user: str | None) -> Path:
    """A fresh temporary folder the server's system user can write."""
    folder = Path(tempfile.mkdtemp(prefix="cbops"))
    folder.chmod(0o755)
    if user is not None and os.geteuid() == 0:
        shutil.chown(folder, user, user)
    return folder
