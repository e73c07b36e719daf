"""What operators see: JSON logs, a request id on every line, Prometheus metrics, slow queries.

`ObservabilityMiddleware` wraps every HTTP request: it settles the request id (the client's
`X-Request-ID` when sane, else a new one, echoed in the response), times the request, learns the
GraphQL operation name from the request body and the error codes from the response body, then
writes one access log line and updates the metrics. Statements are timed through engine events
(`db.engine.StatementWatch`) and added to the current request's database time, found through a
context variable; those above `SLOW_QUERY_MS` are logged as `slow query`.

Metrics live in a registry of their own per app (no process-global state), served at `/metrics`.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as render_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.engine import StatementWatch
from db.settings import Settings
from web.state import AppState

access_logger = logging.getLogger("callbatch.access")
slow_logger = logging.getLogger("callbatch.slow_query")

REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_NAMED_OPERATION = re.compile(r"^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
_FIRST_ROOT_FIELD = re.compile(
    r"^\s*(?:query\b[^{]*)?\{\s*(?:[_A-Za-z][_0-9A-Za-z]*\s*:\s*)?([_A-Za-z][_0-9A-Za-z]*)"
)
_COMMENT = re.compile(r"#[^\n]*")
MAX_CAPTURED_BODY = 256 * 1024
MAX_OPERATION_LABELS = 100
"""Distinct operation names kept as metric labels; further names count as `other`."""

_UNAVAILABLE_CODES = frozenset({"SERVICE_UNAVAILABLE", "TIMEOUT"})
_SERVER_ERROR_CODES = frozenset({"INTERNAL_SERVER_ERROR"})
_PATH_OPERATIONS = {"/healthz": "healthz", "/readyz": "readyz", "/metrics": "metrics"}


@dataclass
class RequestRecord:
    """What one request has done so far; statements add their time to it."""

    request_id: str
    db_seconds: float = 0.0
    db_statements: int = 0


_current_request: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar(
    "callbatch_current_request", default=None
)


def current_request_id() -> str | None:
    record = _current_request.get()
    return record.request_id if record else None


# ---------------------------------------------------------------- logging


_STANDARD_RECORD_FIELDS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "color_message"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any `extra`."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(_extra_fields(record))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(payload, default=str).decode()


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD_RECORD_FIELDS and not key.startswith("_")
    }


class TextFormatter(logging.Formatter):
    """`time level logger message key=value …` for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{key}={value}" for key, value in _extra_fields(record).items())
        return f"{line} {extras}" if extras else line


