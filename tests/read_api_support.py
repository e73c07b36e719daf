"""Shared pieces of the read-API tests: GraphQL documents, paging walks, the Python oracle of
contact ordering, and a counter of the SQL statements a request runs."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from db.contacts import contact_name
from db.models import CONTACT_STATUSES, PRIORITIES
from tests.factories import T0, Factory
from tests.tenant import Tenant

CONTACTS_QUERY = """
query Contacts($id: ID!, $filter: ContactFilter, $search: String, $sort: [ContactSort!],
               $offset: Int, $page: Int, $limit: Int, $first: Int, $after: String) {
  batch(id: $id) {
    contacts(filter: $filter, search: $search, sort: $sort, offset: $offset, page: $page,
             limit: $limit, first: $first, after: $after) {
      totalCount
      nodes { id }
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      pagination { total page limit offset totalPages hasMore }
    }
  }
}
"""

BATCHES_QUERY = """
query Batches($search: String, $status: BatchStatus, $campaignId: ID, $page: Int, $offset: Int,
              $limit: Int, $first: Int, $after: String) {
  batches(search: $search, status: $status, campaignId: $campaignId, page: $page,
          offset: $offset, limit: $limit, first: $first, after: $after) {
    totalCount
    nodes { id name }
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    pagination { total page limit offset totalPages hasMore }
  }
}
"""


async def contacts(tenant: Tenant, batch_id: uuid.UUID, **arguments: Any) -> dict[str, Any]:
    """The `contacts` connection of one batch, called with `arguments` (must succeed)."""
    data = await tenant.data(CONTACTS_QUERY, {"id": str(batch_id), **arguments})
    connection: dict[str, Any] = data["batch"]["contacts"]
    return connection


async def contact_ids(tenant: Tenant, batch_id: uuid.UUID, **arguments: Any) -> list[uuid.UUID]:
    """Ids of one page (offset mode, 200 rows by default: every test batch fits)."""
    arguments.setdefault("limit", 200)
    page = await contacts(tenant, batch_id, **arguments)
    return [uuid.UUID(node["id"]) for node in page["nodes"]]


WALK_QUERY = """
query Walk($id: ID!, $filter: ContactFilter, $search: String, $sort: [ContactSort!],
           $first: Int, $after: String) {
  batch(id: $id) {
    contacts(filter: $filter, search: $search, sort: $sort, first: $first, after: $after) {
      nodes { id }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def walk_with_cursors(
    tenant: Tenant, batch_id: uuid.UUID, first: int, **arguments: Any
) -> list[uuid.UUID]:
    """Every contact reached by following endCursor from the start, in the order visited."""
    visited: list[uuid.UUID] = []
    after: str | None = None
    for _ in range(1000):
        variables = {"id": str(batch_id), "first": first, "after": after, **arguments}
        page = (await tenant.data(WALK_QUERY, variables))["batch"]["contacts"]
        visited += [uuid.UUID(node["id"]) for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return visited
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the cursor walk did not end")


async def error_codes(tenant: Tenant, query: str, variables: dict[str, Any]) -> list[str]:
    body = await tenant.query(query, variables)
    return [error["extensions"]["code"] for error in body.get("errors", [])]


# The Python oracle of `db.contacts` ordering: NULLs last in both directions, id ascending last.

SORT_VALUE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "CREATED_AT": lambda c: c["created_at"],
    "NAME": lambda c: contact_name(c["first_name"], c["last_name"]),
    "PHONE_NUMBER": lambda c: c["phone_number"],
    "STATUS": lambda c: CONTACT_STATUSES.index(c["status"]),
    "PRIORITY": lambda c: PRIORITIES.index(c["priority"]),
    "ATTEMPTS": lambda c: c["attempts"],
    "LAST_ATTEMPT_AT": lambda c: c["last_attempt_at"],
    "COMPLETED_AT": lambda c: c["completed_at"],
    "DURATION_SECONDS": lambda c: c["duration_seconds"],
}


def expected_order(rows: list[dict[str, Any]], sort: list[dict[str, str]]) -> list[uuid.UUID]:
    """Ids of `rows` ordered as the contract says `sort` orders them."""

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for item in sort:
            x, y = SORT_VALUE[item["field"]](a), SORT_VALUE[item["field"]](b)
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1
            ascending = item.get("direction", "ASC") == "ASC"
            return (1 if x > y else -1) * (1 if ascending else -1)
        return 1 if a["id"] > b["id"] else -1 if a["id"] < b["id"] else 0

    return [row["id"] for row in sorted(rows, key=functools.cmp_to_key(compare))]


def contact_row(**values: Any) -> dict[str, Any]:
    """A full contact row for `Factory.contacts` (every row of one insert has the same keys)."""
    row: dict[str, Any] = {
        "first_name": None,
        "last_name": None,
        "email": None,
        "company": None,
        "title": None,
        "account_id": None,
        "priority": "normal",
        "status": "pending",
        "attempts": 0,
        "outcome": None,
        "duration_seconds": None,
        "last_attempt_at": None,
        "completed_at": None,
        "custom_data": {},
        "do_not_call": False,
    }
    row.update(values)
    return row


def with_ids(rows: list[dict[str, Any]], ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    return [{**row, "id": id_} for row, id_ in zip(rows, ids, strict=True)]


async def batch_with_two_call_logs_each(tenant: Tenant, factory: Factory, size: int) -> uuid.UUID:
    """A batch of `size` contacts, each with a "no-answer" then a "completed" call log."""
    batch_id = await factory.batch(tenant.agency_id)
    ids = await factory.contacts(batch_id, tenant.agency_id, [contact_row()] * size)
    for contact_id in ids:
        await factory.call_log(contact_id, tenant.agency_id, call_status="no-answer")
        await factory.call_log(contact_id, tenant.agency_id, call_status="completed")
    return batch_id


class StatementLog:
    """The SQL statements run on one connection, as sent to PostgreSQL."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def queries(self) -> list[str]:
        """The statements that answer the query: no savepoints, no scope `set_config`, and not
        the sign-in lookup of the bearer's user (one per request, whatever the query)."""
        return [
            s
            for s in self.statements
            if s.lstrip().upper().startswith(("SELECT", "WITH"))
            and "set_config(" not in s
            and "FROM users" not in s
        ]

    def reading(self, table: str) -> list[str]:
        return [s for s in self.queries if f"FROM {table}" in s]

    def counts(self) -> list[str]:
        """Statements that count rows (a COUNT, or the per-batch or per-agency counters standing
        in for one)."""
        counters = ("FROM call_batch_counters", "FROM agency_batch_counters")
        return [s for s in self.queries if "count(" in s or any(c in s for c in counters)]


@contextmanager
def statements_on(connection: AsyncConnection) -> Iterator[StatementLog]:
    """Record every statement the test's connection runs inside the `with` block."""
    log = StatementLog()

    def record(*args: Any) -> None:
        log.statements.append(args[2])

    sync = connection.sync_connection
    assert sync is not None
    event.listen(sync, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(sync, "before_cursor_execute", record)


def at(minutes: int) -> datetime:
    """A timestamp `minutes` after the factories' T0 (few values: deliberate ties)."""
    return T0 + timedelta(minutes=minutes)
