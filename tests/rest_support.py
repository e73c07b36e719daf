"""Calling the REST endpoints as a tenant, and the seed documents' example data as factory rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.factories import Factory
from tests.tenant import Tenant, token_for


async def rest_get(tenant: Tenant, url: str, **params: Any) -> httpx.Response:
    return await tenant.client.get(
        url, params=params, headers={"Authorization": f"Bearer {token_for(tenant.user_id)}"}
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class SeedBatch:
    batch_id: uuid.UUID
    campaign_id: uuid.UUID
    agent_id: uuid.UUID
    answered_contact_id: uuid.UUID


async def weya_seed_batches(factory: Factory, agency_id: uuid.UUID) -> list[uuid.UUID]:
    """The two batches of the Weya list example (fewer calls): an active and a paused one."""
    may = await factory.batch(
        agency_id,
        name="Marketing Campaign May 2025",
        status="processing",
        created_at=at("2025-05-01T12:00:00.000Z"),
        updated_at=at("2025-05-15T14:30:00.000Z"),
    )
    # 6 calls: 3 answered, 4 completed (one of them not answered), 1 failed.
    await factory.contacts(
        may,
        agency_id,
        [
            {"status": "completed", "outcome": "answered"},
            {"status": "completed", "outcome": "answered"},
            {"status": "completed", "outcome": "answered"},
            {"status": "completed", "outcome": "voicemail"},
            {"status": "failed", "outcome": "no_answer"},
            {"status": "pending", "outcome": None},
        ],
    )
    june = await factory.batch(
        agency_id,
        name="Marketing Sales Outreach June 2025",
        status="paused",
        created_at=at("2025-06-01T09:00:00.000Z"),
        updated_at=at("2025-06-10T16:45:00.000Z"),
    )
    await factory.contacts(
        june,
        agency_id,
        [{"status": "completed", "outcome": "answered"}, {"status": "queued", "outcome": None}],
    )
    await factory.batch(agency_id, name="Renewals", status="completed")
    return [june, may]


async def function_seed_batch(factory: Factory, agency_id: uuid.UUID) -> SeedBatch:
    """The functions' example batch ("Q1 Outreach", "Sales Agent", 30 calls/min …), with 10
    contacts where the example has 1000: 4 completed, 1 failed, 5 queued (progress 50.0)."""
    campaign_id = await factory.campaign(agency_id, name="Q1 Outreach")
    agent_id = await factory.agent(agency_id, name="Sales Agent")
    batch_id = await factory.batch(
        agency_id,
        name="Q1 Outreach batch",
        campaign_id=campaign_id,
        agent_mapping_id=agent_id,
        from_number="+15551234567",
        status="processing",
        calls_per_minute=30,
        max_concurrent=10,
        created_at=at("2025-01-15T10:30:00Z"),
        updated_at=at("2025-01-15T10:31:00Z"),
        started_at=at("2025-01-15T10:31:00Z"),
    )
    answered = await factory.contact(
        batch_id,
        agency_id,
        phone_number="+15559876543",
        first_name="John",
        last_name="Doe",
        email="john@example.com",
        company="ACME",
        title="Manager",
        account_id="ACC-1",
        priority="high",
        status="completed",
        call_id=uuid.UUID("8a6f6d0e-0000-4000-8000-000000000001"),
        attempts=1,
        max_attempts=3,
        outcome="answered",
        duration_seconds=145,
        last_attempt_at=at("2025-01-15T10:35:00Z"),
        completed_at=at("2025-01-15T10:37:25Z"),
        do_not_call=False,
        timezone="EST",
        created_at=at("2025-01-15T10:30:00Z"),
    )
    later = at("2025-01-15T10:30:00Z") + timedelta(seconds=1)
    await factory.contacts(
        batch_id,
        agency_id,
        [{"status": "completed", "created_at": later + timedelta(seconds=i)} for i in range(3)]
        + [{"status": "failed", "created_at": later + timedelta(seconds=10)}]
        + [{"status": "queued", "created_at": later + timedelta(seconds=20 + i)} for i in range(5)],
    )
    return SeedBatch(batch_id, campaign_id, agent_id, answered)


ENVELOPE_KEYS = {"message", "status", "code", "errorMessage", "data"}


def batches_url(user_id: uuid.UUID | str) -> str:
    return f"/api/call/batches/{user_id}"


def details_url(batch_id: uuid.UUID | str) -> str:
    return f"/api/call/batch-details/{batch_id}"


def assert_error(response: httpx.Response, status: int, fragment: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["status"] is False
    assert body["code"] == status
    assert body["data"] is None
    assert isinstance(body["message"], str) and body["message"]
    assert fragment in body["errorMessage"], body["errorMessage"]
    return body
