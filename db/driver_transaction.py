"""A request's read transaction begun and ended on the driver itself: `BEGIN` and the scope
travel as one simple query (one round trip where SQLAlchemy's lazy `BEGIN` and the scope
statement take two), and `ROLLBACK` ends it.

SQLAlchemy is told the connection is in autocommit, so it sends no `BEGIN` of its own; the
statements of the session then run inside this transaction. Used when a request's sessions come
from an engine (the app); inside a caller's transaction (the tests' savepoint recipe) the
session's own transaction is used instead (`db.tenancy.RequestDatabase`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.faults import classify_driver_error

logger = logging.getLogger("callbatch.db")

AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


async def _driver(connection: AsyncConnection) -> Any:
    return (await connection.get_raw_connection()).driver_connection


async def begin_on_driver(session: AsyncSession, scope_sql: str) -> tuple[AsyncConnection, str]:
    """Check out the session's connection and open its scoped transaction in one round trip.

    A connection the server dropped fails here, on the request's first use. As SQLAlchemy does
    when it finds a disconnect itself, the pool's other connections are taken as dropped too (a
    restart, a failover ends them all): the pool is replaced, this connection invalidated, and
    the failure raised as SQLAlchemy's invalidated-connection error, which the caller retries
    once on a fresh connection. Returns the connection, for `roll_back_on_driver`, and the
    status of the script's last statement (`SELECT 1`: it found one row)."""
    connection = await session.connection(execution_options=AUTOCOMMIT)
    driver = await _driver(connection)
    try:
        if driver.is_in_transaction():
            raise ConnectionError("a pooled connection was handed out inside a transaction")
        status: str = await driver.execute(f"BEGIN; {scope_sql}")
    except BaseException as error:
        # Cancelled or failed mid-way, the connection may be inside the transaction: never pooled.
        await connection.invalidate()
        if not isinstance(error, Exception) or classify_driver_error(error) is None:
            raise
        await connection.engine.dispose(close=False)
        raise DBAPIError("BEGIN", None, error, connection_invalidated=True) from error
    return connection, status


async def run_in_transaction(session: AsyncSession, sql: str) -> str:
    """Run `sql` (one or more statements, as one simple query) in the session's transaction,
    already open (a caller's transaction, where the session holds a savepoint); its last
    statement's status."""
    connection = await session.connection()
    status: str = await (await _driver(connection)).execute(sql)
    return status


async def roll_back_on_driver(session: AsyncSession, connection: AsyncConnection) -> None:
    """End the transaction `begin_on_driver` opened on `connection` and release it (also after
    a failed statement, when the session itself refuses to run more).

    A connection whose `ROLLBACK` fails (the server died under it, or a statement was cut off
    mid-way by a cancelled request) is discarded, never pooled inside a transaction. Nothing was
    written, so the request's answer stands: that is logged, not raised."""
    try:
        if connection.invalidated or connection.closed:
            return
        try:
            await (await _driver(connection)).execute("ROLLBACK")
        except BaseException as error:
            await connection.invalidate()
            if not isinstance(error, Exception):
                raise
            if classify_driver_error(error) is None:
                logger.warning("ROLLBACK failed; the connection is discarded", exc_info=True)
    finally:
        await session.close()


async def fetch_row(connection: AsyncConnection, sql: str, arguments: tuple[Any, ...]) -> Any:
    """One row of a statement sent on the driver (asyncpg's own prepared-statement cache), in
    the connection's open transaction, without SQLAlchemy's execution machinery (two thirds
    of a compiled read's CPU). The engine's statement listeners hear of it as of any statement
    (`before_cursor_execute`, which may rewrite it, and `after_cursor_execute`): its timing, the
    metrics and the tests' statement counts see it."""
    sync = connection.sync_connection
    assert sync is not None
    for before in sync.dispatch.before_cursor_execute:
        sql, arguments = before(sync, None, sql, arguments, None, False)
    row = await (await _driver(connection)).fetchrow(sql, *arguments)
    for after in sync.dispatch.after_cursor_execute:
        after(sync, None, sql, arguments, None, False)
    return row
