"""The app under a real uvicorn server in the test's own event loop, configured as `app.py`
ships it, for what only a socket shows: headers arriving slowly, clients hanging up, bodies
dribbling in, websockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn

from app import create_app
from core.settings import Settings
from tests.ops_support import free_port
from web.http_protocol import BoundedHttpProtocol, HttpLimits
from web.live import WEBSOCKET_SERVER_OPTIONS
from web.state import AppState


@dataclass(frozen=True)
class LiveServer:
    host: str
    port: int
    state: AppState
    """The running app's state (engines, change listener), built by its lifespan."""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port)


@asynccontextmanager
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    limits = HttpLimits.from_settings(settings)
    BoundedHttpProtocol.configure(limits)
    port = free_port()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        **limits.server_options(),
        **WEBSOCKET_SERVER_OPTIONS,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.02)
        yield LiveServer("127.0.0.1", port, app.state.app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 15)
        BoundedHttpProtocol.configure(HttpLimits())


async def read_response(reader: asyncio.StreamReader, within_seconds: float = 10) -> bytes:
    """Everything the server sends until it closes the connection."""
    async with asyncio.timeout(within_seconds):
        return await reader.read()


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.1 ") else 0
