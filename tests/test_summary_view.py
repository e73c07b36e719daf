"""`v_call_batch_summary` computes every count in PostgreSQL, with the contract's formulas."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from db.models import batch_summary
from tests.factories import Factory


async def _summary(connection: AsyncConnection, batch_id: object) -> dict[str, object] | None:
    row = (
        await connection.execute(select(batch_summary).where(batch_summary.c.id == batch_id))
    ).first()
    return dict(row._mapping) if row else None


async def test_seed_example_gives_41_percent_and_590_remaining(
    factory: Factory, connection: AsyncConnection
) -> None:
    agency = await factory.agency()
    batch = await factory.batch(agency)
    statuses = ["completed"] * 400 + ["failed"] * 10 + ["queued"] * 500 + ["in_progress"] * 5
    statuses += ["pending"] * 85
    await factory.contacts(
        batch,
        agency,
        [
            {"status": s, "outcome": "answered" if i < 300 and s == "completed" else None}
            for i, s in enumerate(statuses)
        ],
    )

    summary = await _summary(connection, batch)

    assert summary is not None
    assert summary["total_contacts"] == 1000
    assert (summary["completed"], summary["failed"], summary["skipped"]) == (400, 10, 0)
    assert (summary["queued"], summary["in_progress"], summary["pending"]) == (500, 5, 85)
    assert summary["progress_percentage"] == 41.0
    assert summary["remaining_count"] == 590
    assert summary["calls_picked"] == 300


async def test_batch_without_contacts_has_zero_progress_and_nothing_remaining(
    factory: Factory, connection: AsyncConnection
) -> None:
    agency = await factory.agency()
    batch = await factory.batch(agency)

    summary = await _summary(connection, batch)

    assert summary is not None
    assert (
        summary["total_contacts"],
        summary["progress_percentage"],
        summary["remaining_count"],
    ) == (
        0,
        0.0,
        0,
    )


async def test_progress_rounds_to_one_decimal(
    factory: Factory, connection: AsyncConnection
) -> None:
    agency = await factory.agency()
    batch = await factory.batch(agency)
    await factory.contacts(
        batch, agency, [{"status": "skipped"}, {"status": "pending"}, {"status": "pending"}]
    )

    summary = await _summary(connection, batch)

    assert summary is not None
    assert summary["progress_percentage"] == 33.3
    assert summary["remaining_count"] == 2


async def test_soft_deleted_batches_are_absent(
    factory: Factory, connection: AsyncConnection
) -> None:
    agency = await factory.agency()
    batch = await factory.batch(agency, deleted_at=datetime(2025, 2, 1, tzinfo=UTC))

    assert await _summary(connection, batch) is None
