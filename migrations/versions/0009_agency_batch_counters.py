"""Each agency's number of live batches, kept by PostgreSQL like the per-batch counters.

Why: the batch list's `totalCount` without a filter counted the agency's batches on every read
(`count(*)` over `ix_call_batches_list_by_agency_newest`): an index-only scan of 1,253 rows per
request for the largest agency of the bench's L scale, about a fifth of that request's
PostgreSQL time (docs/BENCHMARKS.md, issue 16). Now `agency_batch_counters` holds one row per
agency, its `live_batches` (not soft-deleted), and the list reads that row.

How it stays true: statement-level triggers on `call_batches` (INSERT, UPDATE, DELETE, TRUNCATE)
fire for every writer (the app, psql, a dialer, COPY), as those of migration 0002 do for
contacts. Each statement sums +1 for every live new row and -1 for every live old row per
agency and applies the non-zero sums with one `INSERT … ON CONFLICT DO UPDATE` in agency order:
soft-deleting or restoring a batch, moving it to another agency or deleting it are all a
difference of live rows. Rows are locked in a fixed order (no deadlock between two statements
on the same agencies) and incremented by the row update itself (no lost update under READ
COMMITTED); two transactions creating batches of one agency therefore queue on its counter row
until the first commits, which batch creation (a rare, small write) can afford. An agency being
deleted is skipped (its counter row goes with it, by its foreign key).

`recount_agency_batch_counters()` recomputes every agency's row (`python -m db.counters repair`
calls it with the per-batch recount). Row-level security as on every tenant table: the app's
role reads its own agency's row only and writes none (the trigger function is SECURITY DEFINER).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "callbatch_app"
CURRENT_AGENCY = "(SELECT NULLIF(current_setting('app.agency_id', true), '')::uuid)"

LIVE_NEW = "SELECT agency_id, 1 AS sign FROM new_rows WHERE deleted_at IS NULL"
LIVE_OLD = "SELECT agency_id, -1 AS sign FROM old_rows WHERE deleted_at IS NULL"


def _apply(changes: str) -> str:
    """Add the per-agency sums of `changes` (agency_id, sign) to the counters."""
    return f"""
        INSERT INTO agency_batch_counters AS k (agency_id, live_batches)
        SELECT d.agency_id, d.live_batches
        FROM (
            SELECT r.agency_id, sum(r.sign)::int AS live_batches
            FROM ({changes}) r
            GROUP BY r.agency_id
        ) d
        JOIN agencies a ON a.id = d.agency_id
        WHERE d.live_batches <> 0
        ORDER BY d.agency_id
        ON CONFLICT (agency_id) DO UPDATE SET live_batches = k.live_batches + excluded.live_batches"""


TRIGGER_FUNCTION = f"""
CREATE FUNCTION agency_batch_counters_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_apply(LIVE_NEW)};
    ELSIF TG_OP = 'UPDATE' THEN
        {_apply(LIVE_NEW + " UNION ALL " + LIVE_OLD)};
    ELSIF TG_OP = 'DELETE' THEN
        {_apply(LIVE_OLD)};
    END IF;
    RETURN NULL;
END
$$
"""
"""SECURITY DEFINER: any writer of batches (even one that may not write counters) keeps them right."""

TRUNCATE_FUNCTION = """
CREATE FUNCTION agency_batch_counters_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM agency_batch_counters;
    RETURN NULL;
END
$$
"""

RECOUNT_FUNCTION = """
CREATE FUNCTION recount_agency_batch_counters() RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    corrected integer;
    removed integer;
BEGIN
    -- SHARE mode waits for running writers of batches and holds new ones off until this
    -- transaction ends, so the recount sees a settled table; readers are not blocked.
    LOCK TABLE call_batches IN SHARE MODE;
    INSERT INTO agency_batch_counters AS k (agency_id, live_batches)
    SELECT b.agency_id, count(*)::int
    FROM call_batches b
    WHERE b.deleted_at IS NULL
    GROUP BY b.agency_id
    ORDER BY b.agency_id
    ON CONFLICT (agency_id) DO UPDATE SET live_batches = excluded.live_batches
    WHERE k.live_batches IS DISTINCT FROM excluded.live_batches;
    GET DIAGNOSTICS corrected = ROW_COUNT;
    UPDATE agency_batch_counters k SET live_batches = 0
    WHERE k.live_batches <> 0 AND NOT EXISTS (
        SELECT FROM call_batches b WHERE b.agency_id = k.agency_id AND b.deleted_at IS NULL
    );
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN corrected + removed;
END
$$
"""
"""Recompute every agency's live batches; returns how many rows it had to correct."""

TRIGGERS = {
    "insert": """CREATE TRIGGER agency_batch_counters_insert AFTER INSERT ON call_batches
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION agency_batch_counters_apply()""",
    "update": """CREATE TRIGGER agency_batch_counters_update AFTER UPDATE ON call_batches
       REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION agency_batch_counters_apply()""",
    "delete": """CREATE TRIGGER agency_batch_counters_delete AFTER DELETE ON call_batches
       REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION agency_batch_counters_apply()""",
    "truncate": """CREATE TRIGGER agency_batch_counters_truncate AFTER TRUNCATE ON call_batches
       FOR EACH STATEMENT EXECUTE FUNCTION agency_batch_counters_truncate()""",
}


def upgrade() -> None:
    op.create_table(
        "agency_batch_counters",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("live_batches", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_agency_batch_counters_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_agency_batch_counters")),
    )
    op.execute("ALTER TABLE agency_batch_counters ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE agency_batch_counters FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY agency_isolation ON agency_batch_counters "
        f"USING (agency_id = {CURRENT_AGENCY})"
    )
    op.execute(
        "CREATE POLICY owner_full_access ON agency_batch_counters TO CURRENT_USER "
        "USING (true) WITH CHECK (true)"
    )
    op.execute(f"GRANT SELECT ON agency_batch_counters TO {APP_ROLE}")
    op.execute(TRIGGER_FUNCTION)
    op.execute(TRUNCATE_FUNCTION)
    op.execute(RECOUNT_FUNCTION)
    # Triggers first, then the recount under its SHARE lock: no write falls between the two.
    for trigger in TRIGGERS.values():
        op.execute(trigger)
    op.execute("SELECT recount_agency_batch_counters()")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER agency_batch_counters_{name} ON call_batches")
    op.execute("DROP FUNCTION agency_batch_counters_apply()")
    op.execute("DROP FUNCTION agency_batch_counters_truncate()")
    op.execute("DROP FUNCTION recount_agency_batch_counters()")
    op.drop_table("agency_batch_counters")
