"""Mutations pauseBatch, resumeBatch, cancelBatch, deleteBatch: the contract's transition table
(every action from every status), repeats, roles, the audit trail and tenancy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.batch_control_support import EVENTS, act, error_code
from tests.factories import Factory
from tests.tenant import Tenant

STATUSES = ("pending", "scheduled", "processing", "paused", "completed", "failed", "cancelled")

EXPECTED: dict[tuple[str, str], str] = {
    ("pause", "pending"): "paused",
    ("pause", "scheduled"): "paused",
    ("pause", "processing"): "paused",
    ("pause", "paused"): "unchanged",
    ("pause", "completed"): "refused",
    ("pause", "failed"): "refused",
    ("pause", "cancelled"): "refused",
    ("resume", "pending"): "unchanged",
    ("resume", "scheduled"): "unchanged",
    ("resume", "processing"): "unchanged",
    ("resume", "paused"): "pending",  # paused by another writer, never started or scheduled
    ("resume", "completed"): "refused",
    ("resume", "failed"): "refused",
    ("resume", "cancelled"): "refused",
    ("cancel", "pending"): "cancelled",
    ("cancel", "scheduled"): "cancelled",
    ("cancel", "processing"): "cancelled",
    ("cancel", "paused"): "cancelled",
    ("cancel", "completed"): "refused",
    ("cancel", "failed"): "refused",
    ("cancel", "cancelled"): "unchanged",
    **{("delete", s): "deleted" for s in STATUSES if s != "processing"},
    ("delete", "processing"): "refused",
}
"""Written out by hand from CONTRACT.md section 6, not derived from the code under test."""


@pytest.fixture
async def operator(factory: Factory, client: httpx.AsyncClient) -> Tenant:
    agency_id = await factory.agency(name="Operators' agency")
    return Tenant(agency_id, await factory.user(agency_id, role="operator"), client)


async def _row(connection: AsyncConnection, batch_id: uuid.UUID) -> tuple[str, datetime, bool]:
    row = (
        await connection.execute(
            text(
                "SELECT status, updated_at, deleted_at IS NOT NULL FROM call_batches WHERE id = :id"
            ),
            {"id": batch_id},
        )
    ).one()
    return row[0], row[1], row[2]


async def _event_count(connection: AsyncConnection, batch_id: uuid.UUID) -> int:
    query = text("SELECT count(*) FROM batch_events WHERE batch_id = :id")
    return int((await connection.execute(query, {"id": batch_id})).scalar_one())


@pytest.mark.parametrize(("action", "status"), sorted(EXPECTED))
async def test_every_action_from_every_status_follows_the_contract_table(
    operator: Tenant, factory: Factory, connection: AsyncConnection, action: str, status: str
) -> None:
    batch_id = await factory.batch(operator.agency_id, status=status)
    _, updated_before, _ = await _row(connection, batch_id)
    expected = EXPECTED[(action, status)]

    body = await act(operator, action, batch_id)

    now_status, updated_after, deleted = await _row(connection, batch_id)
    if expected == "refused":
        assert error_code(body) == "BAD_USER_INPUT", body
        message = body["errors"][0]["message"]
        assert f"cannot {action} a batch that is {status}" in message
        assert f"current status: {status}" in message
        assert (now_status, updated_after, deleted) == (status, updated_before, False)
        assert await _event_count(connection, batch_id) == 0
    elif expected == "unchanged":
        assert "errors" not in body, body
        assert body["data"]["result"]["status"] == status.upper()
        assert (now_status, updated_after, deleted) == (status, updated_before, False)
        assert await _event_count(connection, batch_id) == 0
    elif expected == "deleted":
        assert body == {"data": {"result": str(batch_id)}}
        assert deleted and now_status == status and updated_after > updated_before
        assert await _event_count(connection, batch_id) == 1
        gone = await operator.query(EVENTS, {"id": str(batch_id)})
        assert error_code(gone) == "NOT_FOUND"
    else:
        assert "errors" not in body, body
        assert body["data"]["result"]["status"] == expected.upper()
        assert now_status == expected and not deleted and updated_after > updated_before
        assert await _event_count(connection, batch_id) == 1


@pytest.mark.parametrize("status", ["pending", "scheduled", "processing"])
async def test_resume_returns_to_the_status_the_pause_interrupted(
    operator: Tenant, factory: Factory, status: str
) -> None:
    batch_id = await factory.batch(operator.agency_id, status=status)
    paused = await act(operator, "pause", batch_id)
    assert paused["data"]["result"]["status"] == "PAUSED"
    resumed = await act(operator, "resume", batch_id)
    assert resumed["data"]["result"]["status"] == status.upper()


async def test_resume_of_a_batch_paused_by_another_writer_follows_its_timestamps(
    operator: Tenant, factory: Factory
) -> None:
    started = await factory.batch(
        operator.agency_id, status="paused", started_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    scheduled = await factory.batch(
        operator.agency_id, status="paused", scheduled_for=datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert (await act(operator, "resume", started))["data"]["result"]["status"] == "PROCESSING"
    assert (await act(operator, "resume", scheduled))["data"]["result"]["status"] == "SCHEDULED"


async def test_every_transition_is_audited_newest_first_with_who_and_from_to(
    operator: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(operator.agency_id, status="processing")
    for action in ("pause", "pause", "resume", "pause", "cancel", "cancel"):
        assert "errors" not in await act(operator, action, batch_id)

    data = await operator.data(EVENTS, {"id": str(batch_id)})
    events = data["batch"]["events"]
    assert events["totalCount"] == 4  # repeats change nothing and record nothing
    assert [(e["action"], e["fromStatus"], e["toStatus"]) for e in events["nodes"]] == [
        ("cancel", "PAUSED", "CANCELLED"),
        ("pause", "PROCESSING", "PAUSED"),
        ("resume", "PAUSED", "PROCESSING"),
        ("pause", "PROCESSING", "PAUSED"),
    ]
    assert {e["userId"] for e in events["nodes"]} == {str(operator.user_id)}
    times = [e["createdAt"] for e in events["nodes"]]
    assert times == sorted(times, reverse=True)


async def test_events_are_cursor_paged_like_the_other_lists(
    operator: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(operator.agency_id, status="processing")
    for action in ("pause", "resume") * 3:
        await act(operator, action, batch_id)
    seen: list[str] = []
    after = None
    while True:
        data = await operator.data(EVENTS, {"id": str(batch_id), "first": 4, "after": after})
        page = data["batch"]["events"]
        seen += [e["id"] for e in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 6

    too_many = await operator.query(EVENTS, {"id": str(batch_id), "first": 101})
    assert error_code(too_many) == "BAD_USER_INPUT"
    forged = await operator.query(EVENTS, {"id": str(batch_id), "after": "abc.def"})
    assert error_code(forged) == "BAD_USER_INPUT"


async def test_viewers_are_refused_and_nothing_changes(
    tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    batch_id = await factory.batch(tenant.agency_id, status="processing")
    for action in ("pause", "resume", "cancel", "delete"):
        body = await act(tenant, action, batch_id)
        assert error_code(body) == "FORBIDDEN", body
        assert "operator" in body["errors"][0]["message"]
    assert (await _row(connection, batch_id))[0] == "processing"
    assert await _event_count(connection, batch_id) == 0


async def test_another_agencys_batch_answers_not_found_and_is_untouched(
    operator: Tenant, other_tenant: Tenant, factory: Factory, connection: AsyncConnection
) -> None:
    foreign = await factory.batch(other_tenant.agency_id, status="processing")
    for action in ("pause", "resume", "cancel", "delete"):
        body = await act(operator, action, foreign)
        assert error_code(body) == "NOT_FOUND", body
        missing = await act(operator, action, uuid.uuid4())
        assert missing["errors"][0]["message"] == body["errors"][0]["message"]
    assert (await _row(connection, foreign))[0] == "processing"
    assert await _event_count(connection, foreign) == 0


async def test_a_deleted_batch_is_gone_and_deleting_again_returns_its_id(
    operator: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(operator.agency_id, status="completed")
    assert (await act(operator, "delete", batch_id))["data"] == {"result": str(batch_id)}
    assert (await act(operator, "delete", batch_id))["data"] == {"result": str(batch_id)}
    assert error_code(await act(operator, "pause", batch_id)) == "NOT_FOUND"
    listed = await operator.data("{ batches { nodes { id } } }")
    assert str(batch_id) not in {b["id"] for b in listed["batches"]["nodes"]}


async def test_a_malformed_id_is_bad_user_input(operator: Tenant) -> None:
    body = await operator.query('mutation { pauseBatch(id: "not-a-uuid") { id } }')
    assert error_code(body) == "BAD_USER_INPUT"
