"""Create the call batch tables, the summary view, the application role and row-level security.

Tables and indexes were generated from `db.models`; the view, the role and the policies are
written by hand because autogenerate cannot see them.

Row-level security is the second tenancy layer (the first is the `agency_id` argument of every
query function): the app runs its transactions as `callbatch_app`, a role without BYPASSRLS,
after `set_config('app.agency_id', …, true)`. The policies are FORCEd so even the table owner
obeys them when it is not a superuser.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APP_ROLE = "callbatch_app"
CURRENT_AGENCY = "NULLIF(current_setting('app.agency_id', true), '')::uuid"
CURRENT_USER_ID = "NULLIF(current_setting('app.user_id', true), '')::uuid"
TENANT_TABLES = ("campaigns", "agent_mappings", "call_batches", "campaign_contacts", "call_logs")
ALL_TABLES = ("agencies", "users", *TENANT_TABLES)

SUMMARY_VIEW = """
CREATE VIEW v_call_batch_summary WITH (security_invoker = true) AS
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


SEARCH_DOCUMENT_FUNCTION = r"""
CREATE FUNCTION contact_search_document(
    phone_number text, first_name text, last_name text, email text,
    company text, title text, account_id text, custom_data jsonb
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(concat_ws(E'\x1f',
    phone_number, first_name, last_name, email, company, title, account_id,
    (SELECT string_agg(value #>> '{}', E'\x1f')
       FROM jsonb_each(custom_data) WHERE jsonb_typeof(value) = 'string')
))
"""
"""A contact's searchable text, lower-cased, fields separated by U+001F so no match spans two."""


def _create_app_role() -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
            EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
        END
        $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON {', '.join(ALL_TABLES)}, v_call_batch_summary TO {APP_ROLE}")


