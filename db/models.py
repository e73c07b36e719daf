"""Typed SQLAlchemy models of every table in the contract (section 1).

Relationships are `lazy="raise"`: every load is explicit in the query modules.
The summary view is described by `batch_summary`, outside `Base.metadata` so that
`alembic check` compares tables only; the view itself is written by hand in a migration.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BATCH_STATUSES = (
    "pending",
    "scheduled",
    "processing",
    "paused",
    "completed",
    "failed",
    "cancelled",
)
CONTACT_STATUSES = ("pending", "queued", "in_progress", "completed", "failed", "skipped")
PRIORITIES = ("low", "normal", "high")
USER_ROLES = ("viewer", "operator")
BATCH_ACTIONS = ("pause", "resume", "cancel", "delete")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, server_default=text("gen_random_uuid()"))


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = _uuid_pk()
    agency_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()
    role: Mapped[str] = mapped_column(Text, nullable=False, server_default="viewer")
    """`viewer` reads and subscribes; `operator` may also pause, resume, cancel, delete."""

    __table_args__ = (CheckConstraint(_one_of("role", USER_ROLES), name="role"),)


class Campaign(Base):
    __tablename__ = "campaigns"
    # Target of the (campaign_id, agency_id) foreign key that keeps a batch's campaign in its
    # agency.
    __table_args__ = (UniqueConstraint("id", "agency_id"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()


class AgentMapping(Base):
    __tablename__ = "agent_mappings"

    id: Mapped[uuid.UUID] = _uuid_pk()
    agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()


class CallBatch(Base):
    __tablename__ = "call_batches"
    __table_args__ = (
        CheckConstraint(_one_of("status", BATCH_STATUSES), name="status"),
        CheckConstraint(
            "calls_per_minute IS NULL OR calls_per_minute > 0", name="calls_per_minute"
        ),
        CheckConstraint("max_concurrent IS NULL OR max_concurrent > 0", name="max_concurrent"),
        # Target of the (id, agency_id) foreign key that keeps contacts in their batch's agency.
        UniqueConstraint("id", "agency_id"),
        ForeignKeyConstraint(
            ["campaign_id", "agency_id"],
            ["campaigns.id", "campaigns.agency_id"],
            ondelete="SET NULL (campaign_id)",
        ),
        CheckConstraint(
            "paused_from_status IS NULL "
            "OR paused_from_status IN ('pending', 'scheduled', 'processing')",
            name="paused_from_status",
        ),
        Index(
            "ix_call_batches_list_by_agency_newest",
            "agency_id",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False
    )
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    agent_mapping_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_mappings.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(Text, nullable=False)
    from_number: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="pending")
    calls_per_minute: Mapped[int | None] = mapped_column(Integer)
    max_concurrent: Mapped[int | None] = mapped_column(Integer)
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created_at()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = _created_at()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_from_status: Mapped[str | None] = mapped_column(Text)
    """While paused by this API: the status the pause interrupted (where resume returns)."""


class CampaignContact(Base):
    __tablename__ = "campaign_contacts"
    __table_args__ = (
        CheckConstraint(_one_of("status", CONTACT_STATUSES), name="status"),
        CheckConstraint(_one_of("priority", PRIORITIES), name="priority"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("max_attempts >= 0", name="max_attempts"),
        CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration"),
        CheckConstraint("jsonb_typeof(custom_data) = 'object'", name="custom_data_object"),
        ForeignKeyConstraint(
            ["batch_id", "agency_id"],
            ["call_batches.id", "call_batches.agency_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("id", "agency_id"),
        Index("ix_campaign_contacts_batch_created", "batch_id", "created_at", "id"),
        Index(
            "ix_campaign_contacts_batch_status_created", "batch_id", "status", "created_at", "id"
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    agency_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    phone_number: Mapped[str] = mapped_column(Text, nullable=False)
    first_name: Mapped[str | None] = mapped_column(Text)
    last_name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    company: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(Text, nullable=False, server_default="normal")
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="pending")
    call_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="3")
    outcome: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome_notes: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    custom_data: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    do_not_call: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    timezone: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()
    search_text: Mapped[str | None] = mapped_column(
        Text,
        Computed(
            "contact_search_document(phone_number, first_name, last_name, email, company, "
            "title, account_id, custom_data)",
            persisted=True,
        ),
        deferred=True,
        deferred_raiseload=True,
    )
    """Lower-cased searchable text (migration 0003), what `contacts.search` matches; never
    loaded with a contact."""


class CallLog(Base):
    __tablename__ = "call_logs"
    __table_args__ = (
        CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration"),
        ForeignKeyConstraint(
            ["contact_id", "agency_id"],
            ["campaign_contacts.id", "campaign_contacts.agency_id"],
            ondelete="CASCADE",
        ),
        Index("ix_call_logs_contact_created", "contact_id", "created_at", "id"),
        Index("ix_call_logs_contact_status", "contact_id", "call_status"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    agency_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    call_status: Mapped[str] = mapped_column(Text, nullable=False)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_url: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()


def _ranked(column: str, values: tuple[str, ...]) -> str:
    """`CASE column WHEN … END` exactly as PostgreSQL prints it back (so `alembic check` agrees)."""
    whens = "".join(f"    WHEN '{value}'::text THEN {rank}\n" for rank, value in enumerate(values))
    return f"\nCASE {column}\n{whens}    ELSE NULL::integer\nEND"


CONTACT_SORT_INDEX_KEYS = (
    ("created", "created_at", False),
    ("name", "contact_name(first_name, last_name)", True),
    ("phone", "phone_number", False),
    ("status", _ranked("status", CONTACT_STATUSES), False),
    ("priority", _ranked("priority", PRIORITIES), False),
    ("attempts", "attempts", False),
    ("last_attempt", "last_attempt_at", True),
    ("completed", "completed_at", True),
    ("duration", "duration_seconds", True),
)
"""Contacts of a batch in every API sort order (db/contacts.py), both directions, id tie-break
(migration 0002; ascending created_at is `ix_campaign_contacts_batch_created`)."""

for _suffix, _expression, _nullable in CONTACT_SORT_INDEX_KEYS:
    for _direction in ("asc", "desc"):
        if (_suffix, _direction) == ("created", "asc") or (
            _direction == "desc" and "\n" in _expression
        ):
            continue  # created_at ascending: above; CASE descending: migrations/optional_indexes
        _key = (
            CampaignContact.__table__.c[_expression]
            if _expression in CampaignContact.__table__.c
            else literal_column(_expression)
        )
        _ordered = _key.desc() if _direction == "desc" else _key
        Index(
            f"ix_campaign_contacts_batch_{_suffix}_{_direction}",
            CampaignContact.batch_id,
            _ordered.nulls_last() if _nullable else _ordered,
            CampaignContact.id,
        )


class CallBatchCounter(Base):
    """A batch's contact counts, kept by triggers on `campaign_contacts` (migration 0002)."""

    __tablename__ = "call_batch_counters"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("call_batches.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    total_contacts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    pending: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    queued: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    in_progress: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    completed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    failed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    calls_picked: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class AgencyBatchCounter(Base):
    """An agency's live (not soft-deleted) batches, kept by triggers on `call_batches`
    (migration 0009)."""

    __tablename__ = "agency_batch_counters"

    agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True
    )
    live_batches: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class BatchEvent(Base):
    """One transition of a batch made through the API (migration 0005): the audit trail."""

    __tablename__ = "batch_events"
    __table_args__ = (
        CheckConstraint(_one_of("action", BATCH_ACTIONS), name="action"),
        ForeignKeyConstraint(
            ["batch_id", "agency_id"],
            ["call_batches.id", "call_batches.agency_id"],
            ondelete="CASCADE",
        ),
        Index("ix_batch_events_batch_newest", "batch_id", text("created_at DESC"), text("id DESC")),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    agency_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(Text, nullable=False)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()


view_metadata = MetaData()

batch_summary = Table(
    "v_call_batch_summary",
    view_metadata,
    *(
        Column(c.name, c.type, primary_key=c.primary_key)
        for c in CallBatch.__table__.columns
        if c.name != "paused_from_status"
    ),
    Column("campaign_name", Text),
    Column("agent_name", Text),
    *(
        Column(name, Integer, nullable=False)
        for name in (
            "total_contacts",
            "pending",
            "queued",
            "in_progress",
            "completed",
            "failed",
            "skipped",
            "calls_picked",
            "remaining_count",
        )
    ),
    Column("progress_percentage", Float, nullable=False),
)
"""`v_call_batch_summary`: non-deleted batches with names and counts computed by PostgreSQL."""
