"""Contact search under row-level security (migration 0007): the leakproof `@~~` operator
answers exactly as `LIKE`, and where pg_trgm exists the planner may use its trigram index even
though the app role's policies apply (with plain `LIKE` it never could).

Run against a server with pg_trgm with `TEST_DATABASE_URL=postgresql://…` to exercise the plan
test; on the embedded server (no pg_trgm) it is skipped, and the rest still runs."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db import contacts as contact_queries
from db.engine import async_database_url
from db.tenancy import RequestDatabase
from migrations import alembic_config
from tests.database import scratch_database
from tests.factories import Factory

LEAKPROOF_INDEX = "ix_campaign_contacts_search_leakproof_trgm"

DOCUMENTS = ["emily davis", "a%b_c", "back\\slash", "ünïcode straße", "", "EMILY"]
PATTERNS = ["%emily%", "%a\\%b%", "%\\_c%", "%k\\\\s%", "%straße%", "%%", "e%", "%EMILY%", "_"]


async def _pg_trgm(connection: AsyncConnection) -> bool:
    query = text("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_trgm')")
    return bool((await connection.execute(query)).scalar_one())


async def test_the_search_function_is_leakproof_where_an_index_serves_it_else_inlined(
    connection: AsyncConnection,
) -> None:
    query = text(
        "SELECT proleakproof, l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
        "WHERE proname = 'contact_search_like'"
    )
    leakproof, language = (await connection.execute(query)).one()
    if await _pg_trgm(connection):
        assert (leakproof, language) == (True, "plpgsql")
        return
    assert (leakproof, language) == (False, "sql")
    plan = await connection.execute(
        text("EXPLAIN SELECT id FROM campaign_contacts WHERE search_text @~~ '%a%'")
    )
    filters = " ".join(row[0] for row in plan)
    assert "~~" in filters and "@~~" not in filters, "inlined into LIKE"


async def test_the_search_operator_answers_exactly_as_like(connection: AsyncConnection) -> None:
    query = text(
        "SELECT d, p, d LIKE p AS by_like, d @~~ p AS by_operator "
        "FROM unnest(CAST(:documents AS text[])) d, unnest(CAST(:patterns AS text[])) p"
    )
    rows = (await connection.execute(query, {"documents": DOCUMENTS, "patterns": PATTERNS})).all()
    assert len(rows) == len(DOCUMENTS) * len(PATTERNS)
    assert [row for row in rows if row.by_like != row.by_operator] == []
    assert any(row.by_operator for row in rows) and not all(row.by_operator for row in rows)
    nulls = await connection.execute(text("SELECT NULL::text @~~ '%a%', 'a' @~~ NULL::text"))
    assert tuple(nulls.one()) == (None, None)


async def test_a_pattern_like_would_reject_is_false_instead_of_an_error(
    connection: AsyncConnection,
) -> None:
    """The one error `LIKE` can raise depends on both values (it is raised when the match reaches
    a trailing escape): a leakproof function must not raise it, or hidden rows would leak
    through it."""
    query = text("SELECT 'abc\\' @~~ 'abc\\', 'abc\\' @~~ 'abc\\\\', 'x' @~~ '\\\\\\'")
    assert tuple((await connection.execute(query)).one()) == (False, True, False)
    with pytest.raises(DBAPIError, match="escape character"):
        async with connection.begin_nested():
            await connection.execute(text("SELECT 'abc\\' LIKE 'abc\\'"))


@contextmanager
def recorded_statements(connection: AsyncConnection) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    target = connection.sync_connection
    assert target is not None
    event.listen(target, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", record)


async def _plan(session: AsyncSession, statement: str, parameters: Any) -> str:
    explained = await session.connection()
    result = await explained.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
    return json.dumps(result.scalar_one())


async def _many_contacts(factory: Factory, agency_id: uuid.UUID, batch_id: uuid.UUID) -> None:
    rows: list[dict[str, Any]] = [
        {"first_name": f"Person{n:05d}", "last_name": "Common", "company": "Acme"}
        for n in range(3000)
    ]
    rows[1234]["company"] = "Zyxwvut Holdings"
    await factory.contacts(batch_id, agency_id, rows)


async def test_a_search_under_row_level_security_can_use_the_trigram_index(
    connection: AsyncConnection, sessions: async_sessionmaker[Any], factory: Factory
) -> None:
    if not await _pg_trgm(connection):
        pytest.skip(
            "pg_trgm is not installed on this server (the embedded PostgreSQL has no contrib "
            "extensions), so migration 0007 builds no trigram index; run this file with "
            "TEST_DATABASE_URL pointing at a server with pg_trgm"
        )
    agency_id = await factory.agency(name="Searching agency")
    batch_id = await factory.batch(agency_id, name="Big batch")
    await _many_contacts(factory, agency_id, batch_id)
    await connection.execute(text("ANALYZE campaign_contacts"))
    await connection.execute(text(f"SELECT gin_clean_pending_list('{LEAKPROOF_INDEX}')"))

    search = contact_queries.ContactFilter(search="zyxwvut")
    db = RequestDatabase(sessions, agency_id=agency_id)
    try:
        async with db.session() as session:
            with recorded_statements(connection) as statements:
                rows = await contact_queries.list_contacts(
                    session, agency_id, batch_id, search, limit=50
                )
                count = await contact_queries.count_contacts(session, agency_id, batch_id, search)
            assert [row.contact.company for row in rows] == ["Zyxwvut Holdings"]
            assert count == 1
            assert (await session.execute(text("SELECT current_user"))).scalar_one() == (
                "callbatch_app"
            )
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            searches = [(sql, p) for sql, p in statements if "@~~" in sql]
            assert len(searches) == 2
            for statement, parameters in searches:
                plan = await _plan(session, statement, parameters)
                assert LEAKPROOF_INDEX in plan, plan
                as_like = statement.replace("@~~", "LIKE")
                assert LEAKPROOF_INDEX not in await _plan(session, as_like, parameters)
    finally:
        await db.close()


async def _search_objects(url: str) -> tuple[set[str], bool]:
    """The contacts' trigram indexes present, and whether `contact_search_like` exists."""
    engine = create_async_engine(async_database_url(url))
    try:
        async with engine.connect() as connection:
            names = await connection.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'campaign_contacts' "
                    "AND indexname LIKE '%search%trgm'"
                )
            )
            function = await connection.execute(
                text("SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'contact_search_like')")
            )
            return set(names.scalars()), bool(function.scalar_one())
    finally:
        await engine.dispose()


def test_0007_downgrades_to_the_like_index_and_upgrades_again(server_url: str) -> None:
    """On a fresh database (Alembic's commands run their own event loop: a synchronous test)."""
    with scratch_database(server_url, prefix="callbatch_search") as url:
        config = alembic_config(url)
        command.upgrade(config, "head")
        trgm = asyncio.run(_has_pg_trgm(url))
        at_head = ({LEAKPROOF_INDEX} if trgm else set(), True)
        assert asyncio.run(_search_objects(url)) == at_head
        command.downgrade(config, "0006")
        assert asyncio.run(_search_objects(url)) == (
            {"ix_campaign_contacts_search_trgm"} if trgm else set(),
            False,
        )
        command.upgrade(config, "head")
        assert asyncio.run(_search_objects(url)) == at_head


async def _has_pg_trgm(url: str) -> bool:
    engine = create_async_engine(async_database_url(url))
    try:
        async with engine.connect() as connection:
            return await _pg_trgm(connection)
    finally:
        await engine.dispose()
