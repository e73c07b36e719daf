from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from db.contacts import ContactSort, ContactSortField, order_keys
from db.engine import async_database_url
from db.keyset import order_by_clauses
from db.models import Base, CampaignContact
from migrations import alembic_config
from migrations.optional_indexes import include_object
from tests.database import scratch_database


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    with scratch_database(server_url, prefix="callbatch_migrations") as url:
        yield url


async def _table_names(url: str) -> set[str]:
    engine = create_async_engine(async_database_url(url))
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def _tables(url: str) -> set[str]:
    return asyncio.run(_table_names(url))


def test_upgrade_downgrade_upgrade_round_trips(empty_database: str) -> None:
    """Alembic's commands run their own event loop, so this test is synchronous."""
    config = alembic_config(empty_database)
    contract_tables = {
        "agencies", "users", "campaigns", "agent_mappings",
        "call_batches", "campaign_contacts", "call_logs",
    }  # fmt: skip

    command.upgrade(config, "head")
    assert contract_tables <= _tables(empty_database)

    command.downgrade(config, "base")
    assert _tables(empty_database) <= {"alembic_version"}

    command.upgrade(config, "head")
    assert contract_tables <= _tables(empty_database)


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_object": include_object}),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert differences == []


async def test_application_role_cannot_bypass_row_level_security(database_url: str) -> None:
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.connect() as connection:
            role = (
                await connection.execute(
                    text(
                        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'callbatch_app'"
                    )
                )
            ).one()
            forced = (
                await connection.execute(
                    text(
                        "SELECT bool_and(relrowsecurity AND relforcerowsecurity) FROM pg_class "
                        "WHERE relname IN ('agencies', 'users', 'campaigns', 'agent_mappings', "
                        "'call_batches', 'campaign_contacts', 'call_logs')"
                    )
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    assert tuple(role) == (False, False)
    assert forced is True


async def test_every_contact_sort_order_is_read_from_an_index_without_sorting(
    connection: AsyncConnection,
) -> None:
    """The indexes of migration 0002 must match db/contacts.py's sort expressions exactly:
    with sorting and sequential scans priced out, any mismatch shows up as a Sort node.
    Incremental sorts are priced out too: on the suite's near-empty tables an index matching only
    the first key, read backward and finished by an Incremental Sort, can cost the same as the
    exact index, and the planner then picked either one from run to run."""
    await connection.execute(text("SET LOCAL enable_sort = off"))
    await connection.execute(text("SET LOCAL enable_incremental_sort = off"))
    await connection.execute(text("SET LOCAL enable_seqscan = off"))
    batch_id = uuid.uuid4()
    for field in ContactSortField:
        for descending in (False, True):
            keys = order_keys([ContactSort(field, descending)])
            query = (
                select(CampaignContact.id)
                .where(CampaignContact.batch_id == batch_id)
                .order_by(*order_by_clauses(keys))
                .limit(50)
            )
            sql = str(query.compile(connection.sync_engine, compile_kwargs={"literal_binds": True}))
            plan = "\n".join((await connection.execute(text(f"EXPLAIN {sql}"))).scalars())
            assert "Sort" not in plan, (field, descending, plan)
            assert "ix_campaign_contacts_batch_" in plan, (field, descending, plan)
