"""Round trips to PostgreSQL per request, counted the same way for the API and for PostGraphile:
a loopback TCP proxy in front of PostgreSQL reads the client side of the wire protocol and
counts each message that makes the client wait for the server: a simple Query (`Q`) or the Sync
(`S`) that ends an extended-protocol exchange (Parse/Bind/Execute). pg_stat_statements would
need `shared_preload_libraries`, which the bench cannot assume; the proxy needs nothing.

Only the counting instances go through the proxy; the measured ones connect directly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

_SSL_REQUEST, _GSSENC_REQUEST = 80877103, 80877104
_WAITING_MESSAGES = frozenset(b"QS")


class ClientMessages:
    """Parses the typed messages a client sends after its startup message."""

    def __init__(self) -> None:
        self.pending = bytearray()
        self.round_trips = 0

    def feed(self, data: bytes) -> None:
        self.pending += data
        while len(self.pending) >= 5:
            length = int.from_bytes(self.pending[1:5], "big")
            if len(self.pending) < 1 + length:
                return
            if self.pending[0] in _WAITING_MESSAGES:
                self.round_trips += 1
            del self.pending[: 1 + length]


class CountingProxy:
    """Forwards 127.0.0.1:`port` to PostgreSQL, refusing TLS (so the protocol stays readable)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.connections: list[ClientMessages] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    @property
    def round_trips(self) -> int:
        return sum(c.round_trips for c in self.connections)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _serve(self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter) -> None:
        server, to_server = await asyncio.open_connection(*self.target)
        try:
            while True:  # untyped startup phase: refuse TLS and GSS encryption, forward the rest
                head = await client.readexactly(8)
                rest = await client.readexactly(int.from_bytes(head[:4], "big") - 8)
                if int.from_bytes(head[4:8], "big") in (_SSL_REQUEST, _GSSENC_REQUEST):
                    to_client.write(b"N")
                    continue
                to_server.write(head + rest)
                break
            messages = ClientMessages()
            self.connections.append(messages)
            await asyncio.gather(
                _pipe(client, to_server, messages.feed), _pipe(server, to_client, None)
            )
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for writer in (to_server, to_client):
                writer.close()


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    observe: Callable[[bytes], None] | None,
) -> None:
    try:
        while data := await reader.read(65536):
            if observe is not None:
                observe(data)
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def counting_proxy(host: str, port: int) -> AsyncIterator[CountingProxy]:
    proxy = CountingProxy(host, port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


async def per_request(
    proxy: CountingProxy, send: Callable[[], Awaitable[None]], requests: int = 20
) -> float:
    """Mean round trips of `requests` sequential requests, after three untimed ones (connections
    opened, statements prepared)."""
    for _ in range(3):
        await send()
    await asyncio.sleep(0.2)  # let the warm-up's last messages arrive
    before = proxy.round_trips
    for _ in range(requests):
        await send()
    await asyncio.sleep(0.2)
    return (proxy.round_trips - before) / requests
