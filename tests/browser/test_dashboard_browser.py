"""The dashboard in headless Chromium against `python app.py --demo`: an operator signs in once,
pages and filters the batches, opens one, walks its contacts and call logs, and sees a progress
bar move when another program updates contacts in SQL. What the page shows is checked against what
the API answers; screenshots go to `$ARTIFACTS_DIR/dashboard/`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.dashboard_fixtures import (
    CHROMIUM_ARGS,
    LiveServer,
    artifacts_dir,
    browser_missing,
    chromium_path,
    clear_screenshots,
    live_server,
    run_sql,
)
from tests.browser.dashboard_page import (
    BATCH_ROWS,
    CONTACT_ROWS,
    PROGRESS_FIELDS,
    TOKEN_KEY,
    WAIT_MS,
    batch_page,
    contact_ids,
    failure,
    ids,
    js_number,
    planned_schema,
    sign_in,
    wait_for_shown,
    wait_until,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

MISSING = browser_missing()
REQUIRED = os.environ.get("BROWSER_TESTS") == "required"
"""Set by .ci/run: there, a missing browser fails these tests instead of skipping them."""
pytestmark = pytest.mark.skipif(
    MISSING is not None and not REQUIRED, reason=f"browser test skipped: {MISSING}"
)


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = artifacts_dir("dashboard")
    clear_screenshots(folder)
    return folder


@pytest.fixture(scope="module")
def server(server_url: str, screenshots: Path) -> Iterator[LiveServer]:
    with live_server(server_url, screenshots / "server.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if MISSING is not None:
        pytest.fail(f"BROWSER_TESTS=required but {MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def problems() -> list[str]:
    """Script errors and failed loads of the test's tab; any left at the end fail the test."""
    return []


@pytest.fixture
def page(browser: Browser, server: LiveServer, problems: list[str]) -> Iterator[Page]:
    """A fresh tab (empty session storage); fails the test on any script error or failed load."""
    from playwright.sync_api import expect

    context = browser.new_context(
        base_url=server.base_url,
        viewport={"width": 1400, "height": 900},
        locale="en-US",
        timezone_id="UTC",
    )
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("requestfailed", lambda request: problems.extend(failure(request)))
    yield tab
    context.close()
    assert not problems, problems


def test_operator_signs_in_once_then_pages_and_filters_the_batches(
    page: Page, server: LiveServer, screenshots: Path, problems: list[str]
) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    expect(page.get_by_label("Bearer token")).to_be_visible()
    page.get_by_label("Bearer token").fill("Bearer not-a-token")
    page.get_by_role("button", name="Open dashboard").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The server refused this token (expired or unknown)."
    )
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    assert problems == [
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    ]
    problems.clear()
    page.screenshot(path=screenshots / "01-sign-in-refused.png")
    sign_in(page, server)

    first = batch_page(server, page=1)
    wait_for_shown(page, BATCH_ROWS, "batchId", ids(first))
    total, pages = first["pagination"]["total"], first["pagination"]["totalPages"]
    assert pages >= 2, "the demo data must fill more than one page of 10"
    expect(page.locator(".page-status")).to_have_text(f"Page 1 of {pages} · {total} batches")
    expect(page.locator(f"{BATCH_ROWS} [role=progressbar]")).to_have_count(len(first["nodes"]))
    page.screenshot(path=screenshots / "02-batches.png")

    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") == server.token
    page.reload()
    wait_for_shown(page, BATCH_ROWS, "batchId", ids(first))
    expect(page.get_by_label("Bearer token")).to_have_count(0)

    page.get_by_role("button", name="Next →").click()
    wait_for_shown(page, BATCH_ROWS, "batchId", ids(batch_page(server, page=2)))
    expect(page.locator(".page-status")).to_have_text(f"Page 2 of {pages} · {total} batches")
    page.get_by_role("button", name="← Previous").click()
    wait_for_shown(page, BATCH_ROWS, "batchId", ids(first))

    page.get_by_label("Status", exact=True).select_option("PROCESSING")
    processing = batch_page(server, status="PROCESSING")
    assert processing["nodes"], "the demo data has processing batches"
    wait_for_shown(page, BATCH_ROWS, "batchId", ids(processing))
    badges = page.locator(f"{BATCH_ROWS} .badge")
    expect(badges).to_have_text(["processing"] * len(processing["nodes"]))

    page.get_by_label("Search batches").fill("renewals")
    found = batch_page(server, status="PROCESSING", search="renewals")
    assert 0 < len(found["nodes"]) < len(processing["nodes"])
    wait_for_shown(page, BATCH_ROWS, "batchId", ids(found))
    assert "status=PROCESSING" in page.url and "search=renewals" in page.url
    page.screenshot(path=screenshots / "03-batches-filtered.png")

    page.go_back()
    wait_for_shown(page, BATCH_ROWS, "batchId", ids(first))
    expect(page.get_by_label("Search batches")).to_have_value("")
    expect(page.get_by_label("Status", exact=True)).to_have_value("")


