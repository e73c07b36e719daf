"""Helpers of the dashboard's browser test: the page's selectors, signing in, waiting for what
the page shows, and the API answers (the ground truth) it is compared with."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.dashboard_fixtures import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request

TOKEN_KEY = "callbatch.dashboard.token"
BATCH_ROWS = "table.batches tbody tr[data-batch-id]"
CONTACT_ROWS = "table.contacts-table tbody tr[data-contact-id]"
WAIT_MS = 15_000


def failure(request: Request) -> list[str]:
    """A failed load, except requests the page itself gave up on (a superseded query, a poll
    cut short by navigation)."""
    if request.failure == "net::ERR_ABORTED":
        return []
    return [f"request failed: {request.url} {request.failure}"]


def sign_in(page: Page, server: LiveServer, path: str = "/") -> None:
    page.goto(path)
    page.get_by_label("Bearer token").fill(f"Authorization: Bearer {server.token}")
    page.get_by_role("button", name="Open dashboard").click()
    page.locator(BATCH_ROWS).first.wait_for()


def wait_for_shown(page: Page, selector: str, attribute: str, expected: list[str]) -> None:
    """Until the rows matching `selector` carry exactly `expected` in `data-<attribute>`."""
    script = """([selector, attribute, expected]) => {
        const shown = [...document.querySelectorAll(selector)].map((row) => row.dataset[attribute]);
        return JSON.stringify(shown) === JSON.stringify(expected);
    }"""
    try:
        page.wait_for_function(script, arg=[selector, attribute, expected], timeout=WAIT_MS)
    except Exception:
        shown = page.locator(selector).evaluate_all(
            f"rows => rows.map(row => row.dataset.{attribute})"
        )
        pytest.fail(f"{selector}: shown {shown}, expected {expected}")


def batch_page(server: LiveServer, **arguments: Any) -> dict[str, Any]:
    query = """query ($search: String, $status: BatchStatus, $page: Int) {
      batches(search: $search, status: $status, page: $page, limit: 10) {
        pagination { total totalPages }
        nodes { id name status progressPercentage remainingCount totalContacts }
      }
    }"""
    batches: dict[str, Any] = server.graphql(query, arguments)["batches"]
    return batches


def contact_ids(server: LiveServer, batch_id: str, first: int, **arguments: Any) -> list[str]:
    query = """query ($id: ID!, $first: Int, $filter: ContactFilter, $search: String,
                      $sort: [ContactSort!]) {
      batch(id: $id) {
        contacts(first: $first, filter: $filter, search: $search, sort: $sort) { nodes { id } }
      }
    }"""
    data = server.graphql(query, {"id": batch_id, "first": first, **arguments})
    return [node["id"] for node in data["batch"]["contacts"]["nodes"]]


def ids(batches: dict[str, Any]) -> list[str]:
    return [node["id"] for node in batches["nodes"]]


def js_number(value: float) -> str:
    """How JavaScript writes a number into an attribute (60.0 is "60")."""
    return json.dumps(int(value) if float(value).is_integer() else value)


PROGRESS_FIELDS = """id status totalContacts pending queued inProgress completed failed skipped
    callsPicked progressPercentage remainingCount updatedAt"""


def wait_until(page: Page, condition: Callable[[], bool]) -> None:
    """Until `condition` holds; Playwright delivers the page's events while it waits."""
    for _ in range(WAIT_MS // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    pytest.fail("the page did not do what the test waited for")


def planned_schema() -> dict[str, Any]:
    """The introspection answer of a schema with section 6 of the contract."""

    def root(fields: list[str]) -> dict[str, Any]:
        return {
            "__typename": "__Type",
            "fields": [{"__typename": "__Field", "name": name} for name in fields],
        }

    return {
        "__typename": "__Schema",
        "mutationType": root(["pauseBatch", "resumeBatch", "cancelBatch"]),
        "subscriptionType": root(["batchProgress", "batchUpdates"]),
    }
