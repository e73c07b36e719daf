"""Users: who a bearer token's subject is, and which agency they belong to."""

from __future__ import annotations

import uuid

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User


async def get_user(
    session: AsyncSession, user_id: uuid.UUID
) -> Row[uuid.UUID, uuid.UUID | None] | None:
    """The user's `id` and `agency_id`, or None when no such user exists."""
    query = select(User.id, User.agency_id).where(User.id == user_id)
    return (await session.execute(query)).first()
