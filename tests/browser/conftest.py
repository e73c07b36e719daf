"""Browser tests: a live server on a scratch database of the embedded PostgreSQL, headless Chromium.

The server is the real app under uvicorn in a thread of the test process, built as embedded mode
builds it (demo data, GraphiQL pre-filled with the demo token for loopback visitors). Chromium is
Debian's package (`/usr/bin/chromium`, or `CHROMIUM`), driven by Playwright's Python package; the
tests skip, saying why, when either is missing (`.ci/run` installs both and sets
`BROWSER_TESTS=required`, which turns those skips into failures). Screenshots go to `ARTIFACTS_DIR`
(default `.ci/artifacts`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
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
from tests.database import scratch_database
from tests.tenant import JWT_SECRET

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
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


@dataclass(frozen=True)
class LiveServer:
    url: str
    """`http://127.0.0.1:<port>`"""
    token: str
    """The demo user's bearer token."""
    database_url: str
    """The scratch database the server runs on (for tests that change rows behind its back)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    folder = Path(os.environ.get("ARTIFACTS_DIR", ".ci/artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def live_server(server_url: str) -> Iterator[LiveServer]:
    with scratch_database(server_url, prefix="callbatch_browser") as url:
        command.upgrade(alembic_config(url), "head")
        settings = Settings(database_url=url, jwt_secret=SecretStr(JWT_SECRET), log_format="text")
        asyncio.run(load_demo(settings))
        token = demo_token(settings)
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings, graphiql_demo_token=token),
            host="127.0.0.1",
            port=port,
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
            yield LiveServer(url=f"http://127.0.0.1:{port}", token=token, database_url=url)
        finally:
            server.should_exit = True
            thread.join(timeout=15)


def _unavailable(reason: str) -> NoReturn:
    """Skip locally; fail where the browser tests must run (`.ci/run` sets BROWSER_TESTS)."""
    if os.environ.get("BROWSER_TESTS") == "required":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[browser]'; .ci/run does)")
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install -y chromium; .ci/run does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    opened = await context.new_page()
    try:
        yield opened
    finally:
        await context.close()
