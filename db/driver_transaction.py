"""A request's read transaction begun and ended on the driver itself: `BEGIN` and the scope
travel as one simple query (one round trip where SQLAlchemy's lazy `BEGIN` and the scope
statement take two), and `ROLLBACK` ends it.

The connection is checked out of the engine's pool as a plain `AsyncConnection`, with no
`AsyncSession` around it: a compiled read needs none, and the session's checkout and release
were about a third of such a request's CPU. A session is made on the connection only when a
resolver asks for one (`session_on`); it is told the connection is in autocommit, so it sends
no `BEGIN` of its own and its statements run inside this transaction. Used when a request's
sessions come from an engine (the app); inside a caller's transaction (the tests' savepoint
recipe) the session's own transaction is used instead (`db.tenancy.RequestDatabase`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from db.faults import classify_driver_error

logger = logging.getLogger("callbatch.db")


@dataclass
class DriverTransaction:
    """A checked-out connection inside the transaction `begin_on_driver` opened, and its
    asyncpg connection (read once at checkout: asking SQLAlchemy for it costs a greenlet)."""

    connection: AsyncConnection
    driver: Any


async def _driver(connection: AsyncConnection) -> Any:
    return (await connection.get_raw_connection()).driver_connection


async def _check_out(engine: AsyncEngine) -> tuple[AsyncConnection, Any]:
    """A connection of the engine's pool and its asyncpg connection."""
    connection = await engine.connect()
    # Just checked out, so the pooled connection is at hand (no greenlet to ask for it).
    assert connection.sync_connection is not None
    return connection, connection.sync_connection.connection.driver_connection


def _refuse_inside_transaction(driver: Any) -> None:
    if driver.is_in_transaction():
        raise ConnectionError("a pooled connection was handed out inside a transaction")


async def begin_on_driver(engine: AsyncEngine, scope_sql: str) -> tuple[DriverTransaction, str]:
    """Check out a connection and open its scoped transaction in one round trip.

    A connection the server dropped fails here, on the request's first use. As SQLAlchemy does
    when it finds a disconnect itself, the pool's other connections are taken as dropped too (a
    restart, a failover ends them all): the pool is replaced, this connection invalidated, and
    the failure raised as SQLAlchemy's invalidated-connection error, which the caller retries
    once on a fresh connection. Returns the transaction and the status of the script's last
    statement (`SELECT 1`: it found one row)."""
    connection, driver = await _check_out(engine)
    try:
        _refuse_inside_transaction(driver)
        status: str = await driver.execute(f"BEGIN; {scope_sql}")
    except BaseException as error:
        # Cancelled or failed mid-way, the connection may be inside the transaction: never pooled.
        await connection.invalidate()
        await connection.close()
        if not isinstance(error, Exception) or classify_driver_error(error) is None:
            raise
        await engine.dispose(close=False)
        raise DBAPIError("BEGIN", None, error, connection_invalidated=True) from error
    return DriverTransaction(connection, driver), status


async def session_on(
    sessions: async_sessionmaker[Any], transaction: DriverTransaction
) -> AsyncSession:
    """A session whose statements run in `transaction` (SQLAlchemy sends no `BEGIN`)."""
    await transaction.connection.execution_options(isolation_level="AUTOCOMMIT")
    session: AsyncSession = sessions(bind=transaction.connection)
    return session


async def run_in_transaction(session: AsyncSession, sql: str) -> str:
    """Run `sql` (one or more statements, as one simple query) in the session's transaction,
    already open (a caller's transaction, where the session holds a savepoint); its last
    statement's status."""
    status: str = await (await _driver(await session.connection())).execute(sql)
    return status


async def roll_back_on_driver(transaction: DriverTransaction) -> None:
    """End the transaction `begin_on_driver` opened and release its connection (also after a
    failed statement, when a session on it refuses to run more).

    A connection whose `ROLLBACK` fails (the server died under it, or a statement was cut off
    mid-way by a cancelled request) is discarded, never pooled inside a transaction. Nothing was
    written, so the request's answer stands: that is logged, not raised."""
    connection = transaction.connection
    try:
        if connection.invalidated or connection.closed:
            return
        try:
            await transaction.driver.execute("ROLLBACK")
        except BaseException as error:
            await connection.invalidate()
            if not isinstance(error, Exception):
                raise
            if classify_driver_error(error) is None:
                logger.warning("ROLLBACK failed; the connection is discarded", exc_info=True)
    finally:
        await connection.close()


