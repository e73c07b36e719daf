"""What the dashboard's browser test needs besides Chromium (tests/browser/conftest.py): the app as
a real server, and SQL run as another program would.

The server is `python app.py --demo` in a subprocess, on a database of its own (created on the
suite's PostgreSQL, migrated and loaded with the demo data by the app itself), so the browser talks
to exactly what a user starts.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import async_database_url
from demo.plan import DEMO_USER_ID
from tests.database import scratch_database
from tests.ops_support import TEST_REQUEST_RATE
from web.auth import issue_token

T = TypeVar("T")
REPOSITORY = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_SECONDS = 120.0
WAIT_MS = 15_000
"""How long a browser test waits for the page to show something."""
LIVE_SERVER_SECRET = "browser-test-secret-0123456789abcdef-01234"


@dataclass(frozen=True)
class DemoServer:
    base_url: str
    database_url: str
    token: str
    """A bearer token of the demo user (the first agency's)."""

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """`data` of a query sent over HTTP as the demo user; the test's ground truth."""
        response = httpx.post(
            f"{self.base_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def demo_server(server_url: str, log_path: Path) -> Iterator[DemoServer]:
    """`python app.py --demo` on a fresh database of the server at `server_url`."""
    port = free_port()
    with scratch_database_off_loop(server_url) as database_url:
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "JWT_SECRET": LIVE_SERVER_SECRET,
            "LOG_FORMAT": "text",
            # The tests also ask the API directly, to compare with what the page shows: that is
            # the test's traffic, not the page's, so the per-agency request rate is lifted.
            "AGENCY_REQUESTS_PER_SECOND": str(TEST_REQUEST_RATE),
            "AGENCY_BURST": str(TEST_REQUEST_RATE),
        }
        environment.pop("DATABASE_READ_URL", None)
        command = [sys.executable, "app.py", "--demo", "--host", "127.0.0.1", "--port", str(port)]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=REPOSITORY, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                base_url = f"http://127.0.0.1:{port}"
                _wait_until_ready(process, base_url, log_path)
                token = issue_token(DEMO_USER_ID, LIVE_SERVER_SECRET)
                yield DemoServer(base_url, database_url, token)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextmanager
def scratch_database_off_loop(server_url: str) -> Iterator[str]:
    """`scratch_database`, entered and left in a worker thread: its `asyncio.run` cannot run on a
    thread where Playwright's sync API keeps an event loop running."""
    database = scratch_database(server_url, prefix="callbatch_browser")
    url = in_worker_thread(database.__enter__)
    try:
        yield url
    finally:
        in_worker_thread(lambda: database.__exit__(None, None, None))


def in_worker_thread(function: Callable[[], T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the server was not ready in time:\n{log_path.read_text()}")


def clear_screenshots(folder: Path) -> None:
    for old in folder.glob("*.png"):
        old.unlink()


def run_sql(database_url: str, statement: str, **parameters: Any) -> int:
    """Run one statement on a connection of its own, committed, as another program would (a
    dialer, psql); returns the number of rows it touched."""
    return in_worker_thread(lambda: asyncio.run(_execute(database_url, statement, parameters))[0])


def fetch_sql(database_url: str, statement: str, **parameters: Any) -> list[dict[str, Any]]:
    """The rows a query answers, read on a connection of its own (the test's view of the tables)."""
    return in_worker_thread(lambda: asyncio.run(_execute(database_url, statement, parameters))[1])


async def _execute(
    database_url: str, statement: str, parameters: dict[str, Any]
) -> tuple[int, list[dict[str, Any]]]:
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), parameters)
            rows = [dict(row) for row in result.mappings()] if result.returns_rows else []
            return int(result.rowcount), rows
    finally:
        await engine.dispose()
