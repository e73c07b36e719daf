"""Users: who a bearer token's subject is, and which agency they belong to."""

from __future__ import annotations

import uuid

from sqlalchemy import Row, String, bindparam, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User

_USERS = User.__table__
_SIGN_IN = select(
    _USERS.c.id,
    _USERS.c.agency_id,
    func.set_config("app.agency_id", func.coalesce(cast(_USERS.c.agency_id, String), ""), True),
).where(_USERS.c.id == bindparam("user_id"))
"""Built once, on Core columns: no ORM compilation or statement building on each sign-in."""


async def get_user(
    session: AsyncSession, user_id: uuid.UUID
) -> Row[uuid.UUID, uuid.UUID | None, str] | None:
    """The user's `id` and `agency_id`, or None when no such user exists.

    The same statement scopes the rest of the transaction to the user's agency (sets
    `app.agency_id`, empty for a user of no agency), so that a request signs in and reads in one
    transaction (`RequestDatabase.sign_in`). It runs before any agency is in scope: row-level
    security shows it only the row of the user in scope (`app.user_id`).
    """
    connection = await session.connection()  # Core: every request signs in, the ORM adds cost
    return (await connection.execute(_SIGN_IN, {"user_id": user_id})).first()


async def role_of(session: AsyncSession, user_id: uuid.UUID, agency_id: uuid.UUID) -> str | None:
    """The user's role in this agency (`viewer` or `operator`), read in this transaction: a role
    changed a moment ago already counts. None when the user is not of this agency."""
    query = select(_USERS.c.role).where(_USERS.c.id == user_id, _USERS.c.agency_id == agency_id)
    role: str | None = (await session.execute(query)).scalar()
    return role
