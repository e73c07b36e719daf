"""A real server and a real websocket client for the subscription tests.

`running_server` serves `create_app(settings)` with uvicorn on a free local port inside the test's
event loop (the app's own lifespan starts its LISTEN connection); `GraphQLWs` speaks
graphql-transport-ws over the `websockets` package, as Apollo's GraphQLWsLink does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from core.settings import Settings
from tests.live_server import live_server
from web.state import AppState

GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")

PROGRESS = """
subscription($id: ID!) {
  batchProgress(id: $id) {
    id status totalContacts pending completed failed progressPercentage remainingCount
  }
}"""

UPDATES = """
subscription($status: BatchStatus) {
  batchUpdates(status: $status) { id name status totalContacts completed }
}"""


@contextlib.asynccontextmanager
async def running_server(settings: Settings) -> AsyncIterator[tuple[str, AppState]]:
    """The app on a real socket, its change listener connected: yields its websocket URL and
    its state."""
    async with live_server(settings) as live:
        assert live.state.listener is not None
        await asyncio.wait_for(live.state.listener.connected.wait(), 10)
        yield f"ws://{live.host}:{live.port}/graphql", live.state


class GraphQLWs:
    """One graphql-transport-ws connection."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = itertools.count(1)

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls, url: str, token: str | None, *, payload: Any = None
    ) -> AsyncIterator[GraphQLWs]:
        """Connected and initialised (`connection_ack` received) unless the server refuses."""
        async with websockets.connect(url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as socket:
            client = cls(socket)
            if payload is None and token is not None:
                payload = {"Authorization": f"Bearer {token}"}
            await client.send({"type": "connection_init", "payload": payload or {}})
            yield client

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, within: float = 10.0) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), within))
        return message

    async def acknowledged(self) -> None:
        message = await self.receive()
        assert message["type"] == "connection_ack", message

    async def closed_with(self, within: float = 10.0) -> int | None:
        """The close code the server ends the connection with."""
        try:
            while True:
                await asyncio.wait_for(self.socket.recv(), within)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation_id = str(next(self._ids))
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return operation_id

    async def next_payload(self, within: float = 10.0) -> dict[str, Any]:
        """The next `next` payload (pings answered); fails on anything else."""
        while True:
            message = await self.receive(within)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            assert message["type"] == "next", message
            payload: dict[str, Any] = message["payload"]
            return payload

    async def messages_until_quiet(self, quiet: float) -> list[dict[str, Any]]:
        """Every message received until none arrives for `quiet` seconds."""
        received = []
        with contextlib.suppress(TimeoutError):
            while True:
                received.append(await self.receive(quiet))
        return received


def batch_id_of(payload: dict[str, Any], field: str = "batchProgress") -> uuid.UUID:
    return uuid.UUID(payload["data"][field]["id"])
