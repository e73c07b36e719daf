"""The error contract: BAD_USER_INPUT with a message saying what was wrong and what is allowed,
NOT_FOUND identical for missing, deleted and foreign batches, unexpected errors masked with a
request id that the log shares, and the server still answering after each of them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import Factory
from tests.security_support import (
    BATCHES,
    HEALTHY_QUERY,
    assert_nothing_leaks,
    error_of,
)
from tests.tenant import Tenant

CONTACTS = """
query Contacts($id: ID!, $filter: ContactFilter, $search: String, $sort: [ContactSort!],
               $offset: Int, $limit: Int, $first: Int, $after: String) {
  batch(id: $id) {
    contacts(filter: $filter, search: $search, sort: $sort, offset: $offset, limit: $limit,
             first: $first, after: $after) {
      totalCount nodes { phoneNumber } pageInfo { endCursor }
    }
  }
}
"""


async def assert_bad_input(
    tenant: Tenant, query: str, variables: dict[str, Any], says: str
) -> None:
    """The request is refused as BAD_USER_INPUT with `says` in the message; then the server
    still answers a normal query."""
    response = await tenant.post(query, variables)

    assert response.status_code == 200, response.text
    error = error_of(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert says in error["message"], error["message"]
    assert_nothing_leaks(response)
    assert (await tenant.data(HEALTHY_QUERY))["batches"]["totalCount"] >= 1


BATCHES_BAD_INPUT: dict[str, tuple[dict[str, Any], str]] = {
    "limit above the maximum": ({"limit": 500}, "limit must be between 1 and 100, got 500"),
    "limit zero": ({"limit": 0}, "limit must be between 1 and 100, got 0"),
    "negative limit": ({"limit": -5}, "limit must be between 1 and 100, got -5"),
    "page zero": ({"page": 0}, "page must be at least 1, got 0"),
    "negative page": ({"page": -1}, "page must be at least 1, got -1"),
    "first zero": ({"first": 0}, "first must be between 1 and 100, got 0"),
    "first above the maximum": ({"first": 101}, "first must be between 1 and 100, got 101"),
    "page with first": ({"page": 1, "first": 5}, "use either offset paging"),
    "limit with after": ({"limit": 5, "after": "x.y"}, "not both: got limit, after"),
    "garbage cursor": ({"after": "garbage"}, "after is not a valid cursor for this list"),
    "cursor with quotes": ({"after": "'; DROP TABLE x; --.x"}, "after is not a valid cursor"),
    "empty cursor": ({"after": ""}, "after is not a valid cursor"),
    "huge cursor": ({"after": "a" * 10_000 + ".b"}, "after is not a valid cursor"),
    "malformed campaign id": (
        {"campaignId": "campaign-1"},
        "campaignId must be a UUID, got 'campaign-1'",
    ),
    "bad status enum": ({"status": "DONE"}, "Value 'DONE' does not exist in 'BatchStatus' enum"),
    "lower-case status": ({"status": "pending"}, "Allowed values: PENDING, SCHEDULED"),
    "limit not a number": ({"limit": "ten"}, "Int cannot represent non-integer value"),
    "limit beyond 32 bits": ({"limit": 2**40}, "Int cannot represent non 32-bit signed integer"),
    "search too long": ({"search": "x" * 10_000}, "search must be at most"),
    "search with a NUL byte": ({"search": "a\x00b"}, "search must not contain control characters"),
}


@pytest.mark.parametrize("case", list(BATCHES_BAD_INPUT))
async def test_bad_batches_arguments_are_bad_user_input_with_a_clear_message(
    tenant: Tenant, batch_id: uuid.UUID, case: str
) -> None:
    variables, says = BATCHES_BAD_INPUT[case]
    await assert_bad_input(tenant, BATCHES, variables, says)


CONTACTS_BAD_INPUT: dict[str, tuple[dict[str, Any], str]] = {
    "limit above the maximum": ({"limit": 500}, "limit must be between 1 and 200, got 500"),
    "negative offset": ({"offset": -1}, "offset must be at least 0, got -1"),
    "first above the maximum": ({"first": 201}, "first must be between 1 and 200, got 201"),
    "offset with after": ({"offset": 0, "after": "a.b"}, "use either offset paging"),
    "unknown sort field": (
        {"sort": [{"field": "EMAIL"}]},
        "Value 'EMAIL' does not exist in 'ContactSortField' enum",
    ),
    "sort field listed twice": (
        {"sort": [{"field": "NAME"}, {"field": "NAME", "direction": "DESC"}]},
        "sort lists a field more than once",
    ),
    "bad sort direction": (
        {"sort": [{"field": "NAME", "direction": "UP"}]},
        "Allowed values: ASC, DESC",
    ),
    "bad status in filter": ({"filter": {"status": "DONE"}}, "Allowed values: PENDING, QUEUED"),
    "unknown filter field": ({"filter": {"colour": "red"}}, "Allowed fields: status, statusIn"),
    "garbage cursor": ({"after": "garbage"}, "after is not a valid cursor for this list"),
    "search with a NUL byte": ({"search": "\x00"}, "search must not contain control characters"),
    "search of 10 kB": ({"search": "%" * 10_240}, "search must be at most"),
    "outcome filter with a NUL byte": ({"filter": {"outcome": "a\x00"}}, "filter.outcome must"),
}


@pytest.mark.parametrize("case", list(CONTACTS_BAD_INPUT))
async def test_bad_contacts_arguments_are_bad_user_input_with_a_clear_message(
    tenant: Tenant, batch_id: uuid.UUID, case: str
) -> None:
    variables, says = CONTACTS_BAD_INPUT[case]
    await assert_bad_input(tenant, CONTACTS, {"id": str(batch_id), **variables}, says)


@pytest.mark.parametrize(
    ("literal", "says"),
    [
        ('batch(id: "not-a-uuid") { id }', "id must be a UUID, got 'not-a-uuid'"),
        ('batch(id: "") { id }', "id must be a UUID, got ''"),
        ("batch(id: 42) { id }", "id must be a UUID, got '42'"),
        ("batches(limit: 500) { totalCount }", "limit must be between 1 and 100, got 500"),
        ("batches(status: DONE) { totalCount }", "Allowed values: PENDING, SCHEDULED"),
        ('batches(status: "PENDING") { totalCount }', "Enum 'BatchStatus' cannot represent"),
        ('batches(limit: "5") { totalCount }', "Int cannot represent non-integer value"),
        ("batches(limit: 99999999999) { totalCount }", "non 32-bit signed integer"),
    ],
)
async def test_bad_literal_arguments_are_bad_user_input_too(
    tenant: Tenant, batch_id: uuid.UUID, literal: str, says: str
) -> None:
    await assert_bad_input(tenant, "{ " + literal + " }", {}, says)


async def test_an_unknown_sort_field_literal_names_the_allowed_fields(
    tenant: Tenant, batch_id: uuid.UUID
) -> None:
    query = '{ batch(id: "%s") { contacts(sort: [{ field: EMAIL }]) { totalCount } } }'

    response = await tenant.post(query % batch_id)

    error = error_of(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "EMAIL" in error["message"]
    assert "Allowed values: CREATED_AT, NAME, PHONE_NUMBER, STATUS, PRIORITY" in error["message"]


async def test_a_page_far_beyond_the_end_is_empty_not_an_error(
    tenant: Tenant, batch_id: uuid.UUID
) -> None:
    data = await tenant.data(BATCHES, {"page": 2**31 - 1, "limit": 100})

    assert data["batches"]["nodes"] == []
    assert data["batches"]["totalCount"] == 1


async def test_an_offset_far_beyond_the_end_is_empty_not_an_error(
    tenant: Tenant, batch_id: uuid.UUID
) -> None:
    data = await tenant.data(CONTACTS, {"id": str(batch_id), "offset": 2**31 - 1})

    assert data["batch"]["contacts"]["nodes"] == []


SEARCH_AS_DATA = ['O\'Brien "quoted"', "100%", "under_score", "back\\slash", "%_\\"]


@pytest.mark.parametrize("term", SEARCH_AS_DATA)
async def test_search_strings_match_literally_even_with_like_wildcards_and_quotes(
    tenant: Tenant, factory: Factory, term: str
) -> None:
    await factory.batch(tenant.agency_id, name=f"call {term} list")
    await factory.batch(tenant.agency_id, name="call plain list")
    batch_id = await factory.batch(tenant.agency_id, name="contacts")
    await factory.contacts(
        batch_id, tenant.agency_id, [{"company": f"Acme {term}"}, {"company": "Acme plain"}]
    )

    batches = await tenant.data(BATCHES, {"search": term})
    contacts = await tenant.data(CONTACTS, {"id": str(batch_id), "search": term})

    assert [n["name"] for n in batches["batches"]["nodes"]] == [f"call {term} list"]
    assert contacts["batch"]["contacts"]["totalCount"] == 1


async def test_a_search_at_the_length_limit_is_answered(
    tenant: Tenant, batch_id: uuid.UUID
) -> None:
    data = await tenant.data(BATCHES, {"search": "%_\\'\"" * 40})

    assert data["batches"]["totalCount"] == 0
