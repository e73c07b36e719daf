"""The root `Subscription`: live batches, pushed when PostgreSQL says they changed.

Each subscription registers a `Watch` on the process's `ChangeListener` first, then reads its
snapshot, so no change can fall between the two. After sending, it waits for the watch (never
polls), then reads the batch again as it is at that moment: however many notifications arrived
meanwhile, one message follows, and the last message always shows the final state. Every read
is its own short transaction on the primary (replicas lag behind the notification).
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Sequence,
)
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.arguments import parse_id
from core.errors import BadRequest, LimitExceeded, NotFound, Unauthenticated
from db import batches as batch_queries
from db.faults import DatabaseFault, classify
from db.notifications import Changes, TooManyWatches, Watch
from schema.batch import Batch
from schema.context import Context
from schema.live_session import LiveSession
from schema.query import BATCH_NOT_FOUND
from schema.types import BatchStatus

T = TypeVar("T")

RETRIED = frozenset({DatabaseFault.UNAVAILABLE, DatabaseFault.POOL_EXHAUSTED})
"""Faults a subscription waits out (a restart, a burst of reads) instead of ending."""

SESSION_EXPIRED = "the bearer token has expired: reconnect with a fresh token"
WEBSOCKET_ONLY = "subscriptions are served over a websocket at /graphql (graphql-transport-ws)"


def _session(context: Context) -> LiveSession:
    if context.live is None:
        raise BadRequest(WEBSOCKET_ONLY)
    return context.live


@asynccontextmanager
async def _watching(context: Context, batch_id: uuid.UUID | None) -> AsyncIterator[Watch]:
    live = _session(context)
    bounds = live.bounds
    if _seconds_left(live) <= 0:
        raise Unauthenticated(SESSION_EXPIRED)
    if live.active >= bounds.subscriptions_per_connection:
        raise LimitExceeded(
            f"this connection already runs {bounds.subscriptions_per_connection} subscriptions, "
            "the maximum: complete one first or open another connection"
        )
    try:
        watch = live.listener.watch(
            context.agency_id, batch_id, agency_limit=bounds.subscriptions_per_agency
        )
    except TooManyWatches as too_many:
        raise LimitExceeded(f"{too_many}, the maximum per server process") from None
    live.active += 1
    try:
        yield watch
    finally:
        live.active -= 1
        watch.close()
        await context.end_snapshot()


def _seconds_left(live: LiveSession) -> float:
    return (live.expires_at - datetime.now(UTC)).total_seconds()


async def _next_changes(context: Context, watch: Watch) -> Changes:
    """Wait (at least the minimum interval, at most until the token expires) for changes."""
    live = _session(context)
    await asyncio.sleep(live.bounds.min_interval_seconds)
    try:
        async with asyncio.timeout(max(_seconds_left(live), 0)):
            return await watch.next_changes()
    except TimeoutError:
        raise Unauthenticated(SESSION_EXPIRED) from None


async def _retrying(context: Context, attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt()`, again while the database is unreachable (a restart) or busy."""
    live = _session(context)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + live.bounds.snapshot_retry_seconds
    delay = 0.2
    while True:
        try:
            return await attempt()
        except Exception as error:
            await context.end_snapshot()
            if classify(error) not in RETRIED or loop.time() > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def _in_transaction(
    context: Context, read: Callable[[AsyncSession], Awaitable[T]]
) -> Callable[[], Awaitable[T]]:
    async def attempt() -> T:
        async with context.db.session() as session:
            return await read(session)

    return attempt


class SubscriptionsOverWebsocket(SchemaExtension):
    """A subscription sent over HTTP is refused before it runs, saying where to send it."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is OperationType.SUBSCRIPTION and (
            getattr(context.context, "live", None) is None
        ):
            error = GraphQLError(WEBSOCKET_ONLY, extensions={"code": BadRequest.code})
            context.pre_execution_errors = [*(context.pre_execution_errors or []), error]
        yield


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "The batch now, then again whenever its counts or status change (coalesced); "
            "NOT_FOUND ends it."
        )
    )
    async def batch_progress(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> AsyncGenerator[Batch, None]:
        context: Context = info.context
        batch_id = parse_id("id", id)
        agency_id = context.agency_id
        reads = _session(context).reads
        async with _watching(context, batch_id) as watch:
            heard = time.monotonic()
            while True:
                row = await _retrying(
                    context, functools.partial(reads.batch, agency_id, batch_id, since=heard)
                )
                if row is None:
                    raise NotFound(BATCH_NOT_FOUND)
                yield Batch.from_row(row)
                await context.end_snapshot()
                heard = (await _next_changes(context, watch)).latest

    @strawberry.subscription(
        description=(
            "Every batch of the caller's agency (optionally of one status) whenever its counts "
            "or status change. First (and after a reconnection to the database) the newest "
            "batches as they are now; a batch that leaves the status is sent once more, "
            "showing its new status."
        )
    )
    async def batch_updates(
        self, info: strawberry.Info, status: BatchStatus | None = None
    ) -> AsyncGenerator[Batch, None]:
        context: Context = info.context
        agency_id = context.agency_id
        live = _session(context)
        wanted = status.value if status is not None else None
        newest = batch_queries.BatchFilter(status=wanted)
        shown: set[uuid.UUID] = set()
        """Batches last sent while matching `status`: one that stops matching is sent once."""

        async def newest_batches(session: AsyncSession) -> Sequence[Row[Any]]:
            limit = live.bounds.resync_batches
            return await batch_queries.list_batches(session, agency_id, newest, limit=limit)

        async with _watching(context, None) as watch:
            changes = Changes(resync=True)
            while True:
                changed_batches = functools.partial(
                    batch_queries.batches_by_id,
                    agency_id=agency_id,
                    batch_ids=sorted(changes.batch_ids),
                )
                read = newest_batches if changes.resync else changed_batches
                rows = await _retrying(context, _in_transaction(context, read))
                for row in rows:
                    matches = wanted is None or row.status == wanted
                    if not matches and row.id not in shown:
                        continue
                    (shown.add if matches else shown.discard)(row.id)
                    yield Batch.from_row(row)
                    await context.end_snapshot()
                await context.end_snapshot()
                changes = await _next_changes(context, watch)
