"""Building the async engine (never at import time: the app's lifespan calls this)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from core.settings import Settings

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
    # A client-side bound a little above the server's statement timeout, for when the server
    # cannot even answer with an error (network partition, frozen host).
    connect_args["command_timeout"] = settings.db_statement_timeout_ms / 1000 + 5
    if not settings.db_statement_cache:
        # Behind PgBouncer in transaction pooling mode consecutive transactions of one client may
        # run on different server connections: no statement cache, and unique statement names so
        # two clients sharing a server connection never collide (SQLAlchemy's asyncpg recipe).
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unique_statement_name
    options: dict[str, Any] = {
        "pool_size": settings.pool_limits[0],
        "max_overflow": settings.pool_limits[1],
        "pool_timeout": settings.db_pool_timeout_seconds,
        # No pre-ping: with asyncpg it is three round trips (BEGIN, `;`, ROLLBACK) on every
        # checkout, more than a whole read request needs otherwise. A connection the server
        # dropped fails on first use instead; SQLAlchemy then invalidates it and every pooled
        # connection older than the failure, and `RequestDatabase` retries a request's first
        # statement once on a fresh connection (db/tenancy.py).
        "pool_pre_ping": False,
        "connect_args": connect_args,
    }
    options.update(overrides)
    return create_async_engine(async_database_url(target), **options)


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4()}__"


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


StatementObserver = Callable[[str, float, BaseException | None], None]
"""Called after each statement with its SQL text, its duration in seconds and its error if any."""

_STARTED = "callbatch_statement_started"


class StatementWatch:
    """Times every statement of an engine for `observer`, until `stop()` removes the listeners."""

    def __init__(self, engine: AsyncEngine, observer: StatementObserver) -> None:
        self._target = engine.sync_engine
        self._observer = observer
        event.listen(self._target, "before_cursor_execute", self._before)
        event.listen(self._target, "after_cursor_execute", self._after)
        event.listen(self._target, "handle_error", self._error)

    def stop(self) -> None:
        event.remove(self._target, "before_cursor_execute", self._before)
        event.remove(self._target, "after_cursor_execute", self._after)
        event.remove(self._target, "handle_error", self._error)

    def _before(self, connection: Connection, *_: Any) -> None:
        connection.info.setdefault(_STARTED, []).append(time.perf_counter())

    def _after(self, connection: Connection, cursor: Any, statement: str, *_: Any) -> None:
        started: list[float] = connection.info.get(_STARTED) or []
        if started:
            self._observer(statement, time.perf_counter() - started.pop(), None)

    def _error(self, context: Any) -> None:
        if context.connection is None or context.statement is None:
            return
        try:
            started: list[float] = context.connection.info.get(_STARTED) or []
        except Exception:  # an invalidated connection has no info left to read
            return
        if started:
            elapsed = time.perf_counter() - started.pop()
            self._observer(context.statement, elapsed, context.original_exception)


async def database_answers(engine: AsyncEngine, within_seconds: float) -> bool:
    """Whether the engine's server answers `SELECT 1` on a fresh connection within the time.

    Deliberately outside the pool: a saturated pool says nothing about the database, and a
    readiness probe that failed on saturation would take every busy instance out of rotation.
    """
    import asyncpg

    args, options = engine.sync_engine.dialect.create_connect_args(engine.url)
    try:
        async with asyncio.timeout(within_seconds):
            connection = await asyncpg.connect(
                *args, **options, server_settings={"application_name": APPLICATION_NAME}
            )
            try:
                await connection.fetchval("SELECT 1")
            finally:
                await connection.close()
    except Exception:  # any failure means it does not answer
        return False
    return True
