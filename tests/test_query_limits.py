"""Query hygiene for a public endpoint: tokens, source length, depth, aliases, repeated fields
and estimated cost are bounded, each rejection is clear and happens before any SQL runs, while
the README's query and GraphiQL's introspection pass; parsed and validated documents are cached."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLError, get_introspection_query, parse
from sqlalchemy.ext.asyncio import AsyncConnection

from schema import build_schema
from schema.limits import QueryLimits, estimated_cost, shape_errors
from tests.factories import Factory
from tests.read_api_support import statements_on
from tests.security_support import assert_nothing_leaks, error_of
from tests.tenant import Tenant

LIMITS = QueryLimits()
ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS_WITH_QUERIES = (ROOT / "README.md", ROOT / "docs" / "MIGRATING_FROM_REST.md")
HEALTHY_QUERY = "{ batches { totalCount } }"

CONTACT_FIELDS = (
    "id phoneNumber firstName lastName name email company title accountId priority status "
    "callId attempts maxAttempts outcome durationSeconds outcomeNotes lastAttemptAt "
    "completedAt customData doNotCall timezone createdAt"
)
CALL_LOG_FIELDS = "callLogs { id callStatus durationSeconds recordingUrl transcript createdAt }"


def documented_queries() -> list[str]:
    """The GraphQL queries of the README (the Quick start's first), then the migration guide's."""
    return [
        query
        for document in DOCUMENTS_WITH_QUERIES
        for query in re.findall(r"```graphql\n(.*?)```", document.read_text(), re.DOTALL)
    ]


def introspection_query() -> str:
    return get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )


def nested(levels: int) -> str:
    """A query `levels + 4` deep: type references nest (`ofType`) without lists multiplying."""
    return (
        '{ __type(name: "Batch") { fields { type { '
        + "ofType { " * levels
        + "name"
        + " }" * levels
        + " } } } }"
    )


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: batches(limit: 1) {{ totalCount }}" for i in range(count)) + " }"


def fragment_laughs(levels: int) -> str:
    """Each fragment spreads the previous one twice: 2^levels fields from a tiny document."""
    fragments = ["fragment F0 on Batch { name }"]
    fragments += [
        f"fragment F{i} on Batch {{ ...F{i - 1} ... on Batch {{ ...F{i - 1} }} }}"
        for i in range(1, levels + 1)
    ]
    return f"{{ batches {{ nodes {{ ...F{levels} }} }} }} " + " ".join(fragments)


def full_page_query(batches: int, contacts: int) -> str:
    return (
        f"{{ batches(limit: {batches}) {{ nodes {{ id name contacts(limit: {contacts}) "
        f"{{ totalCount nodes {{ {CONTACT_FIELDS} {CALL_LOG_FIELDS} }} }} }} }} }}"
    )


BOMBS: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "depth": (nested(30), {}, "depth", "the query is nested 34 levels deep; the maximum is 20"),
    "aliases": (aliases(31), {}, "aliases", "the query uses 31 aliases; the maximum is 30"),
    "tokens": (
        "{ batches { " + "totalCount " * 5_000 + "} }",
        {},
        "tokens",
        "the query has more than 1000 tokens, the maximum",
    ),
    "source length": (
        "# " + "x" * 200_000 + "\n{ batches { totalCount } }",
        {},
        "sourceLength",
        "the query has more than 100000 characters, the maximum",
    ),
    "repeated field": (
        "{ batches { " + "totalCount " * 300 + "} }",
        {},
        "fieldRepeats",
        "the query selects 'totalCount' more than 10 times at one place",
    ),
    "repeated root field": (
        "{ " + "batches { totalCount } " * 11 + "}",
        {},
        "fieldRepeats",
        "the query selects 'batches' more than 10 times at one place",
    ),
    "merged copies under repeated parents": (
        "{ " + " ".join(["batches { " + "nodes { name } " * 4 + "}"] * 3) + " }",
        {},
        "fieldRepeats",
        "the query selects 'nodes' more than 10 times",
    ),
    "cost with literal page sizes": (
        full_page_query(100, 200),
        {},
        "cost",
        "the query's estimated cost is 840502; the maximum is 100000",
    ),
    "cost with page sizes in variables": (
        "query($b: Int, $c: Int) { batches(first: $b) { edges { node { contacts(first: $c) "
        "{ nodes { name phoneNumber status " + CALL_LOG_FIELDS + " } } } } } }",
        {"b": 100, "c": 200},
        "cost",
        "the maximum is 100000",
    ),
    "cost of fragments spread exponentially": (
        fragment_laughs(24),
        {},
        "cost",
        "the maximum is 100000",
    ),
}


@pytest.mark.parametrize("case", list(BOMBS))
async def test_each_bomb_is_rejected_with_its_limit_before_any_sql_runs(
    tenant: Tenant, connection: AsyncConnection, case: str
) -> None:
    query, variables, limit, says = BOMBS[case]

    with statements_on(connection) as log:
        response = await tenant.post(query, variables)

    assert response.status_code == 200
    error = error_of(response)
    assert response.json()["data"] is None
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["extensions"]["limit"] == limit
    assert says in error["message"], error["message"]
    assert not [s for s in log.statements if "call_batches" in s or "campaign_contacts" in s]
    assert_nothing_leaks(response)
    assert (await tenant.data(HEALTHY_QUERY))["batches"]["totalCount"] == 0


def test_the_exponential_fragment_bomb_is_estimated_without_expanding_it() -> None:
    schema = build_schema()

    cost = estimated_cost(schema._schema, parse(fragment_laughs(60)), {}, LIMITS)

    assert cost > 2**60


async def test_the_documented_queries_pass_every_limit(tenant: Tenant, factory: Factory) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    await factory.contacts(batch_id, tenant.agency_id, [{}, {}])
    schema = build_schema()._schema
    queries = documented_queries()
    assert len(queries) >= 5

    for query in queries:
        document = parse(query)
        assert shape_errors(document, LIMITS) == []
        assert estimated_cost(schema, document, {}, LIMITS) <= LIMITS.max_cost
    assert await tenant.data(queries[0])


async def test_graphiql_introspection_passes_every_limit(tenant: Tenant) -> None:
    data = await tenant.data(introspection_query())

    assert data["__schema"]["queryType"]["name"] == "Query"


async def test_limits_at_their_maximum_are_allowed(tenant: Tenant) -> None:
    """The limits are inclusive: depth 20, 30 aliases, 10 copies, cost 100000 pass."""
    depth = nested(16)
    repeated = "{ batches { " + "totalCount " * 10 + "} }"
    default_pages = (
        f"{{ batches {{ nodes {{ name contacts {{ nodes {{ {CONTACT_FIELDS} }} }} }} }} }}"
    )

    for query in (depth, aliases(30), repeated, default_pages):
        assert await tenant.data(query)


def test_cost_multiplies_page_sizes_through_nesting_with_each_lists_default() -> None:
    schema = build_schema()._schema

    def cost(query: str, variables: dict[str, Any] | None = None) -> int:
        return estimated_cost(schema, parse(query), variables, LIMITS)

    assert cost("{ batches { totalCount } }") == 2
    assert cost("{ batches { nodes { name } } }") == 1 + 1 + 25
    assert cost("{ batches(limit: 5) { edges { node { name } } } }") == 1 + 1 + 5 * 2
    assert cost("{ batches(first: 500) { nodes { name } } }") == 1 + 1 + 100
    assert cost("{ batches { nodes { contacts { nodes { name } } } } }") == 2 + 25 * (2 + 50)
    assert cost(
        "{ batches(limit: 2) { nodes { contacts(limit: 3) { nodes { callLogs { id } } } } } }"
    ) == 2 + 2 * (2 + 3 * (1 + LIMITS.call_logs_per_contact))
    paged_by_variable = "query($n: Int = 4) { batches(first: $n) { nodes { name } } }"
    assert cost(paged_by_variable) == 2 + 4
    assert cost(paged_by_variable, {"n": 10}) == 2 + 10


def test_parsed_and_validated_documents_are_cached() -> None:
    schema = build_schema()
    checks = schema.limit_checks

    for _ in range(3):
        result = asyncio.run(schema.execute("{ __typename }"))
        assert result.errors is None

    assert checks.parsed.cache_info().hits == 2
    assert checks.parsed.cache_info().misses == 1
    assert checks.validation_errors.cache_info().hits == 2
    assert checks.shape_errors.cache_info().misses == 1


def test_a_cached_syntax_error_does_not_grow_with_each_request_that_sends_it() -> None:
    checks = build_schema().limit_checks
    broken = "{ batches { " * 3

    def frames_after_raising() -> int:
        try:
            checks.parse(broken)
        except GraphQLError as error:
            depth, tb = 0, error.__traceback__
            while tb is not None:
                depth, tb = depth + 1, tb.tb_next
            return depth
        raise AssertionError("no syntax error")

    first = frames_after_raising()
    for _ in range(50):
        last = frames_after_raising()

    assert last == first


def test_a_document_over_the_token_limit_is_read_once_and_answered_from_the_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Strawberry re-parses a document its parse step left unset; a document over the token
    limit would cost that parse its whole budget on every request."""
    import strawberry.schema.schema as strawberry_schema

    tokens_read: list[int] = []
    original_parse = parse

    def counting_parse(source: str, **options: Any) -> Any:
        try:
            return original_parse(source, **options)
        except GraphQLError:
            tokens_read.append(options.get("max_tokens", -1))
            raise

    monkeypatch.setattr(strawberry_schema, "parse", counting_parse)
    schema = build_schema()
    query, _, _, says = BOMBS["tokens"]

    answers = [asyncio.run(schema.execute(query)) for _ in range(3)]

    assert [len(a.errors or []) for a in answers] == [1, 1, 1]
    assert all(says in (a.errors or [])[0].message for a in answers)
    assert schema.limit_checks.parsed.cache_info().misses == 1
    assert tokens_read == [0, 0, 0], "Strawberry's own parse stops at the first token"


def test_a_repeated_request_is_checked_once_with_its_variables_part_of_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The endpoint asks `refuses` before signing in on every request: the answer of a request
    already checked (same document, operation and variables) is kept, not worked out again."""
    schema = build_schema()
    checks = schema.limit_checks
    checked: list[Any] = []
    original = checks.pre_execution_errors

    def counting(*args: Any) -> Any:
        checked.append(args[2])
        return original(*args)

    monkeypatch.setattr(checks, "pre_execution_errors", counting)
    query = "query($n: Int) { batches(limit: $n) { totalCount } }"
    graphql_schema = schema._schema

    answers = [
        checks.refuses(graphql_schema, {"query": query, "variables": {"n": 10}}),
        checks.refuses(graphql_schema, {"query": query, "variables": {"n": 10}}),
        checks.refuses(graphql_schema, {"query": query, "variables": {"n": 20}}),
        checks.refuses(graphql_schema, {"query": query, "variables": {"n": 20}}),
        checks.refuses(graphql_schema, {"query": "{ nope }"}),
        checks.refuses(graphql_schema, {"query": "{ nope }"}),
    ]

    assert answers == [False, False, False, False, True, True]
    assert checked == [{"n": 10}, {"n": 20}, None]
