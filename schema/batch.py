"""The `Batch` type and its contacts list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from sqlalchemy import Row

from core.arguments import search_term
from core.pagination import CONTACT_LIMITS, EVENT_LIMITS
from db import contacts as contact_queries
from schema.batch_event import BatchEvent, batch_events
from schema.connection import Connection, connection
from schema.context import Info
from schema.inputs import ContactFilter, ContactSort, contact_sort
from schema.limits.list_sizes import Paged, list_size
from schema.limits.rows_read import admit_read, contacts_list_scans, list_rows_read
from schema.pagination import Paging, list_binding, list_slice
from schema.types import BatchStatus, Contact, optional_id, page_contacts


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
        """A batch from a `v_call_batch_summary` row."""
        return cls(
            id=strawberry.ID(str(row.id)),
            batch_id=row.id,
            name=row.name,
            status=BatchStatus(row.status),
            campaign_id=optional_id(row.campaign_id),
            campaign_name=row.campaign_name,
            agent_mapping_id=optional_id(row.agent_mapping_id),
            agent_name=row.agent_name,
            from_number=row.from_number,
            total_contacts=row.total_contacts,
            pending=row.pending,
            queued=row.queued,
            in_progress=row.in_progress,
            completed=row.completed,
            failed=row.failed,
            skipped=row.skipped,
            calls_picked=row.calls_picked,
            progress_percentage=float(row.progress_percentage),
            remaining_count=row.remaining_count,
            calls_per_minute=row.calls_per_minute,
            max_concurrent=row.max_concurrent,
            scheduled_for=row.scheduled_for,
            created_at=row.created_at,
            started_at=row.started_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(
        description="Contacts of this batch, created_at ascending by default.",
        metadata=list_size(Paged(CONTACT_LIMITS, scans=frozenset({"search", "filter", "sort"}))),
    )
    async def contacts(
        self,
        info: Info,
        filter: ContactFilter | None = None,
        search: str | None = None,
        sort: list[ContactSort] | None = None,
        offset: int | None = None,
        limit: int | None = None,
        first: int | None = None,
        after: str | None = None,
        page: int | None = None,
    ) -> Connection[Contact]:
        context = info.context
        term = search_term(search)
        query_filter = (filter or ContactFilter()).to_query(term)
        order = contact_sort(sort)
        binding = list_binding(
            "contacts",
            batch=self.batch_id,
            sort=[(s.field.value, s.descending) for s in order],
            filter=vars(query_filter),
        )
        paging = Paging(context.cursors, binding, arity=len(order) + 1)
        window = paging.window(
            CONTACT_LIMITS, page=page, offset=offset, limit=limit, first=first, after=after
        )
        scans = contacts_list_scans(term, filter is not None, len(sort or ()))
        async with context.db.session() as session:
            await admit_read(
                context.rows_read,
                session,
                context.agency_id,
                list_rows_read(self.total_contacts, window, scans),
                "this contacts list",
            )
        agency_id, batch_id = context.agency_id, self.batch_id
        fetch = partial(
            contact_queries.list_contacts,
            agency_id=agency_id,
            batch_id=batch_id,
            contact_filter=query_filter,
            sort=order,
        )
        count = partial(
            contact_queries.count_contacts,
            agency_id=agency_id,
            batch_id=batch_id,
            contact_filter=query_filter,
            sort=order,
        )
        rows = list_slice(
            context.db, window, fetch, count, lambda row: paging.cursor(row.sort_values)
        )
        return connection(rows, page_contacts)

    @strawberry.field(
        description="Transitions made through this API (pause, resume, cancel, delete), newest first.",
        metadata=list_size(Paged(EVENT_LIMITS)),
    )
    def events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[BatchEvent]:
        return batch_events(info, self.batch_id, first, after)


async def batches_of(info: Info, rows: Sequence[Row[Any]]) -> list[Batch]:
    return [Batch.from_row(row) for row in rows]
