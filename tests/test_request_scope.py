"""What every request's transaction is: the app role (row-level security applies), its agency,
and statements that each run on one process."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.types import Message

from app import create_app
from db.tenancy import RequestDatabase
from tests.tenant import Tenant, token_for
from web.state import AppState


async def test_a_requests_statements_run_as_the_app_role_on_one_process_each(
    sessions: async_sessionmaker[Any], tenant: Tenant
) -> None:
    db = RequestDatabase(sessions, agency_id=tenant.agency_id, user_id=tenant.user_id)
    try:
        async with db.session() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT current_user, current_setting('app.agency_id'), "
                        "current_setting('max_parallel_workers_per_gather')"
                    )
                )
            ).one()
    finally:
        await db.close()

    assert tuple(row) == ("callbatch_app", str(tenant.agency_id), "0")


async def test_the_answer_is_sent_while_its_transaction_is_still_being_released(
    app_state: AppState, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client does not wait for the read transaction's ROLLBACK; the request ends (its
    connection and its agency's slot given back) only once the rollback has."""
    release_may_finish = asyncio.Event()
    released: list[bool] = []
    close = RequestDatabase.close

    async def slow_close(db: RequestDatabase) -> None:
        await release_may_finish.wait()
        await close(db)
        released.append(True)

    monkeypatch.setattr(RequestDatabase, "close", slow_close)
    app = create_app(app_state.settings)
    app.state.app = app_state
    body = orjson.dumps({"query": "{ batches { totalCount } }"})
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
        "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 1),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {token_for(tenant.user_id)}".encode()),
        ],
    }  # fmt: skip
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    disconnected = asyncio.Event()
    answered = asyncio.Event()
    sent: list[Message] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop()
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    request = asyncio.create_task(app(scope, receive, send))
    await asyncio.wait_for(answered.wait(), 10)

    assert sent[0]["status"] == 200
    assert orjson.loads(sent[-1]["body"]) == {"data": {"batches": {"totalCount": 0}}}
    assert not released and not request.done()
    release_may_finish.set()
    await asyncio.wait_for(request, 10)
    disconnected.set()
    assert released == [True]
