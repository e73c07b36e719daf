"""`GET /openapi.json`: an OpenAPI 3.1 document of the REST endpoints served for migrating clients.

Written by hand from the same constants the endpoints use (limits, sort names, filter keys,
status vocabularies); tests validate the document and check live responses against its schemas.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core.pagination import BATCH_LIMITS, CONTACT_LIMITS
from db.models import BATCH_STATUSES, CONTACT_STATUSES
from web.rest import weya
from web.rest.envelopes import json_response
from web.rest.queue_status import QUEUE_STATUS_BY_STATUS

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
UUID: Schema = {"type": "string", "format": "uuid"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}


def _nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Schema], description: str | None = None) -> Schema:
    schema: Schema = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _query(name: str, schema: Schema, description: str, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def _path(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": UUID,
        "description": description,
    }


def _responses(ok: str, ok_schema: str, error_schema: str, errors: dict[int, str]) -> Schema:
    responses: Schema = {
        "200": {"description": ok, "content": {"application/json": {"schema": _ref(ok_schema)}}}
    }
    for status, text in errors.items():
        responses[str(status)] = {
            "description": text,
            "content": {"application/json": {"schema": _ref(error_schema)}},
        }
    return responses


COMMON_ERRORS = {
    401: "Missing, malformed, expired or unknown bearer token.",
    403: "The user belongs to no agency.",
    405: "Any method other than GET (the body is the API's error body; `Allow: GET`).",
    500: "Unexpected failure: a generic message quoting the request id (X-Request-ID).",
    503: "The database is unavailable or the query timed out; retry.",
}

WEYA_QUEUE_STATUSES = list(QUEUE_STATUS_BY_STATUS.values())


def _components() -> Schema:
    phone_log = _object(
        {
            "callStatus": STRING,
            "callDuration": _nullable(INTEGER),
            "recordingUrl": _nullable(STRING),
            "transcript": _nullable(STRING),
            "createdAt": TIMESTAMP,
        }
    )
    batch_summary = _object(
        {
            "id": UUID,
            "agency_id": UUID,
            "campaign_id": _nullable(UUID),
            "agent_mapping_id": _nullable(UUID),
            "name": STRING,
            "from_number": _nullable(STRING),
            "status": {"type": "string", "enum": list(BATCH_STATUSES)},
            "calls_per_minute": _nullable(INTEGER),
            "max_concurrent": _nullable(INTEGER),
            "scheduled_for": _nullable(TIMESTAMP),
            "created_at": TIMESTAMP,
            "started_at": _nullable(TIMESTAMP),
            "updated_at": TIMESTAMP,
            "deleted_at": {
                "type": "null",
                "description": "Always null: deleted batches are never returned.",
            },
            "campaign_name": _nullable(STRING),
            "agent_name": _nullable(STRING),
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
    contact = _object(
        {
            "id": UUID,
            "batch_id": UUID,
            "agency_id": UUID,
            "phone_number": STRING,
            "first_name": _nullable(STRING),
            "last_name": _nullable(STRING),
            "email": _nullable(STRING),
            "company": _nullable(STRING),
            "title": _nullable(STRING),
            "account_id": _nullable(STRING),
            "priority": {"type": "string", "enum": ["low", "normal", "high"]},
            "status": {"type": "string", "enum": list(CONTACT_STATUSES)},
            "call_id": _nullable(UUID),
            "attempts": INTEGER,
            "max_attempts": INTEGER,
            "outcome": _nullable(STRING),
            "duration_seconds": _nullable(INTEGER),
            "outcome_notes": _nullable(STRING),
            "last_attempt_at": _nullable(TIMESTAMP),
            "completed_at": _nullable(TIMESTAMP),
            "custom_data": {"type": "object"},
            "do_not_call": {"type": "boolean"},
            "timezone": _nullable(STRING),
            "created_at": TIMESTAMP,
        },
        "A row of the table campaign_contacts.",
    )
    function_pagination = _object(
        {"total": INTEGER, "limit": INTEGER, "offset": INTEGER, "has_more": {"type": "boolean"}}
    )

    def weya_envelope(data: Schema) -> Schema:
        return _object(
            {
                "message": STRING,
                "status": {"const": True},
                "code": {"const": 200},
                "errorMessage": {"const": ""},
                "data": data,
            }
        )

    return {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        },
        "schemas": {
            "WeyaBatch": _object(
                {
                    "_id": UUID,
                    "batchName": STRING,
                    "totalCalls": INTEGER,
                    "callsPicked": INTEGER,
                    "callsCompleted": INTEGER,
                    "queue_status": {"type": "string", "enum": WEYA_QUEUE_STATUSES},
                    "createdAt": TIMESTAMP,
                    "updatedAt": TIMESTAMP,
                }
            ),
            "WeyaBatchList": weya_envelope(
                _object(
                    {
                        "batches": {"type": "array", "items": _ref("WeyaBatch")},
                        "pagination": _object(
                            {
                                "total": INTEGER,
                                "page": INTEGER,
                                "limit": INTEGER,
                                "totalPages": INTEGER,
                            }
                        ),
                    }
                )
            ),
            "WeyaPhoneLog": phone_log,
            "WeyaCall": _object(
                {
                    "_id": UUID,
                    "phoneNumber": STRING,
                    "name": _nullable(STRING),
                    "account_id": _nullable(STRING),
                    "priority": STRING,
                    "phoneLogs": {"type": "array", "items": _ref("WeyaPhoneLog")},
                    "createdAt": TIMESTAMP,
                }
            ),
            "WeyaBatchDetails": weya_envelope(
                _object(
                    {
                        "batchId": UUID,
                        "batchName": STRING,
                        "batchStatus": {"type": "string", "enum": WEYA_QUEUE_STATUSES},
                        "page": INTEGER,
                        "limit": INTEGER,
                        "total": INTEGER,
                        "totalPages": INTEGER,
                        "data": {"type": "array", "items": _ref("WeyaCall")},
                    }
                )
            ),
            "WeyaError": _object(
                {
                    "message": STRING,
                    "status": {"const": False},
                    "code": INTEGER,
                    "errorMessage": STRING,
                    "data": {"type": "null"},
                }
            ),
            "BatchSummary": batch_summary,
            "Contact": contact,
            "FunctionPagination": function_pagination,
            "CallsBatchList": _object(
                {
                    "batches": {"type": "array", "items": _ref("BatchSummary")},
                    "pagination": _ref("FunctionPagination"),
                }
            ),
            "CallsBatchGet": _object(
                {
                    "batch": _ref("BatchSummary"),
                    "contacts": {"type": "array", "items": _ref("Contact")},
                    "contact_pagination": _ref("FunctionPagination"),
                }
            ),
            "FunctionError": _object(
                {
                    "error": STRING,
                    "code": {
                        "type": "string",
                        "description": "The GraphQL error code: BAD_USER_INPUT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, METHOD_NOT_ALLOWED, SERVICE_UNAVAILABLE, TIMEOUT or INTERNAL_SERVER_ERROR.",
                    },
                }
            ),
        },
    }


def _paths() -> Schema:
    b, c = weya.BATCH_LIMITS, weya.CALL_LIMITS
    search = {"type": "string", "maxLength": 200}
    return {
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
                    _path(
                        "userId",
                        "The authenticated user's id (a token's `sub`); any other id is 403.",
                    ),
                    _query(
                        "page", {**INTEGER, "minimum": 1, "default": 1}, "Page number, 1-based."
                    ),
                    _query(
                        "limit",
                        {**INTEGER, "minimum": 1, "maximum": b.maximum, "default": b.default},
                        "Batches per page.",
                    ),
                    _query(
                        "search",
                        search,
                        "Case-insensitive substring of the batch name or of its queue_status "
                        "(`active` finds processing batches).",
                    ),
                ],
                "responses": _responses(
                    "Batches fetched successfully",
                    "WeyaBatchList",
                    "WeyaError",
                    {
                        400: "Invalid userId or query parameter.",
                        403: "userId is not the authenticated user, or the user belongs to no agency.",
                        404: "No batches found for the authenticated user (an empty page).",
                        **{k: v for k, v in COMMON_ERRORS.items() if k != 403},
                    },
                ),
            }
        },
        "/api/call/batch-details/{id}": {
            "get": {
                "tags": ["Weya"],
                "operationId": "weyaBatchDetails",
                "summary": "One batch and a page of its call records with their phone logs",
                "description": "GraphQL: `batch(id) { contacts(filter, search, sort, offset, limit) }`.",
                "parameters": [
                    _path("id", "Batch id."),
                    _query(
                        "page", {**INTEGER, "minimum": 1, "default": 1}, "Page number, 1-based."
                    ),
                    _query(
                        "limit",
                        {**INTEGER, "minimum": 1, "maximum": c.maximum, "default": c.default},
                        "Call records per page.",
                    ),
                    _query(
                        "filter",
                        {"type": "string", "maxLength": weya.FILTER_MAX_LENGTH},
                        "JSON object with any of the keys "
                        + ", ".join(weya.FILTER_KEYS)
                        + ', e.g. {"callStatus":"completed"} (contacts with a call log of that '
                        "status). Invalid JSON or an unknown key is 400.",
                    ),
                    _query(
                        "sortBy",
                        {"type": "string", "enum": list(weya.SORT_FIELDS), "default": "createdAt"},
                        "Sort field (snake_case column names are accepted too).",
                    ),
                    _query(
                        "sortOrder",
                        {"type": "string", "enum": ["asc", "desc"], "default": "asc"},
                        "Sort direction.",
                    ),
                    _query(
                        "search",
                        search,
                        "Case-insensitive substring of phone number, names, email, company, title, "
                        "account id or a string value of custom_data.",
                    ),
                ],
                "responses": _responses(
                    "Calls fetched successfully",
                    "WeyaBatchDetails",
                    "WeyaError",
                    {
                        400: "Invalid batch id, invalid filter JSON, unknown filter key or sortBy, or a parameter out of range.",
                        404: "Batch not found, deleted, or of another agency.",
                        **COMMON_ERRORS,
                    },
                ),
            }
        },
        "/functions/v1/calls-batch-list": {
            "get": {
                "tags": ["Functions"],
                "operationId": "callsBatchList",
                "summary": "Batches of the caller's agency from v_call_batch_summary, newest first",
                "description": "GraphQL: `batches(status, campaignId, limit)` with `pagination { offset hasMore }`.",
                "parameters": [
                    _query(
                        "status", {"type": "string", "enum": list(BATCH_STATUSES)}, "Batch status."
                    ),
                    _query("campaign_id", UUID, "Campaign id."),
                    _query(
                        "limit",
                        {
                            **INTEGER,
                            "minimum": 1,
                            "maximum": BATCH_LIMITS.maximum,
                            "default": BATCH_LIMITS.default,
                        },
                        "Page size.",
                    ),
                    _query("offset", {**INTEGER, "minimum": 0, "default": 0}, "Rows to skip."),
                ],
                "responses": _responses(
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
                    _query("batch_id", UUID, "Batch id.", required=True),
                    _query(
                        "contact_status",
                        {"type": "string", "enum": list(CONTACT_STATUSES)},
                        "Contact status.",
                    ),
                    _query(
                        "contact_limit",
                        {
                            **INTEGER,
                            "minimum": 1,
                            "maximum": CONTACT_LIMITS.maximum,
                            "default": CONTACT_LIMITS.default,
                        },
                        "Contacts per page.",
                    ),
                    _query(
                        "contact_offset",
                        {**INTEGER, "minimum": 0, "default": 0},
                        "Contacts to skip.",
                    ),
                ],
                "responses": _responses(
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
    }


@functools.cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Call batches: REST endpoints for migrating clients",
            "version": "1.0.0",
            "description": (
                "The Weya REST API and the Supabase functions, served unchanged from the same "
                "queries, paging rules and tenancy as the GraphQL API at POST /graphql, which is "
                "where new clients should go. Authenticate with `Authorization: Bearer <JWT>`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": "Weya", "description": "Weya's /api/call endpoints (camelCase, envelope)."},
            {"name": "Functions", "description": "Supabase edge functions (snake_case)."},
        ],
        "paths": _paths(),
        "components": _components(),
    }


async def openapi_json(request: Request) -> Response:
    return json_response(openapi_document())
