"""Indexes of the migrations that `db.models` does not describe, and why.

Migration 0002 builds trigram (pg_trgm) indexes only when `pg_available_extensions` lists pg_trgm
(0007 replaces the contacts' one by one on its leakproof search operator);
servers without it (the embedded PostgreSQL) answer the same queries without them. It also
indexes the status and priority ranks (CASE expressions) descending; SQLAlchemy reflects no
direction for such multi-line expression keys, so the comparison would see them as the
ascending indexes twice. Model/migration comparisons (`alembic check`, tests) look past these.
"""

from __future__ import annotations

from typing import Any

TRIGRAM_INDEXES = (
    "ix_campaign_contacts_search_trgm",
    "ix_campaign_contacts_search_leakproof_trgm",
    "ix_call_batches_name_trgm",
)
DESCENDING_RANK_INDEXES = (
    "ix_campaign_contacts_batch_status_desc",
    "ix_campaign_contacts_batch_priority_desc",
)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's `include_object` hook: skip the indexes above."""
    return not (type_ == "index" and name in (*TRIGRAM_INDEXES, *DESCENDING_RANK_INDEXES))
