"""GraphQL object types of the contract (section 2) and how they are built from rows."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types.nodes import SelectedField, Selection

from db import contacts as contact_queries
from db.models import CallLog as CallLogRow
from db.models import CampaignContact
from schema.context import Info
from schema.limits.list_sizes import PerParent, list_size


@strawberry.enum
class BatchStatus(enum.Enum):
    PENDING = "pending"
    SCHEDULED = "scheduled"
    PROCESSING = "processing"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@strawberry.enum
class ContactStatus(enum.Enum):
    PENDING = "pending"
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


@strawberry.enum
class SortDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


ContactSortField = strawberry.enum(contact_queries.ContactSortField)


def optional_id(value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


@strawberry.type
class CallLog:
    id: strawberry.ID
    call_status: str
    duration_seconds: int | None
    recording_url: str | None
    transcript: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: CallLogRow) -> CallLog:
        return cls(
            id=strawberry.ID(str(row.id)),
            call_status=row.call_status,
            duration_seconds=row.duration_seconds,
            recording_url=row.recording_url,
            transcript=row.transcript,
            created_at=row.created_at,
        )


@strawberry.type
class Contact:
    id: strawberry.ID
    phone_number: str
    first_name: str | None
    last_name: str | None
    name: str | None = strawberry.field(
        description="First and last name joined by a space; null when both are missing."
    )
    email: str | None
    company: str | None
    title: str | None
    account_id: str | None
    priority: str | None
    status: ContactStatus
    call_id: strawberry.ID | None
    attempts: int
    max_attempts: int
    outcome: str | None
    duration_seconds: int | None
    outcome_notes: str | None
    last_attempt_at: datetime | None
    completed_at: datetime | None
    custom_data: JSON
    do_not_call: bool
    timezone: str | None
    created_at: datetime
    contact_id: strawberry.Private[uuid.UUID]
    call_log_rows: strawberry.Private[Sequence[CallLogRow]] = ()

    @strawberry.field(
        description="Call attempts, oldest first (the seed's phoneLogs).",
        metadata=list_size(PerParent(lambda limits: limits.call_logs_per_contact)),
    )
    def call_logs(self) -> list[CallLog]:
        return [CallLog.from_row(row) for row in self.call_log_rows]

    @classmethod
    def from_row(cls, row: CampaignContact, call_logs: Sequence[CallLogRow] = ()) -> Contact:
        """`call_logs`: the contact's call logs, loaded beforehand for the whole page by
        `page_contacts` when the query selects them (so each contact resolves synchronously)."""
        return cls(
            call_log_rows=call_logs,
            id=strawberry.ID(str(row.id)),
            contact_id=row.id,
            phone_number=row.phone_number,
            first_name=row.first_name,
            last_name=row.last_name,
            name=contact_queries.contact_name(row.first_name, row.last_name),
            email=row.email,
            company=row.company,
            title=row.title,
            account_id=row.account_id,
            priority=row.priority,
            status=ContactStatus(row.status),
            call_id=optional_id(row.call_id),
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            outcome=row.outcome,
            duration_seconds=row.duration_seconds,
            outcome_notes=row.outcome_notes,
            last_attempt_at=row.last_attempt_at,
            completed_at=row.completed_at,
            custom_data=row.custom_data,  # type: ignore[arg-type]
            do_not_call=row.do_not_call,
            timezone=row.timezone,
            created_at=row.created_at,
        )


async def page_contacts(info: Info, rows: Sequence[contact_queries.ContactRow]) -> list[Contact]:
    """A page's contacts, with their call logs when the query selects `callLogs` below this
    field: one DataLoader call for the whole page (one statement, shared by `edges` and
    `nodes`), rather than one awaited resolver per contact."""
    if not rows or not _selects(info.selected_fields, "callLogs"):
        return [Contact.from_row(r.contact) for r in rows]
    logs = await info.context.loaders.call_logs.load_many([r.contact.id for r in rows])
    return [Contact.from_row(r.contact, call_logs) for r, call_logs in zip(rows, logs, strict=True)]


def _selects(selections: Sequence[Selection], name: str) -> bool:
    """Whether a field called `name` is selected anywhere below (fragments included)."""
    return any(
        (isinstance(s, SelectedField) and s.name == name) or _selects(s.selections, name)
        for s in selections
    )
