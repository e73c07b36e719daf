"""The observability of one app: statement timing (through `db.engine.StatementWatch`, added to
the current request's record; those above `SLOW_QUERY_MS` logged as `slow query`), the access log
line and the metrics of each request, and the `/metrics` endpoint."""

from __future__ import annotations

import hmac
import logging

from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import generate_latest as render_metrics
from starlette.requests import Request
from starlette.responses import Response

from core.settings import Settings
from db.engine import StatementWatch
from web.observability.exchange import Exchange
from web.observability.metrics import Metrics
from web.request_record import current_request
from web.state import AppState

access_logger = logging.getLogger("callbatch.access")
slow_logger = logging.getLogger("callbatch.slow_query")


class Observability:
    """The metrics and statement timing of one app; built by `create_app`."""

    def __init__(self, settings: Settings) -> None:
        self.metrics = Metrics()
        self.slow_query_seconds = settings.slow_query_ms / 1000
        self.metrics_token = settings.metrics_token
        self._watches: list[StatementWatch] = []

    def watch(self, state: AppState) -> None:
        """Time the statements of the state's engines and expose their pools."""
        engines = {"primary": state.engine}
        if state.read_engine is not state.engine:
            engines["replica"] = state.read_engine
        self.metrics.pools.engines = engines
        self.metrics.live.listener = state.listener
        self._watches = [StatementWatch(e, self._on_statement) for e in engines.values()]

    def stop(self) -> None:
        for watch in self._watches:
            watch.stop()
        self._watches = []
        self.metrics.pools.engines = {}

    def _on_statement(self, statement: str, seconds: float, error: BaseException | None) -> None:
        record = current_request.get()
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
        """Prometheus's text format; with METRICS_TOKEN set, only for `Bearer <that token>`."""
        if self.metrics_token is not None:
            expected = f"Bearer {self.metrics_token.get_secret_value()}".encode()
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return Response(
                    "metrics need Authorization: Bearer <METRICS_TOKEN>\n",
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                    media_type="text/plain",
                )
        return Response(render_metrics(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def record(self, exchange: Exchange) -> None:
        operation = self.metrics.operation_label(exchange.metric_operation)
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
