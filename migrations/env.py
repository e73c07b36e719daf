"""Alembic environment: async engine on asyncpg, URL from the service's settings.

A caller may hand in a URL (`config.attributes["url"]`) or an open synchronous connection
(`config.attributes["connection"]`, as the tests do through `AsyncConnection.run_sync`).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from core.settings import DatabaseSettings
from db.engine import async_database_url
from db.models import Base
from migrations.optional_indexes import include_object

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_server_default=False,
        include_object=include_object,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_url(url: str) -> None:
    engine = create_async_engine(async_database_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = config.attributes.get("url") or DatabaseSettings().database_url
    if not url:
        raise SystemExit("DATABASE_URL is not set: tell alembic which PostgreSQL to migrate")
    asyncio.run(_run_with_url(url))


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: they contain DO blocks")
run_migrations_online()
