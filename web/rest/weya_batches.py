"""Weya's `GET /api/call/batches/{userId}`: the batches of the user's agency, newest first, and
its piece of the OpenAPI document.

Served on the same query layer, paging rules and tenancy as GraphQL's `batches`; only the
parameter names, defaults and the response envelope are Weya's. Batches carry no owning user: a
user's batches are those of the user's agency.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from starlette.responses import Response

from core.arguments import parse_id, search_term
from core.errors import DomainError, Forbidden, NotFound
from core.pagination import Limits, offset_maths
from db import batches as batch_queries
from web.rest import spec
from web.rest.endpoint import RestCall
from web.rest.envelopes import weya_envelope_schema, weya_error, weya_success, weya_timestamp
from web.rest.params import page_window, text
from web.rest.queue_status import QUEUE_STATUSES, queue_status, statuses_matching

BATCH_LIMITS = Limits(default=10, maximum=100)
"""Weya's default page size (10); the maximum is GraphQL's for batches."""

NO_BATCHES = "No batches found for the authenticated user"


def list_failed(error: DomainError) -> Response:
    return weya_error("Failed to fetch batches", error)


async def list_user_batches(call: RestCall) -> Response:
    params = call.request.query_params
    user_id = parse_id("userId", call.request.path_params["userId"])
    if user_id != call.principal.user_id:
        raise Forbidden("userId must be the authenticated user's id")
    window = page_window(params, BATCH_LIMITS)
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


OPENAPI = spec.SpecPart(
    paths={
        "/api/call/batches/{userId}": {
            "get": {
                "tags": ["Weya"],
                "operationId": "weyaListBatches",
                "summary": "List the batches of the authenticated user's agency, newest first",
                "description": (
                    "GraphQL: `batches(search, page, limit)`. `queue_status` is the batch status "
                    "in Weya's words (`processing` is `active`). As on Weya, an empty page "
                    "(no batches, no match, or a page past the end) answers 404."
                ),
                "parameters": [
                    spec.path_parameter(
                        "userId",
                        "The authenticated user's id (a token's `sub`); any other id is 403.",
                    ),
                    *spec.page_parameters(BATCH_LIMITS, "Batches"),
                    spec.query_parameter(
                        "search",
                        spec.SEARCH,
                        "Case-insensitive substring of the batch name or of its queue_status "
                        "(`active` finds processing batches).",
                    ),
                ],
                "responses": spec.responses(
                    "Batches fetched successfully",
                    "WeyaBatchList",
                    "WeyaError",
                    {
                        400: "Invalid userId or query parameter.",
                        403: "userId is not the authenticated user, or the user belongs to no agency.",
                        404: "No batches found for the authenticated user (an empty page).",
                        **{k: v for k, v in spec.COMMON_ERRORS.items() if k != 403},
                    },
                ),
            }
        },
    },
    schemas={
        "WeyaBatch": spec.object_schema(
            {
                "_id": spec.UUID,
                "batchName": spec.STRING,
                "totalCalls": spec.INTEGER,
                "callsPicked": spec.INTEGER,
                "callsCompleted": spec.INTEGER,
                "queue_status": {"type": "string", "enum": QUEUE_STATUSES},
                "createdAt": spec.TIMESTAMP,
                "updatedAt": spec.TIMESTAMP,
            }
        ),
        "WeyaBatchList": weya_envelope_schema(
            spec.object_schema(
                {
                    "batches": {"type": "array", "items": spec.ref("WeyaBatch")},
                    "pagination": spec.object_schema(
                        {
                            "total": spec.INTEGER,
                            "page": spec.INTEGER,
                            "limit": spec.INTEGER,
                            "totalPages": spec.INTEGER,
                        }
                    ),
                }
            )
        ),
    },
)
