"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the databases answer).

`/readyz` is what a load balancer polls: 503 while the primary (or the replica, when one is
configured) does not answer `SELECT 1` within `READY_TIMEOUT_SECONDS`, so traffic moves to other
instances during a database restart or failover and comes back by itself afterwards.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse

from web.state import AppState

READY_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _answers(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure means not ready
        return False
    return True


async def readyz(request: Request) -> JSONResponse:
    state: AppState = request.app.state.app
    checks = {"database": _answers(state.engine)}
    if state.read_engine is not state.engine:
        checks["replica"] = _answers(state.read_engine)
    results = dict(zip(checks, await asyncio.gather(*checks.values()), strict=True))
    body: dict[str, str] = {name: "up" if up else "down" for name, up in results.items()}
    ready = all(results.values())
    body["status"] = "ok" if ready else "unavailable"
    return JSONResponse(body, status_code=200 if ready else 503)
