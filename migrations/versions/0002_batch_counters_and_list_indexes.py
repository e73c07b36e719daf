"""Per-batch contact counters kept by PostgreSQL, and an index for every list path.

`v_call_batch_summary` used to count a batch's contacts on every read (a LATERAL aggregate over
`campaign_contacts`): a 100,000-contact batch cost a 100,000-row scan per view row. Now
`call_batch_counters` holds one row per batch (total, per status, answered) maintained by
statement-level triggers on `campaign_contacts`, so the view reads one row per batch whatever
its size. The triggers fire for every writer (the app, psql, a dialer, COPY), so the counters
stay the database's truth.

Concurrency: each statement aggregates its transition tables per batch and applies the deltas
with one `INSERT … ON CONFLICT DO UPDATE` in batch-id order. Counter rows are therefore locked
in a fixed order (no deadlock between two statements touching the same batches), and the
increment is done by the row update itself (no lost update under READ COMMITTED). Statements
that change neither status, outcome nor batch produce all-zero deltas and write nothing.
`recount_batch_counters()` recomputes counters from scratch (repair; `python -m db.counters`).

Indexes: contacts of one batch by every sort key of `db.contacts` in both directions, each
ending with the `id` tie-break (NULLS LAST both ways, as the API sorts); trigram (pg_trgm)
indexes for contact and batch search, created only where the server offers pg_trgm (results are
the same without them; only slower).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "callbatch_app"
CURRENT_AGENCY = "NULLIF(current_setting('app.agency_id', true), '')::uuid"
CONTACT_STATUSES = ("pending", "queued", "in_progress", "completed", "failed", "skipped")
COUNTER_COLUMNS = ("total_contacts", *CONTACT_STATUSES, "calls_picked")


def _counted(status_or_outcome: str) -> str:
    """The SQL that counts one counter column over rows `r` with a `sign` (+1 / -1)."""
    if status_or_outcome == "total_contacts":
        return "sum(r.sign)"
    if status_or_outcome == "calls_picked":
        return "sum(CASE WHEN r.outcome = 'answered' THEN r.sign ELSE 0 END)"
    return f"sum(CASE WHEN r.status = '{status_or_outcome}' THEN r.sign ELSE 0 END)"


def _apply_deltas(changes: str) -> str:
    """Add the per-batch deltas of `changes` (batch_id, status, outcome, sign) to the counters."""
    columns = ", ".join(COUNTER_COLUMNS)
    sums = ",\n               ".join(f"{_counted(c)}::int AS {c}" for c in COUNTER_COLUMNS)
    nonzero = " OR ".join(f"d.{c} <> 0" for c in COUNTER_COLUMNS)
    increments = ",\n            ".join(f"{c} = k.{c} + excluded.{c}" for c in COUNTER_COLUMNS)
    return f"""
        INSERT INTO call_batch_counters AS k (batch_id, agency_id, {columns})
        SELECT d.batch_id, b.agency_id, {", ".join(f"d.{c}" for c in COUNTER_COLUMNS)}
        FROM (
            SELECT r.batch_id,
               {sums}
            FROM ({changes}) r
            GROUP BY r.batch_id
        ) d
        JOIN call_batches b ON b.id = d.batch_id
        WHERE {nonzero}
        ORDER BY d.batch_id
        ON CONFLICT (batch_id) DO UPDATE SET
            agency_id = excluded.agency_id,
            {increments}"""


NEW_ROWS = "SELECT batch_id, status, outcome, 1 AS sign FROM new_rows"
OLD_ROWS = "SELECT batch_id, status, outcome, -1 AS sign FROM old_rows"

COUNTER_TRIGGER_FUNCTION = f"""
CREATE FUNCTION call_batch_counters_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_apply_deltas(NEW_ROWS)};
    ELSIF TG_OP = 'UPDATE' THEN
        {_apply_deltas(NEW_ROWS + " UNION ALL " + OLD_ROWS)};
    ELSIF TG_OP = 'DELETE' THEN
        {_apply_deltas(OLD_ROWS)};
    END IF;
    RETURN NULL;
END
$$
"""
"""SECURITY DEFINER: any writer of contacts (even one that may not write counters) keeps them right."""

TRUNCATE_TRIGGER_FUNCTION = """
CREATE FUNCTION call_batch_counters_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM call_batch_counters;
    RETURN NULL;
END
$$
"""

COUNTER_TRIGGERS = (
    """CREATE TRIGGER call_batch_counters_insert AFTER INSERT ON campaign_contacts
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION call_batch_counters_apply()""",
    """CREATE TRIGGER call_batch_counters_update AFTER UPDATE ON campaign_contacts
       REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION call_batch_counters_apply()""",
    """CREATE TRIGGER call_batch_counters_delete AFTER DELETE ON campaign_contacts
       REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION call_batch_counters_apply()""",
    """CREATE TRIGGER call_batch_counters_truncate AFTER TRUNCATE ON campaign_contacts
       FOR EACH STATEMENT EXECUTE FUNCTION call_batch_counters_truncate()""",
)


def _recount_function() -> str:
    columns = ", ".join(COUNTER_COLUMNS)
    counts = ",\n            ".join(
        "count(r.id)::int"
        if c == "total_contacts"
        else f"coalesce({_counted(c).replace('r.sign', '1')}, 0)::int"
        for c in COUNTER_COLUMNS
    )
    differs = " OR ".join(f"k.{c} IS DISTINCT FROM excluded.{c}" for c in COUNTER_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COUNTER_COLUMNS)
    return f"""
