"""Transactions that run as the application role, scoped to one agency (or one user).

Every request's SQL runs inside such a transaction: `SET LOCAL ROLE callbatch_app` drops the
connecting role's superuser/owner powers so the row-level security policies apply, and
`app.agency_id` / `app.user_id` are what those policies compare against. Both are transaction-local,
so nothing survives on a pooled connection.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from db.compiled.in_scope import InScopeStatement
from db.driver_transaction import (
    READ_IN_SCOPE,
    DriverTransaction,
    ReadInScope,
    begin_on_driver,
    fetch_row,
    fetch_row_in_session,
    read_in_scope,
    roll_back_on_driver,
    run_in_transaction,
    session_on,
)
from db.faults import classify

APP_ROLE = "callbatch_app"

UserLookup = Callable[[AsyncSession, uuid.UUID], Awaitable[Any]]
"""Reads a user's row (with `agency_id`) and scopes the transaction to its agency."""

PARALLEL_WORKERS_PER_STATEMENT = 0
"""PostgreSQL's `max_parallel_workers_per_gather` in a request's transaction. By default a scan
of a big batch (a search of 200,000 contacts) runs on three processes at once, taking every core
of a small server from all other agencies for its duration, for little gain when the cores are
busy anyway (measured on 2 cores: 227 ms with two workers, 230 ms with none). One statement, one
core: the fair share of an agency (`web/fair_share.py`) then bounds what it takes."""


def scope_settings(
    agency_id: uuid.UUID | None, user_id: uuid.UUID | None, statement_timeout_ms: int
) -> list[tuple[str, str]]:
    """What a scoped transaction sets, each with `set_config(name, value, true)`."""
    return [
        ("role", APP_ROLE),
        ("app.agency_id", str(agency_id) if agency_id else ""),
        ("app.user_id", str(user_id) if user_id else ""),
        ("statement_timeout", str(int(statement_timeout_ms))),
        ("max_parallel_workers_per_gather", str(PARALLEL_WORKERS_PER_STATEMENT)),
    ]


_SCOPE_SIZE = len(scope_settings(None, None, 0))

_ENTER_SCOPE = text(
    "SELECT " + ", ".join(f"set_config(:name_{i}, :value_{i}, true)" for i in range(_SCOPE_SIZE))
)


