"""Per-batch counters (`call_batch_counters`) agree with a recount, whoever writes and however."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.contacts import ContactFilter, count_contacts
from db.counters import recount, recount_agencies
from db.models import CONTACT_STATUSES, CallBatchCounter, batch_summary
from tests.factories import Factory
from tests.tenant import Tenant

COUNTS = ("total_contacts", *CONTACT_STATUSES, "calls_picked")

RECOUNT = text(
    """
    SELECT b.id,
           count(c.id)::int AS total_contacts,
           count(*) FILTER (WHERE c.status = 'pending')::int AS pending,
           count(*) FILTER (WHERE c.status = 'queued')::int AS queued,
           count(*) FILTER (WHERE c.status = 'in_progress')::int AS in_progress,
           count(*) FILTER (WHERE c.status = 'completed')::int AS completed,
           count(*) FILTER (WHERE c.status = 'failed')::int AS failed,
           count(*) FILTER (WHERE c.status = 'skipped')::int AS skipped,
           count(*) FILTER (WHERE c.outcome = 'answered')::int AS calls_picked
    FROM call_batches b LEFT JOIN campaign_contacts c ON c.batch_id = b.id
    WHERE b.agency_id = :agency_id
    GROUP BY b.id
    """
)


async def _recounted(
    connection: AsyncConnection, agency_id: uuid.UUID
) -> dict[Any, tuple[int, ...]]:
    rows = await connection.execute(RECOUNT, {"agency_id": agency_id})
    return {row.id: tuple(getattr(row, name) for name in COUNTS) for row in rows}


async def _from_view(
    connection: AsyncConnection, agency_id: uuid.UUID
) -> dict[Any, tuple[int, ...]]:
    v = batch_summary.c
    rows = await connection.execute(
        select(v.id, *(v[name] for name in COUNTS)).where(v.agency_id == agency_id)
    )
    return {row.id: tuple(row[1:]) for row in rows}


async def _contacts(
    factory: Factory, batch: uuid.UUID, agency: uuid.UUID, n: int
) -> list[uuid.UUID]:
    rows = [
        {"status": CONTACT_STATUSES[i % 6], "outcome": "answered" if i % 4 == 0 else None}
        for i in range(n)
    ]
    return await factory.contacts(batch, agency, rows)


async def test_inserts_updates_moves_and_deletes_keep_view_counts_equal_to_a_recount(
    factory: Factory, connection: AsyncConnection
) -> None:
    agency = await factory.agency()
    first, second = await factory.batch(agency), await factory.batch(agency)
    ids = await _contacts(factory, first, agency, 30)
    await _contacts(factory, second, agency, 7)

    statements: list[tuple[str, dict[str, Any]]] = [
        ("UPDATE campaign_contacts SET status = 'completed', outcome = 'answered' "
         "WHERE id = ANY(:ids)", {"ids": ids[:10]}),
        ("UPDATE campaign_contacts SET attempts = attempts + 1 WHERE id = ANY(:ids)",
         {"ids": ids}),
        ("UPDATE campaign_contacts SET batch_id = :to WHERE id = ANY(:ids)",
         {"to": second, "ids": ids[10:15]}),
        ("DELETE FROM campaign_contacts WHERE id = ANY(:ids)", {"ids": ids[15:20]}),
        ("UPDATE campaign_contacts SET outcome = NULL WHERE id = ANY(:ids)", {"ids": ids[:3]}),
    ]  # fmt: skip
    for statement, parameters in statements:
        await connection.execute(text(statement), parameters)
        assert await _from_view(connection, agency) == await _recounted(connection, agency)

    counts = await _from_view(connection, agency)
    assert counts[first][0] == 20 and counts[second][0] == 12


async def test_truncate_empties_every_counter(
    factory: Factory, connection: AsyncConnection
) -> None:
    agency = await factory.agency()
    batch = await factory.batch(agency)
    await _contacts(factory, batch, agency, 5)

    await connection.execute(text("TRUNCATE campaign_contacts CASCADE"))

    assert (await _from_view(connection, agency))[batch] == (0,) * len(COUNTS)


async def test_repair_recomputes_counters_that_were_tampered_with(
    factory: Factory, connection: AsyncConnection
) -> None:
    agency = await factory.agency()
    batch, untouched = await factory.batch(agency), await factory.batch(agency)
    await _contacts(factory, batch, agency, 12)
    await _contacts(factory, untouched, agency, 3)
    await connection.execute(
        text(
            "UPDATE call_batch_counters SET total_contacts = 999, completed = 0 WHERE batch_id = :b"
        ),
        {"b": batch},
    )

    assert await recount(connection) == 1
    assert await _from_view(connection, agency) == await _recounted(connection, agency)
    assert await recount(connection) == 0


async def test_count_contacts_reads_the_counters_for_no_filter_and_a_status_filter(
    factory: Factory, connection: AsyncConnection, sessions: Any
) -> None:
    agency = await factory.agency()
    batch = await factory.batch(agency)
    await _contacts(factory, batch, agency, 12)
    # Counters that disagree with the rows prove which path answered.
    await connection.execute(
        text(
            "UPDATE call_batch_counters SET total_contacts = 1000, queued = 500 WHERE batch_id = :b"
        ),
        {"b": batch},
    )
    async with sessions() as session:
        assert await count_contacts(session, agency, batch, ContactFilter()) == 1000
        assert await count_contacts(session, agency, batch, ContactFilter(status="queued")) == 500
        assert await count_contacts(session, agency, batch, ContactFilter(outcome="answered")) == 3
        assert await count_contacts(session, agency, uuid.uuid4(), ContactFilter()) == 0


@pytest.fixture
async def committed_agency(engine: AsyncEngine) -> AsyncIterator[tuple[uuid.UUID, list[uuid.UUID]]]:
    """An agency with four batches, committed (writers on other connections must see it)."""
    agency = uuid.uuid4()
    batches = [uuid.uuid4() for _ in range(4)]
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO agencies (id, name) VALUES (:id, 'counters test')"), {"id": agency}
        )
        for batch in batches:
            await connection.execute(
                text("INSERT INTO call_batches (id, agency_id, name) VALUES (:id, :agency, 'b')"),
                {"id": batch, "agency": agency},
            )
    try:
        yield agency, batches
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM agencies WHERE id = :id"), {"id": agency})


async def _writer(
    engine: AsyncEngine, seed: int, agency: uuid.UUID, batches: list[uuid.UUID]
) -> None:
    """A dialer: bulk COPY, then many short transactions of multi-batch updates and deletes.

    Each writer touches only its own contacts (so contact row locks never conflict) while all of
    them share the four batches' counter rows: the contention the triggers must survive.
    """
    rng = random.Random(seed)
    now = datetime.now(UTC)
    mine = [uuid.uuid4() for _ in range(120)]
    async with engine.connect() as connection:
        raw: Any = (await connection.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(
            "campaign_contacts",
            records=[
                (cid, rng.choice(batches), agency, f"+1{seed:03d}{i:07d}", "pending", now)
                for i, cid in enumerate(mine)
            ],
            columns=["id", "batch_id", "agency_id", "phone_number", "status", "created_at"],
        )
        for _ in range(40):
            picked = rng.sample(mine, 8)
            action = rng.random()
            if action < 0.6:
                await connection.execute(
                    text("UPDATE campaign_contacts SET status = :s, outcome = :o, "
                         "attempts = attempts + 1 WHERE id = ANY(:ids)"),
                    {"s": rng.choice(CONTACT_STATUSES), "o": rng.choice(["answered", None]),
                     "ids": picked},
                )  # fmt: skip
            elif action < 0.75:
                await connection.execute(
                    text("UPDATE campaign_contacts SET batch_id = :b WHERE id = ANY(:ids)"),
                    {"b": rng.choice(batches), "ids": picked},
                )
            elif action < 0.85:
                await connection.execute(
                    text("DELETE FROM campaign_contacts WHERE id = ANY(:ids)"), {"ids": picked}
                )
                mine = [cid for cid in mine if cid not in picked]
            else:
                fresh = [uuid.uuid4() for _ in range(5)]
                await connection.execute(
                    text("INSERT INTO campaign_contacts (id, batch_id, agency_id, phone_number, "
                         "status) SELECT unnest(CAST(:ids AS uuid[])), :b, :a, '+1000', 'queued'"),
                    {"ids": fresh, "b": rng.choice(batches), "a": agency},
                )  # fmt: skip
                mine += fresh
            await connection.commit()
            if len(mine) < 10:
                break


async def test_concurrent_writers_lose_no_update_and_do_not_deadlock(
    engine: AsyncEngine, committed_agency: tuple[uuid.UUID, list[uuid.UUID]]
) -> None:
    agency, batches = committed_agency

    await asyncio.wait_for(
        asyncio.gather(*(_writer(engine, seed, agency, batches) for seed in range(6))),
        timeout=60,
    )

    async with engine.connect() as connection:
        recounted = await _recounted(connection, agency)
        assert await _from_view(connection, agency) == recounted
        assert sum(counts[0] for counts in recounted.values()) > 0
        stored = await connection.execute(
            select(CallBatchCounter.batch_id).where(CallBatchCounter.agency_id == agency)
        )
        assert set(stored.scalars()) == set(batches)
        assert await recount(connection) == 0
        await connection.rollback()


LIVE_BATCHES = text(
    """
    SELECT a.id,
           (SELECT count(*) FROM call_batches b
            WHERE b.agency_id = a.id AND b.deleted_at IS NULL)::int AS counted,
           coalesce((SELECT k.live_batches FROM agency_batch_counters k
                     WHERE k.agency_id = a.id), 0) AS kept
    FROM agencies a WHERE a.id = ANY(:agencies)
    """
)


async def _live_batches(
    connection: AsyncConnection, *agencies: uuid.UUID
) -> dict[uuid.UUID, tuple[int, int]]:
    """Each agency's (counted, kept) live batches."""
    rows = await connection.execute(LIVE_BATCHES, {"agencies": list(agencies)})
    return {row.id: (row.counted, row.kept) for row in rows}


