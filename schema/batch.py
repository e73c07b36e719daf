"""The `Batch` type, its contacts list, and the batch connection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import Row

from db import contacts as contact_queries
from schema.batch_event import BatchEventConnection, batch_events
from schema.inputs import ContactFilter, ContactSort, contact_sort, filter_text, search_term
from schema.pagination import CONTACT_LIMITS, ListSlice, list_binding, parse_window
from schema.types import (
    BatchStatus,
    ContactConnection,
    OffsetPagination,
    PageInfo,
    batch_fields,
)


@strawberry.type
class Batch:
    id: strawberry.ID
    name: str
    status: BatchStatus
    campaign_id: strawberry.ID | None
    campaign_name: str | None
    agent_mapping_id: strawberry.ID | None
    agent_name: str | None
    from_number: str | None
    total_contacts: int
    pending: int
    queued: int
    in_progress: int
    completed: int
    failed: int
    skipped: int
    calls_picked: int
    progress_percentage: float
    remaining_count: int
    calls_per_minute: int | None
    max_concurrent: int | None
    scheduled_for: datetime | None
    created_at: datetime
    started_at: datetime | None
    updated_at: datetime
    batch_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: Row[Any]) -> Batch:
        return cls(**batch_fields(row))

    @strawberry.field(description="Contacts of this batch, created_at ascending by default.")
    async def contacts(
        self,
        info: strawberry.Info,
        filter: ContactFilter | None = None,
        search: str | None = None,
        sort: list[ContactSort] | None = None,
        offset: int | None = None,
        limit: int | None = None,
        first: int | None = None,
        after: str | None = None,
        page: int | None = None,
    ) -> ContactConnection:
        context = info.context
        term = search_term(search)
        if filter is not None:
            filter_text("filter.outcome", filter.outcome)
            filter_text("filter.priority", filter.priority)
            filter_text("filter.callStatus", filter.call_status)
        query_filter = (filter or ContactFilter()).to_query(term)
        order = contact_sort(sort)
        binding = list_binding(
            "contacts",
            batch=self.batch_id,
            sort=[(s.field.value, s.descending) for s in order],
            filter=vars(query_filter),
        )
        arity = len(order) + 1
        window = parse_window(
            CONTACT_LIMITS,
            page=page,
            offset=offset,
            limit=limit,
            first=first,
            after=after,
            decode_after=lambda cursor: context.cursors.decode(cursor, binding, arity),
        )
        db, agency_id, batch_id = context.db, context.agency_id, self.batch_id

        async def fetch(size: int) -> Sequence[contact_queries.ContactRow]:
            async with db.session() as session:
                return await contact_queries.list_contacts(
                    session, agency_id, batch_id, query_filter, order,
                    limit=size, offset=window.offset, after=window.after,
                )  # fmt: skip

        async def count(after: tuple[Any, ...] | None = None) -> int:
            async with db.session() as session:
                return await contact_queries.count_contacts(
                    session, agency_id, batch_id, query_filter, order, after=after
                )

        return ContactConnection(
            slice=ListSlice(
                window,
                fetch=fetch,
                count=count,
                count_after=count,
                cursor_of=lambda row: context.cursors.encode(binding, row.sort_values),
            )
        )

    @strawberry.field(
        description="Transitions made through this API (pause, resume, cancel, delete), newest first."
    )
    def events(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> BatchEventConnection:
        return batch_events(info.context, self.batch_id, first, after)


@strawberry.type
class BatchEdge:
    cursor: str
    node: Batch


@strawberry.type
class BatchConnection:
    slice: strawberry.Private[ListSlice[Row[Any]]]

    @strawberry.field
    async def edges(self) -> list[BatchEdge]:
        rows = await self.slice.rows()
        return [BatchEdge(cursor=self.slice.cursor_of(r), node=Batch.from_row(r)) for r in rows]

    @strawberry.field
    async def nodes(self) -> list[Batch]:
        return [Batch.from_row(r) for r in await self.slice.rows()]

    @strawberry.field
    def page_info(self) -> PageInfo:
        return PageInfo(slice=self.slice)

    @strawberry.field
    async def total_count(self) -> int:
        return await self.slice.total()

    @strawberry.field
    async def pagination(self) -> OffsetPagination:
        return OffsetPagination(**vars(await self.slice.pagination()))
