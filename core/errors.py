"""The domain errors every transport answers with: a stable code (GraphQL's `extensions.code`)
and the HTTP status a plain-HTTP answer uses. Their messages are safe to show to the client."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """An error the client caused or may act on; its message is safe to show."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"
    http_status: ClassVar[int] = 500

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


class NotFound(DomainError):
    code = "NOT_FOUND"
    http_status = 404


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    http_status = 401


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


UNAVAILABLE_CODES = frozenset({ServiceUnavailable.code, StatementTimeout.code})


def describe(value: object, limit: int = 40) -> str:
    """A short, safe rendering of a client's value for an error message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…'"