def test_batch_page_pages_sorts_filters_and_searches_contacts_and_shows_their_calls(
    page: Page, server: LiveServer, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server)
    batch = max(batch_page(server, status="PROCESSING")["nodes"], key=lambda b: b["totalContacts"])
    page.get_by_label("Status", exact=True).select_option("PROCESSING")
    page.get_by_role("link", name=batch["name"], exact=True).click()
    expect(page.get_by_role("heading", name=batch["name"])).to_be_visible()

    wait_for_shown(page, CONTACT_ROWS, "contactId", contact_ids(server, batch["id"], 25))
    expect(page.locator(".contacts .page-status")).to_have_text(
        f"Showing 25 of {batch['totalContacts']:,} contacts"
    )
    page.get_by_role("button", name="Load 25 more").click()
    wait_for_shown(page, CONTACT_ROWS, "contactId", contact_ids(server, batch["id"], 50))

    page.get_by_label("Sort by").select_option("NAME")
    page.get_by_label("Sort direction").select_option("DESC")
    by_name = [{"field": "NAME", "direction": "DESC"}]
    wait_for_shown(
        page, CONTACT_ROWS, "contactId", contact_ids(server, batch["id"], 25, sort=by_name)
    )

    page.get_by_label("Contact status").select_option("COMPLETED")
    completed = contact_ids(server, batch["id"], 25, sort=by_name, filter={"status": "COMPLETED"})
    wait_for_shown(page, CONTACT_ROWS, "contactId", completed)
    expect(page.locator(f"{CONTACT_ROWS} .badge")).to_have_text(["completed"] * len(completed))

    contact = server.graphql(
        """query ($id: ID!) { batch(id: $id) { contacts(first: 1, filter: {callStatus: "completed"},
             sort: [{field: NAME, direction: DESC}]) { nodes { id lastName
             callLogs { callStatus recordingUrl transcript } } } } }""",
        {"id": batch["id"]},
    )["batch"]["contacts"]["nodes"][0]
    page.get_by_label("Contact status").select_option("")
    page.get_by_label("Call result").select_option("completed")
    page.get_by_label("Search contacts").fill(contact["lastName"])
    searched = contact_ids(
        server,
        batch["id"],
        25,
        sort=by_name,
        filter={"callStatus": "completed"},
        search=contact["lastName"],
    )
    assert searched[0] == contact["id"]
    wait_for_shown(page, CONTACT_ROWS, "contactId", searched)

    row = page.locator(f"tr[data-contact-id='{contact['id']}']")
    row.get_by_role("button", name="call").click()
    logs = page.locator("table.call-logs tbody tr")
    expect(logs).to_have_count(len(contact["callLogs"]))
    answered = next(log for log in contact["callLogs"] if log["recordingUrl"])
    answered_row = logs.filter(has=page.get_by_role("link", name="Recording")).first
    recording = answered_row.get_by_role("link", name="Recording")
    expect(recording).to_have_attribute("href", answered["recordingUrl"])
    expect(recording).to_have_attribute("rel", "noopener noreferrer")
    answered_row.locator("summary").click()
    expect(answered_row.locator("pre")).to_have_text(answered["transcript"])
    page.screenshot(path=screenshots / "04-batch-contacts-call-logs.png", full_page=True)