CREATE FUNCTION recount_batch_counters(only_batch uuid DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    corrected integer;
BEGIN
    -- SHARE mode waits for running writers and holds new ones off until this transaction ends,
    -- so the recount sees a settled table; readers are not blocked.
    LOCK TABLE campaign_contacts IN SHARE MODE;
    INSERT INTO call_batch_counters AS k (batch_id, agency_id, {columns})
    SELECT b.id, b.agency_id,
            {counts}
    FROM call_batches b
    LEFT JOIN campaign_contacts r ON r.batch_id = b.id
    WHERE only_batch IS NULL OR b.id = only_batch
    GROUP BY b.id, b.agency_id
    ORDER BY b.id
    ON CONFLICT (batch_id) DO UPDATE SET agency_id = excluded.agency_id, {updates}
    WHERE k.agency_id IS DISTINCT FROM excluded.agency_id OR {differs};
    GET DIAGNOSTICS corrected = ROW_COUNT;
    RETURN corrected;
END
$$
"""


RECOUNT_FUNCTION = _recount_function()
"""Recompute every batch's counters (or one batch's); returns how many rows it had to correct."""

SUMMARY_VIEW_WITH_COUNTERS = """
CREATE OR REPLACE VIEW v_call_batch_summary WITH (security_invoker = true) AS
SELECT
    b.id, b.agency_id, b.campaign_id, b.agent_mapping_id, b.name, b.from_number, b.status,
    b.calls_per_minute, b.max_concurrent, b.scheduled_for, b.created_at, b.started_at,
    b.updated_at, b.deleted_at,
    c.name AS campaign_name,
    a.name AS agent_name,
    s.total_contacts, s.pending, s.queued, s.in_progress, s.completed, s.failed, s.skipped,
    s.calls_picked,
    CASE WHEN s.total_contacts = 0 THEN 0.0
         ELSE round(100.0 * (s.completed + s.failed + s.skipped) / s.total_contacts, 1)
    END::double precision AS progress_percentage,
    s.total_contacts - s.completed - s.failed - s.skipped AS remaining_count
FROM call_batches b
LEFT JOIN campaigns c ON c.id = b.campaign_id
LEFT JOIN agent_mappings a ON a.id = b.agent_mapping_id
LEFT JOIN call_batch_counters k ON k.batch_id = b.id
CROSS JOIN LATERAL (
    SELECT
        coalesce(k.total_contacts, 0) AS total_contacts,
        coalesce(k.pending, 0) AS pending,
        coalesce(k.queued, 0) AS queued,
        coalesce(k.in_progress, 0) AS in_progress,
        coalesce(k.completed, 0) AS completed,
        coalesce(k.failed, 0) AS failed,
        coalesce(k.skipped, 0) AS skipped,
        coalesce(k.calls_picked, 0) AS calls_picked
) s
WHERE b.deleted_at IS NULL
"""

SUMMARY_VIEW_COUNTING = """
CREATE OR REPLACE VIEW v_call_batch_summary WITH (security_invoker = true) AS
SELECT
    b.id, b.agency_id, b.campaign_id, b.agent_mapping_id, b.name, b.from_number, b.status,
    b.calls_per_minute, b.max_concurrent, b.scheduled_for, b.created_at, b.started_at,
    b.updated_at, b.deleted_at,
    c.name AS campaign_name,
    a.name AS agent_name,
    s.total_contacts, s.pending, s.queued, s.in_progress, s.completed, s.failed, s.skipped,
    s.calls_picked,
    CASE WHEN s.total_contacts = 0 THEN 0.0
         ELSE round(100.0 * (s.completed + s.failed + s.skipped) / s.total_contacts, 1)
    END::double precision AS progress_percentage,
    s.total_contacts - s.completed - s.failed - s.skipped AS remaining_count
