"""Search contacts by their full name, from a stored search column.

Two changes to the contact search of 0001/0002:
- The searchable text now also holds the full name ("emily davis"), so a search for a whole
  name finds the contact (the seed's "customer name"); before, first and last name were
  separate fields and no match could span them.
- It is stored, as the generated column `campaign_contacts.search_text`. Under row-level
  security PostgreSQL may not use the trigram index for `LIKE` (the operator is not leakproof),
  so an API search filters the batch's rows one by one; reading a stored column instead of
  calling `contact_search_document` per row makes that an order of magnitude cheaper (see
  docs/BENCHMARKS.md). The trigram index, where pg_trgm exists, moves to the column.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM_INDEX = "ix_campaign_contacts_search_trgm"  # as in migrations/optional_indexes.py
ARGUMENTS = "phone_number, first_name, last_name, email, company, title, account_id, custom_data"

SEARCH_DOCUMENT_WITH_FULL_NAME = r"""
CREATE OR REPLACE FUNCTION contact_search_document(
    phone_number text, first_name text, last_name text, email text,
    company text, title text, account_id text, custom_data jsonb
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(concat_ws(E'\x1f',
    phone_number, first_name, last_name, concat_ws(' ', first_name, last_name),
    email, company, title, account_id,
    (SELECT string_agg(value #>> '{}', E'\x1f')
       FROM jsonb_each(custom_data) WHERE jsonb_typeof(value) = 'string')
))
"""

SEARCH_DOCUMENT_OF_0001 = r"""
CREATE OR REPLACE FUNCTION contact_search_document(
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


def _pg_trgm_installed() -> bool:
    query = sa.text("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_trgm')")
    return bool(op.get_bind().execute(query).scalar_one())


def upgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    op.execute(SEARCH_DOCUMENT_WITH_FULL_NAME)
    op.execute(
        "ALTER TABLE campaign_contacts ADD COLUMN search_text text "
        f"GENERATED ALWAYS AS (contact_search_document({ARGUMENTS})) STORED"
    )
    if _pg_trgm_installed():
        op.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON campaign_contacts "
            "USING gin (search_text gin_trgm_ops)"
        )


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    op.execute("ALTER TABLE campaign_contacts DROP COLUMN search_text")
    op.execute(SEARCH_DOCUMENT_OF_0001)
    if _pg_trgm_installed():
        op.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON campaign_contacts "
            f"USING gin (contact_search_document({ARGUMENTS}) gin_trgm_ops)"
        )
