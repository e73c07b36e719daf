"""Batch transitions (pause, resume, cancel, soft delete) and who may make them.

A transition locks the batch row (`SELECT … FOR UPDATE`), decides from the status it finds, then
updates the row and appends its `batch_events` row in the same transaction. Two concurrent calls
on one batch are serialised by the lock: the second sees the first's result (a repeat, or a
transition no longer allowed), so both can never win.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import BatchEvent, CallBatch
from db.users import role_of

RUNNING = frozenset({"pending", "scheduled", "processing"})
ALL_STATUSES = frozenset({*RUNNING, "paused", "completed", "failed", "cancelled"})


class BatchAction(enum.Enum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    DELETE = "delete"


ALLOWED_FROM: dict[BatchAction, frozenset[str]] = {
    BatchAction.PAUSE: RUNNING,
    BatchAction.RESUME: frozenset({"paused"}),
    BatchAction.CANCEL: RUNNING | {"paused"},
    BatchAction.DELETE: ALL_STATUSES - {"processing"},
}
"""The contract's transition table (section 6)."""

ALREADY_DONE: dict[BatchAction, frozenset[str]] = {
    BatchAction.PAUSE: frozenset({"paused"}),
    BatchAction.RESUME: RUNNING,
    BatchAction.CANCEL: frozenset({"cancelled"}),
    BatchAction.DELETE: frozenset(),
}
"""Statuses in which the action's effect already holds: the call changes nothing."""


class BatchMissing(Exception):
    """No such batch in the agency (or it was deleted)."""


class NotAnOperator(Exception):
    """The user may read but not change batches."""


class TransitionRefused(Exception):
    def __init__(self, action: BatchAction, status: str) -> None:
        super().__init__(f"cannot {action.value} a batch that is {status}")
        self.action = action
        self.status = status


@dataclass(frozen=True)
class Transition:
    action: BatchAction
    from_status: str
    to_status: str | None
    """None for a deletion (the batch keeps its status and disappears)."""
    changed: bool


async def require_operator(session: AsyncSession, agency_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Raise `NotAnOperator` unless the user, in this agency, has the role `operator` (read in
    this transaction: a role changed a moment ago already counts)."""
    if await role_of(session, user_id, agency_id) != "operator":
        raise NotAnOperator


def _resumed_status(paused_from: str | None, started: bool, scheduled: bool) -> str:
    """Where resume returns: the status the pause interrupted; for a batch paused by another
    writer (no record of it), what its timestamps say it was doing."""
    if paused_from is not None:
        return paused_from
    if started:
        return "processing"
    return "scheduled" if scheduled else "pending"


async def transition_batch(
    session: AsyncSession,
    agency_id: uuid.UUID,
    user_id: uuid.UUID,
    batch_id: uuid.UUID,
    action: BatchAction,
) -> Transition:
    batches = CallBatch.__table__.c
    current = (
        await session.execute(
            select(
                batches.status,
                batches.paused_from_status,
                batches.started_at.is_not(None).label("started"),
                batches.scheduled_for.is_not(None).label("scheduled"),
                batches.deleted_at.is_not(None).label("deleted"),
            )
            .where(batches.id == batch_id, batches.agency_id == agency_id)
            .with_for_update()
        )
    ).first()
    if current is None or (current.deleted and action is not BatchAction.DELETE):
        raise BatchMissing
    status: str = current.status
    if current.deleted or status in ALREADY_DONE[action]:
        target = None if action is BatchAction.DELETE else status
        return Transition(action, status, target, changed=False)
    if status not in ALLOWED_FROM[action]:
        raise TransitionRefused(action, status)
    values: dict[str, object] = {"updated_at": func.now()}
    to_status: str | None
    if action is BatchAction.DELETE:
        to_status = None
        values["deleted_at"] = func.now()
    elif action is BatchAction.PAUSE:
        to_status = "paused"
        values |= {"status": to_status, "paused_from_status": status}
    elif action is BatchAction.RESUME:
        to_status = _resumed_status(current.paused_from_status, current.started, current.scheduled)
        values |= {"status": to_status, "paused_from_status": None}
    else:
        to_status = "cancelled"
        values |= {"status": to_status, "paused_from_status": None}
    await session.execute(
        update(CallBatch)
        .where(batches.id == batch_id, batches.agency_id == agency_id)
        .values(values)
    )
    await session.execute(
        insert(BatchEvent).values(
            batch_id=batch_id,
            agency_id=agency_id,
            user_id=user_id,
            action=action.value,
            from_status=status,
            to_status=to_status,
            created_at=func.clock_timestamp(),
        )
    )
    return Transition(action, status, to_status, changed=True)
