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


def limit_error(message: str, limit: str, maximum: int, actual: int | None = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": LIMIT_CODE, "limit": limit, "maximum": maximum}
    if actual is not None:
        extensions["actual"] = actual
    return GraphQLError(message, extensions=extensions)
