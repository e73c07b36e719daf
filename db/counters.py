"""Counters kept by triggers in PostgreSQL: per batch, its contacts (`call_batch_counters`);
per agency, its live batches (`agency_batch_counters`).

The triggers of migration 0002 update a batch's row on every INSERT (and COPY), UPDATE, DELETE
and TRUNCATE of `campaign_contacts`, whoever writes, so a count here equals
`SELECT count(*) … WHERE batch_id = …` in the same snapshot without scanning contacts; those of
migration 0009 do the same for an agency's batches not soft-deleted.

`python -m db.counters repair` (with `DATABASE_URL`) recomputes every counter from the rows,
e.g. after restoring a dump taken without triggers; it prints how many were corrected.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.models import CONTACT_STATUSES, CallBatchCounter

_COUNTERS = CallBatchCounter.__table__.c
_COUNTED: dict[str | None, Select[Any]] = {
    status: select(_COUNTERS["total_contacts" if status is None else status]).where(
        _COUNTERS.agency_id == bindparam("agency_id"), _COUNTERS.batch_id == bindparam("batch_id")
    )
    for status in (None, *CONTACT_STATUSES)
}
"""One statement per counter column, built once with bind parameters."""


def counted_query(agency_id: uuid.UUID, batch_id: uuid.UUID, status: str | None) -> Select[Any]:
    """`SELECT … AS rows`: what `counted_contacts` answers (0 without a counter row)."""
    counters = _COUNTERS
    column = counters["total_contacts" if status is None else status]
    found = select(column).where(counters.agency_id == agency_id, counters.batch_id == batch_id)
    return select(func.coalesce(found.scalar_subquery(), 0).label("rows"))


async def counted_contacts(
    session: AsyncSession, agency_id: uuid.UUID, batch_id: uuid.UUID, status: str | None = None
) -> int:
    """Contacts of the batch (of one status, when given), read from its counter row."""
    query = _COUNTED.get(status)
    if query is None:
        return 0
    parameters = {"agency_id": agency_id, "batch_id": batch_id}
    value = (await session.execute(query, parameters)).scalar_one_or_none()
    return int(value or 0)


async def recount(connection: AsyncConnection, batch_id: uuid.UUID | None = None) -> int:
    """Recompute counters from scratch (all batches, or one); returns how many were wrong.

    Holds a SHARE lock on `campaign_contacts` until the caller's transaction ends: writers wait,
    readers do not.
    """
    result = await connection.execute(
        text("SELECT recount_batch_counters(CAST(:batch_id AS uuid))"),
        {"batch_id": str(batch_id) if batch_id else None},
    )
    return int(result.scalar_one())


async def recount_agencies(connection: AsyncConnection) -> int:
    """Recompute every agency's live batches; returns how many counter rows were wrong.

    Holds a SHARE lock on `call_batches` until the caller's transaction ends."""
    result = await connection.execute(text("SELECT recount_agency_batch_counters()"))
    return int(result.scalar_one())


async def _repair(database_url: str, batch_id: uuid.UUID | None) -> tuple[int, int]:
    from sqlalchemy.ext.asyncio import create_async_engine

    from db.engine import async_database_url

    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.begin() as connection:
            batches = await recount(connection, batch_id)
            agencies = 0 if batch_id else await recount_agencies(connection)
            return batches, agencies
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m db.counters", description="Contact and batch counters."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    repair = commands.add_parser("repair", help="recompute counters from the rows")
    repair.add_argument(
        "--batch", type=uuid.UUID, help="only this batch's contact counts (no agency counts)"
    )
    arguments = parser.parse_args(argv)

    from core.settings import DatabaseSettings

    url = DatabaseSettings().database_url
    if not url:
        print("error: set DATABASE_URL to the database to repair", file=sys.stderr)
        return 2
    batches, agencies = asyncio.run(_repair(url, arguments.batch))
    print(f"counters recomputed; {batches} batch(es) and {agencies} agency(ies) corrected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
