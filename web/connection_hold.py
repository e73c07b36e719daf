"""A client told to retry later is not read again before then.

A `429` answer says when to come back (`Retry-After`); a client that ignores it and sends its
next request at once on the same keep-alive connection would make this process read, decode,
authenticate and refuse it again, thousands of times a second, and every other agency's
requests would queue behind that work in the event loop. So the connection that carried a 429
is held: its next request stays unread in the socket until `Retry-After` has passed (at most
`MAX_HOLD_SECONDS`), and answering it costs nothing before then. Well-behaved clients wait that
long anyway; other connections, of the same agency or not, are not affected.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.http_protocol import HOLD_READING

MAX_HOLD_SECONDS = 10.0


def _retry_after(message: Message) -> float | None:
    for name, value in message.get("headers", ()):
        if name.lower() == b"retry-after":
            return float(value) if value.isdigit() else None
    return None


class HoldConnectionAfterRateLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hold: Callable[[float], None] | None = (
            scope.get("extensions", {}).get(HOLD_READING) if scope["type"] == "http" else None
        )
        if hold is None:
            await self.app(scope, receive, send)
            return

        async def send_then_hold(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 429:
                seconds = _retry_after(message)
                if seconds:
                    hold(min(seconds, MAX_HOLD_SECONDS))
            await send(message)

        await self.app(scope, receive, send_then_hold)
