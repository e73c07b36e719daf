"""The one way browser tests get Chromium and a folder for screenshots, plus the live server of
the GraphiQL test.

Chromium is Debian's package (`/usr/bin/chromium`, or `CHROMIUM_PATH`) driven by Playwright's
Python package through its sync API (which cannot download browsers here); without either the
tests skip, saying which is missing, and where `BROWSER_TESTS=required` (`.ci/run` sets it) they
fail instead. Screenshots go to `ARTIFACTS_DIR` (default `.ci/artifacts`).

The GraphiQL test's server is the real app under uvicorn in a thread of the test process, built as
embedded mode builds it (demo data, GraphiQL pre-filled with the demo token for loopback visitors).
The dashboard test starts `python app.py --demo` instead (tests/browser/dashboard_fixtures.py).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
import uvicorn
from alembic import command
from pydantic import SecretStr

from app import create_app, demo_token, load_demo
from core.settings import Settings
from migrations import alembic_config
from tests.browser.dashboard_fixtures import (
    WAIT_MS,
    free_port,
    in_worker_thread,
    scratch_database_off_loop,
)
from tests.tenant import JWT_SECRET

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LiveServer:
    url: str
    """`http://127.0.0.1:<port>`"""
    token: str
    """The demo user's bearer token."""
    database_url: str
    """The scratch database the server runs on (for tests that change rows behind its back)."""


def _chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    candidates = [configured] if configured else ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def _unavailable(reason: str) -> NoReturn:
    """Skip locally; fail where the browser tests must run (`.ci/run` sets BROWSER_TESTS)."""
    if os.environ.get("BROWSER_TESTS") == "required":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """`$ARTIFACTS_DIR` (default `.ci/artifacts/`), created; CI keeps what lands here."""
    folder = Path(os.environ.get("ARTIFACTS_DIR") or REPOSITORY / ".ci" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module: Playwright's sync API keeps an event loop running on this
    thread while it lives, which async tests of later modules could not share."""
    if importlib.util.find_spec("playwright") is None:
        _unavailable("Playwright is not installed (pip install -e '.[browser]'; .ci/run does)")
    chromium = _chromium_path()
    if chromium is None:
        where = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
        _unavailable(f"no Chromium at {where} (apt-get install -y chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _failure(request: Request) -> list[str]:
    """A failed load, except requests the page itself gave up on (a superseded query, a poll
    cut short by navigation)."""
    if request.failure == "net::ERR_ABORTED":
        return []
    return [f"request failed: {request.url} {request.failure}"]


@pytest.fixture
def base_url() -> str | None:
    """Where the tab's relative URLs point; a test module overrides it with its server's."""
    return None


@pytest.fixture
def problems() -> list[str]:
    """Script errors, console errors and failed loads of the test's tab; any left at the end fail
    the test (a test expecting one checks it, then clears the list)."""
    return []


@pytest.fixture
def page(browser: Browser, base_url: str | None, problems: list[str]) -> Iterator[Page]:
    """A fresh tab (empty storage, en-US, UTC, 1400x900) that waits up to `WAIT_MS`."""
    from playwright.sync_api import expect

    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 1400, "height": 900},
        locale="en-US",
        timezone_id="UTC",
    )
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("requestfailed", lambda request: problems.extend(_failure(request)))
    try:
        yield tab
    finally:
        context.close()
    assert not problems, problems


@pytest.fixture(scope="session")
def live_server(server_url: str) -> Iterator[LiveServer]:
    """The app in a thread; its set-up runs off this thread, where Playwright's loop may run."""
    with scratch_database_off_loop(server_url) as url:
        in_worker_thread(lambda: command.upgrade(alembic_config(url), "head"))
        settings = Settings(database_url=url, jwt_secret=SecretStr(JWT_SECRET), log_format="text")
        in_worker_thread(lambda: asyncio.run(load_demo(settings)))
        token = demo_token(settings)
        config = uvicorn.Config(
            create_app(settings, graphiql_demo_token=token),
            host="127.0.0.1",
            port=free_port(),
            log_config=None,
            access_log=False,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="live-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the live server did not start")
            time.sleep(0.05)
        try:
            yield LiveServer(url=f"http://127.0.0.1:{config.port}", token=token, database_url=url)
        finally:
            server.should_exit = True
            thread.join(timeout=15)
