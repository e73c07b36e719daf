"""The operation name the `/graphql` endpoint records for the access log and the metrics:
`operationName`, else the operation's name in the document, else its first root field, else
`anonymous`; `batched` for a list body, `invalid` for a body that is no GraphQL request.

The document is read by graphql-core's parser (bounded by the query token limit), never guessed
with regular expressions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode, parse

from schema.limits import QueryLimits

MAX_NAME_LENGTH = 64
_LIMITS = QueryLimits()


def parse_within_limits(query: str) -> DocumentNode:
    return parse(query, max_tokens=_LIMITS.max_tokens, max_source_length=_LIMITS.max_source_length)


def _is_name(text: str) -> bool:
    """A GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`) of at most 64 characters."""
    return 0 < len(text) <= MAX_NAME_LENGTH and text.isascii() and text.isidentifier()


def graphql_operation_name(
    request: Any, parse_document: Callable[[str], DocumentNode] = parse_within_limits
) -> str:
    """`parse_document`: the schema's cached parser (`LimitChecks.parse`), so the document the
    operation runs is parsed once."""
    if isinstance(request, list):
        return "batched"
    if not isinstance(request, dict):
        return "invalid"
    name = request.get("operationName")
    if isinstance(name, str) and _is_name(name):
        return name
    query = request.get("query")
    if not isinstance(query, str):
        return "invalid"
    try:
        document = parse_document(query)
    except GraphQLError:
        return "anonymous"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if definition.name is not None:
                return definition.name.value[:MAX_NAME_LENGTH]
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode):
                    return selection.name.value[:MAX_NAME_LENGTH]
            return "anonymous"
    return "anonymous"
