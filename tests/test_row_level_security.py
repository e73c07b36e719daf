"""The second tenancy layer: PostgreSQL row-level security, independent of the `agency_id` filter
every query function applies. The proof strips that filter out of the SQL the functions send and
shows the database still returns only the scoped agency's rows (while the same stripped SQL,
run without the app role, would return the other agency's rows too)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from sqlalchemy import event, text, true
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter
from sqlalchemy.sql.visitors import ExternallyTraversible

from core.pagination import Window
from db import batches as batch_queries
from db import contacts as contact_queries
from db.compiled.in_scope import InScopeStatement
from db.compiled.reads import prepare, read_json
from db.compiled.shapes import BatchPage, ContactPage, Nested, OneBatch, Shape, Value
from db.driver_transaction import fetch_row_in_session
from db.tenancy import APP_ROLE, RequestDatabase, scope_settings, user_scope
from tests.factories import Factory

TENANT_TABLES = (
    "campaigns",
    "agent_mappings",
    "call_batches",
    "campaign_contacts",
    "call_logs",
    "call_batch_counters",
    "batch_events",
    "agency_batch_counters",
    "v_call_batch_summary",
)


@dataclass
class Agency:
    agency_id: uuid.UUID
    user_id: uuid.UUID
    batch_id: uuid.UUID
    contact_ids: list[uuid.UUID]
    log_ids: list[uuid.UUID]


async def agency_with_rows(factory: Factory, name: str) -> Agency:
    agency_id = await factory.agency(name=name)
    user_id = await factory.user(agency_id)
    campaign_id = await factory.campaign(agency_id, name="Same campaign")
    await factory.agent(agency_id, name="Same agent")
    batch_id = await factory.batch(agency_id, name="Same batch", campaign_id=campaign_id)
    contact_ids = await factory.contacts(
        batch_id,
        agency_id,
        [
            {"first_name": "Same", "status": "completed"},
            {"first_name": "Other", "status": "pending"},
        ],
    )
    log_ids = [await factory.call_log(c, agency_id) for c in contact_ids]
    await factory.connection.execute(
        text(
            "INSERT INTO batch_events (batch_id, agency_id, user_id, action, from_status, "
            "to_status) VALUES (:batch, :agency, :user, 'pause', 'pending', 'paused')"
        ),
        {"batch": batch_id, "agency": agency_id, "user": user_id},
    )
    return Agency(agency_id, user_id, batch_id, contact_ids, log_ids)


@pytest.fixture
async def a(factory: Factory) -> Agency:
    return await agency_with_rows(factory, "Agency A")


@pytest.fixture
async def b(factory: Factory) -> Agency:
    return await agency_with_rows(factory, "Agency B")


@asynccontextmanager
async def scoped(
    sessions: async_sessionmaker[Any], agency_id: uuid.UUID | None
) -> AsyncIterator[AsyncSession]:
    """A session as a request of `agency_id` gets it: app role, agency set (None: no agency)."""
    db = RequestDatabase(sessions, agency_id=agency_id)
    try:
        async with db.session() as session:
            yield session
    finally:
        await db.close()


@asynccontextmanager
async def unscoped(sessions: async_sessionmaker[Any]) -> AsyncIterator[AsyncSession]:
    """The connecting (migrating) role without the app scope: RLS does not hold it back."""
    session = sessions()
    try:
        await session.begin()
        yield session
    finally:
        await session.rollback()
        await session.close()


def _without_agency_filter(element: Any, **kw: Any) -> Any:
    if (
        isinstance(element, BinaryExpression)
        and element.operator is operators.eq
        and any(
            getattr(side, "name", None) == "agency_id" for side in (element.left, element.right)
        )
        and any(isinstance(side, BindParameter) for side in (element.left, element.right))
    ):
        return true()
    return None


_DRIVER_AGENCY_FILTER = re.compile(r"[\w.]*agency_id = (?P<agency>\$\d+::UUID)")
"""`agency_id = $n` in driver SQL (what `_without_agency_filter` removes from expressions);
replaced by `$n IS NOT NULL`, true, which keeps the parameter's type known to the server."""


