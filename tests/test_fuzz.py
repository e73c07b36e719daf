"""Hostile input at scale: generated GraphQL documents and arguments must never cause a 500.

Two generators, each with a bounded number of examples so the suite stays fast:
- schemathesis' GraphQL support (via hypothesis-graphql) builds whole documents from the live
  schema, valid ones and deliberately invalid ones, sent by an authenticated tenant;
- hypothesis drives the arguments that reach SQL: cursors (random, truncated, tampered, taken from
  another list), contact filters, sort keys, search strings (NUL bytes, LIKE wildcards, backslashes,
  any Unicode) and paging numbers, all passed as variables.

Every answer must be JSON with no `INTERNAL_SERVER_ERROR` and an HTTP status below 500. The number
of cases run is counted and printed (`pytest -s`), and asserted so a silently skipped generator fails.
"""

from __future__ import annotations

import base64
import functools
import uuid
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes

from db.contacts import ContactSortField
from schema import build_schema
from tests.factories import Factory
from tests.tenant import Tenant

SCHEMATHESIS_EXAMPLES = 200
ARGUMENT_EXAMPLES = 150
FUZZ_SETTINGS = settings(
    max_examples=SCHEMATHESIS_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUZZ_BATCH_ID = uuid.UUID("5eed0000-0000-4000-8000-00000000f022")
"""Fixed, so schemathesis' generated `ID`s can name the seeded batch."""
ran: Counter[str] = Counter()
outcomes: Counter[str] = Counter()

CONTACT_STATUSES = ["PENDING", "QUEUED", "IN_PROGRESS", "COMPLETED", "FAILED", "SKIPPED"]
SORT_FIELDS = [field.name for field in ContactSortField]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["%", "_", "\\", "\\%", "%%", "\x00", "a\x00b", "'; DROP TABLE call_batches; --", "ǅ"]
    ),
    st.text(alphabet=st.sampled_from("%_\\'\"\x00 aé€😀"), max_size=20),
    st.just("x" * 5000),
)
NUMBERS = st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1))


def assert_handled(generator: str, response: Any) -> None:
    assert response.status_code < 500 or response.status_code == 503, response.text
    body = response.json()
    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL_SERVER_ERROR" not in codes, body
    outcomes.update(f"{generator}: {code}" for code in set(codes) or {"no error"})
    assert response.status_code != 503, f"database fault during fuzzing: {body}"


@pytest.fixture
async def seeded(factory: Factory, tenant: Tenant) -> dict[str, Any]:
    """A batch with contacts of every status and some call logs, plus real cursors over it."""
    batch_id = await factory.batch(tenant.agency_id, id=FUZZ_BATCH_ID, name="Fuzz batch 100%_\\")
    rows = [
        {
            "first_name": f"Ann{i}",
            "last_name": "O'Neil" if i % 2 else None,
            "status": CONTACT_STATUSES[i % 6].lower(),
            "priority": ["high", "low", "normal"][i % 3],
            "attempts": i % 4,
            "custom_data": {"note": f"n{i}%", "nested": {"k": i}},
        }
        for i in range(12)
    ]
    contact_ids = await factory.contacts(batch_id, tenant.agency_id, rows)
    for contact_id in contact_ids[:4]:
        await factory.call_log(contact_id, tenant.agency_id, call_status="completed")
    cursors = []
    for sort in (None, [{"field": "NAME", "direction": "DESC"}]):
        data = await tenant.data(
            "query($id: ID!, $sort: [ContactSort!]) { batch(id: $id) "
            "{ contacts(first: 3, sort: $sort) { pageInfo { endCursor } } } }",
            {"id": str(batch_id), "sort": sort},
        )
        cursors.append(data["batch"]["contacts"]["pageInfo"]["endCursor"])
    batches = await tenant.data("{ batches(first: 1) { pageInfo { endCursor } } }")
    cursors.append(batches["batches"]["pageInfo"]["endCursor"])
    return {"batch_id": str(batch_id), "cursors": [c for c in cursors if c]}


@FUZZ_SETTINGS
@given(data=st.data())
async def test_schemathesis_generated_documents_never_cause_a_server_error(
    seeded: dict[str, Any], tenant: Tenant, data: st.DataObject
) -> None:
    case = data.draw(schemathesis_cases())
    ran["schemathesis"] += 1
    assert_handled("schemathesis", await tenant.post(str(case.body)))


@functools.cache
def schemathesis_cases() -> st.SearchStrategy[Any]:
    """Valid and invalid documents for every root field of the live schema."""
    ids = st.one_of(st.just(str(FUZZ_BATCH_ID)), st.uuids().map(str), st.text(max_size=12))
    schemathesis.graphql.scalar("ID", ids.map(nodes.String))
    fuzzed = schemathesis.graphql.from_file(str(build_schema()))
    return st.one_of(
        fuzzed.as_strategy(GenerationMode.POSITIVE), fuzzed.as_strategy(GenerationMode.NEGATIVE)
    )


