"""GraphiQL served by the app itself: no CDN, so it works offline and under a strict CSP.

The page and every file it loads come from `web/static/graphiql/` (the npm packages' own files,
pinned below with the SHA-384 the npm tarballs carry, with their licences). Each asset is served
under a content-addressed URL (`/graphiql/assets/<sha256 prefix>/<name>`), so it can be cached
for a year as immutable: a new version is a new URL. The page itself is never cached.

In embedded mode the header editor is pre-filled with the demo user's token, but only when the
server listens on loopback and the request is a loopback one addressed to a loopback host name
(a page of another site that rebinds its DNS name to 127.0.0.1 sends its own `Host`).
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import json
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql/assets"

VENDORED = {
    # file: (npm package@version, path in its tarball, SHA-384 of that file as published)
    "react.production.min.js": (
        "react@18.2.0",
        "umd/react.production.min.js",
        "tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    ),
    "react-dom.production.min.js": (
        "react-dom@18.2.0",
        "umd/react-dom.production.min.js",
        "bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    ),
    "graphiql.min.js": (
        "graphiql@3.8.3",
        "graphiql.min.js",
        "HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
    "graphiql.min.css": (
        "graphiql@3.8.3",
        "graphiql.min.css",
        "Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
    "plugin-explorer.umd.js": (
        "@graphiql/plugin-explorer@1.0.2",
        "dist/index.umd.js",
        "2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
    ),
    "plugin-explorer.css": (
        "@graphiql/plugin-explorer@1.0.2",
        "dist/style.css",
        "5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
    ),
}
OWN = ("page.js", "page.css", "favicon.svg")
_PAGE_SLOTS = {
    "react_js": "react.production.min.js",
    "react_dom_js": "react-dom.production.min.js",
    "graphiql_js": "graphiql.min.js",
    "graphiql_css": "graphiql.min.css",
    "explorer_js": "plugin-explorer.umd.js",
    "explorer_css": "plugin-explorer.css",
    "page_js": "page.js",
    "page_css": "page.css",
}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # GraphiQL's stylesheet embeds its fonts and icons as data: URLs (nothing is fetched).
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
IMMUTABLE = "public, max-age=31536000, immutable"
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    media_type: str
    digest: str
    integrity: str

    @property
    def url(self) -> str:
        return f"{ASSETS_PATH}/{self.digest}/{self.name}"


def load_asset(name: str) -> Asset:
    body = (ASSETS_DIR / name).read_bytes()
    return Asset(
        name=name,
        body=body,
        media_type=_MEDIA_TYPES[Path(name).suffix],
        digest=hashlib.sha256(body).hexdigest()[:16],
        integrity="sha384-" + b64encode(hashlib.sha384(body).digest()).decode(),
    )


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback address (`127.0.0.1`, `::1`, with or without brackets)."""
    host = host.strip().lower().removeprefix("[").removesuffix("]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _request_host_name(request: Request) -> str:
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0]


class GraphiQLPage:
    """The page (`render`) and its assets (`routes`); `demo_token` only in embedded mode."""

    def __init__(self, demo_token: str | None = None) -> None:
        self.assets = {name: load_asset(name) for name in (*VENDORED, *OWN)}
        self._by_url = {asset.url: asset for asset in self.assets.values()}
        self._template = Template((ASSETS_DIR / "page.html").read_text())
        self._demo_headers = (
            json.dumps({"Authorization": f"Bearer {demo_token}"}, indent=2) if demo_token else ""
        )

    def routes(self) -> list[Route]:
        return [Route(ASSETS_PATH + "/{digest}/{name}", self.asset, methods=["GET", "HEAD"])]

    def render(self, request: Request) -> Response:
        headers = self._demo_headers if self._may_show_demo_token(request) else ""
        slots: dict[str, str] = {"favicon": self.assets["favicon.svg"].url, "headers": headers}
        for slot, name in _PAGE_SLOTS.items():
            slots[slot] = self.assets[name].url
            slots[f"{slot}_integrity"] = self.assets[name].integrity
        page = self._template.substitute({key: html.escape(value) for key, value in slots.items()})
        return HTMLResponse(
            page,
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY",
            },
        )

    def _may_show_demo_token(self, request: Request) -> bool:
        client = request.client
        return bool(
            self._demo_headers
            and client is not None
            and is_loopback_host(client.host)
            and is_loopback_host(_request_host_name(request))
        )

    async def asset(self, request: Request) -> Response:
        found = self._by_url.get(request.url.path)
        if found is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(
            found.body,
            media_type=found.media_type,
            headers={
                "Cache-Control": IMMUTABLE,
                "ETag": f'"{found.digest}"',
                "X-Content-Type-Options": "nosniff",
                "Cross-Origin-Resource-Policy": "same-origin",
            },
        )
