"""GraphiQL is served by the app itself: same-origin assets only, cached for good, strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from app import create_app
from web.graphiql import ASSETS_DIR, VENDORED
from web.state import AppState

HTML = {"Accept": "text/html"}
_REFERENCE = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)\"""")


def references(page: str) -> list[str]:
    return _REFERENCE.findall(page)


@pytest.fixture
async def demo_client(app_state: AppState) -> AsyncIterator[httpx.AsyncClient]:
    """The app as embedded mode builds it, with a demo token to pre-fill."""
    app = create_app(app_state.settings, graphiql_demo_token="demo.token.value")
    app.state.app = app_state
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client


async def test_the_graphiql_page_loads_only_same_origin_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers=HTML)

    assert page.status_code == 200
    found = references(page.text)
    assert len(found) == 9  # favicon, 3 stylesheets, 5 scripts
    assert all(url.startswith("/graphiql/assets/") for url in found), found
    assert "//" not in page.text.replace("<!doctype html>", "")


async def test_every_graphiql_asset_is_served_with_long_lived_immutable_caching(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers=HTML)

    for url in references(page.text):
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["content-type"].split(";")[0] in {
            "text/javascript",
            "text/css",
            "image/svg+xml",
        }
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert hashlib.sha256(asset.content).hexdigest().startswith(url.split("/")[3])


async def test_the_graphiql_page_carries_integrity_hashes_the_assets_match(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/graphql", headers=HTML)).text

    scripts = re.findall(r'src="([^"]+)" integrity="(sha384-[^"]+)"', page)
    assert len(scripts) == 5
    for url, integrity in scripts:
        body = (await client.get(url)).content
        assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


async def test_the_graphiql_page_has_a_same_origin_content_security_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers=HTML)

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert all("http" not in value and "*" not in value for value in policy.values())
    assert "<script>" not in page.text  # no inline script: the policy would block it
    assert "<style>" not in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_an_unknown_or_stale_asset_url_is_not_found(client: httpx.AsyncClient) -> None:
    stale = await client.get("/graphiql/assets/0000000000000000/graphiql.min.js")
    unknown = await client.get("/graphiql/assets/0000000000000000/app.py")
    escaping = await client.get("/graphiql/assets/x/..%2F..%2Fapp.py")

    assert stale.status_code == unknown.status_code == escaping.status_code == 404


def test_the_vendored_files_are_the_pinned_npm_releases_with_their_licences() -> None:
    for name, (package, _path, sha384) in VENDORED.items():
        body = (ASSETS_DIR / name).read_bytes()
        assert base64.b64encode(hashlib.sha384(body).digest()).decode() == sha384, package
    for licence in ("react", "react-dom", "graphiql", "plugin-explorer"):
        assert "MIT License" in (ASSETS_DIR / f"LICENSE.{licence}").read_text()


async def test_without_embedded_mode_the_header_editor_starts_empty(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers=HTML)

    assert 'data-headers=""' in page.text
    assert "Bearer" not in page.text


async def test_embedded_mode_prefills_the_demo_token_for_a_loopback_visitor(
    demo_client: httpx.AsyncClient,
) -> None:
    page = await demo_client.get("/graphql", headers=HTML)

    assert "Bearer demo.token.value" in page.text
    assert "&quot;Authorization&quot;" in page.text  # JSON inside an escaped attribute


@pytest.mark.parametrize(
    ("client_address", "host"),
    [
        ("192.168.1.20", "127.0.0.1:8000"),  # another machine
        ("127.0.0.1", "attacker.example:8000"),  # a DNS-rebinding page in the local browser
        ("127.0.0.1", "10.0.0.5:8000"),
    ],
)
async def test_embedded_mode_hides_the_demo_token_from_anything_but_loopback(
    app_state: AppState, client_address: str, host: str
) -> None:
    app = create_app(app_state.settings, graphiql_demo_token="demo.token.value")
    app.state.app = app_state
    transport = httpx.ASGITransport(app=app, client=(client_address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        page = await client.get("/graphql", headers={**HTML, "Host": host})

    assert page.status_code == 200
    assert "Bearer" not in page.text
    assert "demo.token.value" not in page.text


async def test_localhost_by_name_and_ipv6_loopback_count_as_loopback(
    app_state: AppState,
) -> None:
    app = create_app(app_state.settings, graphiql_demo_token="demo.token.value")
    app.state.app = app_state
    seen = []
    for address, host in (("::1", "[::1]:8000"), ("127.0.0.1", "localhost:8000")):
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            page = await client.get("/graphql", headers={**HTML, "Host": host})
        seen.append("demo.token.value" in page.text)

    assert seen == [True, True]
