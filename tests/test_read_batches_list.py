"""Oracle tests of `batches`: newest first, search on name or status (literal, any case),
status and campaign filters, soft-deleted and foreign batches never listed, `batch(id)`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.factories import T0, Factory
from tests.read_api_support import BATCHES_QUERY, error_codes
from tests.tenant import Tenant

BATCHES: list[dict[str, Any]] = [
    {"name": "Marketing Campaign May 2025", "status": "processing"},
    {"name": "Sales Outreach June 2025", "status": "paused"},
    {"name": "50% Renewals", "status": "completed"},
    {"name": "Renewals_Q1", "status": "pending"},
    {"name": "Back\\slash list", "status": "failed"},
    {"name": "marketing follow-up", "status": "cancelled"},
    {"name": "Scheduled calls", "status": "scheduled"},
    {"name": "Old deleted marketing", "status": "processing", "deleted": True},
]


@pytest.fixture
async def seeded(tenant: Tenant, other_tenant: Tenant, factory: Factory) -> list[dict[str, Any]]:
    campaign = await factory.campaign(tenant.agency_id, name="Q1 Outreach")
    rows = []
    for i, values in enumerate(BATCHES):
        row = {
            **values,
            "created_at": T0 + timedelta(days=i % 4, minutes=i),
            "campaign_id": campaign if i % 2 else None,
        }
        row["id"] = await factory.batch(
            tenant.agency_id,
            name=row["name"],
            status=row["status"],
            created_at=row["created_at"],
            campaign_id=row["campaign_id"],
            deleted_at=T0 if row.get("deleted") else None,
        )
        rows.append(row)
    await factory.batch(other_tenant.agency_id, name="Marketing of another agency")
    return rows


def _expected(rows: list[dict[str, Any]], keep: Any) -> list[str]:
    alive = [r for r in rows if not r.get("deleted") and keep(r)]
    alive.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
    return [str(r["id"]) for r in alive]


SEARCHES = ["marketing", "MARKETING", "june", "50%", "%", "_", "renewals_", "\\", "slash",
            "PAUSED", "progress", "cess", "sched", "2025", "zzz"]  # fmt: skip


@pytest.mark.parametrize("term", SEARCHES)
async def test_search_matches_name_or_status_literally_and_case_insensitively(
    tenant: Tenant, seeded: list[dict[str, Any]], term: str
) -> None:
    expected = _expected(
        seeded, lambda r: term.lower() in r["name"].lower() or term.lower() in r["status"]
    )

    data = await tenant.data(BATCHES_QUERY, {"search": term, "limit": 100})

    assert [n["id"] for n in data["batches"]["nodes"]] == expected
    assert data["batches"]["totalCount"] == len(expected)


@pytest.mark.parametrize("status", ["PROCESSING", "PAUSED", "COMPLETED", "CANCELLED", "FAILED"])
async def test_status_filter_lists_only_batches_of_that_status(
    tenant: Tenant, seeded: list[dict[str, Any]], status: str
) -> None:
    expected = _expected(seeded, lambda r: r["status"] == status.lower())

    data = await tenant.data(BATCHES_QUERY, {"status": status})

    assert [n["id"] for n in data["batches"]["nodes"]] == expected
    assert data["batches"]["pagination"]["total"] == len(expected)


async def test_campaign_filter_and_search_combine(
    tenant: Tenant, seeded: list[dict[str, Any]]
) -> None:
    campaign = next(r["campaign_id"] for r in seeded if r["campaign_id"])
    expected = _expected(seeded, lambda r: r["campaign_id"] == campaign and "2025" in r["name"])

    data = await tenant.data(BATCHES_QUERY, {"campaignId": str(campaign), "search": "2025"})

    assert [n["id"] for n in data["batches"]["nodes"]] == expected == [str(seeded[1]["id"])]


async def test_list_is_newest_first_without_deleted_or_foreign_batches(
    tenant: Tenant, seeded: list[dict[str, Any]]
) -> None:
    data = await tenant.data(BATCHES_QUERY, {})

    assert [n["id"] for n in data["batches"]["nodes"]] == _expected(seeded, lambda r: True)
    assert data["batches"]["totalCount"] == 7


async def test_an_unknown_campaign_lists_nothing_and_a_malformed_one_is_bad_user_input(
    tenant: Tenant, seeded: list[dict[str, Any]]
) -> None:
    data = await tenant.data(BATCHES_QUERY, {"campaignId": str(uuid.uuid4())})

    assert data["batches"]["nodes"] == []
    assert await error_codes(tenant, BATCHES_QUERY, {"campaignId": "nope"}) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("term", ["a\nb", "\x7f", "x" * 201])
async def test_batch_search_with_control_characters_or_too_long_is_bad_user_input(
    tenant: Tenant, term: str
) -> None:
    assert await error_codes(tenant, BATCHES_QUERY, {"search": term}) == ["BAD_USER_INPUT"]


async def test_batch_by_id_answers_its_fields_and_deleted_or_foreign_ones_are_not_found(
    tenant: Tenant, other_tenant: Tenant, seeded: list[dict[str, Any]], factory: Factory
) -> None:
    query = "query($id: ID!) { batch(id: $id) { id name status campaignName } }"
    deleted = next(r for r in seeded if r.get("deleted"))
    foreign = await factory.batch(other_tenant.agency_id)

    found = await tenant.data(query, {"id": str(seeded[1]["id"])})
    missing = [
        await tenant.query(query, {"id": str(batch_id)})
        for batch_id in (deleted["id"], foreign, uuid.uuid4())
    ]

    assert found["batch"] == {
        "id": str(seeded[1]["id"]),
        "name": "Sales Outreach June 2025",
        "status": "PAUSED",
        "campaignName": "Q1 Outreach",
    }
    for body in missing:
        assert body["data"] == {"batch": None}
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
    assert missing[0]["errors"][0]["message"] == missing[2]["errors"][0]["message"]
