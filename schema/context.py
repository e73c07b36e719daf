"""What every resolver gets as `info.context`: one per request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from db.tenancy import AgencyWriter, RequestDatabase
from schema.loaders import Loaders
from schema.pagination import CursorCodec


@dataclass
class Context:
    db: RequestDatabase
    user_id: uuid.UUID
    agency_id: uuid.UUID
    request_id: str
    cursors: CursorCodec
    writer: AgencyWriter | None = None
    """Transactions on the primary for mutations; None where nothing may be written."""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db)
