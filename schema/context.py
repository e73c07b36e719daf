"""What every resolver gets as `info.context`: one per request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import strawberry

from db.tenancy import AgencyWriter, RequestDatabase
from schema.limits.rows_read import RowsRead
from schema.live_session import LiveSession
from schema.loaders import Loaders
from schema.pagination import CursorCodec


@dataclass
class Context:
    db: RequestDatabase
    user_id: uuid.UUID
    agency_id: uuid.UUID
    request_id: str
    cursors: CursorCodec
    rows_read: RowsRead
    """What this request's lists may make PostgreSQL read (see `limits/rows_read.py`)."""
    writer: AgencyWriter | None = None
    """Transactions on the primary for mutations; None where nothing may be written."""
    live: LiveSession | None = None
    """Set on websocket connections, where subscriptions run."""
    limits_checked: bool = False
    """The endpoint already found the request within every limit and valid before signing in
    (`LimitChecks.refuses`), so the extension does not check the same request again."""
    _loaders: Loaders | None = field(init=False, default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        """Made on first use: a request the compiled reads answer never needs them."""
        if self._loaders is None:
            self._loaders = Loaders(self.db)
        return self._loaders

    async def end_snapshot(self) -> None:
        """End the current read transaction and forget what the loaders cached: a subscription's
        next message is read afresh (in a new transaction, when it is due)."""
        await self.db.close()
        self._loaders = None


Info = strawberry.Info[Context, None]
"""What resolvers take as `info`: `info.context` is a `Context`, checked by mypy."""
