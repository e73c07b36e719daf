"""Response bodies of the two REST APIs we serve for migrating clients, success and error.

Weya (`/api/call/...`) wraps everything in `{message, status, code, errorMessage, data}` with
camelCase fields and millisecond UTC timestamps ("2025-05-01T12:00:00.000Z"). The Supabase
functions (`/functions/v1/...`) answer bare snake_case objects, `{"error": ...}` on failure, and
timestamps such as "2025-01-15T10:30:00Z".
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response

from core.errors import DomainError, Unauthenticated
from web.rest import spec


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status_code, headers=headers, media_type="application/json"
    )


def _error_headers(error: DomainError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    headers.update(getattr(error, "headers", {}))
    return headers


def weya_timestamp(value: datetime | None) -> str | None:
    """UTC with milliseconds and a `Z`, as Weya (a MongoDB-backed API) rendered dates."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def weya_success(message: str, data: Any) -> Response:
    body = {"message": message, "status": True, "code": 200, "errorMessage": "", "data": data}
    return json_response(body)


def weya_error(failure: str, error: DomainError) -> Response:
    """The Weya envelope of a failure: `message` says what failed, `errorMessage` why."""
    body = {
        "message": failure,
        "status": False,
        "code": error.http_status,
        "errorMessage": error.message,
        "data": None,
    }
    return json_response(body, error.http_status, _error_headers(error))


def function_timestamp(value: datetime | None) -> str | None:
    """UTC with a `Z`; fractional seconds only when the value has them."""
    if value is None:
        return None
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return f"{text}Z"


def function_value(value: Any) -> Any:
    """A column value as the functions' JSON shows it."""
    if isinstance(value, datetime):
        return function_timestamp(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def function_error(error: DomainError) -> Response:
    body = {"error": error.message, "code": error.code}
    return json_response(body, error.http_status, _error_headers(error))


def weya_envelope_schema(data: spec.Schema) -> spec.Schema:
    """The schema of `weya_success`'s envelope around `data`."""
    return spec.object_schema(
        {
            "message": spec.STRING,
            "status": {"const": True},
            "code": {"const": 200},
            "errorMessage": {"const": ""},
            "data": data,
        }
    )


WEYA_ERROR_OPENAPI = spec.SpecPart(
    paths={},
    schemas={
        "WeyaError": spec.object_schema(
            {
                "message": spec.STRING,
                "status": {"const": False},
                "code": spec.INTEGER,
                "errorMessage": spec.STRING,
                "data": {"type": "null"},
            }
        ),
    },
)
"""The schema of `weya_error`'s body."""

FUNCTION_ERROR_OPENAPI = spec.SpecPart(
    paths={},
    schemas={
        "FunctionError": spec.object_schema(
            {
                "error": spec.STRING,
                "code": {
                    "type": "string",
                    "description": "The GraphQL error code: BAD_USER_INPUT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, METHOD_NOT_ALLOWED, SERVICE_UNAVAILABLE, TIMEOUT or INTERNAL_SERVER_ERROR.",
                },
            }
        ),
    },
)
"""The schema of `function_error`'s body."""