async def test_batch_writes_of_every_kind_keep_each_agencys_live_batches_equal_to_a_count(
    factory: Factory, connection: AsyncConnection
) -> None:
    first, second = await factory.agency(), await factory.agency()
    batches = [await factory.batch(first) for _ in range(4)]
    await factory.batch(second)
    now = datetime.now(UTC)

    statements: list[tuple[str, dict[str, Any]]] = [
        ("UPDATE call_batches SET deleted_at = :now WHERE id = ANY(:ids)",
         {"now": now, "ids": batches[:2]}),
        ("UPDATE call_batches SET name = name || ' (renamed)' WHERE agency_id = :a", {"a": first}),
        ("UPDATE call_batches SET deleted_at = NULL WHERE id = :id", {"id": batches[0]}),
        ("UPDATE call_batches SET agency_id = :to WHERE id = ANY(:ids)",
         {"to": second, "ids": batches[2:4]}),
        ("DELETE FROM call_batches WHERE id = ANY(:ids)", {"ids": batches[1:3]}),
        ("INSERT INTO call_batches (agency_id, name, from_number) "
         "SELECT :a, 'bulk ' || n, '+15550000000' FROM generate_series(1, 5) n", {"a": first}),
        ("UPDATE call_batches SET deleted_at = :now WHERE agency_id = :a AND name LIKE 'bulk%'"
         " AND name <> 'bulk 3'", {"now": now, "a": first}),
    ]  # fmt: skip
    for statement, parameters in statements:
        await connection.execute(text(statement), parameters)
        live = await _live_batches(connection, first, second)
        assert all(counted == kept for counted, kept in live.values()), (statement, live)

    assert await _live_batches(connection, first, second) == {first: (2, 2), second: (2, 2)}