async def fetch_row_in_session(
    session: AsyncSession,
    sql: str,
    arguments: tuple[Any, ...],
    timeout_seconds: float | None = None,
) -> Any:
    """`fetch_row` on the session's connection, in its transaction."""
    connection = await session.connection()
    driver = await _driver(connection)
    return await fetch_row(connection, driver, sql, arguments, timeout_seconds)


async def fetch_row(
    connection: AsyncConnection,
    driver: Any,
    sql: str,
    arguments: tuple[Any, ...],
    timeout_seconds: float | None = None,
) -> Any:
    """One row of a statement sent on `driver` (`connection`'s asyncpg connection, with its own
    prepared-statement cache), in the connection's open transaction, without SQLAlchemy's
    execution machinery (two thirds of a compiled read's CPU). The engine's statement listeners
    hear of it as of any statement (`before_cursor_execute`, which may rewrite it, and
    `after_cursor_execute`): its timing, the metrics and the tests' statement counts see it."""
    sync = connection.sync_connection
    assert sync is not None
    listeners = _statement_listeners(sync)
    for before in listeners.before_cursor_execute:
        sql, arguments = before(sync, None, sql, arguments, None, False)
    row = await driver.fetchrow(sql, *arguments, timeout=timeout_seconds)
    for after in listeners.after_cursor_execute:
        after(sync, None, sql, arguments, None, False)
    return row


def _statement_listeners(sync: Connection) -> Any:
    """Where the statement listeners of `sync` are: its engine's, unless listeners were added
    to the connection itself. A connection's own dispatch joins the engine's afresh for each
    connection, and reading a listener list through it builds that list on every checkout (a
    tenth of a compiled read's CPU before)."""
    return sync.dispatch if sync._has_events else sync.engine.dispatch


READ_IN_SCOPE = (
    "SELECT member, body, rows_read, prepared FROM read_in_scope($1, $2, $3, $4, $5, $6, $7)"
)

STATEMENTS_PER_CONNECTION = 128
"""How many reads `read_in_scope()` may prepare in one session: a connection that has prepared
more is closed after its read (the pool opens a fresh one), so a server process never keeps an
unbounded number of plans."""

_PREPARED = "callbatch_reads_prepared"
"""The names of the reads prepared in a connection's session, in the pool's record of that
connection (`connection.info`, cleared when the connection is replaced)."""

_SESSION_VARIES = "callbatch_session_varies"
"""Set on a connection whose session once lacked a read it had prepared: its reads are sent
with their text from then on."""


@dataclass(frozen=True)
class ReadInScope:
    """The arguments of one `read_in_scope()` call."""

    scope: tuple[Any, ...]
    """The user, the agency, and the names and values of the scope's settings."""
    statement_name: str
    statement: str
    arguments: list[str | None]

    def parameters(self, with_text: bool) -> tuple[Any, ...]:
        """`READ_IN_SCOPE`'s parameters, the statement's text NULL unless `with_text`."""
        text = self.statement if with_text else None
        return (*self.scope, self.statement_name, text, self.arguments)


async def read_in_scope(engine: AsyncEngine, read: ReadInScope, timeout_seconds: float) -> Any:
    """The row of `read_in_scope()` (migrations 0010, 0011) on a connection checked out for
    this one statement, in no transaction of ours (the statement's own ends with it).

    The statement's text is sent only to a connection that has not prepared it. A session that
    lost it anyway refuses the call (26000), and it is sent again with the text on the same
    connection, which sends the text with every read from then on: behind PgBouncer in
    transaction pooling mode each read may reach another server session, so this costs one
    refused call per connection there, and nothing elsewhere. The function has no
    `statement_timeout` of its own (a setting made inside a statement does not bound it): the
    driver cancels it after `timeout_seconds`. A connection whose statement failed otherwise or
    was cut off is discarded, never pooled in an unknown state."""
    connection, driver = await _check_out(engine)
    try:
        _refuse_inside_transaction(driver)
        info = connection.info
        prepared: set[str] = info.setdefault(_PREPARED, set())
        known = read.statement_name in prepared and not info.get(_SESSION_VARIES, False)
        try:
            row = await fetch_row(
                connection, driver, READ_IN_SCOPE, read.parameters(not known), timeout_seconds
            )
        except asyncpg.InvalidSQLStatementNameError:
            if not known:
                raise
            info[_SESSION_VARIES] = True
            row = await fetch_row(
                connection, driver, READ_IN_SCOPE, read.parameters(True), timeout_seconds
            )
        if row["member"]:
            prepared.add(read.statement_name)
            if len(prepared) > STATEMENTS_PER_CONNECTION:
                await connection.invalidate()
    except BaseException:
        await connection.invalidate()
        raise
    finally:
        await connection.close()
    return row
