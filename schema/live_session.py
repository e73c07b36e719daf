"""What subscriptions of one websocket connection share: the process's change listener, the
caller's token expiry, and the bounds on how much one connection and one agency may hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.notifications import ChangeListener
from schema.shared_reads import SharedReads


@dataclass(frozen=True)
class LiveBounds:
    subscriptions_per_connection: int = 20
    subscriptions_per_agency: int = 500
    """Per worker process (each process has its own listener and counts its own)."""
    min_interval_seconds: float = 0.25
    """A subscription sends at most one message per batch per interval: changes that arrive
    meanwhile are folded into the next message (which reads the batch as it is then)."""
    resync_batches: int = 100
    """`batchUpdates` sends the agency's newest this-many batches first and after a resync."""
    snapshot_retry_seconds: float = 30.0
    """How long a subscription retries reading while the database is unreachable."""


@dataclass
class LiveSession:
    listener: ChangeListener
    expires_at: datetime
    bounds: LiveBounds
    reads: SharedReads
    active: int = 0
    """Subscriptions running on this connection now."""
