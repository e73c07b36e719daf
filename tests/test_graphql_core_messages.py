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
