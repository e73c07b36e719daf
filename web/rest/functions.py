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
from web.rest import spec
from web.rest.endpoint import RestCall, admit_contacts_page
from web.rest.envelopes import function_value, json_response
from web.rest.params import integer, no_cursor, one_of, renamed, text

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
        await admit_contacts_page(call, session, batch.total_contacts, window, contact_filter)
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


BATCH_SUMMARY = spec.object_schema(
    {
        "id": spec.UUID,
        "agency_id": spec.UUID,
        "campaign_id": spec.nullable(spec.UUID),
        "agent_mapping_id": spec.nullable(spec.UUID),
        "name": spec.STRING,
        "from_number": spec.nullable(spec.STRING),
        "status": {"type": "string", "enum": list(BATCH_STATUSES)},
        "calls_per_minute": spec.nullable(spec.INTEGER),
        "max_concurrent": spec.nullable(spec.INTEGER),
        "scheduled_for": spec.nullable(spec.TIMESTAMP),
        "created_at": spec.TIMESTAMP,
        "started_at": spec.nullable(spec.TIMESTAMP),
        "updated_at": spec.TIMESTAMP,
        "deleted_at": {
            "type": "null",
            "description": "Always null: deleted batches are never returned.",
        },
        "campaign_name": spec.nullable(spec.STRING),
        "agent_name": spec.nullable(spec.STRING),
        "total_contacts": spec.INTEGER,
        "pending": spec.INTEGER,
        "queued": spec.INTEGER,
        "in_progress": spec.INTEGER,
        "completed": spec.INTEGER,
        "failed": spec.INTEGER,
        "skipped": spec.INTEGER,
        "calls_picked": {**spec.INTEGER, "description": "Contacts whose outcome is `answered`."},
        "remaining_count": spec.INTEGER,
        "progress_percentage": {
            "type": "number",
            "description": "round(100 * (completed + failed + skipped) / total_contacts, 1); 0 without contacts.",
        },
    },
    "A row of the view v_call_batch_summary.",
)
CONTACT = spec.object_schema(
    {
        "id": spec.UUID,
        "batch_id": spec.UUID,
        "agency_id": spec.UUID,
        "phone_number": spec.STRING,
        "first_name": spec.nullable(spec.STRING),
        "last_name": spec.nullable(spec.STRING),
        "email": spec.nullable(spec.STRING),
        "company": spec.nullable(spec.STRING),
        "title": spec.nullable(spec.STRING),
        "account_id": spec.nullable(spec.STRING),
        "priority": {"type": "string", "enum": ["low", "normal", "high"]},
        "status": {"type": "string", "enum": list(CONTACT_STATUSES)},
        "call_id": spec.nullable(spec.UUID),
        "attempts": spec.INTEGER,
        "max_attempts": spec.INTEGER,
        "outcome": spec.nullable(spec.STRING),
        "duration_seconds": spec.nullable(spec.INTEGER),
        "outcome_notes": spec.nullable(spec.STRING),
        "last_attempt_at": spec.nullable(spec.TIMESTAMP),
        "completed_at": spec.nullable(spec.TIMESTAMP),
        "custom_data": {"type": "object"},
        "do_not_call": {"type": "boolean"},
        "timezone": spec.nullable(spec.STRING),
        "created_at": spec.TIMESTAMP,
    },
    "A row of the table campaign_contacts.",
)

OPENAPI = spec.SpecPart(
    paths={
        "/functions/v1/calls-batch-list": {
            "get": {
                "tags": ["Functions"],
                "operationId": "callsBatchList",
                "summary": "Batches of the caller's agency from v_call_batch_summary, newest first",
                "description": "GraphQL: `batches(status, campaignId, limit)` with `pagination { offset hasMore }`.",
                "parameters": [
                    spec.query_parameter(
                        "status", {"type": "string", "enum": list(BATCH_STATUSES)}, "Batch status."
                    ),
                    spec.query_parameter("campaign_id", spec.UUID, "Campaign id."),
                    spec.query_parameter(
                        "limit",
                        {
                            **spec.INTEGER,
                            "minimum": 1,
                            "maximum": BATCH_LIMITS.maximum,
                            "default": BATCH_LIMITS.default,
                        },
                        "Page size.",
                    ),
                    spec.query_parameter(
                        "offset", {**spec.INTEGER, "minimum": 0, "default": 0}, "Rows to skip."
                    ),
                ],
                "responses": spec.responses(
                    "The page of batches",
                    "CallsBatchList",
                    "FunctionError",
                    {400: "Invalid status, campaign_id, limit or offset.", **spec.COMMON_ERRORS},
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
                    spec.query_parameter("batch_id", spec.UUID, "Batch id.", required=True),
                    spec.query_parameter(
                        "contact_status",
                        {"type": "string", "enum": list(CONTACT_STATUSES)},
                        "Contact status.",
                    ),
                    spec.query_parameter(
                        "contact_limit",
                        {
                            **spec.INTEGER,
                            "minimum": 1,
                            "maximum": CONTACT_LIMITS.maximum,
                            "default": CONTACT_LIMITS.default,
                        },
                        "Contacts per page.",
                    ),
                    spec.query_parameter(
                        "contact_offset",
                        {**spec.INTEGER, "minimum": 0, "default": 0},
                        "Contacts to skip.",
                    ),
                ],
                "responses": spec.responses(
                    "The batch and a page of its contacts",
                    "CallsBatchGet",
                    "FunctionError",
                    {
                        400: "batch_id missing or not a UUID; invalid contact_status, contact_limit or contact_offset.",
                        404: "Batch not found, deleted, or of another agency.",
                        **spec.COMMON_ERRORS,
                    },
                ),
            }
        },
    },
    schemas={
        "BatchSummary": BATCH_SUMMARY,
        "Contact": CONTACT,
        "FunctionPagination": spec.object_schema(
            {
                "total": spec.INTEGER,
                "limit": spec.INTEGER,
                "offset": spec.INTEGER,
                "has_more": {"type": "boolean"},
            }
        ),
        "CallsBatchList": spec.object_schema(
            {
                "batches": {"type": "array", "items": spec.ref("BatchSummary")},
                "pagination": spec.ref("FunctionPagination"),
            }
        ),
        "CallsBatchGet": spec.object_schema(
            {
                "batch": spec.ref("BatchSummary"),
                "contacts": {"type": "array", "items": spec.ref("Contact")},
                "contact_pagination": spec.ref("FunctionPagination"),
            }
        ),
    },
)
