"""Batches as the API reads them: rows of `v_call_batch_summary`, newest first, one agency."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement

from db.keyset import OrderKey, order_by_clauses, rows_after
from db.models import AgencyBatchCounter, CallBatch, batch_summary
from db.text_search import LIKE_ESCAPE, contains_pattern

summary_columns = batch_summary.c

NEWEST_FIRST = (
    OrderKey(summary_columns.created_at, descending=True),
    OrderKey(summary_columns.id, descending=True),
)


@dataclass(frozen=True)
class BatchFilter:
    search: str | None = None
    """Case-insensitive substring of the name or the status."""
    status: str | None = None
    campaign_id: uuid.UUID | None = None
    search_statuses: tuple[str, ...] | None = None
    """When set, `search` matches the name, or a status in this set (instead of a substring of
    the status): for APIs whose status words differ from the database's (Weya's "active")."""


def matching(
    columns: ReadOnlyColumnCollection[str, KeyedColumnElement[Any]],
    agency_id: uuid.UUID,
    batch_filter: BatchFilter,
) -> list[Any]:
    """Conditions over `columns`, which is the view's or the table's: both name the same columns."""
    conditions: list[Any] = [columns.agency_id == agency_id]
    if batch_filter.status is not None:
        conditions.append(columns.status == batch_filter.status)
    if batch_filter.campaign_id is not None:
        conditions.append(columns.campaign_id == batch_filter.campaign_id)
    if batch_filter.search:
        pattern = contains_pattern(batch_filter.search)
        status_matches = (
            columns.status.in_(batch_filter.search_statuses)
            if batch_filter.search_statuses is not None
            else columns.status.ilike(pattern, escape=LIKE_ESCAPE)
        )
        conditions.append(or_(columns.name.ilike(pattern, escape=LIKE_ESCAPE), status_matches))
    return conditions


_AFTER_CREATED_AT = bindparam("after_created_at", type_=summary_columns.created_at.type)
_AFTER_ID = bindparam("after_id", type_=summary_columns.id.type)
_table_columns = CallBatch.__table__.c

_LIST_ALL: Select[Any] = (
    select(batch_summary)
    .where(summary_columns.agency_id == bindparam("agency_id"))
    .order_by(*order_by_clauses(NEWEST_FIRST))
    .limit(bindparam("limit"))
)
_LIST_ALL_AFTER = _LIST_ALL.where(
    tuple_(summary_columns.created_at, summary_columns.id) < tuple_(_AFTER_CREATED_AT, _AFTER_ID)
)


def _live_batches(agency_id: Any) -> Select[Any]:
    """`SELECT … AS rows`: the agency's live batches as its counter row holds them (migration
    0009's triggers keep it equal to a count of the table), 0 without a row. A sum over the one
    row its key finds, so that, like a count, it stays one row whatever its filter finds."""
    counters = AgencyBatchCounter.__table__.c
    return select(func.coalesce(func.sum(counters.live_batches), 0).label("rows")).where(
        counters.agency_id == agency_id
    )


_COUNT_ALL = _live_batches(bindparam("agency_id"))
_COUNT_ALL_AFTER: Select[Any] = (
    select(func.count())
    .select_from(CallBatch)
    .where(
        _table_columns.deleted_at.is_(None),
        _table_columns.agency_id == bindparam("agency_id"),
        tuple_(_table_columns.created_at, _table_columns.id) < tuple_(_AFTER_CREATED_AT, _AFTER_ID),
    )
)
"""The unfiltered list and count (the batch list every dashboard opens with), built once with
bind parameters: a request then skips building the statement, which on this hot path cost
more Python than the database spends answering. They say exactly what `list_batches` and
`count_batches` build for an empty filter; a position given by a cursor compares as a row
(`rows_after` does the same for two non-NULL descending keys)."""


def _prebuilt_parameters(
    agency_id: uuid.UUID, batch_filter: BatchFilter, after: Sequence[Any] | None
) -> dict[str, Any] | None:
    """Parameters for the prebuilt statements, or None when the request needs another shape."""
    if batch_filter != BatchFilter():
        return None
    if after is None:
        return {"agency_id": agency_id}
    if len(after) != 2 or any(value is None for value in after):
        return None
    return {"agency_id": agency_id, "after_created_at": after[0], "after_id": after[1]}


def sort_values(row: Row[Any]) -> tuple[Any, ...]:
    """The values a cursor must carry to resume after `row`."""
    return (row.created_at, row.id)


async def list_batches(
    session: AsyncSession,
    agency_id: uuid.UUID,
    batch_filter: BatchFilter,
    *,
    limit: int,
    offset: int = 0,
    after: Sequence[Any] | None = None,
) -> Sequence[Row[Any]]:
    prebuilt = _prebuilt_parameters(agency_id, batch_filter, after)
    if prebuilt is not None:
        statement = _LIST_ALL_AFTER if after is not None else _LIST_ALL
        parameters = {**prebuilt, "limit": limit}
        if offset:
            statement = statement.offset(bindparam("offset"))
            parameters["offset"] = offset
        found: Sequence[Row[Any]] = (await session.execute(statement, parameters)).all()
        return found
    query: Select[Any] = select(batch_summary).where(
        *matching(summary_columns, agency_id, batch_filter)
    )
    if after is not None:
        query = query.where(rows_after(NEWEST_FIRST, after))
    query = query.order_by(*order_by_clauses(NEWEST_FIRST)).limit(limit)
    if offset:
        query = query.offset(offset)
    rows: Sequence[Row[Any]] = (await session.execute(query)).all()
    return rows


async def count_batches(
    session: AsyncSession,
    agency_id: uuid.UUID,
    batch_filter: BatchFilter,
    *,
    after: Sequence[Any] | None = None,
) -> int:
    """How many batches match (counted on the table: the view's counts are not needed here; all
    of the agency's batches, from its counter row); with `after`, how many of them come after
    that position."""
    prebuilt = _prebuilt_parameters(agency_id, batch_filter, after)
    if prebuilt is not None:
        statement = _COUNT_ALL if after is None else _COUNT_ALL_AFTER
        return int((await session.execute(statement, prebuilt)).scalar_one())
    query = count_query(agency_id, batch_filter, after)
    return int((await session.execute(query)).scalar_one())


def count_query(
    agency_id: uuid.UUID, batch_filter: BatchFilter, after: Sequence[Any] | None = None
) -> Select[Any]:
    """`SELECT count(*) AS rows` of the matching batches (after a position, when given); all
    of the agency's batches are read from its counter row instead of counted."""
    if after is None and batch_filter == BatchFilter():
        return _live_batches(agency_id)
    batches = _table_columns
    query = (
        select(func.count().label("rows"))
        .select_from(CallBatch)
        .where(batches.deleted_at.is_(None), *matching(batches, agency_id, batch_filter))
    )
    if after is not None:
        keys = [OrderKey(batches.created_at, True), OrderKey(batches.id, True)]
        query = query.where(rows_after(keys, after))
    return query


_GET_BATCH = select(batch_summary).where(
    summary_columns.agency_id == bindparam("agency_id"), summary_columns.id == bindparam("batch_id")
)


async def get_batch(
    session: AsyncSession, agency_id: uuid.UUID, batch_id: uuid.UUID
) -> Row[Any] | None:
    parameters = {"agency_id": agency_id, "batch_id": batch_id}
    return (await session.execute(_GET_BATCH, parameters)).first()


async def batches_by_id(
    session: AsyncSession, agency_id: uuid.UUID, batch_ids: Sequence[uuid.UUID]
) -> Sequence[Row[Any]]:
    """The agency's batches among `batch_ids` (deleted ones and others' are simply absent)."""
    columns = summary_columns
    query = select(batch_summary).where(
        columns.agency_id == agency_id, columns.id.in_(list(batch_ids))
    )
    rows: Sequence[Row[Any]] = (await session.execute(query.order_by(columns.id))).all()
    return rows
