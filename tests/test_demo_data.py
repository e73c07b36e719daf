from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from db.models import CallBatch, CampaignContact, batch_summary
from demo.load import load_demo_data
from demo.plan import DEMO_USER_ID
from tests.tenant import token_for


async def test_loading_demo_data_twice_inserts_it_once(connection: AsyncConnection) -> None:
    first = await load_demo_data(connection)
    contacts_after_first = (
        await connection.execute(select(func.count()).select_from(CampaignContact))
    ).scalar_one()

    second = await load_demo_data(connection)

    assert first.inserted and not second.inserted
    assert (second.batches, second.contacts, second.call_logs) == (
        first.batches,
        first.contacts,
        first.call_logs,
    )
    assert (
        await connection.execute(select(func.count()).select_from(CampaignContact))
    ).scalar_one() == contacts_after_first


async def test_demo_data_covers_every_status_and_a_soft_deleted_batch(
    connection: AsyncConnection,
) -> None:
    await load_demo_data(connection)

    batch_statuses = set((await connection.execute(select(CallBatch.status).distinct())).scalars())
    contact_statuses = set(
        (await connection.execute(select(CampaignContact.status).distinct())).scalars()
    )
    deleted = (
        await connection.execute(
            select(func.count()).select_from(CallBatch).where(CallBatch.deleted_at.is_not(None))
        )
    ).scalar_one()
    empty = (
        await connection.execute(
            select(func.count())
            .select_from(batch_summary)
            .where(batch_summary.c.total_contacts == 0)
        )
    ).scalar_one()

    assert batch_statuses == {
        "pending", "scheduled", "processing", "paused", "completed", "failed", "cancelled",
    }  # fmt: skip
    assert contact_statuses == {
        "pending",
        "queued",
        "in_progress",
        "completed",
        "failed",
        "skipped",
    }
    assert deleted >= 1
    assert empty >= 1


async def test_the_printed_demo_user_sees_demo_batches(connection: AsyncConnection, client) -> None:  # type: ignore[no-untyped-def]
    await load_demo_data(connection)

    response = await client.post(
        "/graphql",
        json={"query": "{ batches { totalCount nodes { name progressPercentage } } }"},
        headers={"Authorization": f"Bearer {token_for(DEMO_USER_ID)}"},
    )

    assert response.status_code == 200
    assert response.json()["data"]["batches"]["totalCount"] > 0
