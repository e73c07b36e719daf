"""A real PostgreSQL for one test session: embedded by default, `TEST_DATABASE_URL` when set.

Either way the suite works in a database of its own, created fresh and dropped at the end, so
runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import async_database_url


@contextmanager
def postgres_server() -> Iterator[str]:
    """A URL of a server we may create databases on (a maintenance database)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pgserver

    with tempfile.TemporaryDirectory(prefix="cbpg") as data:
        server: Any = pgserver.get_server(data, cleanup_mode="stop")
        try:
            yield str(server.get_uri())
        finally:
            server.cleanup()


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(async_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def scratch_database(server_url: str, prefix: str = "callbatch_test") -> Iterator[str]:
    """A new empty database on the server, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(server_url, name)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
