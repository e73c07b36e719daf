"""The dashboard in headless Chromium against `python app.py --demo`: an operator signs in once,
pages and filters the batches, opens one, walks its contacts and call logs, sees a progress bar
move when another program updates contacts in SQL (pushed over the websocket, or polled with
`?live=0`), pauses and resumes a batch; a viewer sees no controls. What the page shows is checked against
what the API and the tables say; nothing on the network is faked. Screenshots go to
`$ARTIFACTS_DIR/dashboard/`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from demo.plan import DEMO_USER_ID, demo_id
from tests.browser.dashboard_fixtures import (
    LIVE_SERVER_SECRET,
    DemoServer,
    clear_screenshots,
    demo_server,
    run_sql,
)
from tests.browser.dashboard_page import (
    BATCH_ROWS,
    CONTACT_ROWS,
    TOKEN_KEY,
    Traffic,
    batch_events,
    batch_page,
    busiest_processing_batch,
    complete_contacts,
    contact_ids,
    ids,
    js_number,
    sign_in,
    wait_for_shown,
    wait_until,
)
from web.auth import issue_token

if TYPE_CHECKING:
    from playwright.sync_api import Page

VIEWER_ID = demo_id("user", "ops@northwind-outreach.example")
"""The demo agency's second user; the test makes sure its role is `viewer`."""
STATUS = "query ($id: ID!) { batch(id: $id) { status } }"


@pytest.fixture(scope="module")
def screenshots(artifacts_dir: Path) -> Path:
    folder = artifacts_dir / "dashboard"
    folder.mkdir(exist_ok=True)
    clear_screenshots(folder)
    return folder


@pytest.fixture(scope="module")
def server(server_url: str, screenshots: Path) -> Iterator[DemoServer]:
    with demo_server(server_url, screenshots / "server.log") as running:
        yield running


@pytest.fixture
def base_url(server: DemoServer) -> str:
    return server.base_url


def test_operator_signs_in_once_then_pages_and_filters_the_batches(
    page: Page, server: DemoServer, screenshots: Path, problems: list[str]
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
    page: Page, server: DemoServer, screenshots: Path
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


def test_progress_bar_moves_over_the_websocket_when_another_program_completes_contacts_in_sql(
    page: Page, server: DemoServer, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    traffic = Traffic().watch(page)
    batch = busiest_processing_batch(server)
    sign_in(page, server)
    expect(page.get_by_test_id("freshness")).to_have_text("Live")
    page.goto(f"/#/batches/{batch['id']}")
    bar = page.locator(".progress-large [role=progressbar]")
    expect(bar).to_have_attribute("aria-valuenow", js_number(batch["progressPercentage"]))
    wait_until(page, lambda: traffic.subscribed("DashboardBatchProgress"))
    page.screenshot(path=screenshots / "05-progress-before-sql-update.png")
    polls_before = traffic.posted.count("DashboardBatch")

    now = complete_contacts(server, batch["id"], 20)
    assert now["progressPercentage"] > batch["progressPercentage"]
    assert now["remainingCount"] == batch["remainingCount"] - 20
    expect(bar).to_have_attribute("aria-valuenow", js_number(now["progressPercentage"]))
    expect(page.locator(".progress-large .progress-remaining")).to_contain_text(
        f"{now['remainingCount']:,} of"
    )
    page.screenshot(path=screenshots / "07-live-progress.png")

    assert traffic.posted.count("DashboardBatch") == polls_before, "the page polled"
    handshakes = [frame for frame in traffic.sent if frame["type"] == "connection_init"]
    assert handshakes, "no graphql-transport-ws handshake"
    assert all(
        frame["payload"] == {"Authorization": f"Bearer {server.token}"} for frame in handshakes
    )
    assert set(traffic.sockets) == {server.base_url.replace("http:", "ws:") + "/graphql"}

    page.get_by_role("link", name="← All batches").click()
    page.get_by_label("Status", exact=True).select_option("PROCESSING")
    listed = page.locator(f"{BATCH_ROWS}[data-batch-id='{batch['id']}'] [role=progressbar]")
    expect(listed).to_have_attribute("aria-valuenow", js_number(now["progressPercentage"]))


def test_with_live_updates_switched_off_the_page_polls_and_opens_no_socket(
    page: Page, server: DemoServer, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    traffic = Traffic().watch(page)
    batch = busiest_processing_batch(server)
    sign_in(page, server, "/?live=0&poll=1000")
    expect(page.get_by_test_id("freshness")).to_have_text("Refreshing every 1 s")
    page.goto(f"/?live=0&poll=1000#/batches/{batch['id']}")
    bar = page.locator(".progress-large [role=progressbar]")
    expect(bar).to_have_attribute("aria-valuenow", js_number(batch["progressPercentage"]))

    now = complete_contacts(server, batch["id"], 20)
    expect(bar).to_have_attribute("aria-valuenow", js_number(now["progressPercentage"]))
    page.screenshot(path=screenshots / "06-polled-progress.png")
    assert traffic.posted.count("DashboardBatch") >= 2
    assert traffic.sockets == []


def test_operator_pauses_then_resumes_a_batch_and_each_action_is_audited(
    page: Page, server: DemoServer, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    batches = batch_page(server, status="PROCESSING")["nodes"]
    batch = min(batches, key=lambda b: b["remainingCount"])
    assert batch_events(server, batch["id"]) == []
    sign_in(page, server)
    page.goto(f"/#/batches/{batch['id']}")
    badge = page.locator(".batch-header .badge")
    expect(badge).to_have_text("processing")
    controls = page.get_by_role("group", name="Batch controls")
    pause = controls.get_by_role("button", name="Pause")
    resume = controls.get_by_role("button", name="Resume")
    actions = page.locator(".event-list li")
    expect(resume).to_be_disabled()
    expect(actions).to_have_count(0)

    pause.click()
    expect(badge).to_have_text("paused")
    expect(resume).to_be_enabled()
    expect(pause).to_be_disabled()
    expect(actions).to_contain_text(["pause processing → paused"])
    page.screenshot(path=screenshots / "08-paused.png")
    assert server.graphql(STATUS, {"id": batch["id"]})["batch"]["status"] == "PAUSED"

    resume.click()
    expect(badge).to_have_text("processing")
    expect(pause).to_be_enabled()
    expect(actions.locator("strong")).to_have_text(["resume", "pause"])
    page.screenshot(path=screenshots / "09-resumed.png")
    user = str(DEMO_USER_ID)
    assert batch_events(server, batch["id"]) == [
        ("pause", "processing", "paused", user),
        ("resume", "paused", "processing", user),
    ]


def test_a_viewer_sees_no_batch_controls_and_is_told_why(
    page: Page, server: DemoServer, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    demoted = run_sql(
        server.database_url, "UPDATE users SET role = 'viewer' WHERE id = :id", id=VIEWER_ID
    )
    assert demoted == 1
    batch = busiest_processing_batch(server)
    sign_in(page, server, token=issue_token(VIEWER_ID, LIVE_SERVER_SECRET))
    page.goto(f"/#/batches/{batch['id']}")

    expect(page.get_by_test_id("read-only")).to_have_text(
        "Only operators may pause, resume or cancel batches; you can watch them."
    )
    expect(page.get_by_role("group", name="Batch controls")).to_have_count(0)
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    expect(page.locator(".batch-header .badge")).to_have_text("processing")
    page.screenshot(path=screenshots / "10-viewer-read-only.png")
