"""The operator dashboard: the React + Apollo Client bundle built from `dashboard/`, served at `/`.

The bundle is committed in `web/dashboard_bundle/` (rebuild it with `npm ci && npm run build` in
`dashboard/`), so `pip install -e . && python app.py` serves it without Node. Everything comes from
this origin: `index.html` is revalidated on every load, the files under `/dashboard-assets/` are
named by a hash of their content and cached for a year.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

BUNDLE_DIR: Final = Path(__file__).parent / "dashboard_bundle"
ASSETS_PATH: Final = "/dashboard-assets"

CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS: Final = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
HASHED_ASSET_CACHE: Final = "public, max-age=31536000, immutable"


class HashedAssets(StaticFiles):
    """Static files whose names change with their content, so browsers may keep them for good."""

    async def check_config(self) -> None:
        """A checkout without a built bundle answers 404 for assets (and 503 for the page)."""
        if self.directory is not None and await anyio.Path(self.directory).is_dir():
            await super().check_config()

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = HASHED_ASSET_CACHE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def dashboard_routes(bundle_dir: Path = BUNDLE_DIR) -> list[BaseRoute]:
    index = bundle_dir / "index.html"

    async def dashboard_page(request: Request) -> Response:
        if not await anyio.Path(index).is_file():
            return PlainTextResponse(
                "The dashboard is not built: run `npm ci && npm run build` in dashboard/.",
                status_code=503,
            )
        return FileResponse(index, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    return [
        Route("/", dashboard_page, methods=["GET", "HEAD"]),
        Mount(
            ASSETS_PATH,
            HashedAssets(directory=bundle_dir / ASSETS_PATH.lstrip("/"), check_dir=False),
        ),
    ]
