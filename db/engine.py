"""Building the async engine (never at import time: the app's lifespan calls this)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from db.settings import Settings

APPLICATION_NAME = "callbatch-graphql"


def async_database_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql")
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"only PostgreSQL URLs are supported, got {parsed.drivername!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(settings: Settings, url: str | None = None, **overrides: Any) -> AsyncEngine:
    target = url or settings.database_url
    if not target:
        raise ValueError("no database URL to connect to")
    connect_args: dict[str, Any] = {
        "timeout": settings.db_connect_timeout_seconds,
        "server_settings": {"application_name": APPLICATION_NAME},
    }
    if not settings.db_statement_cache:
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
        "pool_pre_ping": True,
        "connect_args": connect_args,
    }
    options.update(overrides)
    return create_async_engine(async_database_url(target), **options)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
