"""What the app role may write (migration 0005): a batch's transition columns and new audit
rows, of the agency in scope only; nothing else, and never an audit row changed or removed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker

from tests.test_row_level_security import Agency, a, b, scoped

__all__ = ["a", "b"]


async def test_the_app_role_updates_transition_columns_of_its_own_agency_only(
    sessions: async_sessionmaker[Any], a: Agency, b: Agency
) -> None:
    async with scoped(sessions, a.agency_id) as session:
        own = await session.execute(
            text("UPDATE call_batches SET status = 'paused', updated_at = now() WHERE id = :id"),
            {"id": a.batch_id},
        )
        foreign = await session.execute(
            text("UPDATE call_batches SET status = 'paused' WHERE id = :id"), {"id": b.batch_id}
        )
        assert (own.rowcount, foreign.rowcount) == (1, 0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE call_batches SET name = 'renamed' WHERE id = :batch",
        "UPDATE call_batches SET agency_id = agency_id WHERE id = :batch",
        "UPDATE batch_events SET action = 'cancel' WHERE batch_id = :batch",
        "DELETE FROM batch_events WHERE batch_id = :batch",
        "DELETE FROM call_batches WHERE id = :batch",
    ],
)
async def test_the_app_role_may_not_write_anything_else(
    sessions: async_sessionmaker[Any], a: Agency, statement: str
) -> None:
    async with scoped(sessions, a.agency_id) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text(statement), {"batch": a.batch_id})


async def test_an_audit_row_for_another_agency_is_refused(
    sessions: async_sessionmaker[Any], a: Agency, b: Agency
) -> None:
    async with scoped(sessions, a.agency_id) as session:
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO batch_events (batch_id, agency_id, action) "
                    "VALUES (:batch, :agency, 'pause')"
                ),
                {"batch": b.batch_id, "agency": b.agency_id},
            )
