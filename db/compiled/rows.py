"""The JSON of one batch, contact or call log row, by the names `shapes.Value` uses (the
columns of `v_call_batch_summary`, `campaign_contacts` and `call_logs`), and the lists below
them: a contact's call logs and a batch's contacts page."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by

from db import contacts as contact_queries
from db.compiled.json_sql import (
    Columns,
    NotCompilable,
    Pairs,
    RowValue,
    column,
    empty_json_array,
    enum_column,
    json_object,
    json_row,
    one_decimal,
    row_pairs,
    timestamp_column,
)
from db.compiled.pages import ListSource, page_statement
from db.compiled.shapes import ContactPage, Nested, Part, Shape
from db.models import CallLog, CampaignContact, batch_summary

BATCH_VALUES: dict[str, RowValue] = {
    name: column(name)
    for name in [
        "id",
        "name",
        "campaign_id",
        "campaign_name",
        "agent_mapping_id",
        "agent_name",
        "from_number",
        "total_contacts",
        "pending",
        "queued",
        "in_progress",
        "completed",
        "failed",
        "skipped",
        "calls_picked",
        "remaining_count",
        "calls_per_minute",
        "max_concurrent",
    ]
} | {
    "status": enum_column("status"),
    "progress_percentage": lambda columns: one_decimal(columns["progress_percentage"]),
    **{
        name: timestamp_column(name)
        for name in ("created_at", "updated_at", "started_at", "scheduled_for")
    },
}

CONTACT_VALUES: dict[str, RowValue] = {
    name: column(name)
    for name in [
        "id",
        "phone_number",
        "first_name",
        "last_name",
        "email",
        "company",
        "title",
        "account_id",
        "priority",
        "call_id",
        "attempts",
        "max_attempts",
        "outcome",
        "duration_seconds",
        "outcome_notes",
        "custom_data",
        "do_not_call",
        "timezone",
    ]
} | {
    "name": lambda columns: func.contact_name(columns["first_name"], columns["last_name"]),
    "status": enum_column("status"),
    **{name: timestamp_column(name) for name in ("created_at", "last_attempt_at", "completed_at")},
}

CALL_LOG_VALUES: dict[str, RowValue] = {
    name: column(name) for name in ("id", "call_status", "duration_seconds", "recording_url")
} | {"transcript": column("transcript"), "created_at": timestamp_column("created_at")}
SUMMARY_COLUMNS = tuple(batch_summary.c)
_CONTACT_COLUMNS = tuple(c for c in CampaignContact.__table__.c if c.name != "search_text")
_LOG_TABLE = CallLog.__table__
_LOGS = _LOG_TABLE.c


def batch_json(
    agency_id: uuid.UUID, columns: Columns, shape: Shape, batch_id: uuid.UUID | None = None
) -> ColumnElement[Any]:
    """One batch row's object (`json_object`: a root batch, one a statement)."""
    return json_object(batch_pairs(agency_id, columns, shape, batch_id))


def batch_pairs(
    agency_id: uuid.UUID, columns: Columns, shape: Shape, batch_id: uuid.UUID | None = None
) -> Pairs:
    """One batch row's keys and values. Its `contacts` pages are read with `batch_id`, the
    batch's id as a parameter (the row is that batch): without one there are none to build."""

    def nested(columns: Columns, key: str, part: Part) -> ColumnElement[Any]:
        if not isinstance(part, ContactPage) or batch_id is None:
            raise NotCompilable(f"not a part of a batch: {part!r}")
        return contact_page(agency_id, batch_id, part).scalar_subquery()

    return row_pairs(columns, shape, BATCH_VALUES, nested)


def contact_pairs(agency_id: uuid.UUID, columns: Columns, shape: Shape) -> Pairs:
    def nested(columns: Columns, key: str, part: Part) -> ColumnElement[Any]:
        if not isinstance(part, Nested) or part.name != "call_logs":
            raise NotCompilable(f"not a part of a contact: {part!r}")
        return call_logs_json(agency_id, columns["id"], part.shape)

    return row_pairs(columns, shape, CONTACT_VALUES, nested)


def call_logs_json(
    agency_id: uuid.UUID, contact_id: ColumnElement[Any], shape: Shape
) -> ColumnElement[Any]:
    """A contact's call logs, oldest first (`call_logs_by_contact`'s order), as a JSON array.
    `contact_id` is a column of the enclosing query's contact row."""
    log = json_row(row_pairs(_LOGS, shape, CALL_LOG_VALUES, _no_nested), "call_log")
    listed = func.json_agg(
        aggregate_order_by(log.table_valued(), _LOGS.created_at, _LOGS.id), type_=JSON
    )
    return (
        select(func.coalesce(listed, empty_json_array(), type_=JSON))
        .select_from(_LOG_TABLE.join(log, true()))
        .where(_LOGS.agency_id == agency_id, _LOGS.contact_id == contact_id)
        .correlate_except(_LOG_TABLE)
        .scalar_subquery()
    )


def contact_page(agency_id: uuid.UUID, batch_id: uuid.UUID, part: ContactPage) -> Select[Any]:
    """`SELECT` of one batch's contacts connection (`list_contacts` and `count_contacts`)."""
    contact_filter, sort = part.contact_filter, part.sort
    source = ListSource(
        columns=_CONTACT_COLUMNS,
        conditions=tuple(contact_queries.matching(agency_id, batch_id, contact_filter)),
        keys=tuple(contact_queries.order_keys(sort)),
        count=lambda after: contact_queries.count_query(
            agency_id, batch_id, contact_filter, sort, after
        ),
    )
    return page_statement(
        source,
        part.window,
        part.shape,
        lambda columns, shape: contact_pairs(agency_id, columns, shape),
    )


def _no_nested(columns: Columns, key: str, part: Part) -> ColumnElement[Any]:
    raise NotCompilable(f"nothing is nested in a call log: {part!r}")
