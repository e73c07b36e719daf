"""GraphiQL in headless Chromium against a live server: it loads from the app alone (no request
leaves the server's origin, no CSP violation: the `page` fixture fails on any console error), shows
the demo token, runs a query, shows data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request

    from tests.browser.conftest import LiveServer

QUERY = "{ batches(limit: 3) { totalCount nodes { name status progressPercentage } } }"


def editor_text(page: Page, index: int) -> str:
    """The text of the page's `index`-th CodeMirror editor (query, variables, headers, result)."""
    text: str = page.evaluate(
        "i => document.querySelectorAll('.CodeMirror')[i].CodeMirror.getValue()", index
    )
    return text


def test_graphiql_runs_a_query_with_everything_served_by_the_app(
    page: Page, live_server: LiveServer, artifacts_dir: Path
) -> None:
    requested: list[str] = []

    def on_request(request: Request) -> None:
        requested.append(request.url)

    page.on("request", on_request)

    page.goto(f"{live_server.url}/graphql?q={quote(QUERY)}")
    page.wait_for_selector(".graphiql-execute-button", timeout=20_000)
    page.get_by_role("button", name="Headers").click()
    headers_shown = page.evaluate(
        "() => [...document.querySelectorAll('.CodeMirror')].map(e => e.CodeMirror.getValue())"
    )
    page.click(".graphiql-execute-button")
    result = page.locator(".graphiql-response")
    result.get_by_text('"totalCount"').wait_for(timeout=20_000)
    page.screenshot(path=artifacts_dir / "graphiql-query-result.png")
    response_text = result.inner_text()

    assert any(f"Bearer {live_server.token}" in text for text in headers_shown)
    assert '"batches"' in response_text
    assert '"errors"' not in response_text
    assert requested, "the browser made no request"
    outside = [url for url in requested if not url.startswith(live_server.url + "/")]
    assert outside == []
    assert any(url.endswith("/graphiql.min.js") for url in requested)
