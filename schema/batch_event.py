"""`BatchEvent`: one transition of a batch (the audit trail), and the batch's list of them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from sqlalchemy import Row

from core.pagination import EVENT_LIMITS
from db import batch_events as event_queries
from schema.connection import Connection, connection
from schema.context import Info
from schema.pagination import Paging, list_binding, list_slice
from schema.types import BatchStatus


@strawberry.type(description="One transition of a batch made through this API.")
class BatchEvent:
    id: strawberry.ID
    action: str = strawberry.field(description="pause, resume, cancel or delete")
    from_status: BatchStatus | None
    to_status: BatchStatus | None = strawberry.field(description="null for a deletion")
    user_id: strawberry.ID | None = strawberry.field(
        description="who made it; null once that user is deleted"
    )
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> BatchEvent:
        return cls(
            id=strawberry.ID(str(row.id)),
            action=row.action,
            from_status=BatchStatus(row.from_status) if row.from_status else None,
            to_status=BatchStatus(row.to_status) if row.to_status else None,
            user_id=strawberry.ID(str(row.user_id)) if row.user_id else None,
            created_at=row.created_at,
        )


async def events_of(info: Info, rows: Sequence[Row[Any]]) -> list[BatchEvent]:
    return [BatchEvent.from_row(row) for row in rows]


def batch_events(
    info: Info, batch_id: uuid.UUID, first: int | None, after: str | None
) -> Connection[BatchEvent]:
    """The batch's events, newest first, cursor-paged (first/after) like the other lists."""
    context = info.context
    paging = Paging(context.cursors, list_binding("batchEvents", batch=batch_id), arity=2)
    window = paging.window(
        EVENT_LIMITS, page=None, offset=None, limit=None, first=first, after=after
    )
    agency_id = context.agency_id
    rows = list_slice(
        context.db,
        window,
        partial(event_queries.list_events, agency_id=agency_id, batch_id=batch_id),
        partial(event_queries.count_events, agency_id=agency_id, batch_id=batch_id),
        lambda row: paging.cursor(event_queries.sort_values(row)),
    )
    return connection(rows, events_of)
