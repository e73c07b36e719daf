"""The query limits and the error that reports crossing one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

LIMIT_CODE = "GRAPHQL_VALIDATION_FAILED"


@dataclass(frozen=True)
class QueryLimits:
    """The limits (see README "Auth, tenancy and errors" for why these values)."""

    max_tokens: int = 1_000
    max_source_length: int = 100_000
    max_depth: int = 20
    max_aliases: int = 30
    max_field_repeats: int = 10
    max_cost: int = 100_000
    call_logs_per_contact: int = 3
    introspection_list_length: int = 5
    assumed_list_rows: int = 10_000
    """Rows a search, a filter or a sort no index serves is assumed to read, and the most an
    offset is assumed to skip, in the estimate made before any SQL (the batch's real size is
    not known yet; the setting MAX_ROWS_READ checks that once it is, `rows_read.py`)."""


def limit_error(message: str, limit: str, maximum: int, actual: int | None = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": LIMIT_CODE, "limit": limit, "maximum": maximum}
    if actual is not None:
        extensions["actual"] = actual
    return GraphQLError(message, extensions=extensions)
