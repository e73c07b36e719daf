"""The Prometheus metrics of one app, in a registry of its own (no process-global state)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

from web.http_protocol import BoundedHttpProtocol
from web.observability.live_metrics import ListenerCollector

MAX_OPERATION_LABELS = 100
"""Distinct operation names kept as metric labels; further names count as `other`."""


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


class RefusedBeforeApp(Collector):
    """Requests the HTTP protocol refused before the app saw them, read at scrape time."""

    def collect(self) -> Iterator[CounterMetricFamily]:
        refused = CounterMetricFamily(
            "callbatch_http_refused_before_app",
            "Requests refused by the HTTP protocol before the app saw them, by status: 408 slow "
            "headers, 431 headers too large or many, 429 a bearer told to retry later.",
            labels=["status"],
        )
        for status, count in sorted(BoundedHttpProtocol.refusals.items()):
            refused.add_metric([str(status)], count)
        yield refused


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
        self.live = ListenerCollector()
        self.registry.register(self.live)
        self.registry.register(RefusedBeforeApp())
        self._operations: set[str] = set()

    def operation_label(self, operation: str) -> str:
        """The operation as a label, with a bounded number of distinct values per process."""
        if operation in self._operations:
            return operation
        if len(self._operations) >= MAX_OPERATION_LABELS:
            return "other"
        self._operations.add(operation)
        return operation
