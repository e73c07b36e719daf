"""The Supabase edge functions `calls-batch-list` and `calls-batch-get`, at
`/functions/v1/<name>`: rows of `v_call_batch_summary` and `campaign_contacts` as snake_case
JSON, paged by limit/offset. Same query layer, paging rules and tenancy as GraphQL. `OPENAPI` is
their piece of the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from starlette.responses import Response

from core.arguments import parse_id
from core.errors import BadUserInput, NotFound
from core.pagination import BATCH_LIMITS, CONTACT_LIMITS, offset_maths, parse_window
from db import batches as batch_queries
from db import contacts as contact_queries
from db.models import BATCH_STATUSES, CONTACT_STATUSES, CampaignContact, batch_summary
from web.rest.endpoint import RestCall
from web.rest.envelopes import function_value, json_response
from web.rest.params import integer, no_cursor, one_of, renamed, text
from web.rest.spec import (
    COMMON_ERRORS,
    INTEGER,
    STRING,
    TIMESTAMP,
    UUID,
    SpecPart,
    nullable,
    object_schema,
    query_parameter,
    ref,
    responses,
)

BATCH_NOT_FOUND = "Batch not found"
CONTACT_COLUMNS = tuple(
    str(column.key) for column in CampaignContact.__table__.columns if column.computed is None
)
"""The contact's own columns; generated ones (the internal `search_text`) are not data."""
BATCH_COLUMNS = tuple(str(column.key) for column in batch_summary.columns)


def summary(row: Row[Any]) -> dict[str, Any]:
    """A `v_call_batch_summary` row, every column."""
    values = {name: function_value(row._mapping[name]) for name in BATCH_COLUMNS}
    values["progress_percentage"] = float(values["progress_percentage"])
    return values


def contact(row: CampaignContact) -> dict[str, Any]:
    """A `campaign_contacts` row, every column."""
    return {name: function_value(getattr(row, name)) for name in CONTACT_COLUMNS}


def _pagination(total: int, offset: int, limit: int) -> dict[str, Any]:
    maths = offset_maths(total, offset, limit)
    return {
        "total": maths.total,
        "limit": maths.limit,
        "offset": maths.offset,
        "has_more": maths.has_more,
    }


async def calls_batch_list(call: RestCall) -> Response:
    params = call.request.query_params
    campaign_id = text(params, "campaign_id")
    batch_filter = batch_queries.BatchFilter(
        status=one_of("status", text(params, "status"), BATCH_STATUSES),
        campaign_id=parse_id("campaign_id", campaign_id) if campaign_id is not None else None,
    )
    window = parse_window(
        BATCH_LIMITS,
        offset=integer(params, "offset"),
        limit=integer(params, "limit"),
        decode_after=no_cursor,
    )
    agency_id = call.principal.agency_id
    async with call.db.session() as session:
        rows = await batch_queries.list_batches(
            session, agency_id, batch_filter, limit=window.limit, offset=window.offset
        )
        total = await batch_queries.count_batches(session, agency_id, batch_filter)
    body = {
        "batches": [summary(row) for row in rows],
        "pagination": _pagination(total, window.offset, window.limit),
    }
    return json_response(body)


async def calls_batch_get(call: RestCall) -> Response:
    params = call.request.query_params
    raw_id = text(params, "batch_id")
    if raw_id is None:
        raise BadUserInput("batch_id query parameter is required")
    batch_id = parse_id("batch_id", raw_id)
    contact_filter = contact_queries.ContactFilter(
        status=one_of("contact_status", text(params, "contact_status"), CONTACT_STATUSES)
    )
    try:
        window = parse_window(
            CONTACT_LIMITS,
            offset=integer(params, "contact_offset"),
            limit=integer(params, "contact_limit"),
            decode_after=no_cursor,
        )
    except BadUserInput as error:
        raise renamed(error, {"limit": "contact_limit", "offset": "contact_offset"}) from None
    agency_id = call.principal.agency_id
    async with call.db.session() as session:
        batch = await batch_queries.get_batch(session, agency_id, batch_id)
        if batch is None:
            raise NotFound(BATCH_NOT_FOUND)
        rows = await contact_queries.list_contacts(
            session, agency_id, batch_id, contact_filter,
            limit=window.limit, offset=window.offset,
        )  # fmt: skip
        total = await contact_queries.count_contacts(session, agency_id, batch_id, contact_filter)
    body = {
        "batch": summary(batch),
        "contacts": [contact(row.contact) for row in rows],
        "contact_pagination": _pagination(total, window.offset, window.limit),
    }
    return json_response(body)


