"""The graphql-core message texts our code matches on (they are not part of its API): each test
fails loudly when an upgrade of graphql-core changes a text, instead of our rewording, limit
codes or hints silently no longer applying."""

from __future__ import annotations

import pytest
from graphql import GraphQLError, parse, validate
from graphql.validation import validation_context

from schema import build_schema
from schema.limits.extension import VALIDATION_ABORTED_MESSAGE
from schema.limits.parse import PARSE_LIMITS

SHARED_FRAGMENT = "query A { ...F } query B { ...F } fragment F on Query { batches { totalCount } }"


def test_the_parser_token_limit_message_is_the_one_limits_reword() -> None:
    with pytest.raises(GraphQLError) as raised:
        parse("{ a b c d e f }", max_tokens=3)
    pattern, limit = PARSE_LIMITS[0]
    assert limit == "tokens"
    match = pattern.search(raised.value.message)
    assert match is not None, raised.value.message
    assert match.group(1) == "3"


def test_the_parser_source_length_message_is_the_one_limits_reword() -> None:
    with pytest.raises(GraphQLError) as raised:
        parse("{ batches { totalCount } }", max_source_length=5)
    pattern, limit = PARSE_LIMITS[1]
    assert limit == "sourceLength"
    match = pattern.search(raised.value.message)
    assert match is not None, raised.value.message
    assert match.group(1) == "5"


def test_the_validation_budget_message_is_the_one_limits_recognise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(validation_context, "MAX_FRAGMENT_WORK", 0)
    errors = validate(build_schema()._schema, parse(SHARED_FRAGMENT))
    assert [e.message for e in errors] == [VALIDATION_ABORTED_MESSAGE]
