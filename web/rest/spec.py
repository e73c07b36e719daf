"""Building blocks of the OpenAPI 3.1 document (`GET /openapi.json`): each REST handler module
describes its own endpoints and schemas with them (`OPENAPI`), `openapi.py` assembles the parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.arguments import SEARCH_MAX_LENGTH
from core.pagination import Limits

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
UUID: Schema = {"type": "string", "format": "uuid"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
SEARCH: Schema = {"type": "string", "maxLength": SEARCH_MAX_LENGTH}


def nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def object_schema(properties: dict[str, Schema], description: str | None = None) -> Schema:
    schema: Schema = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def query_parameter(name: str, schema: Schema, description: str, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def path_parameter(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": UUID,
        "description": description,
    }


def responses(ok: str, ok_schema: str, error_schema: str, errors: dict[int, str]) -> Schema:
    responses: Schema = {
        "200": {"description": ok, "content": {"application/json": {"schema": ref(ok_schema)}}}
    }
    for status, text in errors.items():
        responses[str(status)] = {
            "description": text,
            "content": {"application/json": {"schema": ref(error_schema)}},
        }
    return responses


COMMON_ERRORS = {
    401: "Missing, malformed, expired or unknown bearer token.",
    403: "The user belongs to no agency.",
    405: "Any method other than GET (the body is the API's error body; `Allow: GET`).",
    500: "Unexpected failure: a generic message quoting the request id (X-Request-ID).",
    503: "The database is unavailable or the query timed out; retry.",
}


@dataclass(frozen=True)
class SpecPart:
    """One handler module's piece of the document: its paths and its component schemas."""

    paths: Schema
    schemas: Schema


def page_parameters(limits: Limits, rows: str) -> list[Schema]:
    """Weya's `page` and `limit` query parameters (`params.page_window`) for a list of `rows`."""
    return [
        query_parameter("page", {**INTEGER, "minimum": 1, "default": 1}, "Page number, 1-based."),
        query_parameter(
            "limit",
            {**INTEGER, "minimum": 1, "maximum": limits.maximum, "default": limits.default},
            f"{rows} per page.",
        ),
    ]
