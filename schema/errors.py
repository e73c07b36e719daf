"""The error contract: domain errors, their `extensions.code`, and masking of everything else.

Resolvers raise the domain errors of `core.errors`; `ErrorCodes` (a schema extension) stamps their code on the
GraphQL error and replaces any other exception by a generic INTERNAL_SERVER_ERROR carrying the
request id, after logging the full trace under that same id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLEnumType, GraphQLError, GraphQLInputObjectType, GraphQLSchema
from strawberry.extensions import SchemaExtension

from core.errors import DomainError, ServiceUnavailable, StatementTimeout
from db.faults import DatabaseFault, classify

logger = logging.getLogger("callbatch.errors")

INTERNAL_MESSAGE = "Internal server error. Quote the requestId when reporting it."


def domain_error_for(error: BaseException) -> DomainError | None:
    """The domain error a raw exception stands for (database faults), or None when unexpected."""
    if isinstance(error, DomainError):
        return error
    fault = classify(error)
    if fault is DatabaseFault.UNAVAILABLE:
        return ServiceUnavailable("the database is unavailable; retry in a few seconds")
    if fault is DatabaseFault.POOL_EXHAUSTED:
        return ServiceUnavailable("the service is at capacity (no database connection was free)")
    if fault is DatabaseFault.STATEMENT_TIMEOUT:
        return StatementTimeout("the query took too long and was cancelled; narrow it or retry")
    return None


def error_body(error: DomainError, request_id: str | None = None) -> dict[str, Any]:
    """A GraphQL-shaped response body for errors raised outside execution (auth, limits)."""
    extensions: dict[str, Any] = {"code": error.code}
    if request_id:
        extensions["requestId"] = request_id
    return {"data": None, "errors": [{"message": error.message, "extensions": extensions}]}


def _validation_code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    message = error.message
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


_NAMED_INPUT_TYPE = re.compile(
    r"'(?P<enum>\w+)' enum|Enum '(?P<enum2>\w+)'|not defined by type '(?P<input>\w+)'"
    r"|value of type '(?P<input2>\w+)' not to include unknown field"
)


def _allowed_values(message: str, schema: GraphQLSchema | None) -> str:
    """The message with what is allowed appended, for an unknown enum value or input field."""
    match = _NAMED_INPUT_TYPE.search(message)
    if schema is None or match is None or "Allowed" in message:
        return message
    name = next(group for group in match.groups() if group)
    named = schema.get_type(name)
    if isinstance(named, GraphQLEnumType):
        return f"{message} Allowed values: {', '.join(named.values)}."
    if isinstance(named, GraphQLInputObjectType):
        return f"{message} Allowed fields: {', '.join(named.fields)}."
    return message


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        request_id = getattr(self.execution_context.context, "request_id", None)
        result.errors = [self._coded(error, request_id) for error in result.errors]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """The same for each message of a subscription (and operations over a websocket), before
        it is sent: `on_operation` only sees the end of the stream."""
        errors = getattr(result, "errors", None)
        if errors:
            request_id = getattr(self.execution_context.context, "request_id", None)
            result.errors = [
                error if (error.extensions or {}).get("code") else self._coded(error, request_id)
                for error in errors
            ]
        yield

    def _coded(self, error: GraphQLError, request_id: str | None) -> GraphQLError:
        original = error.original_error
        domain = domain_error_for(original) if original is not None else None
        if domain is not None:
            if not isinstance(original, DomainError):
                logger.warning("database fault (request %s): %r", request_id, original)
                return GraphQLError(
                    domain.message,
                    nodes=error.nodes,
                    path=error.path,
                    extensions={"code": domain.code, "requestId": request_id},
                )
            return _with_extensions(error, {**domain.extensions, "code": domain.code})
        if original is None or isinstance(original, GraphQLError):
            # GraphQL's own checks (parse, validation, variable and argument coercion): the
            # client's request is at fault, and the message says how.
            code = _validation_code(error) if not error.path else "BAD_USER_INPUT"
            schema = getattr(self.execution_context.schema, "_schema", None)
            return _with_extensions(
                error, {"code": code}, message=_allowed_values(error.message, schema)
            )
        logger.error(
            "unexpected error (request %s) at %s",
            request_id,
            error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
        return GraphQLError(
            INTERNAL_MESSAGE,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )


def masked_unless_coded(errors: list[GraphQLError], request_id: str | None) -> list[GraphQLError]:
    """The last line of defence, for errors that bypassed `ErrorCodes` (an exception raised
    outside the operation's hooks): any error without a code is logged and masked."""
    return [
        error if (error.extensions or {}).get("code") else _masked(error, request_id)
        for error in errors
    ]


def _masked(error: GraphQLError, request_id: str | None) -> GraphQLError:
    original = error.original_error or error
    logger.error(
        "unexpected error (request %s) outside execution",
        request_id,
        exc_info=(type(original), original, original.__traceback__),
    )
    return GraphQLError(
        INTERNAL_MESSAGE, extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    )


def _with_extensions(
    error: GraphQLError, extensions: dict[str, Any], message: str | None = None
) -> GraphQLError:
    return GraphQLError(
        error.message if message is None else message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), **extensions},
    )
