"""Deterministic benchmark data, generated inside PostgreSQL with generate_series.

Ids are `md5(kind || n)::uuid`, so every run at one scale builds the same rows. The contact
and call-log indexes (all but those behind constraints) are dropped for the load and rebuilt
afterwards, which is several times faster than maintaining them row by row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scale:
    name: str
    agencies: int
    batches: int
    contacts: int
    big_batches: int
    big_batch_size: int


SCALES = {
    "S": Scale("S", agencies=4, batches=200, contacts=50_000, big_batches=1, big_batch_size=20_000),
    "L": Scale(
        "L", agencies=20, batches=5_000, contacts=2_000_000, big_batches=3, big_batch_size=100_000
    ),
}

SEARCH_TERM = "zeld"
"""Matches the first name `Zelda`: one contact in 100 (and nothing else in the search text)."""

FIRST_NAMES = (  # noqa: SIM905
    "Ada Alan Alice Amir Ana Anna Arjun Ben Bianca Carl Carla Chen Chloe Dan Dana Diego Dmitri "
    "Elena Eli Emma Eric Eva Fatima Felix Finn Grace Hana Hugo Ian Ines Ivan Jack Jana Jin Joao "
    "Jonas Julia Kai Kara Kenji Lara Leo Lina Liam Lucas Luis Maya Mei Mila Nadia Nina Noah Olga "
    "Omar Oscar Paula Pedro Priya Quinn Rafael Rita Rosa Ryan Sara Sean Sofia Sven Tara Theo "
    "Tomas Uma Vera Victor Wei Wendy Xavier Yara Yusuf Zack Zara Zelda Abel Beth Cyrus Dora "
    "Emil Flora Gus Hilda Iris Jude Karl Lotte Milo Nell Otto Pia Ravi Sami Tess"
).split()
assert len(FIRST_NAMES) == 100 and FIRST_NAMES.count("Zelda") == 1

LAST_NAMES = "Smith Jones Brown Garcia Miller Davis Wilson Moore Taylor Clark Lewis Walker".split()  # noqa: SIM905


def _uuid(kind: str, n: str) -> str:
    return f"md5('{kind}' || {n})::uuid"


def statements(scale: Scale) -> list[tuple[str, str]]:
    """(label, SQL) in load order."""
    s = scale
    big_total = s.big_batches * s.big_batch_size
    small_batches = s.batches - s.big_batches
    firsts = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST_NAMES) + "]"
    lasts = "ARRAY[" + ",".join(f"'{n}'" for n in LAST_NAMES) + "]"
    # Agency 1 is the largest: a quarter of all batches, and the big ones.
    agency_of_batch = (
        f"CASE WHEN g <= {s.big_batches} OR g % 4 = 0 THEN 1 ELSE 1 + g % {s.agencies} END"
    )
    batch_of_contact = (
        f"CASE WHEN g <= {big_total} THEN 1 + (g - 1) / {s.big_batch_size} "
        f"ELSE {s.big_batches + 1} + g % {small_batches} END"
    )
    return [
        (
            "agencies, users, campaigns, agents",
            f"""
            INSERT INTO agencies (id, name, created_at)
            SELECT {_uuid("agency", "g")}, 'Agency ' || g, timestamptz '2025-01-01' + g * interval '1 hour'
            FROM generate_series(1, {s.agencies}) g;
            INSERT INTO users (id, agency_id, email)
            SELECT {_uuid("user", "g")}, {_uuid("agency", "g")}, 'bench' || g || '@example.com'
            FROM generate_series(1, {s.agencies}) g;
            INSERT INTO campaigns (id, agency_id, name)
            SELECT {_uuid("campaign", "g")}, {_uuid("agency", "g")}, 'Campaign ' || g
            FROM generate_series(1, {s.agencies}) g;
            INSERT INTO agent_mappings (id, agency_id, name)
            SELECT {_uuid("agent", "g")}, {_uuid("agency", "g")}, 'Agent ' || g
            FROM generate_series(1, {s.agencies}) g;
            """,
        ),
        (
            "batches",
            f"""
            INSERT INTO call_batches (id, agency_id, campaign_id, agent_mapping_id, name,
                from_number, status, calls_per_minute, max_concurrent, created_at, updated_at)
            SELECT {_uuid("batch", "g")}, {_uuid("agency", "a")}, {_uuid("campaign", "a")},
                   {_uuid("agent", "a")}, 'Batch ' || g, '+1800555' || lpad(g::text, 4, '0'),
                   (ARRAY['pending','scheduled','processing','paused','completed','failed',
                          'cancelled'])[1 + g % 7],
                   10 + g % 50, 1 + g % 10,
                   timestamptz '2025-01-01' + g * interval '7 minutes',
                   timestamptz '2025-01-01' + g * interval '7 minutes'
            FROM generate_series(1, {s.batches}) g, LATERAL (SELECT {agency_of_batch} AS a) x
            """,
        ),
        (
            "contacts",
            f"""
            INSERT INTO campaign_contacts (id, batch_id, agency_id, phone_number, first_name,
                last_name, email, company, title, account_id, priority, status, attempts,
                max_attempts, outcome, duration_seconds, last_attempt_at, completed_at,
                custom_data, created_at)
            SELECT {_uuid("contact", "g")}, b.id, b.agency_id,
                   '+1555' || lpad(g::text, 8, '0'),
                   ({firsts})[1 + g % 100], ({lasts})[1 + g % 12],
                   'c' || g || '@example.com', 'Company ' || g % 997, 'Title ' || g % 13,
                   'ACC' || g % 50000,
                   (ARRAY['low','normal','high'])[1 + g % 3],
                   st.status,
                   CASE WHEN st.status = 'pending' THEN 0 ELSE 1 + g % 3 END, 3,
                   CASE WHEN st.status = 'completed' AND g % 3 = 0 THEN 'answered'
                        WHEN st.status = 'completed' THEN 'voicemail'
                        WHEN st.status = 'failed' THEN 'no_answer' END,
                   CASE WHEN st.status IN ('completed', 'failed') THEN 5 + g % 600 END,
                   CASE WHEN st.status <> 'pending'
                        THEN timestamptz '2025-03-01' + g * interval '2 seconds' END,
                   CASE WHEN st.status = 'completed'
                        THEN timestamptz '2025-03-01' + g * interval '2 seconds' END,
                   jsonb_build_object('crm_id', 'CRM' || g,
                                      'segment', (ARRAY['retail','smb','enterprise'])[1 + g % 3]),
                   timestamptz '2025-02-01' + g * interval '1 second'
            FROM generate_series(1, {s.contacts}) g,
                 LATERAL (SELECT (ARRAY['completed','completed','completed','completed','failed',
                                        'queued','in_progress','skipped','pending','pending'])
                                 [1 + (g / 7) % 10] AS status) st,
                 LATERAL (SELECT {_uuid("batch", batch_of_contact)} AS id) bx
                 JOIN call_batches b ON b.id = bx.id
            """,
        ),
        (
            "call logs",
            """
            INSERT INTO call_logs (contact_id, agency_id, call_status, duration_seconds,
                recording_url, transcript, created_at)
            SELECT id, agency_id,
                   CASE status WHEN 'completed' THEN 'completed' WHEN 'failed' THEN 'no-answer'
                               ELSE 'busy' END,
                   duration_seconds,
                   CASE WHEN outcome = 'answered'
                        THEN 'https://recordings.example.com/' || id || '.mp3' END,
                   CASE WHEN outcome = 'answered' THEN 'Hello, this is a short transcript.' END,
                   last_attempt_at
            FROM campaign_contacts WHERE attempts > 0
            """,
        ),
    ]


INDEXES_TO_REBUILD = """
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname IN ('campaign_contacts', 'call_logs', 'call_batches')
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


async def generate(connection: Any, scale: Scale, log: Any = print) -> float:
    """Fill an empty, migrated database (an asyncpg connection as the owner); returns seconds."""
    started = time.monotonic()
    await connection.execute("SET maintenance_work_mem = '512MB'")
    await connection.execute("SET synchronous_commit = off")
    indexes = await connection.fetch(INDEXES_TO_REBUILD)
    async with connection.transaction():
        for row in indexes:
            await connection.execute(f"DROP INDEX {row['name']}")
        for label, sql in statements(scale):
            step = time.monotonic()
            await connection.execute(sql)
            log(f"  {label}: {time.monotonic() - step:.1f}s")
    step = time.monotonic()
    for row in indexes:
        await connection.execute(row["definition"])
    log(f"  {len(indexes)} indexes rebuilt: {time.monotonic() - step:.1f}s")
    await connection.execute("VACUUM ANALYZE")
    return time.monotonic() - started