BATCH_SUMMARY = object_schema(
    {
        "id": UUID,
        "agency_id": UUID,
        "campaign_id": nullable(UUID),
        "agent_mapping_id": nullable(UUID),
        "name": STRING,
        "from_number": nullable(STRING),
        "status": {"type": "string", "enum": list(BATCH_STATUSES)},
        "calls_per_minute": nullable(INTEGER),
        "max_concurrent": nullable(INTEGER),
        "scheduled_for": nullable(TIMESTAMP),
        "created_at": TIMESTAMP,
        "started_at": nullable(TIMESTAMP),
        "updated_at": TIMESTAMP,
        "deleted_at": {
            "type": "null",
            "description": "Always null: deleted batches are never returned.",
        },
        "campaign_name": nullable(STRING),
        "agent_name": nullable(STRING),
        "total_contacts": INTEGER,
        "pending": INTEGER,
        "queued": INTEGER,
        "in_progress": INTEGER,
        "completed": INTEGER,
        "failed": INTEGER,
        "skipped": INTEGER,
        "calls_picked": {**INTEGER, "description": "Contacts whose outcome is `answered`."},
        "remaining_count": INTEGER,
        "progress_percentage": {
            "type": "number",
            "description": "round(100 * (completed + failed + skipped) / total_contacts, 1); 0 without contacts.",
        },
    },
    "A row of the view v_call_batch_summary.",
)
CONTACT = object_schema(
    {
        "id": UUID,
        "batch_id": UUID,
        "agency_id": UUID,
        "phone_number": STRING,
        "first_name": nullable(STRING),
        "last_name": nullable(STRING),
        "email": nullable(STRING),
        "company": nullable(STRING),
        "title": nullable(STRING),
        "account_id": nullable(STRING),
        "priority": {"type": "string", "enum": ["low", "normal", "high"]},
        "status": {"type": "string", "enum": list(CONTACT_STATUSES)},
        "call_id": nullable(UUID),
        "attempts": INTEGER,
        "max_attempts": INTEGER,
        "outcome": nullable(STRING),
        "duration_seconds": nullable(INTEGER),
        "outcome_notes": nullable(STRING),
        "last_attempt_at": nullable(TIMESTAMP),
        "completed_at": nullable(TIMESTAMP),
        "custom_data": {"type": "object"},
        "do_not_call": {"type": "boolean"},
        "timezone": nullable(STRING),
        "created_at": TIMESTAMP,
    },
    "A row of the table campaign_contacts.",
)

OPENAPI = SpecPart(
    paths={
        "/functions/v1/calls-batch-list": {
            "get": {
                "tags": ["Functions"],
                "operationId": "callsBatchList",
                "summary": "Batches of the caller's agency from v_call_batch_summary, newest first",
                "description": "GraphQL: `batches(status, campaignId, limit)` with `pagination { offset hasMore }`.",
                "parameters": [
                    query_parameter(
                        "status", {"type": "string", "enum": list(BATCH_STATUSES)}, "Batch status."
                    ),
                    query_parameter("campaign_id", UUID, "Campaign id."),
                    query_parameter(
                        "limit",
                        {
                            **INTEGER,
                            "minimum": 1,
                            "maximum": BATCH_LIMITS.maximum,
                            "default": BATCH_LIMITS.default,
                        },
                        "Page size.",
                    ),
                    query_parameter(
                        "offset", {**INTEGER, "minimum": 0, "default": 0}, "Rows to skip."
                    ),
                ],
                "responses": responses(
                    "The page of batches",
                    "CallsBatchList",
                    "FunctionError",
                    {400: "Invalid status, campaign_id, limit or offset.", **COMMON_ERRORS},
                ),
            }
        },
        "/functions/v1/calls-batch-get": {
            "get": {
                "tags": ["Functions"],
                "operationId": "callsBatchGet",
                "summary": "One batch from v_call_batch_summary and a page of its contacts, oldest first",
                "description": "GraphQL: `batch(id) { contacts(filter: {status}, offset, limit) }`.",
                "parameters": [
                    query_parameter("batch_id", UUID, "Batch id.", required=True),
                    query_parameter(
                        "contact_status",
                        {"type": "string", "enum": list(CONTACT_STATUSES)},
                        "Contact status.",
                    ),
                    query_parameter(
                        "contact_limit",
                        {
                            **INTEGER,
                            "minimum": 1,
                            "maximum": CONTACT_LIMITS.maximum,
                            "default": CONTACT_LIMITS.default,
                        },
                        "Contacts per page.",
                    ),
                    query_parameter(
                        "contact_offset",
                        {**INTEGER, "minimum": 0, "default": 0},
                        "Contacts to skip.",
                    ),
                ],
                "responses": responses(
                    "The batch and a page of its contacts",
                    "CallsBatchGet",
                    "FunctionError",
                    {
                        400: "batch_id missing or not a UUID; invalid contact_status, contact_limit or contact_offset.",
                        404: "Batch not found, deleted, or of another agency.",
                        **COMMON_ERRORS,
                    },
                ),
            }
        },
    },
    schemas={
        "BatchSummary": BATCH_SUMMARY,
        "Contact": CONTACT,
        "FunctionPagination": object_schema(
            {"total": INTEGER, "limit": INTEGER, "offset": INTEGER, "has_more": {"type": "boolean"}}
        ),
        "CallsBatchList": object_schema(
            {
                "batches": {"type": "array", "items": ref("BatchSummary")},
                "pagination": ref("FunctionPagination"),
            }
        ),
        "CallsBatchGet": object_schema(
            {
                "batch": ref("BatchSummary"),
                "contacts": {"type": "array", "items": ref("Contact")},
                "contact_pagination": ref("FunctionPagination"),
            }
        ),
    },
)
