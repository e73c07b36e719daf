"""The dashboard bundle is served by the app itself: one page at `/`, hashed assets cached for good,
nothing from another origin."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.applications import Starlette

from web.dashboard import BUNDLE_DIR, dashboard_routes

ASSET_REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')


async def test_dashboard_page_is_served_at_the_root_with_a_same_origin_policy(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert '<div id="root">' in response.text


async def test_dashboard_page_loads_only_files_of_this_origin_and_each_is_cached_for_a_year(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/")).text
    references = ASSET_REFERENCE.findall(page)
    assets = [reference for reference in references if reference.startswith("/dashboard-assets/")]
    assert {Path(asset).suffix for asset in assets} == {".js", ".css"}
    assert set(references) - set(assets) <= {"data:,"}
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["x-content-type-options"] == "nosniff"
        expected_type = "text/javascript" if asset.endswith(".js") else "text/css"
        assert response.headers["content-type"].startswith(expected_type)


async def test_unknown_dashboard_asset_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard-assets/index-00000000.js")
    assert response.status_code == 404
    outside = await client.get("/dashboard-assets/../../app.py")
    assert outside.status_code == 404


def test_committed_bundle_is_in_the_package() -> None:
    assert (BUNDLE_DIR / "index.html").is_file()
    assert any((BUNDLE_DIR / "dashboard-assets").glob("index-*.js"))


async def test_missing_bundle_answers_503_saying_how_to_build_it(tmp_path: Path) -> None:
    app = Starlette(routes=dashboard_routes(tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/")
        asset = await client.get("/dashboard-assets/index.js")
    assert response.status_code == 503
    assert "npm ci && npm run build" in response.text
    assert asset.status_code == 404
