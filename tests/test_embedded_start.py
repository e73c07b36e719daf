"""`python app.py` with no DATABASE_URL: embedded PostgreSQL, demo data, a printed token that
survives a restart, and nothing left running after it stops."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN_LINE = re.compile(r"Authorization: Bearer (\S+)")

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="the embedded start is exercised in the run without TEST_DATABASE_URL",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RunningApp:
    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JWT_SECRET")}
        env["DATA_DIR"] = str(data_dir)
        env.pop("LOG_FORMAT", None)
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.token = self._wait_for_token()

    def _wait_for_token(self) -> str:
        """The token line is printed last, once the server accepts connections."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + 90
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            match = TOKEN_LINE.search(line)
            if match:
                return match.group(1)
            if time.monotonic() > deadline:
                break
        raise AssertionError("app.py did not print a token and start serving")

    def query(self, token: str) -> httpx.Response:
        return httpx.post(
            f"http://127.0.0.1:{self.port}/graphql",
            json={"query": "{ batches { totalCount nodes { name progressPercentage } } }"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    def stop(self, how: signal.Signals = signal.SIGINT) -> None:
        self.process.send_signal(how)
        self.process.wait(timeout=30)


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("embedded") / "data"


def _postmaster_running(data_dir: Path) -> bool:
    pid_file = data_dir / "pg" / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_embedded_start_serves_demo_data_and_reuses_data_and_secret_on_restart(
    data_dir: Path,
) -> None:
    first = RunningApp(data_dir)
    try:
        answer = first.query(first.token)
        assert answer.status_code == 200
        assert answer.json()["data"]["batches"]["totalCount"] > 0
        first_total = answer.json()["data"]["batches"]["totalCount"]
    finally:
        first.stop()
    assert not _postmaster_running(data_dir)

    second = RunningApp(data_dir)
    try:
        answer = second.query(first.token)
        assert answer.status_code == 200
        assert answer.json()["data"]["batches"]["totalCount"] == first_total
    finally:
        second.stop()
    assert not _postmaster_running(data_dir)


def test_first_start_off_a_terminal_logs_short_json_then_prints_the_address_and_token_last(
    data_dir: Path,
) -> None:
    app = RunningApp(data_dir)
    try:
        answer = app.query(app.token)
    finally:
        app.stop(signal.SIGTERM)  # as a container runtime or systemd stops it

    assert not _postmaster_running(data_dir)

    *log, explanation, hint, address, token_line = app.lines
    records = [json.loads(line) for line in log]  # stderr is a pipe here: JSON lines only
    messages = [record["message"] for record in records]
    assert address == f"GraphiQL: http://127.0.0.1:{app.port}/graphql"
    assert token_line == f"Authorization: Bearer {app.token}"
    assert "filled in" in hint
    seen = answer.json()["data"]["batches"]["totalCount"]
    assert f"Northwind Outreach: it sees that agency's {seen} batches only" in explanation
    assert any("created (first start)" in message for message in messages)
    assert any(
        "the demo user sees its own agency" in m and f": {seen} batches" in m for m in messages
    )
    upgrades = [m for m in messages if m.startswith("Running upgrade ")]
    assert len(records) - len(upgrades) <= 6, messages  # one line per migration, few others
    assert not any(record["logger"] == "pgserver" for record in records)
    assert not any("initdb" in line or "XDG_RUNTIME_DIR" in line for line in app.lines)
