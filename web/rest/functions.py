"""The Supabase edge functions `calls-batch-list` and `calls-batch-get`, at
`/functions/v1/<name>`: rows of `v_call_batch_summary` and `campaign_contacts` as snake_case
JSON, paged by limit/offset. Same query layer, paging rules and tenancy as GraphQL.
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
