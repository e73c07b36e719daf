"""A front end on another origin may call the API only when its origin is configured."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from app import create_app
from core.settings import Settings
from web.state import AppState

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


async def _preflight(app_state: AppState, allowed: str, origin: str) -> httpx.Response:
    settings = Settings(
        database_url=app_state.settings.database_url,
        jwt_secret=SecretStr(app_state.settings.jwt_secret.get_secret_value()),  # type: ignore[union-attr]
        cors_allowed_origins=allowed,
    )
    app = create_app(settings)
    app.state.app = app_state
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.options("/graphql", headers={"Origin": origin, **PREFLIGHT})


async def test_a_configured_origin_passes_the_preflight_with_the_authorization_header(
    app_state: AppState,
) -> None:
    response = await _preflight(
        app_state,
        "https://dashboard.example.com, https://ops.example.com",
        "https://ops.example.com",
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://ops.example.com"
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_other_origins_and_the_default_get_no_cross_origin_access(
    app_state: AppState,
) -> None:
    other = await _preflight(app_state, "https://dashboard.example.com", "https://evil.example")
    default = await _preflight(app_state, "", "https://dashboard.example.com")

    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in default.headers
