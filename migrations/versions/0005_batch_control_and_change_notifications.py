"""Batch control (who may act, what was done) and change notifications for live subscriptions.

- `users.role`: `viewer` (the default: existing and new users read and subscribe) or `operator`
  (may also pause, resume, cancel and delete batches).
- `call_batches.paused_from_status`: the status a pause interrupted, so resume can return to it.
- `batch_events`: the audit trail of every transition (who, action, from → to, when), under the
  same row-level security as the other tenant tables. The app role may read and append, never
  change or delete, events.
- The app role may update the columns a transition changes, nothing else of a batch.
- NOTIFY `callbatch_batch_changes` with payload `<agency_id>:<batch_id>`, raised in the
  database for every writer: by a statement-level trigger on `call_batch_counters` (whose rows
  change whenever a statement changes a batch's counts, see 0002) and by statement-level triggers
  on `call_batches` (status or any other column, a new batch, a deleted one). One notification
  per batch per statement (DISTINCT over the transition table), and PostgreSQL folds identical
  notifications of one transaction into one, delivered at commit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "callbatch_app"
CURRENT_AGENCY = "NULLIF(current_setting('app.agency_id', true), '')::uuid"
CHANNEL = "callbatch_batch_changes"
TRANSITION_COLUMNS = "status, paused_from_status, updated_at, deleted_at"


def _notify_each(rows: str) -> str:
    """PL/pgSQL that notifies once per distinct (agency_id, batch id) of `rows`."""
    return (
        f"PERFORM pg_notify('{CHANNEL}', s.agency_id::text || ':' || s.batch_id::text) "
        f"FROM (SELECT DISTINCT agency_id, batch_id FROM ({rows}) r) s"
    )


COUNTERS_NOTIFY_FUNCTION = f"""
CREATE FUNCTION call_batch_counters_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        {_notify_each("SELECT agency_id, batch_id FROM old_rows")};
    ELSE
        {_notify_each("SELECT agency_id, batch_id FROM new_rows")};
    END IF;
    RETURN NULL;
END
$$
"""

BATCHES_NOTIFY_FUNCTION = f"""
CREATE FUNCTION call_batches_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_notify_each("SELECT agency_id, id AS batch_id FROM new_rows")};
    ELSIF TG_OP = 'DELETE' THEN
        {_notify_each("SELECT agency_id, id AS batch_id FROM old_rows")};
    ELSE
        {
    _notify_each(
        "SELECT n.agency_id, n.id AS batch_id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "WHERE o IS DISTINCT FROM n "
        "UNION ALL SELECT o.agency_id, o.id FROM old_rows o JOIN new_rows n ON n.id = o.id "
        "WHERE o.agency_id IS DISTINCT FROM n.agency_id"
    )
};
    END IF;
    RETURN NULL;
END
$$
"""
"""An UPDATE that changes nothing (`SET status = status`) notifies nobody; a batch moved to
another agency notifies both agencies' subscribers."""

NOTIFY_TRIGGERS = {
    "call_batch_counters_notify_insert": """CREATE TRIGGER call_batch_counters_notify_insert
       AFTER INSERT ON call_batch_counters REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION call_batch_counters_notify()""",
    "call_batch_counters_notify_update": """CREATE TRIGGER call_batch_counters_notify_update
       AFTER UPDATE ON call_batch_counters REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION call_batch_counters_notify()""",
    "call_batch_counters_notify_delete": """CREATE TRIGGER call_batch_counters_notify_delete
       AFTER DELETE ON call_batch_counters REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION call_batch_counters_notify()""",
    "call_batches_notify_insert": """CREATE TRIGGER call_batches_notify_insert
       AFTER INSERT ON call_batches REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION call_batches_notify()""",
    "call_batches_notify_update": """CREATE TRIGGER call_batches_notify_update
       AFTER UPDATE ON call_batches REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION call_batches_notify()""",
    "call_batches_notify_delete": """CREATE TRIGGER call_batches_notify_delete
       AFTER DELETE ON call_batches REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION call_batches_notify()""",
}


def _create_batch_events() -> None:
    op.create_table(
        "batch_events",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "action IN ('pause', 'resume', 'cancel', 'delete')",
            name=op.f("ck_batch_events_action"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id", "agency_id"],
            ["call_batches.id", "call_batches.agency_id"],
            name=op.f("fk_batch_events_batch_id_agency_id_call_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_batch_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_events")),
    )
    op.create_index(
        "ix_batch_events_batch_newest",
        "batch_events",
        ["batch_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index("ix_batch_events_user_id", "batch_events", ["user_id"], unique=False)
    op.execute("ALTER TABLE batch_events ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE batch_events FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY agency_isolation ON batch_events USING (agency_id = {CURRENT_AGENCY})"
    )
    op.execute(
        "CREATE POLICY owner_full_access ON batch_events TO CURRENT_USER "
        "USING (true) WITH CHECK (true)"
    )
    op.execute(f"GRANT SELECT, INSERT ON batch_events TO {APP_ROLE}")


def upgrade() -> None:
    op.add_column("users", sa.Column("role", sa.Text(), server_default="viewer", nullable=False))
    op.create_check_constraint("ck_users_role", "users", "role IN ('viewer', 'operator')")
    op.add_column("call_batches", sa.Column("paused_from_status", sa.Text(), nullable=True))
    op.create_check_constraint(
        "ck_call_batches_paused_from_status",
        "call_batches",
        "paused_from_status IS NULL "
        "OR paused_from_status IN ('pending', 'scheduled', 'processing')",
    )
    _create_batch_events()
    op.execute(f"GRANT UPDATE ({TRANSITION_COLUMNS}) ON call_batches TO {APP_ROLE}")
    op.execute(COUNTERS_NOTIFY_FUNCTION)
    op.execute(BATCHES_NOTIFY_FUNCTION)
    for trigger in NOTIFY_TRIGGERS.values():
        op.execute(trigger)


def downgrade() -> None:
    for name in NOTIFY_TRIGGERS:
        table = "call_batch_counters" if name.startswith("call_batch_counters") else "call_batches"
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION call_batches_notify()")
    op.execute("DROP FUNCTION call_batch_counters_notify()")
    op.execute(f"REVOKE UPDATE ({TRANSITION_COLUMNS}) ON call_batches FROM {APP_ROLE}")
    op.drop_index("ix_batch_events_user_id", table_name="batch_events")
    op.drop_index("ix_batch_events_batch_newest", table_name="batch_events")
    op.drop_table("batch_events")
    op.drop_constraint("ck_call_batches_paused_from_status", "call_batches", type_="check")
    op.drop_column("call_batches", "paused_from_status")
    op.drop_constraint("ck_users_role", "users", type_="check")
    op.drop_column("users", "role")
