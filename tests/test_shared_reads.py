"""Subscribers of one batch woken by the same change share one snapshot query; reads never
cross agencies, and a read that started before a subscriber was woken is never reused for it."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import session_factory
from schema.shared_reads import SharedReads
from tests.committed_data import CommittedData, committed

__all__ = ["committed"]


async def test_concurrent_reads_of_one_batch_share_one_query(
    engine: AsyncEngine, committed: CommittedData
) -> None:
    agency_id, _ = await committed.agency_with_user()
    other_agency, _ = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id, contacts=3)
    reads = SharedReads(session_factory(engine), statement_timeout_ms=5000)

    woken = time.monotonic()
    rows = await asyncio.gather(*(reads.batch(agency_id, batch_id, since=woken) for _ in range(50)))
    assert reads.queries == 1
    assert {row.total_contacts for row in rows if row is not None} == {3}

    await committed.execute(
        "DELETE FROM campaign_contacts WHERE id IN "
        "(SELECT id FROM campaign_contacts WHERE batch_id = :id LIMIT 1)",
        id=batch_id,
    )
    later = time.monotonic()
    fresh = await reads.batch(agency_id, batch_id, since=later)
    assert reads.queries == 2 and fresh is not None and fresh.total_contacts == 2
    assert await reads.batch(agency_id, batch_id, since=woken) is not None
    assert reads.queries == 2  # the newer read serves an older wake-up too

    assert await reads.batch(other_agency, batch_id, since=woken) is None
    assert reads.queries == 3
