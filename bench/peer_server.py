"""PostGraphile v4, the bench's optional anchor: installed with `npm ci` from the pinned
bench/peer/package-lock.json into bench/.peer/ (ignored by git), started as its own process
group on loopback (bench/peer/server.js, bounded by PEER_MAX_SECONDS), stopped at the end.
Without Node or npm, or when the install fails, the bench says so in one line and goes on."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson

from bench.measure import HttpClient
from bench.report import RESULTS, ROOT

SOURCE = ROOT / "bench" / "peer"
INSTALLED = ROOT / "bench" / ".peer"
MARKER = INSTALLED / "installed-package-lock.json"
"""A copy of the lock file `npm ci` last installed successfully."""


def install() -> str | None:
    """Install the pinned PostGraphile when needed; the reason it cannot run, or None."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        return "node or npm is not on PATH"
    lock = (SOURCE / "package-lock.json").read_bytes()
    if MARKER.is_file() and MARKER.read_bytes() == lock:
        return None
    INSTALLED.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(SOURCE / name, INSTALLED / name)
    MARKER.unlink(missing_ok=True)
    command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
    try:
        done = subprocess.run(command, cwd=INSTALLED, capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "npm ci took more than 300 s"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        return f"npm ci failed: {lines[-1] if lines else done.returncode}"
    MARKER.write_bytes(lock)
    return None


def start(
    url: str,
    port: int,
    workers: int,
    pool_size: int,
    max_seconds: float,
    log_name: str = "peer.log",
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "NODE_PATH": str(INSTALLED / "node_modules"),
        "NODE_ENV": "production",
        "PEER_DATABASE_URL": url,
        "PEER_PORT": str(port),
        "PEER_WORKERS": str(workers),
        "PEER_POOL_SIZE": str(pool_size),
        "PEER_MAX_SECONDS": str(int(max_seconds)),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / log_name).open("wb")
    return subprocess.Popen(
        ["node", str(SOURCE / "server.js")],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stop() ends it and its workers
    )


async def wait_ready(process: subprocess.Popen[bytes], port: int, within: float = 60) -> None:
    """Until PostGraphile answers a query (it introspects the database first)."""
    body = orjson.dumps({"query": "{ __typename }"})
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("PostGraphile exited; see bench/.results/peer.log")
        client = HttpClient("127.0.0.1", port, "")
        try:
            status, _ = await client.post(body)
            if status == 200:
                return
        except (OSError, IndexError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            await client.close()
        await asyncio.sleep(0.3)
    raise RuntimeError("PostGraphile did not answer within 60 s; see bench/.results/peer.log")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@asynccontextmanager
async def running_peer(
    url: str, port: int, workers: int, pool_size: int, max_seconds: float, wanted: bool = True
) -> AsyncIterator[int | None]:
    """The port PostGraphile answers on, or None (said in one line) when it cannot run."""
    reason = install() if wanted else "--no-peer"
    if reason is not None:
        print(f"PostGraphile peer not run: {reason}", flush=True)
        yield None
        return
    process = start(url, port, workers, pool_size, max_seconds)
    try:
        await wait_ready(process, port)
        yield port
    finally:
        stop(process)
