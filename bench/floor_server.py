"""The floor over HTTP, as issue 16 defines it ("a raw asyncpg + Starlette floor"): the same
hand-written statement and orjson encoding as the in-process floor, served by Starlette under
uvicorn with as many workers as the API, so the ratio to it counts what the API adds beyond
one statement behind an HTTP server. Started by the bench (`start_floor`) for each scale."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.queries import FLOOR_QUERIES
from bench.report import RESULTS, ROOT

POOL_SIZE = 8
"""Connections per worker (16 for two workers, as the in-process floor), closed after 2 s idle
so that the systems' pools fit PostgreSQL's max_connections together."""

_KINDS: dict[str, Callable[[str], Any]] = {
    "uuid": str,
    "text": str,
    "timestamptz": datetime.fromisoformat,
}


def typed_arguments(arguments: tuple[Any, ...]) -> list[list[str]]:
    """Statement arguments as JSON the server turns back into the driver's types."""
    typed = []
    for value in arguments:
        if isinstance(value, datetime):
            typed.append(["timestamptz", value.isoformat()])
        elif isinstance(value, str):
            typed.append(["text", value])
        else:
            typed.append(["uuid", str(value)])
    return typed


def statement_arguments(typed: list[list[str]]) -> list[Any]:
    """`typed_arguments` back as the driver's values."""
    return [_KINDS[kind](value) for kind, value in typed]


def create_app() -> Starlette:
    url = os.environ["FLOOR_DATABASE_URL"]
    pool: Any = None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=POOL_SIZE, max_inactive_connection_lifetime=2.0
        )
        try:
            yield
        finally:
            await pool.close()

    async def answer(request: Request) -> Response:
        sql, encode = FLOOR_QUERIES[request.path_params["name"]]
        arguments = statement_arguments(orjson.loads(await request.body()))
        async with pool.acquire() as connection:
            rows = await connection.fetch(sql, *arguments)
        return Response(encode(rows), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b"ok")

    return Starlette(
        routes=[Route("/floor/{name}", answer, methods=["POST"]), Route("/healthz", healthz)],
        lifespan=lifespan,
    )


def start_floor(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """The HTTP floor on 127.0.0.1:`port` (ready once `/healthz` answers)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / "floor_server.log").open("wb")
    return subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "bench.floor_server:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--no-access-log", "--log-level", "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "FLOOR_DATABASE_URL": url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
