"""A batch's audit trail (`batch_events`), newest first, one agency."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.keyset import OrderKey, order_by_clauses, rows_after
from db.models import BatchEvent

e = BatchEvent.__table__.c

NEWEST_FIRST = (OrderKey(e.created_at, descending=True), OrderKey(e.id, descending=True))
"""Served by `ix_batch_events_batch_newest` (batch_id, created_at DESC, id DESC)."""


def sort_values(row: Row[Any]) -> tuple[Any, ...]:
    return (row.created_at, row.id)


def _of_batch(agency_id: uuid.UUID, batch_id: uuid.UUID) -> list[Any]:
    return [e.agency_id == agency_id, e.batch_id == batch_id]


async def list_events(
    session: AsyncSession,
    agency_id: uuid.UUID,
    batch_id: uuid.UUID,
    *,
    limit: int,
    offset: int = 0,
    after: Sequence[Any] | None = None,
) -> Sequence[Row[Any]]:
    query: Select[Any] = select(BatchEvent.__table__).where(*_of_batch(agency_id, batch_id))
    if after is not None:
        query = query.where(rows_after(NEWEST_FIRST, after))
    query = query.order_by(*order_by_clauses(NEWEST_FIRST)).limit(limit)
    if offset:
        query = query.offset(offset)
    rows: Sequence[Row[Any]] = (await session.execute(query)).all()
    return rows


async def count_events(
    session: AsyncSession,
    agency_id: uuid.UUID,
    batch_id: uuid.UUID,
    *,
    after: Sequence[Any] | None = None,
) -> int:
    query = select(func.count()).select_from(BatchEvent).where(*_of_batch(agency_id, batch_id))
    if after is not None:
        query = query.where(rows_after(NEWEST_FIRST, after))
    return int((await session.execute(query)).scalar_one())
