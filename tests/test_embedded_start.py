"""`python app.py` with no DATABASE_URL: embedded PostgreSQL, demo data, a printed token that
survives a restart, and nothing left running after it stops."""

from __future__ import annotations

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
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.token = self._wait_for_token()

    def _wait_for_token(self) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + 90
        token = None
        for line in self.process.stdout:
            match = TOKEN_LINE.search(line)
            if match:
                token = match.group(1)
            if token and "Uvicorn running" in line:
                return token
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

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
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
