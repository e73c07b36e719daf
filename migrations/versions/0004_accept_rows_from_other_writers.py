"""Accept what the contract allows other writers to leave out: names and user emails.

The contract lists `agencies.name`, `campaigns.name`, `agent_mappings.name` and `users.email`
without NOT NULL (and `Batch.campaignName` / `agentName` are nullable in GraphQL), and rows may be
written by any SQL client (a CRM sync, a dialer, a psql session). Requiring them, or a unique user
email, refused such rows for no gain: a user is identified by `users.id` (the token's `sub`).

The downgrade fills missing values with placeholders before restoring NOT NULL; restoring the
unique email fails if two users share an email by then (remove the duplicates first).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMED_TABLES = ("agencies", "campaigns", "agent_mappings")


def upgrade() -> None:
    for table in NAMED_TABLES:
        op.alter_column(table, "name", nullable=True)
    op.drop_constraint("uq_users_email", "users", type_="unique")
    op.alter_column("users", "email", nullable=True)


def downgrade() -> None:
    for table in NAMED_TABLES:
        op.execute(f"UPDATE {table} SET name = '' WHERE name IS NULL")
        op.alter_column(table, "name", nullable=False)
    op.execute("UPDATE users SET email = id::text || '@unknown.invalid' WHERE email IS NULL")
    op.alter_column("users", "email", nullable=False)
    op.create_unique_constraint("uq_users_email", "users", ["email"])
