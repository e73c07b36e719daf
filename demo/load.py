"""Loading the demo data set, once, inside the caller's transaction: when the demo agency
already exists it only reports the counts found in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from db.models import (
    Agency,
    Base,
    CallBatch,
    CallLog,
    CampaignContact,
)
from demo.plan import (
    ADVISORY_LOCK_KEY,
    DEMO_AGENCY_ID,
    DEMO_AGENCY_IDS,
    INSERT_CHUNK_SIZE,
    NORTHWIND,
    DemoSummary,
    Row,
)
from demo.rows import build_demo_rows


async def load_demo_data(connection: AsyncConnection) -> DemoSummary:
    """Idempotent: loads the demo data set when it is absent, does nothing when it is present.

    Runs in the caller's transaction and neither begins nor commits one. A transaction-scoped
    advisory lock keeps two processes starting at once from both inserting.
    """
    await connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
    if await _demo_agency_exists(connection):
        return await _count_demo_rows(connection)
    rows = build_demo_rows()
    for model, table_rows in rows.in_insert_order():
        await _insert_in_chunks(connection, _table_of(model), table_rows)
    return rows.summary(inserted=True)


async def _demo_agency_exists(connection: AsyncConnection) -> bool:
    agencies = _table_of(Agency)
    found = await connection.scalar(select(agencies.c.id).where(agencies.c.id == DEMO_AGENCY_ID))
    return found is not None


async def _count_demo_rows(connection: AsyncConnection) -> DemoSummary:
    counts = [
        select(func.count())
        .select_from(table)
        .where(table.c.agency_id.in_(DEMO_AGENCY_IDS))
        .scalar_subquery()
        for table in map(_table_of, (CallBatch, CampaignContact, CallLog))
    ]
    agencies = _table_of(Agency)
    agency_count = (
        select(func.count())
        .select_from(agencies)
        .where(agencies.c.id.in_(DEMO_AGENCY_IDS))
        .scalar_subquery()
    )
    row = (await connection.execute(select(agency_count, *counts))).one()
    return DemoSummary(
        agencies=row[0], batches=row[1], contacts=row[2], call_logs=row[3], inserted=False
    )


async def _insert_in_chunks(connection: AsyncConnection, table: Table, rows: list[Row]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK_SIZE):
        await connection.execute(insert(table), rows[start : start + INSERT_CHUNK_SIZE])


@dataclass(frozen=True)
class DemoUserView:
    """What the printed demo user sees through the API: its own agency's live batches."""

    agency: str
    batches: int
    contacts: int


async def demo_user_view(connection: AsyncConnection) -> DemoUserView:
    batches, contacts = _table_of(CallBatch), _table_of(CampaignContact)
    live = select(batches.c.id).where(
        batches.c.agency_id == DEMO_AGENCY_ID, batches.c.deleted_at.is_(None)
    )
    batch_count = select(func.count()).select_from(live.subquery()).scalar_subquery()
    contact_count = (
        select(func.count())
        .select_from(contacts)
        .where(contacts.c.agency_id == DEMO_AGENCY_ID, contacts.c.batch_id.in_(live))
        .scalar_subquery()
    )
    row = (await connection.execute(select(batch_count, contact_count))).one()
    return DemoUserView(agency=NORTHWIND.name, batches=row[0], contacts=row[1])


def _table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table