async def test_truncating_batches_empties_every_agency_counter(
    factory: Factory, connection: AsyncConnection
) -> None:
    agency = await factory.agency()
    await factory.batch(agency)

    await connection.execute(text("TRUNCATE call_batches CASCADE"))

    assert await _live_batches(connection, agency) == {agency: (0, 0)}


async def test_repair_recomputes_agency_counters_that_were_tampered_with(
    factory: Factory, connection: AsyncConnection
) -> None:
    agency, untouched = await factory.agency(), await factory.agency()
    for owner in (agency, agency, untouched):
        await factory.batch(owner)
    await connection.execute(
        text("UPDATE agency_batch_counters SET live_batches = 99 WHERE agency_id = :a"),
        {"a": agency},
    )

    assert await recount_agencies(connection) == 1
    assert await _live_batches(connection, agency, untouched) == {
        agency: (2, 2),
        untouched: (1, 1),
    }
    assert await recount_agencies(connection) == 0


async def test_an_unfiltered_batch_list_total_reads_the_agencys_counter(
    factory: Factory, connection: AsyncConnection, tenant: Tenant
) -> None:
    for status in ("pending", "pending", "processing"):
        await factory.batch(tenant.agency_id, status=status)
    # A counter that disagrees with the rows proves which path answered.
    await connection.execute(
        text("UPDATE agency_batch_counters SET live_batches = 1000 WHERE agency_id = :a"),
        {"a": tenant.agency_id},
    )

    data = await tenant.data(
        "{ all: batches { totalCount } processing: batches(status: PROCESSING) { totalCount } }"
    )

    assert data == {"all": {"totalCount": 1000}, "processing": {"totalCount": 1}}