@contextmanager
def agency_filters_removed(connection: AsyncConnection) -> Iterator[list[str]]:
    """Every `agency_id = :value` condition is replaced by TRUE in the statements sent on
    `connection`: the app-level tenancy filter, forgotten everywhere at once."""
    rewritten: list[str] = []

    def strip_driver_sql(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> Any:
        """Statements compiled once and sent as SQL text (the compiled reads)."""
        stripped = _DRIVER_AGENCY_FILTER.sub(r"\g<agency> IS NOT NULL", statement)
        if stripped != statement:
            rewritten.append(stripped)
        return stripped, parameters

    def strip(conn: Any, statement: Any, multiparams: Any, params: Any, options: Any) -> Any:
        if isinstance(statement, ExternallyTraversible):
            before = str(statement)
            statement = visitors.replacement_traverse(statement, {}, _without_agency_filter)
            if str(statement) != before:
                rewritten.append(str(statement))
        return statement, multiparams, params

    sync = connection.sync_connection
    assert sync is not None
    event.listen(sync, "before_execute", strip, retval=True)
    event.listen(sync, "before_cursor_execute", strip_driver_sql, retval=True)
    try:
        yield rewritten
    finally:
        event.remove(sync, "before_execute", strip)
        event.remove(sync, "before_cursor_execute", strip_driver_sql)


QueryCall = Callable[[AsyncSession, Agency, Agency], Awaitable[set[Any]]]


async def listed_batches(session: AsyncSession, me: Agency, other: Agency) -> set[Any]:
    rows = await batch_queries.list_batches(
        session, me.agency_id, batch_queries.BatchFilter(), limit=100
    )
    return {row.id for row in rows}


async def counted_batches(session: AsyncSession, me: Agency, other: Agency) -> set[Any]:
    count = await batch_queries.count_batches(session, me.agency_id, batch_queries.BatchFilter())
    return set(range(count))


async def others_batch_by_id(session: AsyncSession, me: Agency, other: Agency) -> set[Any]:
    row = await batch_queries.get_batch(session, me.agency_id, other.batch_id)
    return {row.id} if row is not None else set()


async def others_contacts(session: AsyncSession, me: Agency, other: Agency) -> set[Any]:
    rows = await contact_queries.list_contacts(
        session, me.agency_id, other.batch_id, contact_queries.ContactFilter(), limit=100
    )
    return {row.contact.id for row in rows}


async def others_contacts_searched(session: AsyncSession, me: Agency, other: Agency) -> set[Any]:
    rows = await contact_queries.list_contacts(
        session,
        me.agency_id,
        other.batch_id,
        contact_queries.ContactFilter(search="same", call_status="completed"),
        limit=100,
    )
    return {row.contact.id for row in rows}


async def others_contacts_counted(session: AsyncSession, me: Agency, other: Agency) -> set[Any]:
    filters = (contact_queries.ContactFilter(), contact_queries.ContactFilter(search="same"))
    counts = [
        await contact_queries.count_contacts(session, me.agency_id, other.batch_id, f)
        for f in filters
    ]
    return set(range(sum(counts)))


async def others_call_logs(session: AsyncSession, me: Agency, other: Agency) -> set[Any]:
    logs = await contact_queries.call_logs_by_contact(session, me.agency_id, other.contact_ids)
    return {log.id for entries in logs.values() for log in entries}


async def _compiled_json(session: AsyncSession, read: Any) -> Any:
    async def in_transaction(sql: str, arguments: tuple[Any, ...], _in_scope: Any) -> Any:
        return await fetch_row_in_session(session, sql, arguments)

    found = await read_json(in_transaction, prepare(read))
    return None if found is None else found[0]


def _ids(value: Any) -> set[Any]:
    """Every `id` in a compiled read's JSON, as UUIDs."""
    if isinstance(value, list):
        return {found for item in value for found in _ids(item)}
    if isinstance(value, dict):
        own = {uuid.UUID(value["id"])} if "id" in value else set()
        return own | {found for item in value.values() for found in _ids(item)}
    return set()


_CONTACTS_WITH_LOGS: Shape = (
    ("id", Value("id")),
    ("callLogs", Nested("call_logs", (("id", Value("id")),))),
)


async def compiled_batch_page(session: AsyncSession, me: Agency, other: Agency) -> set[Any]:
    shape: Shape = (("nodes", Nested("nodes", (("id", Value("id")),))),)
    read = BatchPage(me.agency_id, batch_queries.BatchFilter(), Window(limit=100), shape)
    return _ids(await _compiled_json(session, read))


async def compiled_others_batch(session: AsyncSession, me: Agency, other: Agency) -> set[Any]:
    contacts = ContactPage(
        contact_queries.ContactFilter(),
        contact_queries.DEFAULT_SORT,
        Window(limit=100),
        (("nodes", Nested("nodes", _CONTACTS_WITH_LOGS)), ("totalCount", Value("total_count"))),
    )
    shape: Shape = (("id", Value("id")), ("contacts", contacts))
    return _ids(await _compiled_json(session, OneBatch(me.agency_id, other.batch_id, shape)))


QUERY_CALLS: dict[str, QueryCall] = {
    "list_batches": listed_batches,
    "count_batches": counted_batches,
    "get_batch of the other agency": others_batch_by_id,
    "list_contacts of the other agency's batch": others_contacts,
    "list_contacts with search and call status": others_contacts_searched,
    "count_contacts (counters and SQL count)": others_contacts_counted,
    "call_logs_by_contact of the other agency's contacts": others_call_logs,
    "compiled batches page": compiled_batch_page,
    "compiled batch of the other agency, with contacts and call logs": compiled_others_batch,
}


@pytest.mark.parametrize("name", list(QUERY_CALLS))
async def test_query_functions_without_their_agency_filter_still_see_only_their_agency(
    sessions: async_sessionmaker[Any],
    connection: AsyncConnection,
    a: Agency,
    b: Agency,
    name: str,
) -> None:
    call = QUERY_CALLS[name]
    b_rows = {b.batch_id, *b.contact_ids, *b.log_ids}

    with agency_filters_removed(connection) as rewritten:
        async with unscoped(sessions) as session:
            without_rls = await call(session, a, b)
        async with scoped(sessions, a.agency_id) as session:
            with_rls = await call(session, a, b)

    assert rewritten, "the agency filter was not in the SQL, so nothing was proven"
    assert all("agency_id = " not in statement for statement in rewritten)
    assert without_rls, "the stripped query must reach the other agency's rows without RLS"
    if name in ("list_batches", "compiled batches page"):
        assert b.batch_id in without_rls and with_rls == {a.batch_id}
    elif name == "count_batches":
        assert len(without_rls) == 2 and len(with_rls) == 1
    else:
        assert with_rls == set()
    assert not (with_rls & b_rows)


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_a_select_without_any_where_sees_only_the_scoped_agency(
    sessions: async_sessionmaker[Any], a: Agency, b: Agency, table: str
) -> None:
    async with scoped(sessions, a.agency_id) as session:
        agencies = set((await session.execute(text(f"SELECT agency_id FROM {table}"))).scalars())
    async with unscoped(sessions) as session:
        everyone = set((await session.execute(text(f"SELECT agency_id FROM {table}"))).scalars())

    assert agencies == {a.agency_id}
    assert {a.agency_id, b.agency_id} <= everyone


async def test_agencies_and_users_show_only_the_callers_own(
    sessions: async_sessionmaker[Any], a: Agency, b: Agency
) -> None:
    async with scoped(sessions, a.agency_id) as session:
        agencies = set((await session.execute(text("SELECT id FROM agencies"))).scalars())
        users = set((await session.execute(text("SELECT id FROM users"))).scalars())
    async with user_scope(sessions, b.user_id) as session:
        signing_in = set((await session.execute(text("SELECT id FROM users"))).scalars())

    assert agencies == {a.agency_id}
    assert users == {a.user_id}
    assert signing_in == {b.user_id}


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_without_an_agency_in_scope_nothing_is_visible(
    sessions: async_sessionmaker[Any], a: Agency, table: str
) -> None:
    async with scoped(sessions, None) as session:
        count = (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()

    assert count == 0


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO call_batches (id, agency_id, name) VALUES (gen_random_uuid(), :agency, 'x')",
        "UPDATE campaign_contacts SET status = 'completed' WHERE agency_id = :agency",
        "DELETE FROM call_logs WHERE agency_id = :agency",
    ],
    ids=["insert", "update", "delete"],
)
async def test_the_app_role_can_only_read(
    sessions: async_sessionmaker[Any], a: Agency, statement: str
) -> None:
    async with scoped(sessions, a.agency_id) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text(statement), {"agency": a.agency_id})


