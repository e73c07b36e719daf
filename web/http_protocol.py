"""uvicorn's httptools protocol with the HTTP limits it lacks.

uvicorn bounds keep-alive idleness and open connections (`timeout_keep_alive`,
`limit_concurrency`, set from the settings in `server_options`), but with httptools it reads
request headers without any bound: a client could send megabytes of unfinished headers, or
thousands of headers, or dribble them forever. This protocol refuses, before the app sees the
request:
- a request line and headers larger than `max_header_bytes` (431): counted while they arrive, so
  an unfinished header never grows past the bound plus one network read;
- more than `max_headers` headers (431);
- headers not complete within `header_timeout_seconds` of the connection opening or of the
  request's first byte (408), and a connection that sends nothing at all.

It also lets the app hold a connection after its answer (`HOLD_READING` in the scope's
extensions, see `web/connection_hold.py`): the client's next request on it is left unread in
the socket until the hold ends, costing this process nothing meanwhile; and a GraphQL request
whose bearer was held a moment ago is answered `429` as soon as its headers are read
(`web/throttled_tokens.py`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.settings import Settings
from web.throttled_tokens import ThrottledTokens

HOLD_READING = "callbatch.hold_reading"
"""Scope extension: a callable taking seconds; the connection is not read again for that long
once the current answer has been sent."""


@dataclass(frozen=True)
class HttpLimits:
    max_header_bytes: int = 16 * 1024
    max_headers: int = 100
    header_timeout_seconds: float = 10.0
    keep_alive_seconds: float = 5.0
    max_connections: int = 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpLimits:
        return cls(
            max_header_bytes=settings.http_max_header_bytes,
            max_headers=settings.http_max_headers,
            header_timeout_seconds=settings.http_header_timeout_seconds,
            keep_alive_seconds=settings.http_keep_alive_seconds,
            max_connections=settings.http_max_connections,
        )

    def server_options(self) -> dict[str, Any]:
        """uvicorn's own settings for what it does bound."""
        return {
            "http": BoundedHttpProtocol,
            "timeout_keep_alive": self.keep_alive_seconds,
            "limit_concurrency": self.max_connections,
        }


class _Refused(Exception):
    def __init__(
        self,
        status: int,
        reason: bytes,
        code: bytes = b"BAD_REQUEST",
        retry_after: int = 0,
        held_seconds: float = 0.0,
    ) -> None:
        self.status = status
        self.reason = reason
        self.code = code
        self.retry_after = retry_after
        self.held_seconds = held_seconds
        """How long the refusal waits before it is sent, reading nothing meanwhile."""


LINGER_SECONDS = 2.0

_REASONS = {
    408: b"Request Timeout",
    429: b"Too Many Requests",
    431: b"Request Header Fields Too Large",
}


class BoundedHttpProtocol(HttpToolsProtocol):
    limits: ClassVar[HttpLimits] = HttpLimits()
    """Set once per process by `configure` (each worker process configures its own)."""
    throttled: ClassVar[ThrottledTokens] = ThrottledTokens()
    refusals: ClassVar[Counter[int]] = Counter()
    """Requests this process refused before the app saw them, by HTTP status (for /metrics)."""

    @classmethod
    def configure(cls, limits: HttpLimits) -> None:
        cls.limits = limits
        cls.throttled = ThrottledTokens()
        cls.refusals = Counter()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_headers = True
        self._header_bytes = 0
        self._header_count = 0
        self._header_timer: asyncio.TimerHandle | None = None
        self._refused = False
        self._hold_seconds = 0.0
        self._authorization: bytes | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's own, but a limit raised in a parser callback answers its status."""
        if self._refused:
            return
        self._unset_keepalive_if_required()
        if self._awaiting_headers:
            self._header_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, _Refused):
                self._refuse(error.__context__)
            else:
                self._invalid()
            return
        except httptools.HttpParserError:
            self._invalid()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._awaiting_headers and self._header_bytes > self.limits.max_header_bytes:
            self._refuse(_Refused(431, b"the request line and headers are too large"))

    def _invalid(self) -> None:
        message = "Invalid HTTP request received."
        self.logger.warning(message)
        self.send_400_response(message)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        self._header_count = 0
        if self._header_timer is None:
            self._arm_header_timer()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            raise _Refused(431, f"more than {self.limits.max_headers} headers".encode())
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._header_bytes = 0
        self._disarm_header_timer()
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > self.limits.max_header_bytes:
            raise _Refused(431, b"the request line and headers are too large")
        self._authorization = next((v for n, v in self.headers if n == b"authorization"), None)
        if self._authorization is not None and self.url.startswith(b"/graphql"):
            left = self.throttled.seconds_left(self._authorization, self.loop.time())
            if left:
                # Answered when the bearer may send again, not at once: a client that
                # reconnects as soon as it is refused would otherwise spin.
                raise _Refused(
                    429,
                    b"this bearer was told to retry later and sent this request before then; "
                    b"it was held until that time and is refused: send it again",
                    b"RATE_LIMITED",
                    retry_after=1,
                    held_seconds=left,
                )
        extensions = cast(dict[str, Any], self.scope.setdefault("extensions", {}))
        extensions[HOLD_READING] = self._hold_after_answer
        super().on_headers_complete()

    def _hold_after_answer(self, seconds: float) -> None:
        self._hold_seconds = max(self._hold_seconds, seconds)
        if self._authorization is not None:
            now = self.loop.time()
            self.throttled.hold(self._authorization, now + seconds, now)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        seconds, self._hold_seconds = self._hold_seconds, 0.0
        if not seconds or self.transport.is_closing() or self.pipeline:
            return
        self.flow.pause_reading()
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        self.loop.call_later(seconds, self._end_hold)

    def _end_hold(self) -> None:
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.cycle is None or self.cycle.response_complete:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def _arm_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(
            self.limits.header_timeout_seconds, self._headers_too_slow
        )

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._awaiting_headers and not self.transport.is_closing():
            self._refuse(_Refused(408, b"the request headers did not arrive in time"))

    def _refuse(self, refused: _Refused) -> None:
        self._disarm_header_timer()
        if self.transport.is_closing() or self._refused:
            return
        self._refused = True
        if refused.held_seconds:
            self.transport.pause_reading()
            self.loop.call_later(refused.held_seconds, self._send_refusal, refused)
        else:
            self._send_refusal(refused)

    def _send_refusal(self, refused: _Refused) -> None:
        if self.transport.is_closing():
            return
        self.refusals[refused.status] += 1
        if refused.status != 429:
            # A throttled flood would write a line per request; /metrics counts those.
            self.logger.info("refused a request: %s", refused.reason.decode())
        body = b'{"errors":[{"message":"%s","extensions":{"code":"%s"}}]}' % (
            refused.reason,
            refused.code,
        )
        head = b"HTTP/1.1 %d %s\r\n" % (refused.status, _REASONS[refused.status])
        head += b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body)
        if refused.retry_after:
            head += b"retry-after: %d\r\n" % refused.retry_after
        head += b"connection: close\r\n\r\n"
        self.transport.write(head + body)
        self.transport.resume_reading()
        # A lingering close, as web servers do: closing with the client's unread data in the
        # socket would reset the connection and the client might never read the refusal. So
        # the answer is followed by end-of-file, and what still arrives is discarded until
        # the client closes or a short grace ends.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