FROM call_batches b
LEFT JOIN campaigns c ON c.id = b.campaign_id
LEFT JOIN agent_mappings a ON a.id = b.agent_mapping_id
CROSS JOIN LATERAL (
    SELECT
        count(*)::int AS total_contacts,
        (count(*) FILTER (WHERE cc.status = 'pending'))::int AS pending,
        (count(*) FILTER (WHERE cc.status = 'queued'))::int AS queued,
        (count(*) FILTER (WHERE cc.status = 'in_progress'))::int AS in_progress,
        (count(*) FILTER (WHERE cc.status = 'completed'))::int AS completed,
        (count(*) FILTER (WHERE cc.status = 'failed'))::int AS failed,
        (count(*) FILTER (WHERE cc.status = 'skipped'))::int AS skipped,
        (count(*) FILTER (WHERE cc.outcome = 'answered'))::int AS calls_picked
    FROM campaign_contacts cc
    WHERE cc.batch_id = b.id
) s
WHERE b.deleted_at IS NULL
"""
"""The view of revision 0001, restored by the downgrade."""

CONTACT_NAME_FUNCTION = """
CREATE FUNCTION contact_name(first_name text, last_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN NULLIF(concat_ws(' ', first_name, last_name), '')
"""
"""A contact's `name`. `concat_ws` is only STABLE (it takes "any"); over text it is immutable,
so this wrapper can be indexed. db/contacts.py `NAME_EXPRESSION` calls it."""

NAME = "contact_name(first_name, last_name)"
STATUS_RANK = (
    "(CASE status WHEN 'pending' THEN 0 WHEN 'queued' THEN 1 WHEN 'in_progress' THEN 2 "
    "WHEN 'completed' THEN 3 WHEN 'failed' THEN 4 WHEN 'skipped' THEN 5 END)"
)
PRIORITY_RANK = "(CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 END)"

# (index name suffix, sort expression, nullable) — exactly the expressions of db/contacts.py.
SORT_KEYS = (
    ("created", "created_at", False),
    ("name", NAME, True),
    ("phone", "phone_number", False),
    ("status", STATUS_RANK, False),
    ("priority", PRIORITY_RANK, False),
    ("attempts", "attempts", False),
    ("last_attempt", "last_attempt_at", True),
    ("completed", "completed_at", True),
    ("duration", "duration_seconds", True),
)


def _sort_indexes() -> dict[str, str]:
    """name → CREATE INDEX, for both directions of each sort key (ascending created_at exists)."""
    indexes = {}
    for suffix, expression, nullable in SORT_KEYS:
        for direction in ("ASC", "DESC"):
            if suffix == "created" and direction == "ASC":
                continue
            nulls = " NULLS LAST" if nullable else ""
            name = f"ix_campaign_contacts_batch_{suffix}_{direction.lower()}"
            indexes[name] = (
                f"CREATE INDEX {name} ON campaign_contacts "
                f"(batch_id, {expression} {direction}{nulls}, id)"
            )
    return indexes


SEARCH_DOCUMENT = (
    "contact_search_document(phone_number, first_name, last_name, email, company, title, "
    "account_id, custom_data)"
)
TRIGRAM_INDEXES = {  # names as in migrations/optional_indexes.py
    "ix_campaign_contacts_search_trgm": (
        f"CREATE INDEX ix_campaign_contacts_search_trgm ON campaign_contacts "
        f"USING gin ({SEARCH_DOCUMENT} gin_trgm_ops)"
    ),
    "ix_call_batches_name_trgm": (
        "CREATE INDEX ix_call_batches_name_trgm ON call_batches USING gin (name gin_trgm_ops)"
    ),
}


def _pg_trgm_available() -> bool:
    query = sa.text("SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_trgm')")
    return bool(op.get_bind().execute(query).scalar_one())


def _create_counters() -> None:
    op.create_table(
        "call_batch_counters",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), server_default="0", nullable=False)
            for name in COUNTER_COLUMNS
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["call_batches.id"],
            name=op.f("fk_call_batch_counters_batch_id_call_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_call_batch_counters")),
    )
    op.execute("ALTER TABLE call_batch_counters ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE call_batch_counters FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY agency_isolation ON call_batch_counters "
        f"USING (agency_id = {CURRENT_AGENCY})"
    )
    op.execute(
        "CREATE POLICY owner_full_access ON call_batch_counters TO CURRENT_USER "
        "USING (true) WITH CHECK (true)"
    )
    op.execute(f"GRANT SELECT ON call_batch_counters TO {APP_ROLE}")
    op.execute(COUNTER_TRIGGER_FUNCTION)
    op.execute(TRUNCATE_TRIGGER_FUNCTION)
    op.execute(RECOUNT_FUNCTION)
    # Triggers first, then the recount under its SHARE lock: no write falls between the two.
    for trigger in COUNTER_TRIGGERS:
        op.execute(trigger)
    op.execute("SELECT recount_batch_counters()")


def upgrade() -> None:
    _create_counters()
    op.execute(SUMMARY_VIEW_WITH_COUNTERS)
    op.execute(CONTACT_NAME_FUNCTION)
    for statement in _sort_indexes().values():
        op.execute(statement)
    if _pg_trgm_available():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for statement in TRIGRAM_INDEXES.values():
            op.execute(statement)


def downgrade() -> None:
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name in _sort_indexes():
        op.execute(f"DROP INDEX {name}")
    op.execute(SUMMARY_VIEW_COUNTING)
    op.execute("DROP FUNCTION contact_name(text, text)")
    for trigger in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER call_batch_counters_{trigger} ON campaign_contacts")
    op.execute("DROP FUNCTION call_batch_counters_apply()")
    op.execute("DROP FUNCTION call_batch_counters_truncate()")
    op.execute("DROP FUNCTION recount_batch_counters(uuid)")
    op.drop_table("call_batch_counters")
