"""Tokens and source length: graphql-core's parser enforces them; its errors are reworded."""

from __future__ import annotations

import re

from graphql import GraphQLError

from schema.limits.bounds import limit_error

PARSE_LIMITS = (
    (re.compile(r"Document contains more than (\d+) tokens"), "tokens"),
    (re.compile(r"Source contains more than (\d+) code points"), "sourceLength"),
)
"""graphql-core's own messages (private text, guarded by tests/test_graphql_core_messages.py)."""


def parse_limit_error(error: GraphQLError) -> GraphQLError | None:
    """The parser's "too many tokens/characters" syntax error, reworded as a limit error."""
    for pattern, limit in PARSE_LIMITS:
        match = pattern.search(error.message)
        if match:
            maximum = int(match.group(1))
            unit = "tokens" if limit == "tokens" else "characters"
            return limit_error(
                f"the query has more than {maximum} {unit}, the maximum: send a smaller query "
                "(page through lists, drop unused fields)",
                limit,
                maximum,
            )
    return None
