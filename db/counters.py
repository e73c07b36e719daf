"""Per-batch contact counters (`call_batch_counters`), kept by triggers in PostgreSQL.

The triggers of migration 0002 update a batch's row on every INSERT (and COPY), UPDATE, DELETE
and TRUNCATE of `campaign_contacts`, whoever writes, so a count here equals
`SELECT count(*) … WHERE batch_id = …` in the same snapshot without scanning contacts.

`python -m db.counters repair` (with `DATABASE_URL`) recomputes every counter from the contacts,
e.g. after restoring a dump taken without triggers; it prints how many batches were corrected.
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


async def _repair(database_url: str, batch_id: uuid.UUID | None) -> int:
    from sqlalchemy.ext.asyncio import create_async_engine

    from db.engine import async_database_url

    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.begin() as connection:
            return await recount(connection, batch_id)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m db.counters", description="Per-batch contact counters."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    repair = commands.add_parser("repair", help="recompute counters from the contacts")
    repair.add_argument("--batch", type=uuid.UUID, help="only this batch id")
    arguments = parser.parse_args(argv)

    from core.settings import DatabaseSettings

    url = DatabaseSettings().database_url
    if not url:
        print("error: set DATABASE_URL to the database to repair", file=sys.stderr)
        return 2
    corrected = asyncio.run(_repair(url, arguments.batch))
    print(f"counters recomputed; {corrected} batch(es) corrected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
