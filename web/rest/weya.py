"""Weya's REST API: `GET /api/call/batches/{userId}` and `GET /api/call/batch-details/{id}`.

Served on the same query layer, paging rules and tenancy as GraphQL's `batches` and
`batch { contacts }`; only the parameter names, defaults and the response envelope are Weya's.
Batches carry no owning user: a user's batches are those of the user's agency.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from starlette.responses import Response

from core.arguments import ContactFilterText, filter_text, parse_id, search_term
from core.errors import BadUserInput, DomainError, Forbidden, NotFound, describe
from core.pagination import Limits, offset_maths, parse_window
from db import batches as batch_queries
from db import contacts as contact_queries
from db.models import CONTACT_STATUSES, CallLog, CampaignContact
from web.rest.endpoint import RestCall
from web.rest.envelopes import weya_error, weya_success, weya_timestamp
from web.rest.params import integer, no_cursor, text
from web.rest.queue_status import queue_status, statuses_matching

BATCH_LIMITS = Limits(default=10, maximum=100)
"""Weya's default page size (10); the maximum is GraphQL's for batches."""
CALL_LIMITS = Limits(default=10, maximum=200)
"""Weya's default page size (10); the maximum is GraphQL's for contacts."""

NO_BATCHES = "No batches found for the authenticated user"
BATCH_NOT_FOUND = "Batch not found or does not belong to the authenticated user"
FILTER_MAX_LENGTH = 2000

SortField = contact_queries.ContactSortField

SORT_FIELDS: dict[str, contact_queries.ContactSortField] = {
    "createdAt": SortField.CREATED_AT,
    "name": SortField.NAME,
    "phoneNumber": SortField.PHONE_NUMBER,
    "status": SortField.STATUS,
    "priority": SortField.PRIORITY,
    "attempts": SortField.ATTEMPTS,
    "lastAttemptAt": SortField.LAST_ATTEMPT_AT,
    "completedAt": SortField.COMPLETED_AT,
    "durationSeconds": SortField.DURATION_SECONDS,
    "callDuration": SortField.DURATION_SECONDS,
}
"""`sortBy` names: Weya's camelCase ones (the snake_case column names are accepted too)."""

FILTER_KEYS = ("callStatus", "status", "statusIn", "priority", "outcome", "doNotCall")
"""Keys of the `filter` JSON object, each one field of `db.contacts.ContactFilter`."""


def list_failed(error: DomainError) -> Response:
    return weya_error("Failed to fetch batches", error)


def details_failed(error: DomainError) -> Response:
    return weya_error("Failed to fetch calls", error)


async def list_user_batches(call: RestCall) -> Response:
    params = call.request.query_params
    user_id = parse_id("userId", call.request.path_params["userId"])
    if user_id != call.principal.user_id:
        raise Forbidden("userId must be the authenticated user's id")
    window = parse_window(
        BATCH_LIMITS,
        page=integer(params, "page"),
        limit=integer(params, "limit"),
        decode_after=no_cursor,
    )
    term = search_term(text(params, "search"))
    batch_filter = batch_queries.BatchFilter(
        search=term,
        search_statuses=statuses_matching(term) if term is not None else None,
    )
    agency_id = call.principal.agency_id
    async with call.db.session() as session:
        rows = await batch_queries.list_batches(
            session, agency_id, batch_filter, limit=window.limit, offset=window.offset
        )
        if not rows:
            raise NotFound(NO_BATCHES)
        total = await batch_queries.count_batches(session, agency_id, batch_filter)
    maths = offset_maths(total, window.offset, window.limit)
    data = {
        "batches": [_batch(row) for row in rows],
        "pagination": {
            "total": maths.total,
            "page": maths.page,
            "limit": maths.limit,
            "totalPages": maths.total_pages,
        },
    }
    return weya_success("Batches fetched successfully", data)


def _batch(row: Row[Any]) -> dict[str, Any]:
    return {
        "_id": str(row.id),
        "batchName": row.name,
        "totalCalls": row.total_contacts,
        "callsPicked": row.calls_picked,
        "callsCompleted": row.completed,
        "queue_status": queue_status(row.status),
        "createdAt": weya_timestamp(row.created_at),
        "updatedAt": weya_timestamp(row.updated_at),
    }


