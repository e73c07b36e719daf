"""`BatchEvent`: one transition of a batch (the audit trail), and its connection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import Row

from db import batch_events as event_queries
from schema.context import Context
from schema.pagination import EVENT_LIMITS, ListSlice, list_binding, parse_window
from schema.types import BatchStatus, PageInfo


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


@strawberry.type
class BatchEventEdge:
    cursor: str
    node: BatchEvent


@strawberry.type
class BatchEventConnection:
    slice: strawberry.Private[ListSlice[Row[Any]]]

    @strawberry.field
    async def edges(self) -> list[BatchEventEdge]:
        rows = await self.slice.rows()
        return [
            BatchEventEdge(cursor=self.slice.cursor_of(r), node=BatchEvent.from_row(r))
            for r in rows
        ]

    @strawberry.field
    async def nodes(self) -> list[BatchEvent]:
        return [BatchEvent.from_row(r) for r in await self.slice.rows()]

    @strawberry.field
    def page_info(self) -> PageInfo:
        return PageInfo(slice=self.slice)

    @strawberry.field
    async def total_count(self) -> int:
        return await self.slice.total()


def batch_events(
    context: Context, batch_id: uuid.UUID, first: int | None, after: str | None
) -> BatchEventConnection:
    """The batch's events, newest first, cursor-paged (first/after) like the other lists."""
    binding = list_binding("batchEvents", batch=batch_id)
    window = parse_window(
        EVENT_LIMITS,
        first=first,
        after=after,
        decode_after=lambda cursor: context.cursors.decode(cursor, binding, 2),
    )
    db, agency_id = context.db, context.agency_id

    async def fetch(size: int) -> Sequence[Row[Any]]:
        async with db.session() as session:
            return await event_queries.list_events(
                session, agency_id, batch_id, limit=size, after=window.after
            )

    async def count(after: tuple[Any, ...] | None = None) -> int:
        async with db.session() as session:
            return await event_queries.count_events(session, agency_id, batch_id, after=after)

    return BatchEventConnection(
        slice=ListSlice(
            window,
            fetch=fetch,
            count=count,
            count_after=count,
            cursor_of=lambda row: context.cursors.encode(binding, event_queries.sort_values(row)),
        )
    )
