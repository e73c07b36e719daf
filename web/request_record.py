"""The record of one HTTP request, kept in its `scope["state"]` (as Starlette's middleware keep
theirs) and in a context variable: its id, its database time, and what the endpoint that served
it reports (the GraphQL operation's name, the error codes it answered with).

`web.observability.middleware` creates it; endpoints add to it; the access log and the metrics
read it once the response is sent.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

REQUEST_ID_HEADER = "X-Request-ID"
STATE_KEY = "request_record"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass
class RequestRecord:
    """What one request has done so far; statements add their time to it."""

    request_id: str
    db_seconds: float = 0.0
    db_statements: int = 0
    operation: str | None = None
    """The GraphQL operation's name (set by the `/graphql` endpoint); None elsewhere."""
    client_disconnected: bool = False
    """The client hung up before its answer was ready: logged as status 499 (nginx's code for
    it), not as the 500 of a response never started."""
    signed_in: bool = False
    """Whether the caller proved who it is: only then is `operation` a metric label (names are
    the client's choice, and the labels a process keeps are few)."""
    error_codes: list[str] = field(default_factory=list)
    """The distinct `extensions.code` values the endpoint answered with, sorted."""

    def add_error_codes(self, codes: Iterable[object]) -> None:
        """Record codes; anything that is not an upper-case code counts as `UNKNOWN`."""
        named = {c if isinstance(c, str) and c.isupper() else "UNKNOWN" for c in codes}
        self.error_codes = sorted(named | set(self.error_codes))


current_request: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar(
    "callbatch_current_request", default=None
)


def current_request_id() -> str | None:
    record = current_request.get()
    return record.request_id if record else None


def sane_request_id(given: str | None) -> str | None:
    """The client's request id when it is a plain token (it goes into logs), else None."""
    return given if given is not None and _SANE_REQUEST_ID.fullmatch(given) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_of(request: Request) -> str:
    """The request's id: the client's X-Request-ID when sane, else a new one."""
    return sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()


def keep_record(scope: MutableMapping[str, Any], record: RequestRecord) -> None:
    scope.setdefault("state", {})[STATE_KEY] = record


def record_of(request: Request) -> RequestRecord | None:
    """The request's record, when the observability middleware made one."""
    record = request.scope.get("state", {}).get(STATE_KEY)
    return record if isinstance(record, RequestRecord) else None
