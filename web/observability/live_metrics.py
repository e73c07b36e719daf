"""Metrics of the process's live side (its LISTEN connection and subscriptions), read at scrape
time from the `ChangeListener`."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from db.notifications import ChangeListener


class ListenerCollector(Collector):
    def __init__(self) -> None:
        self.listener: ChangeListener | None = None

    def collect(self) -> Iterator[Metric]:
        listener = self.listener
        if listener is None:
            return
        yield GaugeMetricFamily(
            "callbatch_live_subscriptions",
            "Subscriptions running in this process.",
            value=listener.watches,
        )
        yield GaugeMetricFamily(
            "callbatch_listener_connected",
            "1 while the LISTEN connection is up, 0 while it reconnects.",
            value=1 if listener.connected.is_set() else 0,
        )
        yield CounterMetricFamily(
            "callbatch_listener_connections",
            "Times the LISTEN connection was (re)established.",
            value=listener.connections,
        )
        yield CounterMetricFamily(
            "callbatch_listener_notifications",
            "Batch change notifications received.",
            value=listener.notifications,
        )