def _scope_parameters(settings: list[tuple[str, str]]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for index, (name, value) in enumerate(settings):
        parameters[f"name_{index}"], parameters[f"value_{index}"] = name, value
    return parameters


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _scope_text(settings: list[tuple[str, str]]) -> str:
    """The scope as SQL text with its values written in, to travel with `BEGIN` in one simple
    query. The values are UUIDs, an integer and constants formatted here, never a client's text;
    quoted all the same."""
    calls = ", ".join(f"set_config({_quoted(n)}, {_quoted(v)}, true)" for n, v in settings)
    return f"SELECT {calls}"


async def enter_scope(
    session: AsyncSession,
    *,
    agency_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    statement_timeout_ms: int = 10_000,
) -> None:
    """Switch the session's current transaction to the app role and the given tenant."""
    settings = scope_settings(agency_id, user_id, statement_timeout_ms)
    await session.execute(_ENTER_SCOPE, _scope_parameters(settings))


def read_scope(
    agency_id: uuid.UUID | None, user_id: uuid.UUID | None, statement_timeout_ms: int
) -> tuple[Any, ...]:
    """`ReadInScope.scope`: the user, the agency, and the names and values of what a scoped
    transaction sets (`scope_settings`)."""
    settings = scope_settings(agency_id, user_id, statement_timeout_ms)
    return (
        user_id,
        agency_id,
        [name for name, _ in settings],
        [value for _, value in settings],
    )


class RequestDatabase:
    """The database as one request sees it: one connection, one transaction, one agency.

    Strawberry resolves sibling fields concurrently, and an `AsyncSession` must never serve two
    tasks at once. Rather than a session per resolver (more connections, and each part of a
    response seeing a different snapshot), every resolver borrows this one session through
    `session()`, and the compiled reads send their statements through `fetch_row()`; a lock
    serialises them. The transaction opens on first use and is rolled back by `close()`:
    requests only read. The session is made on first `session()`: a request answered by the
    compiled reads alone never has one.

    A request built without an agency signs in first (`sign_in`): the bearer's user is looked
    up in the same transaction, which then serves the request, so signing in costs no
    transaction, connection checkout or scope statement of its own.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        *,
        agency_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        statement_timeout_ms: int = 10_000,
        confirm_member: bool = False,
        one_statement_reads: bool = False,
    ) -> None:
        self._agency_id = agency_id
        self._confirm_member = confirm_member and agency_id is not None and user_id is not None
        self._one_statement_reads = one_statement_reads and self._confirm_member
        self._sessions = sessions
        self._user_id = user_id
        self._statement_timeout_ms = statement_timeout_ms
        self._lock = asyncio.Lock()
        self._session: AsyncSession | None = None
        self._transaction: DriverTransaction | None = None
        bind = sessions.kw.get("bind")
        self._engine = bind if isinstance(bind, AsyncEngine) else None
        """Sessions of an engine: the request's transaction is begun on the driver with its
        scope (`db/driver_transaction.py`); sessions bound to a caller's connection (the tests'
        recipe) run it as the session's own (a savepoint there)."""

    @property
    def agency_id(self) -> uuid.UUID:
        if self._agency_id is None:
            raise RuntimeError("no agency in scope: the request has not signed in")
        return self._agency_id

    async def sign_in(self, user_id: uuid.UUID, lookup: UserLookup) -> Any:
        """Open the request's transaction as `user_id` alone and look the user up with `lookup`.

        Until then no agency is in scope, so row-level security shows `lookup` only that
        user's own row. `lookup` must also scope the transaction to the user's agency (set
        `app.agency_id`, as `db.users.get_user` does in the same statement); the agency of the
        row it returns is then the request's `agency_id`. Returns that row, or None.
        """
        if self._is_open() or self._agency_id is not None:
            raise RuntimeError("sign_in must be the request's first use of the database")
        self._user_id = user_id
        async with self.session() as session:
            user = await lookup(session, user_id)
        if user is not None:
            self._agency_id = user.agency_id
        return user

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._lock:
            await self._open_once()
            if self._session is None:
                assert self._transaction is not None
                self._session = await session_on(self._sessions, self._transaction)
            yield self._session

    async def fetch_row(
        self, sql: str, arguments: tuple[Any, ...], in_scope: InScopeStatement | None = None
    ) -> Any:
        """One row of a statement sent on the driver in the request's transaction
        (`db.driver_transaction.fetch_row`). Before the transaction is opened, a database
        built with `confirm_member` and `one_statement_reads` sends a statement that has an
        `in_scope` form as one `read_in_scope()` statement instead (migration 0010): the
        membership check, the scope and the read in one round trip, no transaction to open or
        end; `NotAMember` as when the transaction opens. Its row is then `(json, rows_read)`,
        or None."""
        async with self._lock:
            if in_scope is not None and self._one_statement_reads and not self._is_open():
                text_arguments = in_scope.text_arguments(arguments)
                if text_arguments is not None:
                    return await self._read_in_scope(in_scope, text_arguments)
            await self._open_once()
            if self._transaction is None:
                assert self._session is not None
                return await fetch_row_in_session(self._session, sql, arguments)
            connection, driver = self._transaction.connection, self._transaction.driver
            return await fetch_row(connection, driver, sql, arguments)

    async def _read_in_scope(
        self, statement: InScopeStatement, arguments: list[str | None]
    ) -> tuple[str, int] | None:
        call = ReadInScope(
            scope=read_scope(self._agency_id, self._user_id, self._statement_timeout_ms),
            statement_name=statement.name,
            statement=statement.sql,
            arguments=arguments,
        )
        read = partial(read_in_scope, self._engine) if self._engine else self._read_in_session
        row = await read(call, self._statement_timeout_ms / 1000)
        if not row["member"]:
            raise NotAMember("the user is not, or no longer, of the agency in scope")
        if row["body"] is None:
            return None
        return row["body"], row["rows_read"]

    async def _read_in_session(self, call: ReadInScope, timeout_seconds: float) -> Any:
        """`read_in_scope()` in a session of the caller's transaction (the tests' recipe), its
        text always sent: the session's savepoint ends what it set, as the statement's own
        transaction does."""
        session: AsyncSession = self._sessions()
        try:
            return await fetch_row_in_session(
                session, READ_IN_SCOPE, call.parameters(with_text=True), timeout_seconds
            )
        finally:
            await session.close()

    def _is_open(self) -> bool:
        return self._transaction is not None or self._session is not None

    async def _open_once(self) -> None:
        """Open the scoped transaction unless it is open (its first statement has run).

        The engine does not ping connections on checkout (db/engine.py), so the first statement
        is where a connection the server dropped (restart, failover) is found out. SQLAlchemy
        then invalidates it and the pool's other connections from before the failure; as
        nothing has been read yet, this retries once on a fresh connection, so a database
        restart costs a reconnect instead of a failed request."""
        if self._is_open():
            return
        try:
            await self._open()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            await self._open()

    async def _open(self) -> None:
        """Open the scoped transaction. With `confirm_member`, a user no longer of the agency
        ends it again and raises `NotAMember`."""
        settings = scope_settings(self._agency_id, self._user_id, self._statement_timeout_ms)
        script = _scope_text(settings)
        if self._confirm_member:
            script += _only_for_a_member(self._user_id, self._agency_id)
        if self._engine is not None:
            self._transaction, status = await begin_on_driver(self._engine, script)
        else:
            session: AsyncSession = self._sessions()
            try:
                status = await run_in_transaction(session, script)
            except BaseException:
                await session.close()
                raise
            self._session = session
        if self._confirm_member and status != "SELECT 1":
            await self._end()
            raise NotAMember("the user is not, or no longer, of the agency in scope")

    async def confirm_member(self) -> None:
        """Open the request's transaction now, scoped to the agency given at construction with
        `confirm_member=True`, confirming in the same round trip that the user belongs to it
        (the database as it is now, not as it was when that agency was learnt); `NotAMember`
        otherwise, the transaction then closed."""
        async with self._lock:
            await self._open_once()

    async def close(self) -> None:
        async with self._lock:
            await self._end()

    async def _end(self) -> None:
        """Roll back and release the transaction, when one is open (the lock held)."""
        session, self._session = self._session, None
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            try:
                if session is not None:
                    await session.close()
            finally:
                await roll_back_on_driver(transaction)
        elif session is not None:
            await end_read_only(session)