async def test_every_table_with_an_agency_has_forced_row_level_security(
    connection: AsyncConnection,
) -> None:
    """Also the tables added later: any table with an `agency_id` column (plus `agencies`)."""
    rows = (
        await connection.execute(
            text(
                """
                SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                  AND (c.relname = 'agencies' OR EXISTS (
                      SELECT FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attname = 'agency_id' AND NOT a.attisdropped))
                """
            )
        )
    ).all()

    assert {r.relname for r in rows} >= {"agencies", "users", *TENANT_TABLES[:-1]}
    assert [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity)] == []


async def test_views_run_with_the_callers_rights_and_the_app_role_cannot_bypass_rls(
    connection: AsyncConnection,
) -> None:
    views = (
        await connection.execute(
            text(
                "SELECT c.relname, c.reloptions FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'v'"
            )
        )
    ).all()
    role = (
        await connection.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"),
            {"role": APP_ROLE},
        )
    ).one()

    assert views
    assert [v.relname for v in views if "security_invoker=true" not in (v.reloptions or [])] == []
    assert (role.rolsuper, role.rolbypassrls) == (False, False)


_IN_SCOPE_AGENCY_FILTER = re.compile(r"[\w.]*agency_id = (?P<agency>\(\$1\[\d+\]\)::UUID)")


