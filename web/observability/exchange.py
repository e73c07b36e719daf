"""One request and its response, as the observability middleware saw them."""

from __future__ import annotations

from dataclasses import dataclass, field

from web.request_record import RequestRecord

_UNAVAILABLE_CODES = frozenset({"SERVICE_UNAVAILABLE", "TIMEOUT"})
_SERVER_ERROR_CODES = frozenset({"INTERNAL_SERVER_ERROR"})
CLIENT_CLOSED_REQUEST = 499
_PATH_OPERATIONS = {"/healthz": "healthz", "/readyz": "readyz", "/metrics": "metrics"}


@dataclass
class Exchange:
    record: RequestRecord
    method: str
    path: str
    status: int = 500
    seconds: float = 0.0
    error_codes: list[str] = field(default_factory=list)
    operation: str = "other"
    route: str | None = None
    """The matched route's path template (`/api/call/batches/{userId}`): a bounded label."""

    def outcome(self) -> str:
        codes = set(self.error_codes)
        if self.status == 503 or codes & _UNAVAILABLE_CODES:
            return "unavailable"
        if self.status >= 500 or codes & _SERVER_ERROR_CODES:
            return "server_error"
        if self.status >= 400 or codes:
            return "client_error"
        return "ok"

    @property
    def metric_operation(self) -> str:
        """`operation`, but `unauthenticated` for a GraphQL operation whose caller did not sign
        in: the names an anonymous client makes up never become labels."""
        if self.record.operation is not None and not self.record.signed_in:
            return "unauthenticated"
        return self.operation

    def settle(self) -> None:
        """Name the operation and take the error codes the endpoint recorded, once the response
        is complete; endpoints that record no operation are named by their route."""
        self.operation = (
            self.record.operation or _PATH_OPERATIONS.get(self.path) or self.route or "other"
        )
        self.error_codes = list(self.record.error_codes)
        if self.record.client_disconnected:
            self.status = CLIENT_CLOSED_REQUEST
