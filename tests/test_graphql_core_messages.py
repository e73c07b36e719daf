"""The graphql-core message texts our code matches on (they are not part of its API: schema/limits/
and schema/errors.py read them): each test fails loudly when an upgrade of graphql-core changes a
text, instead of our limit errors, error codes or "Allowed values" hints silently no longer
applying."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from graphql import GraphQLError, OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values
from graphql.validation import validation_context

from schema import build_schema
from schema.errors import _NAMED_INPUT_TYPE, _allowed_values, _validation_code
from schema.limits.extension import VALIDATION_ABORTED_MESSAGE
from schema.limits.parse import PARSE_LIMITS

SHARED_FRAGMENT = "query A { ...F } query B { ...F } fragment F on Query { batches { totalCount } }"


@pytest.mark.parametrize(
    ("index", "limit", "options"),
    [(0, "tokens", {"max_tokens": 3}), (1, "sourceLength", {"max_source_length": 5})],
)
def test_the_parser_limit_messages_are_the_ones_limits_reword(
    index: int, limit: str, options: dict[str, int]
) -> None:
    with pytest.raises(GraphQLError) as raised:
        parse("{ batches { totalCount } }", **options)  # type: ignore[arg-type]
    pattern, named = PARSE_LIMITS[index]
    assert named == limit
    match = pattern.search(raised.value.message)
    assert match is not None, raised.value.message
    assert int(match.group(1)) == next(iter(options.values()))


def test_the_validation_budget_message_is_the_one_limits_recognise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(validation_context, "MAX_FRAGMENT_WORK", 0)
    errors = validate(build_schema()._schema, parse(SHARED_FRAGMENT))
    assert [e.message for e in errors] == [VALIDATION_ABORTED_MESSAGE]


def _validation_error(query: str) -> GraphQLError:
    [error] = validate(build_schema()._schema, parse(query))
    return error


def _variable_error(query: str, variables: dict[str, object]) -> GraphQLError:
    document = parse(query)
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    errors = get_variable_values(
        build_schema()._schema, operation.variable_definitions or (), variables
    )
    assert isinstance(errors, list), errors
    [error] = errors
    return error


def test_a_syntax_error_message_is_the_one_coded_graphql_parse_failed() -> None:
    with pytest.raises(GraphQLError) as raised:
        parse("{")
    assert _validation_code(raised.value) == "GRAPHQL_PARSE_FAILED"


def test_a_variable_value_message_is_the_one_coded_bad_user_input() -> None:
    error = _variable_error("query Q($id: ID!) { batch(id: $id) { id } }", {})
    assert _validation_code(error) == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("error", "allowed"),
    [
        (
            lambda: _validation_error("{ batches(status: NOPE) { totalCount } }"),
            "Allowed values: PENDING,",
        ),
        (
            lambda: _variable_error(
                "query Q($s: BatchStatus) { batches(status: $s) { totalCount } }", {"s": "NOPE"}
            ),
            "Allowed values: PENDING,",
        ),
        (
            lambda: _validation_error(
                '{ batch(id: "x") { contacts(filter: {nosuch: 1}) { totalCount } } }'
            ),
            "Allowed fields: status, statusIn,",
        ),
        (
            lambda: _variable_error(
                'query Q($f: ContactFilter) { batch(id: "x") { contacts(filter: $f) '
                "{ totalCount } } }",
                {"f": {"nosuch": 1}},
            ),
            "Allowed fields: status, statusIn,",
        ),
    ],
)
def test_unknown_enum_value_and_input_field_messages_name_the_type_errors_complete(
    error: Callable[[], GraphQLError], allowed: str
) -> None:
    message = error().message
    assert _NAMED_INPUT_TYPE.search(message), message
    assert allowed in _allowed_values(message, build_schema()._schema)
