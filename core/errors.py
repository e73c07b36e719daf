"""The domain errors every transport answers with: a stable code (GraphQL's `extensions.code`)
and the HTTP status a plain-HTTP answer uses. Their messages are safe to show to the client."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """An error the client caused or may act on; its message is safe to show."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"
    http_status: ClassVar[int] = 500
    headers: dict[str, str] = {}
    """HTTP headers the answer carries (`WWW-Authenticate`, `Retry-After`, `Allow`)."""
    extensions: dict[str, object] = {}
    """More of the error's `extensions` beside its code (a limit's name and maximum)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"
    http_status = 400


class BadRequest(DomainError):
    """The HTTP request itself is unusable (not JSON, no query): refused before GraphQL runs."""

    code = "BAD_REQUEST"
    http_status = 400


class PayloadTooLarge(BadRequest):
    http_status = 413


class SlowRequestBody(BadRequest):
    """The body did not arrive in time: refused before any database work (no transaction ever
    waits for a client)."""

    http_status = 408


class NotFound(DomainError):
    code = "NOT_FOUND"
    http_status = 404


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    http_status = 401
    headers: dict[str, str] = {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    code = "FORBIDDEN"
    http_status = 403


class LimitExceeded(DomainError):
    """A bound on what one caller may hold at once (live subscriptions) is reached."""

    code = "LIMIT_EXCEEDED"
    http_status = 429


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    http_status = 503


class StatementTimeout(DomainError):
    code = "TIMEOUT"
    http_status = 503


class RequestTimeout(StatementTimeout):
    """The request ran past its deadline; its statements were cancelled in PostgreSQL."""


class RateLimited(DomainError):
    """The caller's agency already uses its fair share of this worker's database work."""

    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.headers = {"Retry-After": str(retry_after_seconds)}


UNAVAILABLE_CODES = frozenset({ServiceUnavailable.code, StatementTimeout.code})


def describe(value: object, limit: int = 40) -> str:
    """A short, safe rendering of a client's value for an error message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…'"