class RequestIdFilter(logging.Filter):
    """Stamps the current request's id on every record logged while serving it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = current_request_id()
            if request_id is not None:
                record.request_id = request_id
        return True


def configure_logging(settings: Settings) -> None:
    """Route every logger (uvicorn's too) through one stderr handler in the configured format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True


# ---------------------------------------------------------------- metrics


class PoolCollector(Collector):
    """Connections of each engine's pool, read at scrape time."""

    def __init__(self) -> None:
        self.engines: dict[str, AsyncEngine] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        in_use = GaugeMetricFamily(
            "callbatch_db_pool_connections_in_use",
            "Connections checked out of the pool (serving requests).",
            labels=["database"],
        )
        idle = GaugeMetricFamily(
            "callbatch_db_pool_connections_idle",
            "Open connections waiting in the pool.",
            labels=["database"],
        )
        capacity = GaugeMetricFamily(
            "callbatch_db_pool_capacity",
            "Most connections the pool may open (pool size + max overflow).",
            labels=["database"],
        )
        for name, engine in self.engines.items():
            pool: Any = engine.pool
            in_use.add_metric([name], pool.checkedout())
            idle.add_metric([name], pool.checkedin())
            capacity.add_metric([name], pool.size() + max(pool._max_overflow, 0))
        yield in_use
        yield idle
        yield capacity


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "callbatch_requests",
            "HTTP requests by GraphQL operation (or endpoint) and outcome.",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "callbatch_request_duration_seconds",
            "Time to answer a request, by operation and outcome.",
            ["operation", "outcome"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.errors = Counter(
            "callbatch_errors",
            "GraphQL errors by extensions.code (HTTP errors by status when there is no code).",
            ["code"],
            registry=self.registry,
        )
        self.statement_seconds = Histogram(
            "callbatch_db_statement_duration_seconds",
            "Time of each SQL statement, as seen by the app.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10),
            registry=self.registry,
        )
        self.slow_statements = Counter(
            "callbatch_db_slow_statements",
            "Statements slower than SLOW_QUERY_MS.",
            registry=self.registry,
        )
        self.pools = PoolCollector()
        self.registry.register(self.pools)
        self._operations: set[str] = set()

    def operation_label(self, operation: str) -> str:
        """The operation as a label, with a bounded number of distinct values per process."""
        if operation in self._operations:
            return operation
        if len(self._operations) >= MAX_OPERATION_LABELS:
            return "other"
        self._operations.add(operation)
        return operation


# ---------------------------------------------------------------- the app's side


class Observability:
    """The metrics and statement timing of one app; built by `create_app`."""

    def __init__(self, settings: Settings) -> None:
        self.metrics = Metrics()
        self.slow_query_seconds = settings.slow_query_ms / 1000
        self._watches: list[StatementWatch] = []

    def watch(self, state: AppState) -> None:
        """Time the statements of the state's engines and expose their pools."""
        engines = {"primary": state.engine}
        if state.read_engine is not state.engine:
            engines["replica"] = state.read_engine
        self.metrics.pools.engines = engines
        self._watches = [StatementWatch(e, self._on_statement) for e in engines.values()]

    def stop(self) -> None:
        for watch in self._watches:
            watch.stop()
        self._watches = []
        self.metrics.pools.engines = {}

    def _on_statement(self, statement: str, seconds: float, error: BaseException | None) -> None:
        record = _current_request.get()
        if record is not None:
            record.db_seconds += seconds
            record.db_statements += 1
        self.metrics.statement_seconds.observe(seconds)
        if seconds >= self.slow_query_seconds:
            self.metrics.slow_statements.inc()
            slow_logger.warning(
                "slow query",
                extra={
                    "request_id": record.request_id if record else None,
                    "duration_ms": round(seconds * 1000, 1),
                    "statement": " ".join(statement.split())[:1000],
                    "failed": error is not None,
                },
            )

    async def metrics_endpoint(self, request: Request) -> Response:
        return Response(render_metrics(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def record(self, exchange: Exchange) -> None:
        operation = self.metrics.operation_label(exchange.operation)
        outcome = exchange.outcome()
        self.metrics.requests.labels(operation, outcome).inc()
        self.metrics.request_seconds.labels(operation, outcome).observe(exchange.seconds)
        for code in exchange.error_codes:
            self.metrics.errors.labels(code).inc()
        if not exchange.error_codes and exchange.status >= 400:
            self.metrics.errors.labels(f"HTTP_{exchange.status}").inc()
        access_logger.info(
            "request",
            extra={
                "request_id": exchange.record.request_id,
                "method": exchange.method,
                "path": exchange.path,
                "operation": exchange.operation,
                "status": exchange.status,
                "outcome": outcome,
                "error_codes": exchange.error_codes or None,
                "duration_ms": round(exchange.seconds * 1000, 1),
                "db_ms": round(exchange.record.db_seconds * 1000, 1),
                "db_statements": exchange.record.db_statements,
            },
        )


@dataclass
class Exchange:
    """One request and its response, as the middleware saw them."""

    record: RequestRecord
    method: str
    path: str
    query_string: bytes
    status: int = 500
    seconds: float = 0.0
    request_body: list[bytes] = field(default_factory=list)
    response_body: list[bytes] = field(default_factory=list)
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

    def settle(self) -> None:
        """Name the operation and read the error codes, once the response is complete."""
        if self.path != "/graphql":
            self.operation = _PATH_OPERATIONS.get(self.path) or self.route or "other"
            return
        request = self._graphql_request()
        if self.method == "GET" and not request:
            self.operation = "graphiql"
        else:
            self.operation = graphql_operation_name(request)
        body = b"".join(self.response_body)
        if b'"errors"' in body:
            self.error_codes = graphql_error_codes(body)

    def _graphql_request(self) -> Any:
        if self.method == "GET":
            params = parse_qs(self.query_string.decode("latin-1"))
            return {key: values[0] for key, values in params.items()}
        try:
            return orjson.loads(b"".join(self.request_body))
        except orjson.JSONDecodeError:
            return None


def graphql_operation_name(request: Any) -> str:
    """`operationName`, else the name in the document, else its first root field, else `anonymous`."""
    if isinstance(request, list):
        return "batched"
    if not isinstance(request, dict):
        return "invalid"
    name = request.get("operationName")
    if isinstance(name, str) and _OPERATION_NAME.fullmatch(name):
        return name
    query = request.get("query")
    if not isinstance(query, str):
        return "invalid"
    document = _COMMENT.sub("", query[:4096])
    match = _NAMED_OPERATION.match(document) or _FIRST_ROOT_FIELD.match(document)
    return match.group(1)[:64] if match else "anonymous"


def graphql_error_codes(body: bytes) -> list[str]:
    try:
        response = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    errors = response.get("errors") if isinstance(response, dict) else None
    if not isinstance(errors, list):
        return []
    codes = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(code if isinstance(code, str) and code.isupper() else "UNKNOWN")
    return sorted(set(codes))


def _request_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            return text if _SANE_REQUEST_ID.fullmatch(text) else None
    return None


class ObservabilityMiddleware:
    """Request id, timing, access log and metrics around every HTTP request."""

    def __init__(self, app: ASGIApp, observability: Observability) -> None:
        self.app = app
        self.observability = observability

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope["headers"])
        if request_id is None:
            request_id = uuid.uuid4().hex
            headers = [(k, v) for k, v in scope["headers"] if k != REQUEST_ID_HEADER]
            scope = {**scope, "headers": [*headers, (REQUEST_ID_HEADER, request_id.encode())]}
        exchange = Exchange(
            record=RequestRecord(request_id),
            method=scope["method"],
            path=scope["path"],
            query_string=scope.get("query_string", b""),
        )
        started = time.perf_counter()
        captured = {"response": 0}
        capture = exchange.path == "/graphql"
        if capture and exchange.method == "POST":
            receive = await self._read_ahead(receive, exchange.request_body)

        async def send_and_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                headers = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            elif capture and message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                captured["response"] += len(chunk)
                if captured["response"] <= MAX_CAPTURED_BODY:
                    exchange.response_body.append(chunk)
            await send(message)

        token = _current_request.set(exchange.record)
        try:
            await self.app(scope, receive, send_and_keep)
        except Exception:
            exchange.status = 500
            raise
        finally:
            exchange.seconds = time.perf_counter() - started
            exchange.route = getattr(scope.get("route"), "path", None)
            exchange.settle()
            self.observability.record(exchange)
            _current_request.reset(token)

    @staticmethod
    async def _read_ahead(receive: Receive, kept: list[bytes]) -> Receive:
        """Read up to `MAX_CAPTURED_BODY` of the body now (requests refused before the endpoint
        reads their body still get an operation name), then replay it to the app."""
        messages: list[Message] = []
        size = 0
        while size <= MAX_CAPTURED_BODY:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            kept.append(message.get("body", b""))
            size += len(kept[-1])
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay
