"""Subscriptions over a real websocket: batches pushed when any writer changes them (plain SQL,
COPY, this API), coalesced, authenticated at connection_init, and never across agencies."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.exceptions import ConnectionClosed

from core.settings import Settings
from schema.subscription import WEBSOCKET_ONLY
from tests.committed_data import CommittedData, committed
from tests.live_support import (
    GRAPHQL_TRANSPORT_WS,
    PROGRESS,
    UPDATES,
    GraphQLWs,
    running_server,
)
from tests.tenant import JWT_SECRET, Tenant, token_for
from web.auth import issue_token
from web.state import AppState

__all__ = ["committed"]


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[tuple[str, AppState]]:
    async with running_server(settings) as running:
        yield running


async def _recount(engine: AsyncEngine, batch_id: uuid.UUID) -> dict[str, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT count(*) AS total, "
                    "count(*) FILTER (WHERE status = 'completed') AS completed "
                    "FROM campaign_contacts WHERE batch_id = :id"
                ),
                {"id": batch_id},
            )
        ).one()
    return {"totalContacts": row.total, "completed": row.completed}


async def test_plain_sql_and_copy_changes_reach_the_subscriber(
    server: tuple[str, AppState], committed: CommittedData, engine: AsyncEngine
) -> None:
    url, _ = server
    agency_id, user_id = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id, contacts=4, status="processing")
    async with GraphQLWs.connect(url, token_for(user_id)) as client:
        await client.acknowledged()
        await client.subscribe(PROGRESS, {"id": str(batch_id)})
        first = (await client.next_payload())["data"]["batchProgress"]
        assert (first["totalContacts"], first["pending"], first["completed"]) == (4, 4, 0)

        await committed.execute(
            "UPDATE campaign_contacts SET status = 'completed' "
            "WHERE id IN (SELECT id FROM campaign_contacts WHERE batch_id = :id LIMIT 3)",
            id=batch_id,
        )
        updated = (await client.next_payload())["data"]["batchProgress"]
        assert (updated["completed"], updated["pending"], updated["progressPercentage"]) == (
            3, 1, 75.0,
        )  # fmt: skip

        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.copy_records_to_table(
                "campaign_contacts",
                records=[(uuid.uuid4(), batch_id, agency_id, f"+1999000{n:04d}") for n in range(6)],
                columns=["id", "batch_id", "agency_id", "phone_number"],
            )
            await connection.commit()
        copied = (await client.next_payload())["data"]["batchProgress"]
        assert (copied["totalContacts"], copied["pending"], copied["remainingCount"]) == (10, 7, 7)

        await committed.execute(
            "UPDATE call_batches SET status = 'paused' WHERE id = :id", id=batch_id
        )
        assert (await client.next_payload())["data"]["batchProgress"]["status"] == "PAUSED"


async def test_a_burst_is_coalesced_and_the_last_message_equals_a_recount(
    server: tuple[str, AppState], committed: CommittedData, engine: AsyncEngine
) -> None:
    url, _ = server
    agency_id, user_id = await committed.agency_with_user()
    burst = 1500
    batch_id = await committed.batch(agency_id, contacts=burst, status="processing")
    async with GraphQLWs.connect(url, token_for(user_id)) as client:
        await client.acknowledged()
        await client.subscribe(PROGRESS, {"id": str(batch_id)})
        assert (await client.next_payload())["data"]["batchProgress"]["completed"] == 0

        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            ids = [r["id"] for r in await raw.fetch(
                "SELECT id FROM campaign_contacts WHERE batch_id = $1", batch_id
            )]  # fmt: skip
            for contact_id in ids:  # one statement, one transaction, one NOTIFY each
                await raw.execute(
                    "UPDATE campaign_contacts SET status = 'completed' WHERE id = $1", contact_id
                )
        messages = await client.messages_until_quiet(quiet=1.5)

    assert messages and all(m["type"] == "next" for m in messages)
    assert len(messages) < burst / 20, f"{len(messages)} messages for {burst} commits"
    last = messages[-1]["payload"]["data"]["batchProgress"]
    recount = await _recount(engine, batch_id)
    assert recount == {"totalContacts": burst, "completed": burst}
    assert {k: last[k] for k in recount} == recount
    assert last["progressPercentage"] == 100.0 and last["remainingCount"] == 0


async def test_batch_updates_sends_every_batch_of_the_agency_and_nothing_of_others(
    server: tuple[str, AppState], committed: CommittedData
) -> None:
    url, _ = server
    agency_id, user_id = await committed.agency_with_user()
    other_agency, _ = await committed.agency_with_user()
    mine = await committed.batch(agency_id, contacts=2, status="processing", name="mine")
    theirs = await committed.batch(other_agency, contacts=2, status="processing", name="mine")
    async with GraphQLWs.connect(url, token_for(user_id)) as client:
        await client.acknowledged()
        await client.subscribe(UPDATES, {"status": "PROCESSING"})
        snapshot = (await client.next_payload())["data"]["batchUpdates"]
        assert snapshot["id"] == str(mine)

        for batch_id in (theirs, mine):
            await committed.execute(
                "UPDATE campaign_contacts SET status = 'completed' WHERE batch_id = :id",
                id=batch_id,
            )
        changed = (await client.next_payload())["data"]["batchUpdates"]
        assert (changed["id"], changed["completed"]) == (str(mine), 2)

        await committed.execute("UPDATE call_batches SET status = 'paused' WHERE id = :id", id=mine)
        left = (await client.next_payload())["data"]["batchUpdates"]
        assert (left["id"], left["status"]) == (str(mine), "PAUSED")  # sent once as it leaves
        await committed.execute(
            "UPDATE campaign_contacts SET status = 'failed' WHERE batch_id = :id", id=mine
        )
        await committed.execute(
            "UPDATE campaign_contacts SET status = 'failed' WHERE batch_id = :id", id=theirs
        )
        assert await client.messages_until_quiet(quiet=1.0) == []


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic abc"},
        {"Authorization": 42},
        "expired",
        "unknown user",
        "wrong secret",
    ],
)
async def test_bad_tokens_close_the_socket_with_4403(
    server: tuple[str, AppState], committed: CommittedData, payload: Any
) -> None:
    url, _ = server
    _, user_id = await committed.agency_with_user()
    if payload == "expired":
        token = issue_token(user_id, JWT_SECRET, lifetime=timedelta(minutes=-5))
        payload = {"Authorization": f"Bearer {token}"}
    elif payload == "unknown user":
        payload = {"Authorization": f"Bearer {token_for(uuid.uuid4())}"}
    elif payload == "wrong secret":
        token = issue_token(user_id, "another-secret-0123456789abcdef-0123456789")
        payload = {"Authorization": f"Bearer {token}"}
    async with GraphQLWs.connect(url, None, payload=payload) as client:
        assert await client.closed_with() == 4403


async def test_a_subscription_before_connection_init_is_refused(
    server: tuple[str, AppState],
) -> None:
    url, _ = server
    async with websockets.connect(url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as raw:
        await raw.send(
            '{"id": "1", "type": "subscribe", '
            '"payload": {"query": "subscription { batchUpdates { id } }"}}'
        )
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(raw.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_another_agencys_batch_and_a_missing_one_end_with_the_same_not_found(
    server: tuple[str, AppState], committed: CommittedData
) -> None:
    url, _ = server
    _, user_id = await committed.agency_with_user()
    other_agency, _ = await committed.agency_with_user()
    theirs = await committed.batch(other_agency, contacts=1)
    async with GraphQLWs.connect(url, token_for(user_id)) as client:
        await client.acknowledged()
        answers = []
        for batch_id in (theirs, uuid.uuid4()):
            operation = await client.subscribe(PROGRESS, {"id": str(batch_id)})
            payload = await client.next_payload()
            assert payload["data"] is None
            answers.append([(e["message"], e["extensions"]["code"]) for e in payload["errors"]])
            assert await client.receive() == {"id": operation, "type": "complete"}
        assert answers[0] == answers[1] == [("batch not found", "NOT_FOUND")]
        await committed.execute(
            "UPDATE campaign_contacts SET status = 'completed' WHERE batch_id = :id", id=theirs
        )
        assert await client.messages_until_quiet(quiet=1.0) == []


async def test_a_subscription_ends_when_its_token_expires(
    server: tuple[str, AppState], committed: CommittedData
) -> None:
    url, _ = server
    agency_id, user_id = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id, contacts=1)
    token = issue_token(user_id, JWT_SECRET, lifetime=timedelta(seconds=3))
    async with GraphQLWs.connect(url, token) as client:
        await client.acknowledged()
        operation = await client.subscribe(PROGRESS, {"id": str(batch_id)})
        assert (await client.next_payload())["data"]["batchProgress"]["id"] == str(batch_id)
        ended = await client.next_payload(within=10)
        assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "expired" in ended["errors"][0]["message"]
        assert await client.receive() == {"id": operation, "type": "complete"}
        await asyncio.sleep(0.5)
        await client.subscribe(PROGRESS, {"id": str(batch_id)})
        again = await client.next_payload()
        assert again["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_subscriptions_obey_the_query_limits_and_the_per_connection_bound(
    server: tuple[str, AppState], committed: CommittedData
) -> None:
    url, state = server
    agency_id, user_id = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id)
    nested = (
        "subscription($id: ID!) { batchProgress(id: $id) { id contacts { nodes { id } } "
        "events { totalCount } } }"
    )
    costly = (
        "subscription($id: ID!) { batchProgress(id: $id) { contacts(first: 200) { nodes { "
        + " ".join(
            f"f{n}: callLogs {{ id callStatus durationSeconds recordingUrl transcript createdAt }}"
            for n in range(29)
        )
        + " } } } }"
    )
    async with GraphQLWs.connect(url, token_for(user_id)) as client:
        await client.acknowledged()
        await client.subscribe(costly, {"id": str(batch_id)})
        refused = await client.receive()
        assert refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["limit"] == "cost"

        await client.subscribe(nested, {"id": str(batch_id)})
        assert "data" in await client.next_payload()

        bound = 20
        for _ in range(bound - 1):
            await client.subscribe(PROGRESS, {"id": str(batch_id)})
            assert "data" in await client.next_payload()
        await client.subscribe(PROGRESS, {"id": str(batch_id)})
        over = await client.next_payload()
        assert over["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    await asyncio.sleep(0.2)
    assert state.listener is not None and state.listener.watches == 0


async def test_mutations_are_seen_by_subscribers_and_audited(
    server: tuple[str, AppState], committed: CommittedData
) -> None:
    url, _ = server
    agency_id, operator_id = await committed.agency_with_user("operator")
    batch_id = await committed.batch(agency_id, contacts=2, status="processing")
    async with (
        GraphQLWs.connect(url, token_for(operator_id)) as watcher,
        GraphQLWs.connect(url, token_for(operator_id)) as actor,
    ):
        await watcher.acknowledged()
        await actor.acknowledged()
        await watcher.subscribe(PROGRESS, {"id": str(batch_id)})
        assert (await watcher.next_payload())["data"]["batchProgress"]["status"] == "PROCESSING"
        await actor.subscribe(
            "mutation($id: ID!) { pauseBatch(id: $id) { status events { nodes { action } } } }",
            {"id": str(batch_id)},
        )
        paused = (await actor.next_payload())["data"]["pauseBatch"]
        assert paused == {"status": "PAUSED", "events": {"nodes": [{"action": "pause"}]}}
        assert (await watcher.next_payload())["data"]["batchProgress"]["status"] == "PAUSED"


async def test_a_subscription_sent_over_http_is_refused_saying_where_to_send_it(
    tenant: Tenant,
) -> None:
    body = await tenant.query("subscription { batchUpdates { id } }")
    assert body == {
        "data": None,
        "errors": [{"message": WEBSOCKET_ONLY, "extensions": {"code": "BAD_REQUEST"}}],
    }


async def test_an_idle_socket_is_closed_and_a_running_subscription_keeps_it_open(
    server: tuple[str, AppState], committed: CommittedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.live

    monkeypatch.setattr(web.live, "IDLE_SECONDS", 0.5)
    url, _ = server
    agency_id, user_id = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id)
    async with (
        GraphQLWs.connect(url, token_for(user_id)) as idle,
        GraphQLWs.connect(url, token_for(user_id)) as busy,
    ):
        await idle.acknowledged()
        await busy.acknowledged()
        await busy.subscribe(PROGRESS, {"id": str(batch_id)})
        await busy.next_payload()
        assert await idle.closed_with(within=5) == 1000
        assert await busy.messages_until_quiet(quiet=1.5) == []
        await committed.execute(
            "UPDATE call_batches SET status = 'paused' WHERE id = :id", id=batch_id
        )
        assert (await busy.next_payload())["data"]["batchProgress"]["status"] == "PAUSED"


async def test_a_frame_over_the_size_limit_closes_the_socket(
    server: tuple[str, AppState], committed: CommittedData
) -> None:
    url, _ = server
    _, user_id = await committed.agency_with_user()
    async with GraphQLWs.connect(url, token_for(user_id)) as client:
        await client.acknowledged()
        await client.subscribe("subscription { batchUpdates { id } }", {"padding": "x" * 300_000})
        assert await client.closed_with() == 1009  # "message too big"


async def test_a_database_fault_while_signing_in_asks_the_client_to_retry(
    server: tuple[str, AppState], committed: CommittedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.live

    async def unreachable(*_: object) -> None:
        raise ConnectionRefusedError("the database is restarting")

    monkeypatch.setattr(web.live, "authenticate", unreachable)
    url, _ = server
    _, user_id = await committed.agency_with_user()
    async with GraphQLWs.connect(url, token_for(user_id)) as client:
        assert await client.closed_with() == 1013


async def test_metrics_show_running_subscriptions_and_the_listener(
    server: tuple[str, AppState], committed: CommittedData
) -> None:
    url, _ = server
    metrics_url = url.replace("ws://", "http://").replace("/graphql", "/metrics")
    agency_id, user_id = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id)
    async with GraphQLWs.connect(url, token_for(user_id)) as client, httpx.AsyncClient() as http:
        await client.acknowledged()
        await client.subscribe(PROGRESS, {"id": str(batch_id)})
        await client.next_payload()
        text = (await http.get(metrics_url)).text
    assert "callbatch_live_subscriptions 1.0" in text
    assert "callbatch_listener_connected 1.0" in text
    assert "callbatch_listener_connections_total 1.0" in text
