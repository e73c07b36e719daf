"""Weya's `GET /api/call/batch-details/{id}`: one batch and a page of its call records, and its
piece of the OpenAPI document.

Served on the same query layer, paging rules and tenancy as GraphQL's `batch { contacts }`; only
the parameter names, defaults and the response envelope are Weya's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

from core.arguments import parse_id, search_term
from core.errors import DomainError, NotFound
from core.pagination import Limits, offset_maths
from db import batches as batch_queries
from db import contacts as contact_queries
from db.models import CallLog, CampaignContact
from web.rest import spec
from web.rest.endpoint import RestCall, admit_contacts_page
from web.rest.envelopes import weya_envelope_schema, weya_error, weya_success, weya_timestamp
from web.rest.params import page_window, text
from web.rest.queue_status import QUEUE_STATUSES, queue_status
from web.rest.weya_filter import (
    FILTER_KEYS,
    FILTER_MAX_LENGTH,
    SORT_FIELDS,
    descending,
    parse_filter,
    sort_field,
)

BATCH_NOT_FOUND = "Batch not found or does not belong to the authenticated user"
CALL_LIMITS = Limits(default=10, maximum=200)
"""Weya's default page size (10); the maximum is GraphQL's for contacts."""


async def batch_details(call: RestCall) -> Response:
    params = call.request.query_params
    batch_id = parse_id("id", call.request.path_params["id"])
    window = page_window(params, CALL_LIMITS)
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
        await admit_contacts_page(
            call, session, batch.total_contacts, window, contact_filter, len(sort)
        )
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


def details_failed(error: DomainError) -> Response:
    return weya_error("Failed to fetch calls", error)


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


PHONE_LOG = spec.object_schema(
    {
        "callStatus": spec.STRING,
        "callDuration": spec.nullable(spec.INTEGER),
        "recordingUrl": spec.nullable(spec.STRING),
        "transcript": spec.nullable(spec.STRING),
        "createdAt": spec.TIMESTAMP,
    }
)

OPENAPI = spec.SpecPart(
    paths={
        "/api/call/batch-details/{id}": {
            "get": {
                "tags": ["Weya"],
                "operationId": "weyaBatchDetails",
                "summary": "One batch and a page of its call records with their phone logs",
                "description": "GraphQL: `batch(id) { contacts(filter, search, sort, offset, limit) }`.",
                "parameters": [
                    spec.path_parameter("id", "Batch id."),
                    *spec.page_parameters(CALL_LIMITS, "Call records"),
                    spec.query_parameter(
                        "filter",
                        {"type": "string", "maxLength": FILTER_MAX_LENGTH},
                        "JSON object with any of the keys "
                        + ", ".join(FILTER_KEYS)
                        + ', e.g. {"callStatus":"completed"} (contacts with a call log of that '
                        "status). Invalid JSON or an unknown key is 400.",
                    ),
                    spec.query_parameter(
                        "sortBy",
                        {"type": "string", "enum": list(SORT_FIELDS), "default": "createdAt"},
                        "Sort field (snake_case column names are accepted too).",
                    ),
                    spec.query_parameter(
                        "sortOrder",
                        {"type": "string", "enum": ["asc", "desc"], "default": "asc"},
                        "Sort direction.",
                    ),
                    spec.query_parameter(
                        "search",
                        spec.SEARCH,
                        "Case-insensitive substring of phone number, names, email, company, title, "
                        "account id or a string value of custom_data.",
                    ),
                ],
                "responses": spec.responses(
                    "Calls fetched successfully",
                    "WeyaBatchDetails",
                    "WeyaError",
                    {
                        400: "Invalid batch id, invalid filter JSON, unknown filter key or sortBy, or a parameter out of range.",
                        404: "Batch not found, deleted, or of another agency.",
                        **spec.COMMON_ERRORS,
                    },
                ),
            }
        },
    },
    schemas={
        "WeyaPhoneLog": PHONE_LOG,
        "WeyaCall": spec.object_schema(
            {
                "_id": spec.UUID,
                "phoneNumber": spec.STRING,
                "name": spec.nullable(spec.STRING),
                "account_id": spec.nullable(spec.STRING),
                "priority": spec.STRING,
                "phoneLogs": {"type": "array", "items": spec.ref("WeyaPhoneLog")},
                "createdAt": spec.TIMESTAMP,
            }
        ),
        "WeyaBatchDetails": weya_envelope_schema(
            spec.object_schema(
                {
                    "batchId": spec.UUID,
                    "batchName": spec.STRING,
                    "batchStatus": {"type": "string", "enum": QUEUE_STATUSES},
                    "page": spec.INTEGER,
                    "limit": spec.INTEGER,
                    "total": spec.INTEGER,
                    "totalPages": spec.INTEGER,
                    "data": {"type": "array", "items": spec.ref("WeyaCall")},
                }
            )
        ),
    },
)