def _enable_row_level_security() -> None:
    for table in ALL_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY agency_isolation ON agencies USING (id = {CURRENT_AGENCY})")
    op.execute(
        "CREATE POLICY agency_isolation ON users "
        f"USING (id = {CURRENT_USER_ID} OR agency_id = {CURRENT_AGENCY})"
    )
    for table in TENANT_TABLES:
        op.execute(
            f"CREATE POLICY agency_isolation ON {table} USING (agency_id = {CURRENT_AGENCY})"
        )
    # The migrating role (owner) must keep full access under FORCE: it loads demo data, repairs.
    for table in ALL_TABLES:
        op.execute(
            f"CREATE POLICY owner_full_access ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
        )


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
    )
    op.create_table(
        "agent_mappings",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_agent_mappings_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_mappings")),
    )
    op.create_index(
        op.f("ix_agent_mappings_agency_id"), "agent_mappings", ["agency_id"], unique=False
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_campaigns_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_agency_id"), "campaigns", ["agency_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_users_agency_id_agencies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_agency_id"), "users", ["agency_id"], unique=False)
    op.create_table(
        "call_batches",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("agent_mapping_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("from_number", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("calls_per_minute", sa.Integer(), nullable=True),
        sa.Column("max_concurrent", sa.Integer(), nullable=True),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'scheduled', 'processing', 'paused', 'completed', 'failed', 'cancelled')",
            name=op.f("ck_call_batches_status"),
        ),
        sa.CheckConstraint(
            "calls_per_minute IS NULL OR calls_per_minute > 0",
            name=op.f("ck_call_batches_calls_per_minute"),
        ),
        sa.CheckConstraint(
            "max_concurrent IS NULL OR max_concurrent > 0",
            name=op.f("ck_call_batches_max_concurrent"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_call_batches_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_mapping_id"],
            ["agent_mappings.id"],
            name=op.f("fk_call_batches_agent_mapping_id_agent_mappings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_call_batches_campaign_id_campaigns"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_batches")),
        sa.UniqueConstraint("id", "agency_id", name=op.f("uq_call_batches_id_agency_id")),
    )
    op.create_index(
        op.f("ix_call_batches_agent_mapping_id"), "call_batches", ["agent_mapping_id"], unique=False
    )
    op.create_index(
        op.f("ix_call_batches_campaign_id"), "call_batches", ["campaign_id"], unique=False
    )
    op.create_index(
        "ix_call_batches_list_by_agency_newest",
        "call_batches",
        ["agency_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "campaign_contacts",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("phone_number", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("priority", sa.Text(), server_default="normal", nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default="3", nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("outcome_notes", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "custom_data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("do_not_call", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "jsonb_typeof(custom_data) = 'object'",
            name=op.f("ck_campaign_contacts_custom_data_object"),
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high')", name=op.f("ck_campaign_contacts_priority")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'queued', 'in_progress', 'completed', 'failed', 'skipped')",
            name=op.f("ck_campaign_contacts_status"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_campaign_contacts_attempts")),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0",
            name=op.f("ck_campaign_contacts_duration"),
        ),
        sa.CheckConstraint("max_attempts >= 0", name=op.f("ck_campaign_contacts_max_attempts")),
        sa.ForeignKeyConstraint(
            ["batch_id", "agency_id"],
            ["call_batches.id", "call_batches.agency_id"],
            name=op.f("fk_campaign_contacts_batch_id_agency_id_call_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_contacts")),
        sa.UniqueConstraint("id", "agency_id", name=op.f("uq_campaign_contacts_id_agency_id")),
    )
    op.create_index(
        "ix_campaign_contacts_batch_created",
        "campaign_contacts",
        ["batch_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_campaign_contacts_batch_status_created",
        "campaign_contacts",
        ["batch_id", "status", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "call_logs",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("call_status", sa.Text(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0", name=op.f("ck_call_logs_duration")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id", "agency_id"],
            ["campaign_contacts.id", "campaign_contacts.agency_id"],
            name=op.f("fk_call_logs_contact_id_agency_id_campaign_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_logs")),
    )
    op.create_index(
        "ix_call_logs_contact_created",
        "call_logs",
        ["contact_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_call_logs_contact_status", "call_logs", ["contact_id", "call_status"], unique=False
    )
    op.execute(SUMMARY_VIEW)
    op.execute(SEARCH_DOCUMENT_FUNCTION)
    _create_app_role()
    _enable_row_level_security()


def downgrade() -> None:
    op.execute("DROP VIEW v_call_batch_summary")
    op.execute(
        "DROP FUNCTION contact_search_document(text, text, text, text, text, text, text, jsonb)"
    )
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
    # The role is cluster-wide: other databases of the same server may still use it.
    op.execute(
        f"""
        DO $$
        BEGIN
            DROP ROLE IF EXISTS {APP_ROLE};
        EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
            RAISE NOTICE 'role {APP_ROLE} kept: still used elsewhere';
        END
        $$
        """
    )
    op.drop_index("ix_call_logs_contact_status", table_name="call_logs")
    op.drop_index("ix_call_logs_contact_created", table_name="call_logs")
    op.drop_table("call_logs")
    op.drop_index("ix_campaign_contacts_batch_status_created", table_name="campaign_contacts")
    op.drop_index("ix_campaign_contacts_batch_created", table_name="campaign_contacts")
    op.drop_table("campaign_contacts")
    op.drop_index(
        "ix_call_batches_list_by_agency_newest",
        table_name="call_batches",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index(op.f("ix_call_batches_campaign_id"), table_name="call_batches")
    op.drop_index(op.f("ix_call_batches_agent_mapping_id"), table_name="call_batches")
    op.drop_table("call_batches")
    op.drop_index(op.f("ix_users_agency_id"), table_name="users")
    op.drop_table("users")
    op.drop_index(op.f("ix_campaigns_agency_id"), table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_index(op.f("ix_agent_mappings_agency_id"), table_name="agent_mappings")
    op.drop_table("agent_mappings")
    op.drop_table("agencies")
