"""What the running app holds: settings, engines and session factories (built in the lifespan)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from core.settings import Settings
from db.notifications import ChangeListener
from db.tenancy import AgencyWriter, RequestDatabase
from schema.context import Context
from schema.limits.rows_read import RowsRead
from schema.live_session import LiveSession
from schema.pagination import CursorCodec
from web.auth import Principal, TokenRules, TokenVerifier
from web.fair_share import FairShare


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
    fair_share: FairShare = field(init=False)
    """Admission per agency for this worker's database work."""
    tokens: TokenVerifier = field(init=False)
    """Bearer tokens checked by this worker (each valid one's signature once)."""
    cursors_of: Callable[[uuid.UUID], CursorCodec] = field(init=False)
    """Each agency's cursor codec (its key derived once per worker)."""

    def __post_init__(self) -> None:
        self.fair_share = FairShare(
            self.settings.agency_slots,
            self.settings.agency_queue,
            self.settings.agency_queue_wait_seconds,
            rate=self.settings.agency_requests_per_second,
            burst=self.settings.agency_burst,
            rows_per_second=self.settings.agency_rows_per_second,
            rows_burst=self.settings.max_rows_read,
        )
        self.tokens = TokenVerifier(self.token_rules)
        self.cursors_of = lru_cache(maxsize=4096)(self._cursors_of)

    listener: ChangeListener | None = None
    """The process's LISTEN connection for subscriptions (started by the app's lifespan)."""

    @property
    def jwt_secret(self) -> str:
        assert self.settings.jwt_secret is not None
        return self.settings.jwt_secret.get_secret_value()

    @property
    def token_rules(self) -> TokenRules:
        return TokenRules(
            self.jwt_secret,
            self.settings.jwt_max_lifetime_seconds,
            self.settings.jwt_leeway_seconds,
        )

    @property
    def cursor_key(self) -> bytes:
        if self.settings.cursor_secret is not None:
            return self.settings.cursor_secret.get_secret_value().encode()
        return hmac.new(self.jwt_secret.encode(), b"pagination-cursors", hashlib.sha256).digest()

    def context_for(
        self,
        db: RequestDatabase,
        principal: Principal,
        request_id: str,
        statement_timeout_ms: int,
        live: LiveSession | None = None,
        limits_checked: bool = False,
    ) -> Context:
        """What the resolvers of one operation of `principal` get: its database scope, cursors
        signed for its agency, its rows-read budget, and writes on the primary."""
        return Context(
            db=db,
            user_id=principal.user_id,
            agency_id=principal.agency_id,
            request_id=request_id,
            cursors=self.cursors_of(principal.agency_id),
            rows_read=self.rows_read(),
            writer=AgencyWriter(
                self.sessions,
                agency_id=principal.agency_id,
                user_id=principal.user_id,
                statement_timeout_ms=statement_timeout_ms,
            ),
            live=live,
            limits_checked=limits_checked,
        )

    def rows_read(self) -> RowsRead:
        """A request's rows-read account: its maximum and what counts as a large read."""
        return RowsRead(self.settings.max_rows_read, self.settings.agency_large_read_rows)

    def _cursors_of(self, agency_id: uuid.UUID) -> CursorCodec:
        """An agency's cursor codec, its key derived once (`cursors_of` keeps it)."""
        return CursorCodec(self.cursor_key_for(agency_id))

    def cursor_key_for(self, agency_id: uuid.UUID) -> bytes:
        """The key an agency's cursors are signed with: a cursor made for one agency does not
        verify for another (it is refused as a bad cursor, never read)."""
        return hmac.new(self.cursor_key, agency_id.bytes, hashlib.sha256).digest()
