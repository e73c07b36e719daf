"""The root `Mutation`: batch control (pause, resume, cancel, soft delete), operators only.

Each call is one transaction on the primary (never a read replica): the caller's role is read
there, the batch row locked, updated and its audit row written; see `db.batch_control`.
"""

from __future__ import annotations

import strawberry

from core.arguments import parse_id
from core.errors import BadUserInput, Forbidden, NotFound
from db import batch_control
from db import batches as batch_queries
from db.batch_control import BatchAction
from schema.batch import Batch
from schema.context import Context
from schema.query import BATCH_NOT_FOUND

NOT_AN_OPERATOR = "only operators may change batches; this user is a viewer"


async def _transition(
    context: Context, id: strawberry.ID, action: BatchAction
) -> tuple[batch_control.Transition, Batch | None]:
    batch_id = parse_id("id", id)
    if context.writer is None:
        raise Forbidden("batches cannot be changed through this endpoint")
    # The request's read transaction ends first, so whatever the response reads afterwards
    # (the returned batch's fields) is read after the change was committed.
    await context.db.close()
    try:
        async with context.writer.transaction() as session:
            await batch_control.require_operator(session, context.agency_id, context.user_id)
            transition = await batch_control.transition_batch(
                session, context.agency_id, context.user_id, batch_id, action
            )
            row = await batch_queries.get_batch(session, context.agency_id, batch_id)
    except batch_control.NotAnOperator:
        raise Forbidden(NOT_AN_OPERATOR) from None
    except batch_control.BatchMissing:
        raise NotFound(BATCH_NOT_FOUND) from None
    except batch_control.TransitionRefused as refused:
        raise BadUserInput(f"{refused}{_hint(refused)}") from None
    return transition, Batch.from_row(row) if row is not None else None


def _hint(refused: batch_control.TransitionRefused) -> str:
    allowed = sorted(batch_control.ALLOWED_FROM[refused.action])
    return f" (current status: {refused.status}; {refused.action.value} is allowed from {', '.join(allowed)})"


async def _changed_batch(context: Context, id: strawberry.ID, action: BatchAction) -> Batch:
    _, batch = await _transition(context, id, action)
    assert batch is not None
    return batch


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Pause a pending, scheduled or processing batch; a paused one is returned unchanged."
    )
    async def pause_batch(self, info: strawberry.Info, id: strawberry.ID) -> Batch:
        return await _changed_batch(info.context, id, BatchAction.PAUSE)

    @strawberry.mutation(
        description="Resume a paused batch to the status it was paused from; a running one is returned unchanged."
    )
    async def resume_batch(self, info: strawberry.Info, id: strawberry.ID) -> Batch:
        return await _changed_batch(info.context, id, BatchAction.RESUME)

    @strawberry.mutation(
        description="Cancel a pending, scheduled, processing or paused batch; a cancelled one is returned unchanged."
    )
    async def cancel_batch(self, info: strawberry.Info, id: strawberry.ID) -> Batch:
        return await _changed_batch(info.context, id, BatchAction.CANCEL)

    @strawberry.mutation(
        description=(
            "Soft delete: sets deleted_at; the batch then answers NOT_FOUND everywhere. "
            "Not while processing (pause or cancel it first). Deleting it again returns its id."
        )
    )
    async def delete_batch(self, info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
        await _transition(info.context, id, BatchAction.DELETE)
        return strawberry.ID(str(parse_id("id", id)))