def _tampered(cursors: list[str]) -> st.SearchStrategy[str]:
    real = st.sampled_from(cursors)
    return st.one_of(
        real,
        real.flatmap(lambda c: st.integers(0, len(c) - 1).map(lambda i: c[:i])),
        real.flatmap(
            lambda c: st.tuples(st.integers(0, len(c) - 1), st.characters()).map(
                lambda t: c[: t[0]] + t[1] + c[t[0] + 1 :]
            )
        ),
        st.text(max_size=200),
        st.binary(max_size=120).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    )


@settings(FUZZ_SETTINGS, max_examples=ARGUMENT_EXAMPLES)
@given(data=st.data())
async def test_cursors_filters_and_search_from_hypothesis_never_cause_a_server_error(
    seeded: dict[str, Any], tenant: Tenant, data: st.DataObject
) -> None:
    cursor = st.one_of(st.none(), st.none(), _tampered(seeded["cursors"]))
    contact_filter = st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {},
            optional={
                "status": st.sampled_from(CONTACT_STATUSES),
                "statusIn": st.lists(st.sampled_from(CONTACT_STATUSES), max_size=7),
                "outcome": HOSTILE_TEXT,
                "priority": HOSTILE_TEXT,
                "doNotCall": st.booleans(),
                "callStatus": HOSTILE_TEXT,
            },
        ),
    )
    sort = st.one_of(
        st.none(),
        st.lists(
            st.fixed_dictionaries(
                {"field": st.sampled_from(SORT_FIELDS)},
                optional={"direction": st.sampled_from(["ASC", "DESC"])},
            ),
            max_size=4,
        ),
    )
    batch_id = st.one_of(
        st.just(seeded["batch_id"]),
        st.just(seeded["batch_id"]),
        st.just(seeded["batch_id"]),
        st.uuids().map(str),
        HOSTILE_TEXT,
    )
    cursor_paging = st.fixed_dictionaries(
        {}, optional={"first": st.integers(1, 200), "after": cursor}
    )
    hostile_paging = st.fixed_dictionaries(
        {}, optional={"offset": NUMBERS, "limit": NUMBERS, "first": NUMBERS, "after": cursor}
    )
    contacts_query = (
        "query($id: ID!, $filter: ContactFilter, $search: String, $sort: [ContactSort!], "
        "$offset: Int, $limit: Int, $first: Int, $after: String) { batch(id: $id) { "
        "contacts(filter: $filter, search: $search, sort: $sort, offset: $offset, limit: $limit, "
        "first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } "
        "pagination { total page totalPages } nodes { id name callLogs { callStatus } } } } }"
    )
    batches_query = (
        "query($search: String, $status: BatchStatus, $campaignId: ID, $page: Int, $limit: Int, "
        "$first: Int, $after: String) { batches(search: $search, status: $status, "
        "campaignId: $campaignId, page: $page, limit: $limit, first: $first, after: $after) "
        "{ totalCount pageInfo { endCursor } nodes { id name progressPercentage } } }"
    )
    contacts_variables = st.fixed_dictionaries(
        {
            "id": batch_id,
            "filter": contact_filter,
            "search": st.one_of(st.none(), HOSTILE_TEXT),
            "sort": sort,
        }
    )
    offset_paging = st.fixed_dictionaries(
        {}, optional={"offset": st.integers(0, 50), "limit": st.integers(1, 200)}
    )
    batches_variables = st.fixed_dictionaries(
        {
            "search": st.one_of(st.none(), HOSTILE_TEXT),
            "status": st.one_of(st.none(), st.sampled_from(["PENDING", "PAUSED", "nope"])),
            "campaignId": st.one_of(st.none(), st.uuids().map(str), HOSTILE_TEXT),
        }
    )
    page_paging = st.fixed_dictionaries(
        {}, optional={"page": st.integers(1, 5), "limit": st.integers(1, 100)}
    )
    requests = st.one_of(
        st.tuples(contacts_variables, st.one_of(offset_paging, cursor_paging, hostile_paging)).map(
            lambda parts: (contacts_query, {**parts[0], **parts[1]})
        ),
        st.tuples(batches_variables, st.one_of(page_paging, cursor_paging, hostile_paging)).map(
            lambda parts: (batches_query, {**parts[0], **parts[1]})
        ),
    )

    query, variables = data.draw(requests)
    ran["arguments"] += 1
    assert_handled("arguments", await tenant.post(query, variables))


def test_zz_fuzz_case_counts_are_reported() -> None:
    """Runs after the generators above (file order): how many cases ran, for the record."""
    if not ran:
        pytest.skip("only meaningful after the fuzz tests above ran")
    print(f"\nfuzz cases run: {dict(ran)}; answers by error code: {dict(outcomes)}")
    assert ran["schemathesis"] >= SCHEMATHESIS_EXAMPLES // 2
    assert ran["arguments"] >= ARGUMENT_EXAMPLES // 2
