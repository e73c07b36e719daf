"""What every resolver gets as `info.context`: one per request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import strawberry

from db.tenancy import RequestDatabase
from schema.loaders import Loaders
from schema.pagination import CursorCodec


@dataclass
class Context:
    db: RequestDatabase
    user_id: uuid.UUID
    agency_id: uuid.UUID
    request_id: str
    cursors: CursorCodec
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db)


Info = strawberry.Info[Context, None]
"""What resolvers take as `info`: `info.context` is a `Context`, checked by mypy."""
