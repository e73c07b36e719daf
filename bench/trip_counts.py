"""Round trips per request of the API and of PostGraphile, each counted on an instance of its own
(one process) started behind the counting proxy (bench/round_trips.py) and stopped before the
measured cells begin."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from bench import peer_server
from bench.round_trips import CountingProxy, counting_proxy, per_request
from bench.scenarios import Scenario, post_once
from bench.server import free_port, start_server, stop_server, wait_ready
from bench.targets import API, PEER


def _through(url: str, proxy: CountingProxy) -> str:
    return (
        make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )


async def count(
    url: str,
    secret: str,
    token: str,
    api_environment: dict[str, str],
    scenarios: list[Scenario],
    with_peer: bool,
) -> dict[str, dict[str, float]]:
    """{scenario name: {"API": trips, "PostGraphile v4": trips}}; `url` is the asyncpg URL."""
    database = make_url(url)
    counts: dict[str, dict[str, float]] = {s.name: {} for s in scenarios}
    async with counting_proxy(database.host or "127.0.0.1", database.port or 5432) as proxy:
        port = free_port()
        api = start_server(
            _through(url, proxy), secret, port, 1, api_environment, "count-server.log"
        )
        try:
            await wait_ready(port)
            for scenario in scenarios:
                body = scenario.bodies[API]

                async def send_api(body: bytes = body) -> None:
                    await post_once(port, token, body)

                counts[scenario.name][API] = await per_request(proxy, send_api)
        finally:
            stop_server(api)
        if not with_peer:
            return counts
        peer_port = free_port()
        plain = _through(url, proxy).replace("postgresql+asyncpg://", "postgresql://")
        peer = peer_server.start(plain, peer_port, 1, 4, 300, "count-peer.log")
        try:
            await peer_server.wait_ready(peer, peer_port)
            for scenario in scenarios:
                body = scenario.bodies[PEER]

                async def send_peer(body: bytes = body) -> None:
                    await post_once(peer_port, "", body)

                counts[scenario.name][PEER] = await per_request(proxy, send_peer)
        finally:
            peer_server.stop(peer)
    return counts