def test_progress_bar_moves_when_another_program_completes_contacts_in_sql(
    page: Page, server: LiveServer, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    batch = max(batch_page(server, status="PROCESSING")["nodes"], key=lambda b: b["remainingCount"])
    assert batch["remainingCount"] >= 20
    sign_in(page, server, "/?poll=1000")
    page.goto(f"/?poll=1000#/batches/{batch['id']}")
    bar = page.locator(".progress-large [role=progressbar]")
    expect(bar).to_have_attribute("aria-valuenow", js_number(batch["progressPercentage"]))
    page.screenshot(path=screenshots / "05-progress-before-sql-update.png")

    touched = run_sql(
        server.database_url,
        """UPDATE campaign_contacts
              SET status = 'completed', outcome = 'answered', attempts = attempts + 1,
                  last_attempt_at = now(), completed_at = now()
            WHERE id IN (SELECT id FROM campaign_contacts
                          WHERE batch_id = :batch_id AND status IN ('pending', 'queued')
                          ORDER BY created_at LIMIT 20)""",
        batch_id=batch["id"],
    )
    assert touched == 20
    now = server.graphql(
        "query ($id: ID!) { batch(id: $id) { progressPercentage remainingCount } }",
        {"id": batch["id"]},
    )["batch"]
    assert now["progressPercentage"] > batch["progressPercentage"]
    assert now["remainingCount"] == batch["remainingCount"] - 20

    expect(bar).to_have_attribute("aria-valuenow", js_number(now["progressPercentage"]))
    expect(page.locator(".progress-large .progress-remaining")).to_contain_text(
        f"{now['remainingCount']:,} of"
    )
    page.screenshot(path=screenshots / "06-progress-after-sql-update.png")

    page.get_by_role("link", name="← All batches").click()
    page.get_by_label("Status", exact=True).select_option("PROCESSING")
    listed = page.locator(f"{BATCH_ROWS}[data-batch-id='{batch['id']}'] [role=progressbar]")
    expect(listed).to_have_attribute("aria-valuenow", js_number(now["progressPercentage"]))


def test_live_progress_and_batch_controls_switch_on_when_the_schema_has_them(
    page: Page, server: LiveServer
) -> None:
    """Against today's schema the page polls and shows no controls. When introspection finds the
    planned subscriptions and mutations (faked here at the network level, since this server does
    not have them yet), the same page subscribes over graphql-transport-ws with the token in
    `connection_init`, draws what the subscription pushes, and pauses a batch with `pauseBatch`."""
    from playwright.sync_api import Route, WebSocketRoute, expect

    batch = max(batch_page(server, status="PROCESSING")["nodes"], key=lambda b: b["remainingCount"])
    sign_in(page, server)
    expect(page.get_by_test_id("freshness")).to_have_text("Refreshing every 3 s")
    page.goto(f"/#/batches/{batch['id']}")
    expect(page.get_by_role("heading", name=batch["name"])).to_be_visible()
    expect(page.get_by_role("group", name="Batch controls")).to_have_count(0)

    current = server.graphql(
        f"query ($id: ID!) {{ batch(id: $id) {{ __typename {PROGRESS_FIELDS} }} }}",
        {"id": batch["id"]},
    )["batch"]
    pushed = {**current, "completed": current["completed"] + 1, "progressPercentage": 99.5}
    mutations: list[dict[str, Any]] = []
    handshakes: list[dict[str, Any]] = []
    subscriptions: dict[str, tuple[WebSocketRoute, str]] = {}

    def fake_planned_schema(route: Route) -> None:
        body = route.request.post_data_json or {}
        operation = body.get("operationName")
        if operation == "DashboardCapabilities":
            route.fulfill(json={"data": {"__schema": planned_schema()}})
        elif operation == "DashboardPauseBatch":
            mutations.append({**body, "authorization": route.request.headers.get("authorization")})
            route.fulfill(json={"data": {"pauseBatch": {**pushed, "status": "PAUSED"}}})
        else:
            route.continue_()

    def fake_transport_ws(socket: WebSocketRoute) -> None:
        def answer(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame["type"] == "connection_init":
                handshakes.append(frame.get("payload") or {})
                socket.send(json.dumps({"type": "connection_ack"}))
            elif frame["type"] == "subscribe":
                subscriptions[frame["payload"].get("operationName")] = (socket, frame["id"])
            elif frame["type"] == "ping":
                socket.send(json.dumps({"type": "pong"}))

        socket.on_message(answer)

    page.route("**/graphql", fake_planned_schema)
    page.route_web_socket("**/graphql", fake_transport_ws)
    page.reload()
    expect(page.get_by_test_id("freshness")).to_have_text("Live")
    bar = page.locator(".progress-large [role=progressbar]")
    expect(bar).to_have_attribute("aria-valuenow", js_number(current["progressPercentage"]))
    wait_until(page, lambda: "DashboardBatchProgress" in subscriptions)
    assert handshakes == [{"Authorization": f"Bearer {server.token}"}]
    socket, subscription_id = subscriptions["DashboardBatchProgress"]
    socket.send(
        json.dumps(
            {"id": subscription_id, "type": "next", "payload": {"data": {"batchProgress": pushed}}}
        )
    )
    expect(bar).to_have_attribute("aria-valuenow", "99.5")

    controls = page.get_by_role("group", name="Batch controls")
    expect(controls.get_by_role("button", name="Pause")).to_be_enabled()
    expect(controls.get_by_role("button", name="Resume")).to_be_disabled()
    controls.get_by_role("button", name="Pause").click()
    expect(page.locator(".batch-header .badge")).to_have_text("paused")
    expect(controls.get_by_role("button", name="Resume")).to_be_enabled()
    expect(controls.get_by_role("button", name="Pause")).to_be_disabled()
    assert [m["variables"] for m in mutations] == [{"id": batch["id"]}]
    assert mutations[0]["authorization"] == f"Bearer {server.token}"
