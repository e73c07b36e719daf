"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the databases answer).

`/readyz` is what a load balancer polls: 503 while the primary (or the replica, when one is
configured) does not answer `SELECT 1` within `READY_TIMEOUT_SECONDS`, so traffic moves to other
instances during a database restart or failover and comes back by itself afterwards. The probe
opens a connection of its own: a busy pool keeps the instance ready (it answers 503 "at
capacity" to the requests it cannot serve, which is the load balancer's cue to spread load).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from db.engine import database_answers
from web.state import AppState

READY_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    state: AppState = request.app.state.app
    checks = {"database": database_answers(state.engine, READY_TIMEOUT_SECONDS)}
    if state.read_engine is not state.engine:
        checks["replica"] = database_answers(state.read_engine, READY_TIMEOUT_SECONDS)
    results = dict(zip(checks, await asyncio.gather(*checks.values()), strict=True))
    body: dict[str, str] = {name: "up" if up else "down" for name, up in results.items()}
    ready = all(results.values())
    body["status"] = "ok" if ready else "unavailable"
    return JSONResponse(body, status_code=200 if ready else 503)
