"""The root `Query`: the caller's agency's batches, as a list or one by id, and the caller."""

from __future__ import annotations

from functools import partial

import strawberry

from core.arguments import parse_id, search_term
from core.errors import NotFound
from core.pagination import BATCH_LIMITS
from db import batches as batch_queries
from schema.batch import Batch, batches_of
from schema.connection import Connection, connection
from schema.context import Info
from schema.limits.list_sizes import Paged, list_size
from schema.pagination import Paging, list_binding, list_slice
from schema.types import BatchStatus
from schema.viewer import Viewer, current_viewer

BATCH_NOT_FOUND = "batch not found"


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Batches of the caller's agency, newest first. Offset mode: page (1-based) or offset, plus limit. "
            "Cursor mode: first + after."
        ),
        metadata=list_size(Paged(BATCH_LIMITS, scans=frozenset({"search"}))),
    )
    async def batches(
        self,
        info: Info,
        search: str | None = None,
        status: BatchStatus | None = None,
        campaign_id: strawberry.ID | None = None,
        page: int | None = None,
        limit: int | None = None,
        first: int | None = None,
        after: str | None = None,
        offset: int | None = None,
    ) -> Connection[Batch]:
        context = info.context
        batch_filter = batch_queries.BatchFilter(
            search=search_term(search),
            status=status.value if status else None,
            campaign_id=parse_id("campaignId", campaign_id) if campaign_id is not None else None,
        )
        paging = Paging(context.cursors, list_binding("batches", filter=vars(batch_filter)), 2)
        window = paging.window(
            BATCH_LIMITS, page=page, offset=offset, limit=limit, first=first, after=after
        )
        agency_id = context.agency_id
        fetch = partial(batch_queries.list_batches, agency_id=agency_id, batch_filter=batch_filter)
        count = partial(batch_queries.count_batches, agency_id=agency_id, batch_filter=batch_filter)
        rows = list_slice(
            context.db,
            window,
            fetch,
            count,
            lambda row: paging.cursor(batch_queries.sort_values(row)),
        )
        return connection(rows, batches_of)

    @strawberry.field(
        description="One batch of the caller's agency, or null with a NOT_FOUND error."
    )
    async def batch(self, info: Info, id: strawberry.ID) -> Batch | None:
        context = info.context
        batch_id = parse_id("id", id)
        async with context.db.session() as session:
            row = await batch_queries.get_batch(session, context.agency_id, batch_id)
        if row is None:
            raise NotFound(BATCH_NOT_FOUND)
        return Batch.from_row(row)

    @strawberry.field(description="The caller: its user, agency and role.")
    async def viewer(self, info: Info) -> Viewer:
        return await current_viewer(info)