async def batch_details(call: RestCall) -> Response:
    params = call.request.query_params
    batch_id = parse_id("id", call.request.path_params["id"])
    window = parse_window(
        CALL_LIMITS,
        page=integer(params, "page"),
        limit=integer(params, "limit"),
        decode_after=no_cursor,
    )
    contact_filter = parse_filter(text(params, "filter"), search_term(text(params, "search")))
    sort = (
        contact_queries.ContactSort(
            sort_field(text(params, "sortBy")), descending=descending(text(params, "sortOrder"))
        ),
    )
    agency_id = call.principal.agency_id
    async with call.db.session() as session:
        batch = await batch_queries.get_batch(session, agency_id, batch_id)
        if batch is None:
            raise NotFound(BATCH_NOT_FOUND)
        rows = await contact_queries.list_contacts(
            session, agency_id, batch_id, contact_filter, sort,
            limit=window.limit, offset=window.offset,
        )  # fmt: skip
        total = await contact_queries.count_contacts(session, agency_id, batch_id, contact_filter)
        logs = await contact_queries.call_logs_by_contact(
            session, agency_id, [row.contact.id for row in rows]
        )
    maths = offset_maths(total, window.offset, window.limit)
    data = {
        "batchId": str(batch.id),
        "batchName": batch.name,
        "batchStatus": queue_status(batch.status),
        "page": maths.page,
        "limit": maths.limit,
        "total": maths.total,
        "totalPages": maths.total_pages,
        "data": [_call(row.contact, logs.get(row.contact.id, [])) for row in rows],
    }
    return weya_success("Calls fetched successfully", data)


def _call(contact: CampaignContact, logs: Sequence[CallLog]) -> dict[str, Any]:
    names = [n for n in (contact.first_name, contact.last_name) if n is not None]
    return {
        "_id": str(contact.id),
        "phoneNumber": contact.phone_number,
        "name": " ".join(names) if names else None,
        "account_id": contact.account_id,
        "priority": contact.priority,
        "phoneLogs": [
            {
                "callStatus": log.call_status,
                "callDuration": log.duration_seconds,
                "recordingUrl": log.recording_url,
                "transcript": log.transcript,
                "createdAt": weya_timestamp(log.created_at),
            }
            for log in logs
        ],
        "createdAt": weya_timestamp(contact.created_at),
    }


def sort_field(name: str | None) -> contact_queries.ContactSortField:
    if name is None:
        return SortField.CREATED_AT
    field = SORT_FIELDS.get(name)
    if field is None:
        field = next((f for f in SortField if f.value == name), None)
    if field is None:
        raise BadUserInput(f"sortBy must be one of {', '.join(SORT_FIELDS)}; got {describe(name)}")
    return field


def descending(order: str | None) -> bool:
    if order is None or order.lower() == "asc":
        return False
    if order.lower() == "desc":
        return True
    raise BadUserInput(f"sortOrder must be asc or desc, got {describe(order)}")


def parse_filter(raw: str | None, search: str | None) -> contact_queries.ContactFilter:
    """The `filter` parameter: a JSON object over `FILTER_KEYS`, e.g. {"callStatus":"completed"}."""
    if raw is None or not raw.strip():
        return contact_queries.ContactFilter(search=search)
    example = 'e.g. {"callStatus":"completed"}'
    if len(raw) > FILTER_MAX_LENGTH:
        raise BadUserInput(f"filter must be at most {FILTER_MAX_LENGTH} characters")
    try:
        value = json.loads(raw)
    except ValueError:
        raise BadUserInput(f"filter is not valid JSON; send a JSON object, {example}") from None
    if not isinstance(value, dict):
        raise BadUserInput(f"filter must be a JSON object, {example}")
    unknown = [key for key in value if key not in FILTER_KEYS]
    if unknown:
        raise BadUserInput(
            f"filter has unknown field(s) {', '.join(describe(k) for k in unknown)}; "
            f"allowed: {', '.join(FILTER_KEYS)}"
        )
    status = filter_text("filter.status", _string(value, "status"))
    status_in = _string_list(value, "statusIn")
    for named in [status, *(status_in or ())]:
        if named is not None and named not in CONTACT_STATUSES:
            raise BadUserInput(
                f"filter status must be one of {', '.join(CONTACT_STATUSES)}; got {describe(named)}"
            )
    do_not_call = value.get("doNotCall")
    if do_not_call is not None and not isinstance(do_not_call, bool):
        raise BadUserInput("filter.doNotCall must be true or false")
    text = ContactFilterText(
        outcome=_string(value, "outcome"),
        priority=_string(value, "priority"),
        call_status=_string(value, "callStatus"),
    )
    return contact_queries.ContactFilter(
        status=status,
        status_in=status_in,
        outcome=text.outcome,
        priority=text.priority,
        do_not_call=do_not_call,
        call_status=text.call_status,
        search=search,
    )


def _string(value: dict[str, Any], key: str) -> str | None:
    item = value.get(key)
    if item is not None and not isinstance(item, str):
        raise BadUserInput(f"filter.{key} must be a string")
    return item


def _string_list(value: dict[str, Any], key: str) -> tuple[str, ...] | None:
    items = value.get(key)
    if items is None:
        return None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise BadUserInput(f"filter.{key} must be a list of strings")
    return tuple(items)
