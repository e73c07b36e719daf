"""Subscriptions at `/graphql` over a websocket, speaking `graphql-transport-ws` (Apollo's
`GraphQLWsLink`, the `graphql-ws` client).

- Auth: `connection_init` carries `{"Authorization": "Bearer <JWT>"}`; the token and its user are
  checked as for queries (on the primary); a refusal closes the socket with 4403, a database
  that cannot answer with 1013 (try again later).
- Each operation on a connection gets its own `Context` (its own database scope and loaders),
  as an HTTP request does; a subscription reads each message in a fresh transaction.
- Bounds: subscriptions per connection and per agency (`LiveBounds`); `connection_init` within
  `INIT_TIMEOUT`; a connection running nothing is closed after `IDLE_SECONDS`; incoming frames
  are limited by the server (`WEBSOCKET_SERVER_OPTIONS`, which also pings to find dead peers);
  queries obey the same limits (depth, cost…) as over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.types.unset import UNSET, UnsetType
from strawberry.utils.aio import aclosing

from core.errors import DomainError
from db.faults import DatabaseFault, classify
from db.tenancy import RequestDatabase
from schema.context import Context
from schema.live_session import LiveBounds, LiveSession
from schema.shared_reads import SharedReads
from web.auth import Principal, authenticate, bearer_token, token_expiry, token_subject
from web.state import AppState

logger = logging.getLogger("callbatch.live")

INIT_TIMEOUT = timedelta(seconds=10)
IDLE_SECONDS = 300.0
MAX_FRAME_BYTES = 256 * 1024
"""A query is at most 100,000 characters (schema/limits.py); this leaves room for variables."""

WEBSOCKET_SERVER_OPTIONS: dict[str, Any] = {
    "ws_max_size": MAX_FRAME_BYTES,
    "ws_ping_interval": 20.0,
    "ws_ping_timeout": 20.0,
}
"""uvicorn options for the websocket side (app.py passes them; so do the tests' servers)."""


class _RetryLater(Exception):
    """Signing in failed for a reason of ours (the database), not the client's token."""


class LiveConnection:
    """One websocket connection: who is connected (after `connection_init`) and its session."""

    def __init__(self, state: AppState, bounds: LiveBounds, reads: SharedReads) -> None:
        self.state = state
        self.bounds = bounds
        self.reads = reads
        self.connection_params: dict[str, Any] = {}
        self.live: LiveSession | None = None
        self.agency_id: uuid.UUID | None = None
        self.user_id: uuid.UUID | None = None

    async def sign_in(self) -> None:
        state = self.state
        authorization = self.connection_params.get("Authorization")
        if authorization is None:
            authorization = self.connection_params.get("authorization")
        if authorization is not None and not isinstance(authorization, str):
            authorization = None
        token = bearer_token(authorization)
        rules = state.token_rules
        expires_at = token_expiry(token, rules)
        principal = await authenticate(token_subject(token, rules), state.sessions)
        if state.listener is None:
            raise RuntimeError("no change listener: the app's lifespan did not start one")
        self.agency_id, self.user_id = principal.agency_id, principal.user_id
        self.live = LiveSession(state.listener, expires_at, self.bounds, self.reads)

    def operation_context(self) -> Context:
        assert self.live is not None and self.agency_id is not None and self.user_id is not None
        state = self.state
        timeout_ms = state.settings.db_statement_timeout_ms
        return state.context_for(
            RequestDatabase(
                state.sessions,
                agency_id=self.agency_id,
                user_id=self.user_id,
                statement_timeout_ms=timeout_ms,
            ),
            Principal(user_id=self.user_id, agency_id=self.agency_id),
            uuid.uuid4().hex,
            timeout_ms,
            live=self.live,
        )


class _OperationContexts:
    """The schema as a connection's handler calls it: each operation with a `Context` of its
    own (Strawberry would pass every operation the one connection-wide context)."""

    def __init__(self, schema: BaseSchema, connection: LiveConnection) -> None:
        self._schema = schema
        self._connection = connection

    async def stream(self, query: str | None, **options: Any) -> Any:
        context = self._connection.operation_context()
        results = await self._schema.stream(query, **{**options, "context_value": context})
        return _closing(results, context)


async def _closing(results: Any, context: Context) -> AsyncGenerator[Any, None]:
    try:
        async with aclosing(results):
            async for result in results:
                yield result
    finally:
        await context.db.close()


class LiveProtocolHandler(BaseGraphQLTransportWSHandler[LiveConnection, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _OperationContexts(self.schema, self.context)  # type: ignore[assignment]
        self._last_activity = asyncio.get_running_loop().time()
        self._idle_watch: asyncio.Task[None] | None = None

    async def handle(self) -> None:
        self._idle_watch = asyncio.create_task(self._close_when_idle())
        try:
            await super().handle()
        finally:
            self._idle_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._idle_watch

    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except _RetryLater:
            # 1013 "try again later": clients (graphql-ws) reconnect, unlike after 4403.
            await self.websocket.close(code=1013, reason="the database is unavailable; retry")

    async def handle_message(self, message: Message) -> None:
        self._last_activity = asyncio.get_running_loop().time()
        await super().handle_message(message)

    async def _close_when_idle(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(IDLE_SECONDS, 30.0))
            if self.operations:
                self._last_activity = loop.time()
            elif loop.time() - self._last_activity >= IDLE_SECONDS:
                await self.websocket.close(code=1000, reason="idle: no subscription running")
                return


class LiveEndpoint(GraphQL[LiveConnection, None]):
    graphql_transport_ws_handler_class = LiveProtocolHandler

    def __init__(self, schema: BaseSchema, bounds: LiveBounds, allowed_origins: list[str]) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=INIT_TIMEOUT,
            # Ours (LiveBounds) answer with a coded error; this only stops floods of queries.
            max_subscriptions_per_connection=bounds.subscriptions_per_connection + 10,
            allowed_origins=allowed_origins,
        )
        self.bounds = bounds
        self._reads: SharedReads | None = None

    async def get_context(self, request: Any, response: Any) -> LiveConnection:
        websocket: WebSocket = request
        state: AppState = websocket.app.state.app
        if self._reads is None:  # one per process, on the app's primary sessions
            self._reads = SharedReads(state.sessions, state.settings.db_statement_timeout_ms)
        return LiveConnection(state, self.bounds, self._reads)

    async def on_ws_connect(self, context: LiveConnection) -> UnsetType:
        try:
            await context.sign_in()
        except DomainError as refused:
            logger.info("websocket refused: %s", refused.message)
            raise ConnectionRejectionError({"message": refused.message}) from None
        except Exception as error:
            if classify(error) in (DatabaseFault.UNAVAILABLE, DatabaseFault.POOL_EXHAUSTED):
                logger.warning("websocket sign-in postponed: %r", error)
                raise _RetryLater from None
            logger.exception("websocket sign-in failed")
            raise ConnectionRejectionError({"message": "sign-in failed"}) from None
        unset: UnsetType = UNSET
        return unset
