"""Helpers of the dashboard's browser test: the page's selectors, signing in, waiting for what
the page shows, and the API answers (the ground truth) it is compared with."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.dashboard_fixtures import WAIT_MS, DemoServer, fetch_sql, run_sql

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, WebSocket

TOKEN_KEY = "callbatch.dashboard.token"
BATCH_ROWS = "table.batches tbody tr[data-batch-id]"
CONTACT_ROWS = "table.contacts-table tbody tr[data-contact-id]"


def sign_in(page: Page, server: DemoServer, path: str = "/", token: str | None = None) -> None:
    """Paste the demo user's token (or `token`) into the form of `path` and wait for the list."""
    page.goto(path)
    page.get_by_label("Bearer token").fill(f"Authorization: Bearer {token or server.token}")
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


def batch_page(server: DemoServer, **arguments: Any) -> dict[str, Any]:
    query = """query ($search: String, $status: BatchStatus, $page: Int) {
      batches(search: $search, status: $status, page: $page, limit: 10) {
        pagination { total totalPages }
        nodes { id name status progressPercentage remainingCount totalContacts }
      }
    }"""
    batches: dict[str, Any] = server.graphql(query, arguments)["batches"]
    return batches


def contact_ids(server: DemoServer, batch_id: str, first: int, **arguments: Any) -> list[str]:
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


def wait_until(page: Page, condition: Callable[[], bool]) -> None:
    """Until `condition` holds; Playwright delivers the page's events while it waits."""
    for _ in range(WAIT_MS // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    pytest.fail("the page did not do what the test waited for")


@dataclass
class Traffic:
    """What a tab exchanged with the server, as observed (nothing is altered): the operation names
    of its GraphQL POSTs and the graphql-transport-ws frames of its sockets."""

    posted: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Traffic:
        page.on("request", self._request)
        page.on("websocket", self._socket)
        return self

    def _request(self, request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/graphql"):
            self.posted.append((request.post_data_json or {}).get("operationName") or "")

    def _socket(self, socket: WebSocket) -> None:
        self.sockets.append(socket.url)
        socket.on("framesent", lambda frame: self.sent.append(json.loads(frame)))
        socket.on("framereceived", lambda frame: self.received.append(json.loads(frame)))

    def subscribed(self, operation: str) -> bool:
        """True once the server sent a first result to a subscription named `operation`."""
        ids = {
            frame["id"]
            for frame in self.sent
            if frame["type"] == "subscribe" and frame["payload"].get("operationName") == operation
        }
        return any(frame["type"] == "next" and frame.get("id") in ids for frame in self.received)


def complete_contacts(server: DemoServer, batch_id: str, count: int) -> dict[str, Any]:
    """Complete `count` waiting contacts in plain SQL, committed on a connection of its own, as a
    dialer would; returns the batch's progress as the API then answers it."""
    touched = run_sql(
        server.database_url,
        """UPDATE campaign_contacts
              SET status = 'completed', outcome = 'answered', attempts = attempts + 1,
                  last_attempt_at = now(), completed_at = now()
            WHERE id IN (SELECT id FROM campaign_contacts
                          WHERE batch_id = :batch_id AND status IN ('pending', 'queued')
                          ORDER BY created_at LIMIT :count)""",
        batch_id=batch_id,
        count=count,
    )
    assert touched == count
    progress: dict[str, Any] = server.graphql(
        "query ($id: ID!) { batch(id: $id) { progressPercentage remainingCount } }",
        {"id": batch_id},
    )["batch"]
    return progress


def busiest_processing_batch(server: DemoServer) -> dict[str, Any]:
    """The processing batch with the most contacts left (enough for two rounds of 20)."""
    batches = batch_page(server, status="PROCESSING")["nodes"]
    busiest: dict[str, Any] = max(batches, key=lambda b: b["remainingCount"])
    assert busiest["remainingCount"] >= 40
    return busiest


def batch_events(server: DemoServer, batch_id: str) -> list[tuple[str, str, str, str]]:
    """The `batch_events` rows of the batch, oldest first, as (action, from, to, user id)."""
    rows = fetch_sql(
        server.database_url,
        """SELECT action, from_status, to_status, user_id::text AS user_id FROM batch_events
            WHERE batch_id = :batch_id ORDER BY created_at, id""",
        batch_id=batch_id,
    )
    return [(r["action"], r["from_status"], r["to_status"], r["user_id"]) for r in rows]
