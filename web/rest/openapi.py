"""`GET /openapi.json`: an OpenAPI 3.1 document of the REST endpoints served for migrating clients.

Each handler module describes its own endpoints and schemas (`OPENAPI`, written by hand from the
same constants the endpoints use: limits, sort names, filter keys, status vocabularies); this
module assembles them. Tests validate the document and check live responses against its schemas.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from web.rest import envelopes, functions, weya_batches, weya_details
from web.rest.envelopes import json_response

PARTS = (
    weya_batches.OPENAPI,
    weya_details.OPENAPI,
    envelopes.WEYA_ERROR_OPENAPI,
    functions.OPENAPI,
    envelopes.FUNCTION_ERROR_OPENAPI,
)


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
        "paths": {path: item for part in PARTS for path, item in part.paths.items()},
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": {name: schema for part in PARTS for name, schema in part.schemas.items()},
        },
    }


async def openapi_json(request: Request) -> Response:
    return json_response(openapi_document())