class NotAMember(Exception):
    """The user does not belong to the agency a request was scoped to (moved, removed)."""


def _only_for_a_member(user_id: uuid.UUID | None, agency_id: uuid.UUID | None) -> str:
    """A FROM clause for the scope's `SELECT set_config(…)`: the scope is set, and the status is
    `SELECT 1`, only when the user exists and belongs to the agency (UUIDs formatted here); else
    `SELECT 0` and nothing is set. One statement where a separate check under the scope took two
    (a quarter less of PostgreSQL's work and time for the opening round trip, measured). It is
    planned before the role switches, so it reads `users` as the connecting role: the same row
    row-level security would show, the user's own, since it asks for the user's id."""
    return (
        f" FROM users WHERE id = {_quoted(str(user_id))} AND agency_id = {_quoted(str(agency_id))}"
    )


@asynccontextmanager
async def user_scope(
    sessions: async_sessionmaker[Any], user_id: uuid.UUID, statement_timeout_ms: int = 10_000
) -> AsyncIterator[AsyncSession]:
    """A short read-only transaction that may see only the given user's row (for sign-in)."""
    session = sessions()
    try:
        await session.begin()
        await enter_scope(session, user_id=user_id, statement_timeout_ms=statement_timeout_ms)
        yield session
    finally:
        await end_read_only(session)


async def end_read_only(session: AsyncSession) -> None:
    """Roll back and release a read-only session.

    When the server died under the session (restart, failover) the rollback cannot reach it; the
    pool has already discarded that connection and nothing was written, so that is not an error.
    """
    try:
        await session.rollback()
    except Exception as error:
        if classify(error) is None:
            raise
    finally:
        await session.close()


class AgencyWriter:
    """Write transactions for one agency and user, on the primary: each `transaction()` is
    scoped like a request's (app role, agency, user) and committed when its block succeeds."""

    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        *,
        agency_id: uuid.UUID,
        user_id: uuid.UUID,
        statement_timeout_ms: int = 10_000,
    ) -> None:
        self._sessions = sessions
        self.agency_id = agency_id
        self.user_id = user_id
        self._statement_timeout_ms = statement_timeout_ms

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            await enter_scope(
                session,
                agency_id=self.agency_id,
                user_id=self.user_id,
                statement_timeout_ms=self._statement_timeout_ms,
            )
            yield session
