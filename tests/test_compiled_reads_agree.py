"""The compiled path answers exactly as the resolvers do: the read documents the suite sends
(the read tests', the bench's, the README's), with their variables and with the argument
values, errors and edge rows that matter, each sent to an app with and one without the compiled
path, the two responses compared byte for byte. The documents the compiled path covers must
actually have been answered by it (else the comparison would prove nothing)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from bench.queries import Q1, Q2, Q3, Q4, WALK
from tests.compiled_fixtures import both_paths, data
from tests.compiled_support import BothPaths, DataSet
from tests.read_api_support import BATCHES_QUERY, CONTACTS_QUERY, WALK_QUERY
from tests.test_read_sibling_fields import SIBLINGS

__all__ = ["both_paths", "data"]

README_QUERY = """{
  batches(limit: 5) {
    totalCount
    nodes {
      id name status progressPercentage remainingCount totalContacts completed failed
      contacts(first: 3, sort: [{ field: NAME }]) {
        totalCount
        nodes { name phoneNumber status callLogs { callStatus durationSeconds recordingUrl } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}"""

EVERY_BATCH_FIELD = """
id name status campaignId campaignName agentMappingId agentName fromNumber totalContacts
pending queued inProgress completed failed skipped callsPicked progressPercentage
remainingCount callsPerMinute maxConcurrent scheduledFor createdAt startedAt updatedAt __typename
"""
EVERY_CONTACT_FIELD = """
id phoneNumber firstName lastName name email company title accountId priority status callId
attempts maxAttempts outcome durationSeconds outcomeNotes lastAttemptAt completedAt customData
doNotCall timezone createdAt __typename
callLogs { id callStatus durationSeconds recordingUrl transcript createdAt __typename }
"""

EVERYTHING = f"""
query Everything($id: ID!, $first: Int, $after: String, $sort: [ContactSort!], $withLogs: Boolean!) {{
  __typename
  list: batches(first: 3) {{
    __typename totalCount
    edges {{ __typename cursor node {{ {EVERY_BATCH_FIELD} }} }}
    pageInfo {{ __typename hasNextPage hasPreviousPage startCursor endCursor }}
    pagination {{ __typename total page limit offset totalPages hasMore }}
  }}
  one: batch(id: $id) {{
    ...Counts
    ... on Batch {{ name }}
    contacts(first: $first, after: $after, sort: $sort) {{
      totalCount
      edges {{ cursor node {{ ...ContactFields }} }}
      nodes {{ id callLogs @include(if: $withLogs) {{ callStatus }} }}
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      pagination {{ total page limit offset totalPages hasMore }}
    }}
    again: contacts(offset: 2, limit: 2) {{ nodes {{ name @skip(if: $withLogs) id }} }}
  }}
}}
fragment Counts on Batch {{ {EVERY_BATCH_FIELD} }}
fragment ContactFields on Contact {{ {EVERY_CONTACT_FIELD} }}
"""


def _dashboard_documents() -> dict[str, str]:
    """The dashboard's own queries (dashboard/src/queries.js), its fragment inlined."""
    source = (Path(__file__).parent.parent / "dashboard" / "src" / "queries.js").read_text()
    blocks = dict(re.findall(r"export const (\w+) = gql`(.*?)`;", source, re.S))
    fragment = blocks["BATCH_PROGRESS_FIELDS"]
    return {
        name: text.replace("${BATCH_PROGRESS_FIELDS}", fragment) for name, text in blocks.items()
    }


DASHBOARD = _dashboard_documents()

COVERED = "covered"
FALLS_BACK = "falls back"


def _requests(data: DataSet) -> list[tuple[str, str, dict[str, Any]]]:
    """(expected path, document, variables) of every request compared."""
    main, tied = str(data.batch_ids[0]), str(data.batch_ids[1])
    missing = str(uuid.uuid4())
    contacts: list[dict[str, Any]] = [
        {},
        {"first": 2},
        {"limit": 3, "offset": 2},
        {"limit": 2, "page": 3},
        {"limit": 200, "page": 40},
        {"sort": [{"field": "NAME", "direction": "DESC"}]},
        {"sort": [{"field": "LAST_ATTEMPT_AT"}], "first": 3},
        {"sort": [{"field": "PRIORITY", "direction": "DESC"}], "limit": 4},
        {"sort": [{"field": "STATUS"}]},
        {"sort": [{"field": "DURATION_SECONDS", "direction": "DESC"}]},
        {"sort": [{"field": "COMPLETED_AT", "direction": "ASC"}]},
        {"sort": []},
        {"sort": [{"field": "NAME"}, {"field": "PRIORITY", "direction": "DESC"}], "first": 2},
        {"filter": {}},
        {"filter": {"status": "COMPLETED"}, "limit": 1},
        {"filter": {"statusIn": ["FAILED", "SKIPPED"]}},
        {"filter": {"statusIn": []}},
        {"filter": {"outcome": "answered", "priority": "high"}},
        {"filter": {"doNotCall": True}},
        {"filter": {"callStatus": "completed"}, "first": 1},
        {"search": "ann", "sort": [{"field": "CREATED_AT", "direction": "DESC"}]},
        {"search": "bob", "first": 1},
        {"search": "gold"},  # a string value of custom_data
    ]
    batches: list[dict[str, Any]] = [
        {},
        {"first": 2},
        {"limit": 2, "page": 2},
        {"offset": 5, "limit": 3},
        {"page": 9},
        {"status": "PAUSED"},
        {"campaignId": str(data.campaign_id)},
        {"first": 100},
    ]
    requests: list[tuple[str, str, dict[str, Any]]] = [
        (COVERED, Q1, {}),
        (COVERED, Q2, {"id": main}),
        (COVERED, Q4, {"id": main, "after": None}),
        (COVERED, WALK, {"id": main, "after": None}),
        (COVERED, EVERYTHING, {"id": main, "first": 3, "withLogs": True}),
        (COVERED, EVERYTHING, {"id": tied, "withLogs": False, "sort": [{"field": "NAME"}]}),
        (FALLS_BACK, README_QUERY, {}),  # contacts below the batch list
        (COVERED, Q3, {"id": main, "search": "ann"}),
        (COVERED, Q3, {"id": main, "search": "acme_%"}),  # LIKE wildcards taken literally
        (COVERED, Q3, {"id": main, "search": "é"}),
        (COVERED, SIBLINGS, {"a": main, "b": tied, "c": str(data.batch_ids[2])}),
        (FALLS_BACK, Q2, {"id": missing}),  # NOT_FOUND
        (FALLS_BACK, Q2, {"id": str(data.deleted_batch_id)}),
        (FALLS_BACK, Q2, {"id": str(data.other_agency_batch_id)}),
        (FALLS_BACK, Q2, {"id": "not-a-uuid"}),
        (FALLS_BACK, BATCHES_QUERY, {"first": 2, "page": 1}),  # mixed paging modes
        (FALLS_BACK, BATCHES_QUERY, {"limit": 101}),
        (FALLS_BACK, BATCHES_QUERY, {"after": "forged.cursor"}),
        (FALLS_BACK, BATCHES_QUERY, {"search": "a\nb"}),
        (FALLS_BACK, BATCHES_QUERY, {"campaignId": "nope"}),
        (FALLS_BACK, "{ __schema { queryType { name } } }", {}),
    ]
    requests += [
        (COVERED, DASHBOARD["BATCHES"], {"page": 1, "limit": 25}),
        (COVERED, DASHBOARD["BATCHES"], {"page": 2, "limit": 2, "status": "PENDING"}),
        (COVERED, DASHBOARD["BATCHES"], {"page": 1, "limit": 10, "search": "alp"}),
        (COVERED, DASHBOARD["BATCH"], {"id": main}),
        (FALLS_BACK, DASHBOARD["CAPABILITIES"], {}),
    ]
    requests += [
        (COVERED, DASHBOARD["CONTACTS"], {"id": main, "first": 25, **c})
        for c in contacts
        if not {"limit", "page", "offset", "first"} & set(c)
    ]
    requests += [(COVERED, CONTACTS_QUERY, {"id": main, **c}) for c in contacts]
    requests += [(COVERED, WALK_QUERY, {"id": main, **c}) for c in contacts if "limit" not in c]
    requests += [(COVERED, BATCHES_QUERY, b) for b in batches]
    requests += [
        (COVERED, BATCHES_QUERY, {"search": "ALPHA"}),  # the deleted "Alpha" never shows
        (COVERED, BATCHES_QUERY, {"search": "_100%"}),  # LIKE wildcards taken literally
        (COVERED, BATCHES_QUERY, {"search": "  "}),  # blank: no search
        (COVERED, BATCHES_QUERY, {"search": "paus"}),  # matches the status
    ]
    return requests


async def test_the_compiled_path_answers_the_suites_read_requests_byte_for_byte(
    both_paths: BothPaths, data: DataSet
) -> None:
    for expected, query, variables in _requests(data):
        both_paths.answered.clear()
        await both_paths.agree(data.user_id, query, variables)
        assert both_paths.answered == [expected == COVERED], (expected, query, variables)


@pytest.mark.parametrize("document", [CONTACTS_QUERY, WALK_QUERY, Q4])
async def test_cursor_pages_agree_from_first_to_last(
    both_paths: BothPaths, data: DataSet, document: str
) -> None:
    """Following the reference's endCursor, each next page agrees too (signed cursors)."""
    for sort in ([], [{"field": "NAME", "direction": "DESC"}], [{"field": "COMPLETED_AT"}]):
        variables: dict[str, Any] = {"id": str(data.batch_ids[0]), "after": None}
        if document is not Q4:
            variables |= {"first": 2, "sort": sort}
        for _ in range(10):
            page = (await both_paths.agree(data.user_id, document, variables)).json()
            info = page["data"]["batch"]["contacts"]["pageInfo"]
            if not info["hasNextPage"]:
                break
            variables["after"] = info["endCursor"]
        assert all(both_paths.answered)


async def test_batch_list_cursor_pages_agree(both_paths: BothPaths, data: DataSet) -> None:
    variables: dict[str, Any] = {"first": 2}
    for _ in range(10):
        page = (await both_paths.agree(data.user_id, BATCHES_QUERY, variables)).json()
        info = page["data"]["batches"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        variables["after"] = info["endCursor"]
    else:
        raise AssertionError("the walk did not end")
    assert all(both_paths.answered) and len(both_paths.answered) >= 3


async def test_lists_over_the_rows_read_budget_are_refused_alike(
    both_paths: BothPaths, data: DataSet
) -> None:
    """The main batch holds 7 contacts: a search reads all 7, a page of 3 reads 3. A refusal is
    tried with one list only: when a list is refused, graphql-core cancels its siblings'
    statements in flight, which the tests' shared connection does not survive."""
    lists = {
        "a": 'a: contacts(search: "a") { totalCount }',
        "b": 'b: contacts(search: "o") { totalCount }',
        "c": "c: contacts(limit: 3) { nodes { id } }",
    }
    variables = {"id": str(data.batch_ids[0])}
    for chosen, maximum, covered in (("abc", 17, True), ("a", 6, False), ("c", 2, False)):
        query = f"query($id: ID!) {{ batch(id: $id) {{ {' '.join(lists[n] for n in chosen)} }} }}"
        both_paths.configure(max_rows_read=maximum)
        both_paths.answered.clear()
        body = (await both_paths.agree(data.user_id, query, variables)).json()
        assert both_paths.answered == [covered]
        assert ("errors" in body) is not covered


async def test_custom_data_holding_an_integer_beyond_64_bits_reads_alike_and_exactly(
    both_paths: BothPaths, data: DataSet
) -> None:
    query = "query($id: ID!) { batch(id: $id) { contacts(first: 50) { nodes { customData } } } }"

    response = await both_paths.agree(data.user_id, query, {"id": str(data.batch_ids[0])})

    assert both_paths.answered == [True]
    assert response.status_code == 200
    assert b'"beyond_64_bits":1180591620717411303424' in response.content


async def test_row_keys_that_are_sql_words_or_long_names_agree_or_fall_back(
    both_paths: BothPaths, data: DataSet
) -> None:
    """A list row's keys become column names of a composite row (`db.compiled.json_sql.
    json_row`): SQL's reserved words and mixed case are quoted, and a name PostgreSQL would cut
    short (over 63 bytes) is left to the resolvers rather than answered under a shorter key."""
    words = "select: id from: name Order: status user: phoneNumber"
    for alias, covered in (("k" * 63, True), ("k" * 64, False)):
        query = f"""query($id: ID!) {{ batch(id: $id) {{ contacts(first: 3) {{
          nodes {{ {words} {alias}: email callLogs {{ group: id {alias}: callStatus }} }} }} }}
          batches(first: 2) {{ edges {{ node {{ {words.split(" user:")[0]} {alias}: id }} }} }} }}"""
        both_paths.answered.clear()
        response = await both_paths.agree(data.user_id, query, {"id": str(data.batch_ids[0])})
        assert both_paths.answered == [covered], alias
        body = response.json()
        assert "errors" not in body
        node = body["data"]["batch"]["contacts"]["nodes"][0]
        assert set(node) == {"select", "from", "Order", "user", alias, "callLogs"}


async def test_an_object_of_more_keys_than_the_compiler_builds_falls_back_alike(
    both_paths: BothPaths, data: DataSet
) -> None:
    """51 keys in one object is past `MAX_OBJECT_KEYS`: found when the statement is built, after
    planning, and answered by the resolvers (it was a 500 before); 50 are compiled."""
    fields = [f for f in EVERY_CONTACT_FIELD.split("callLogs")[0].split() if f != "__typename"]
    for keys, covered in ((51, False), (50, True)):
        extra = keys - len(fields) - 2  # and __typename, callLogs
        aliases = " ".join(f"a{i}: {fields[i % len(fields)]}" for i in range(extra))
        query = f"""query($id: ID!) {{ batch(id: $id) {{ contacts(first: 2) {{ nodes {{
          {EVERY_CONTACT_FIELD} {aliases} }} }} }} }}"""
        both_paths.answered.clear()
        response = await both_paths.agree(data.user_id, query, {"id": str(data.batch_ids[0])})
        assert "errors" not in response.json()
        assert both_paths.answered == [covered]


async def test_several_row_shapes_in_one_page_each_build_their_own_rows_alike(
    both_paths: BothPaths, data: DataSet
) -> None:
    """`nodes`, `edges { node }` and an aliased `nodes` of one page are three composite rows
    joined beside it, and a contact's two aliased `callLogs` two more, each in its own scope."""
    query = """query($id: ID!) { batch(id: $id) { contacts(first: 3) {
      nodes { id a: callLogs { id } b: callLogs { callStatus createdAt } }
      edges { cursor node { name c: callLogs { id } } }
      more: nodes { __typename } } }
      batches(first: 2) { nodes { id } edges { node { name } } x: nodes { __typename } } }"""

    response = await both_paths.agree(data.user_id, query, {"id": str(data.batch_ids[0])})

    assert both_paths.answered == [True]
    contacts = response.json()["data"]["batch"]["contacts"]
    assert any(node["a"] and node["b"] for node in contacts["nodes"])
    assert contacts["more"] == [{"__typename": "Contact"}] * 3
