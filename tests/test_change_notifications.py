"""The NOTIFYs of migration 0005, seen by a plain LISTEN connection: one per changed batch per
statement (and per transaction), none for statements that change no count or batch column."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from db.notifications import CHANNEL
from tests.committed_data import CommittedData, committed

__all__ = ["committed"]


class Heard:
    def __init__(self) -> None:
        self.payloads: list[str] = []

    def __call__(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self.payloads.append(payload)

    async def settled(self) -> list[str]:
        await asyncio.sleep(0.3)
        heard, self.payloads = self.payloads, []
        return heard


@pytest.fixture
async def heard(database_url: str) -> AsyncIterator[Heard]:
    connection = await asyncpg.connect(make_url(database_url).render_as_string(hide_password=False))
    listener = Heard()
    await connection.add_listener(CHANNEL, listener)
    try:
        yield listener
    finally:
        await connection.close()


async def test_one_statement_over_many_contacts_notifies_once_per_batch(
    committed: CommittedData, heard: Heard
) -> None:
    agency_id, _ = await committed.agency_with_user()
    first = await committed.batch(agency_id, contacts=300)
    second = await committed.batch(agency_id, contacts=300)
    await heard.settled()

    await committed.execute(
        "UPDATE campaign_contacts SET status = 'completed' WHERE batch_id IN (:a, :b)",
        a=first,
        b=second,
    )
    assert sorted(await heard.settled()) == sorted(f"{agency_id}:{b}" for b in (first, second))


async def test_a_transaction_of_many_statements_notifies_once_per_batch(
    committed: CommittedData, heard: Heard
) -> None:
    agency_id, _ = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id, contacts=50)
    await heard.settled()
    statements = "; ".join(
        f"UPDATE campaign_contacts SET status = '{s}' WHERE batch_id = '{batch_id}'"
        for s in ("queued", "in_progress", "completed") * 10
    )
    await committed.execute(f"DO $$ BEGIN {statements}; END $$")
    assert await heard.settled() == [f"{agency_id}:{batch_id}"]


async def test_statements_that_change_no_count_or_batch_column_notify_nobody(
    committed: CommittedData, heard: Heard
) -> None:
    agency_id, _ = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id, contacts=5)
    await heard.settled()
    await committed.execute(
        "UPDATE campaign_contacts SET first_name = 'Ada' WHERE batch_id = :id", id=batch_id
    )
    await committed.execute("UPDATE call_batches SET status = status WHERE id = :id", id=batch_id)
    assert await heard.settled() == []

    await committed.execute("UPDATE call_batches SET status = 'paused' WHERE id = :id", id=batch_id)
    await committed.execute("DELETE FROM campaign_contacts WHERE batch_id = :id", id=batch_id)
    assert await heard.settled() == [f"{agency_id}:{batch_id}"] * 2


async def test_new_and_deleted_batches_notify(committed: CommittedData, heard: Heard) -> None:
    agency_id, _ = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id)
    assert await heard.settled() == [f"{agency_id}:{batch_id}"]
    await committed.execute("DELETE FROM call_batches WHERE id = :id", id=batch_id)
    assert await heard.settled() == [f"{agency_id}:{batch_id}"]
