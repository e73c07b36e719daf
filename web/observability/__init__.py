"""What operators see: JSON logs with a request id on every line (`log_format.py`), Prometheus
metrics (`metrics.py`), statement timing, slow queries and the access line (`recorder.py`), and
the middleware that times each request and keeps its record (`middleware.py`)."""

from web.observability.log_format import (
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    configure_logging,
)
from web.observability.metrics import Metrics
from web.observability.middleware import ObservabilityMiddleware
from web.observability.recorder import Observability

__all__ = [
    "JsonFormatter",
    "Metrics",
    "Observability",
    "ObservabilityMiddleware",
    "RequestIdFilter",
    "TextFormatter",
    "configure_logging",
]