@pytest.mark.parametrize("name", ["compiled batches page", "compiled batch of the other agency"])
async def test_a_read_in_scope_without_its_agency_filter_still_sees_only_its_agency(
    sessions: async_sessionmaker[Any], connection: AsyncConnection, a: Agency, b: Agency, name: str
) -> None:
    """The one-statement form of a compiled read (`read_in_scope()`, migration 0010), its
    agency filter stripped from the statement it prepares and runs: the scope it sets still
    shows only the caller's agency, where the same stripped statement run without it shows the
    other agency's rows."""
    if name == "compiled batches page":
        shape: Shape = (("nodes", Nested("nodes", (("id", Value("id")),))),)
        read: Any = BatchPage(a.agency_id, batch_queries.BatchFilter(), Window(limit=100), shape)
    else:
        contacts = ContactPage(
            contact_queries.ContactFilter(),
            contact_queries.DEFAULT_SORT,
            Window(limit=100),
            (("nodes", Nested("nodes", _CONTACTS_WITH_LOGS)),),
        )
        read = OneBatch(a.agency_id, b.batch_id, (("id", Value("id")), ("contacts", contacts)))
    prepared = prepare(read)
    in_scope = prepared.statement.in_scope
    assert in_scope is not None
    stripped = _IN_SCOPE_AGENCY_FILTER.sub(r"\g<agency> IS NOT NULL", in_scope.sql)
    assert stripped != in_scope.sql and "agency_id = " not in stripped
    stripped_form = InScopeStatement(in_scope.name + "_stripped", stripped)
    arguments = stripped_form.text_arguments(prepared.arguments)
    settings = scope_settings(a.agency_id, a.user_id, 10_000)

    async with connection.begin_nested() as savepoint:
        found = (
            await connection.execute(
                text(
                    "SELECT member, body FROM read_in_scope(:user_id, :agency_id, :names, "
                    ":values, :statement_name, :statement, :arguments)"
                ),
                {
                    "user_id": a.user_id,
                    "agency_id": a.agency_id,
                    "names": [n for n, _ in settings],
                    "values": [v for _, v in settings],
                    "statement_name": stripped_form.name,
                    "statement": stripped_form.sql,
                    "arguments": arguments,
                },
            )
        ).one()
        await savepoint.rollback()
    unscoped_sql = _DRIVER_AGENCY_FILTER.sub(r"\g<agency> IS NOT NULL", prepared.statement.sql)
    async with unscoped(sessions) as session:
        without_rls = await fetch_row_in_session(session, unscoped_sql, prepared.arguments)

    assert found.member
    with_rls = _ids(None if found.body is None else orjson.loads(found.body))
    everyone = _ids(None if without_rls is None else orjson.loads(without_rls[0]))
    b_rows = {b.batch_id, *b.contact_ids, *b.log_ids}
    assert everyone & b_rows, "the stripped statement must reach the other agency's rows"
    if name == "compiled batches page":
        assert with_rls == {a.batch_id}
    else:
        assert with_rls == set()
