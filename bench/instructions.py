"""`python -m bench instructions [--scale S] [--question Q1] [--requests 1000]`: how many CPU
instructions the API's own Python spends on one request, counted by valgrind's callgrind.

Why: on a shared two-core machine, requests per second move by 10-30 % between minutes, more
than most single changes to the request path are worth; an instruction count is repeatable
(the same code, data and inputs give the same count within a fraction of a per cent). This
drives the app in-process, straight through its ASGI entry point (no HTTP server, no client
process: uvicorn's parsing and the socket are left out), against the bench database, with the
settings of `python -m bench run`. The program runs twice under callgrind, with `--baseline`
requests and with `--baseline + --requests`; the difference of the two totals, divided by
`--requests`, is the count of one request, start-up and warm-up cancelled out. PostgreSQL's
work is in another process and not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
from typing import Any, TextIO

import orjson
from starlette.types import Message

from bench import queries
from bench.data import SCALES
from bench.run import ONE_AGENCY_UNLIMITED, server_url_from_environment
from bench.server import find_targets, plain_url, prepare_database

_COLLECTED = re.compile(r"Collected : (\d+)")


def _documents(batch_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "Q1": (queries.Q1, {}),
        "Q2": (queries.Q2, {"id": batch_id}),
        "Q3": (queries.Q3, {"id": batch_id, "search": "a"}),
    }


async def drive(url: str, question: str, requests: int, log: TextIO) -> None:
    """Start the app on `url` and send it `requests` requests of `question`, one after the
    other, each to its last byte; the access log goes to `log`."""
    secret = secrets.token_urlsafe(48)
    os.environ.update({**ONE_AGENCY_UNLIMITED, "DATABASE_URL": url, "JWT_SECRET": secret})
    from app import create_app
    from core.settings import load_settings
    from web.auth import issue_token
    from web.observability import configure_logging

    targets = await find_targets(plain_url(url))
    token = issue_token(targets.user_id, secret).encode()
    settings = load_settings()
    configure_logging(settings)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(log)
    app = create_app(settings)
    document, variables = _documents(str(targets.batch_id))[question]
    body = orjson.dumps({"query": document, "variables": variables})
    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"authorization", b"Bearer " + token),
        (b"content-length", str(len(body)).encode()),
    ]

    async def one() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        delivered = False
        status: list[int] = []
        answer: list[bytes] = []

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never hangs up
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                answer.append(message.get("body", b""))

        await app(scope, receive, send)
        if status != [200] or b'"errors"' in b"".join(answer):
            raise SystemExit(f"{question} failed: {status} {b''.join(answer)[:300]!r}")

    async with app.router.lifespan_context(app):
        for _ in range(requests):
            await one()


def _count(url: str, question: str, requests: int) -> int:
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "bench.instructions",
            "--drive",
            str(requests),
            "--url",
            url,
            "--question",
            question,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = _COLLECTED.search(out.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no total:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench instructions")
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--question", choices=["Q1", "Q2", "Q3"], default="Q1")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--drive", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive is not None:
        with open(os.devnull, "w") as discarded:
            asyncio.run(drive(args.url, args.question, args.drive, discarded))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    server_url, embedded = server_url_from_environment()
    url = asyncio.run(prepare_database(server_url, SCALES[args.scale]))
    base = _count(url, args.question, args.baseline)
    more = _count(url, args.question, args.baseline + args.requests)
    per_request = (more - base) / args.requests
    del embedded  # the embedded server (if any) stops once both counts are taken
    print(
        f"{args.question} at {args.scale}: {per_request:,.0f} instructions a request "
        f"(callgrind: {base:,} for {args.baseline} requests, {more:,} for "
        f"{args.baseline + args.requests})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
