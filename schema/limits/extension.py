"""The Strawberry extension that applies the limits, and its per-schema caches."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any, cast

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    parse,
    specified_rules,
)
from graphql.validation import ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension

from core.kept_results import KeptResults, variables_key
from schema.limits.bounds import QueryLimits, limit_error
from schema.limits.cost import cost_errors
from schema.limits.parse import parse_limit_error
from schema.limits.shape import shape_errors

VALIDATION_ABORTED_MESSAGE = "Validation aborted."
"""graphql-core's own message (private text, guarded by tests/test_graphql_core_messages.py)."""

VALIDATION_ABORTED = limit_error(
    "the query is too complex to validate (too many overlapping fields or fragment spreads): "
    "send a smaller query",
    "validation",
    1,
)
"""graphql-core's own work budgets for validation ran out (`VALIDATION_ABORTED_MESSAGE`)."""


class ArgumentValueRule(ValuesOfCorrectTypeRule):
    """The standard literal-argument check, its errors coded BAD_USER_INPUT: a wrong value in
    an argument is the client's input, like a wrong variable value."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        super().report_error(error)


VALIDATION_RULES: tuple[type[ASTValidationRule], ...] = tuple(
    ArgumentValueRule if rule is ValuesOfCorrectTypeRule else rule for rule in specified_rules
)


class LimitChecks:
    """The per-schema caches of the checks that depend on the document alone."""

    def __init__(self, limits: QueryLimits, cache_size: int = 512) -> None:
        self.limits = limits
        self.shape_errors = lru_cache(maxsize=cache_size)(self._shape_errors)
        self.validation_errors = lru_cache(maxsize=cache_size)(self._validation_errors)
        self.parsed = lru_cache(maxsize=cache_size)(self._parse)
        self._refusals: KeptResults[bool] = KeptResults(cache_size)
        """`refuses` of each recent request (document, operation, variables): the limits and
        validation depend on nothing else (the cost on the variables' page sizes)."""

    def _shape_errors(self, document: DocumentNode) -> tuple[GraphQLError, ...]:
        return tuple(shape_errors(document, self.limits))

    def _validation_errors(
        self, schema: GraphQLSchema, document: DocumentNode
    ) -> tuple[GraphQLError, ...]:
        from strawberry.schema.schema import validate_document

        return tuple(validate_document(schema, document, VALIDATION_RULES))

    def pre_execution_errors(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> list[GraphQLError]:
        """Shape, then cost, then the standard validation: the first that fails."""
        errors = list(self.shape_errors(document))
        if not errors:
            errors = cost_errors(schema, document, variables, self.limits, operation_name)
        if not errors:
            errors = [
                VALIDATION_ABORTED if error.message == VALIDATION_ABORTED_MESSAGE else error
                for error in self.validation_errors(schema, document)
            ]
        return errors

    def refuses(self, schema: GraphQLSchema, request: object) -> bool:
        """Whether a request body (decoded JSON, or GET parameters) will be refused before
        execution: not a GraphQL request, a syntax error, or any limit or validation error.
        The endpoint asks before signing in, so such a request never takes a connection."""
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return True
        variables = request.get("variables")
        operation_name = request.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            return True
        operation_name = operation_name if isinstance(operation_name, str) else None
        query = request["query"]
        known = variables_key(variables)
        key = None if known is None else (query, operation_name, known)
        return self._refusals.get(
            key, lambda: self._refused(schema, query, variables, operation_name)
        )

    def _refused(
        self,
        schema: GraphQLSchema,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> bool:
        try:
            document = self.parse(query)
        except GraphQLError:
            return True
        return bool(self.pre_execution_errors(schema, document, variables, operation_name))

    def parse_options(self) -> dict[str, int]:
        return {
            "max_tokens": self.limits.max_tokens,
            "max_source_length": self.limits.max_source_length,
        }

    def parse(self, query: str) -> DocumentNode:
        """The document, or its syntax error raised: both cached, as a document over the token
        limit costs the parser its whole budget each time it is read (about 10 ms)."""
        parsed = self.parsed(query)
        if isinstance(parsed, GraphQLError):
            # A fresh traceback each time: re-raising the cached error as it is would chain every
            # raise's frames onto it, and keep them (and their requests) alive.
            raise parsed.with_traceback(None)
        return parsed

    def _parse(self, query: str) -> DocumentNode | GraphQLError:
        try:
            return parse(
                query,
                max_tokens=self.limits.max_tokens,
                max_source_length=self.limits.max_source_length,
            )
        except GraphQLError as error:
            return error


class QueryLimiter(SchemaExtension):
    """Applies `LimitChecks` to each operation. It replaces Strawberry's parse and validation
    steps (and its ParserCache/ValidationCache): parsing stops at the token limit, and the
    standard rules run only on documents within the shape limits, both cached."""

    def __init__(self, checks: LimitChecks) -> None:
        super().__init__()
        self.checks = checks
        self.syntax_error: GraphQLError | None = None

    def on_operation(self) -> Iterator[None]:
        options = cast(dict[str, Any], self.execution_context.parse_options)
        options.update(self.checks.parse_options())
        yield
        result = self.execution_context.result
        if result is not None and self.syntax_error is not None:
            result.errors = [self.syntax_error]
        if result is not None and result.errors:
            result.errors = [parse_limit_error(error) or error for error in result.errors]

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        assert context.query is not None
        try:
            context.graphql_document = self.checks.parse(context.query)
        except GraphQLError as error:
            # With the document unset Strawberry parses again and answers what its parse
            # raises. The cached error is the answer (`on_operation` puts it in the result), so
            # that parse is made to stop at the first token: re-parsing a document over the
            # token limit would cost its whole budget (about 10 ms) on every request.
            self.syntax_error = error
            cast(dict[str, Any], context.parse_options)["max_tokens"] = 0
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        if getattr(context.context, "limits_checked", False):
            context.pre_execution_errors = []
        else:
            context.pre_execution_errors = self.checks.pre_execution_errors(
                context.schema._schema, document, context.variables, context.operation_name
            )
        yield
