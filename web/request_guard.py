"""What bounds one request's hold on the service, before and while it uses the database.

- The body is read whole, bounded in size and in time, before any database work: a client that
  sends slowly holds a socket, never a connection or a transaction.
- The request's work runs under a deadline; past it the work is cancelled. Cancelling a task
  that awaits asyncpg makes asyncpg send PostgreSQL a cancel request for the running statement,
  and SQLAlchemy then discards that connection, so the pool gets its slot back.
- A client that hangs up cancels its request's work the same way, at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.types import Message, Receive

from core.errors import BadRequest, PayloadTooLarge, RequestTimeout, SlowRequestBody

logger = logging.getLogger("callbatch.requests")

T = TypeVar("T")


class ClientDisconnected(Exception):
    """The client hung up before its answer was ready; there is nobody to answer."""


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The request's `Content-Length`, or None when it sends none (chunked)."""
    for name, value in headers:
        if name == b"content-length":
            if not value.isdigit():
                raise BadRequest("the Content-Length header is not a number")
            return int(value)
    return None


async def read_body(receive: Receive, *, max_bytes: int, within_seconds: float) -> bytes:
    """The whole request body, or `PayloadTooLarge` / `SlowRequestBody` / `ClientDisconnected`."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(within_seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnected
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"the request body is larger than {max_bytes} bytes")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise SlowRequestBody(
            f"the request body did not arrive within {within_seconds:g} seconds"
        ) from None


def replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` that gives the already-read body once, then whatever the client sends next
    (its disconnect). For the app's own reading: the deadline's watcher keeps the plain one."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


async def within_deadline(work: Callable[[], Awaitable[T]], receive: Receive, seconds: float) -> T:
    """`work()`, cancelled when `seconds` pass (`RequestTimeout`) or the client disconnects
    (`ClientDisconnected`). `receive` must have nothing left to read but the disconnect."""
    loop = asyncio.get_running_loop()
    disconnected = False
    try:
        async with asyncio.timeout(seconds) as deadline:

            async def watch_for_disconnect() -> None:
                nonlocal disconnected
                while (await receive())["type"] != "http.disconnect":
                    pass
                disconnected = True
                deadline.reschedule(loop.time())

            watcher = asyncio.create_task(watch_for_disconnect())
            try:
                return await work()
            finally:
                watcher.cancel()
    except TimeoutError:
        if not deadline.expired():
            raise
        if disconnected:
            raise ClientDisconnected from None
        raise RequestTimeout(
            f"the request ran past its deadline of {seconds:g} seconds and its statements were "
            "cancelled; ask for less (smaller pages, cursors instead of deep offsets) or retry"
        ) from None


def log_disconnect(path: str, request_id: str) -> None:
    logger.info(
        "client disconnected before its answer was ready (%s, request %s)", path, request_id
    )
