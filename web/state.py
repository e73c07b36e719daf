"""What the running app holds: settings, engines and session factories (built in the lifespan)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from core.settings import Settings
from db.notifications import ChangeListener


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    """The primary."""
    read_engine: AsyncEngine
    """The replica when `DATABASE_READ_URL` is set, else the primary itself."""
    sessions: async_sessionmaker[Any]
    """Sessions on the primary."""
    read_sessions: async_sessionmaker[Any]
    """Sessions for read-only requests: the replica when one is configured, else the primary."""
    listener: ChangeListener | None = None
    """The process's LISTEN connection for subscriptions (started by the app's lifespan)."""

    @property
    def jwt_secret(self) -> str:
        assert self.settings.jwt_secret is not None
        return self.settings.jwt_secret.get_secret_value()

    @property
    def cursor_key(self) -> bytes:
        if self.settings.cursor_secret is not None:
            return self.settings.cursor_secret.get_secret_value().encode()
        return hmac.new(self.jwt_secret.encode(), b"pagination-cursors", hashlib.sha256).digest()
