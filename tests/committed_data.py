"""Rows committed for real (not in a rolled-back test transaction), for tests that need other
connections to see them: concurrent transactions, LISTEN/NOTIFY, a live server. Each test's
agencies are deleted afterwards (batches, contacts, events cascade; users are deleted too)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import Factory


class CommittedData:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.agencies: list[uuid.UUID] = []

    async def agency_with_user(self, role: str = "viewer") -> tuple[uuid.UUID, uuid.UUID]:
        async with self.engine.begin() as connection:
            factory = Factory(connection)
            agency_id = await factory.agency()
            user_id = await factory.user(agency_id, role=role)
        self.agencies.append(agency_id)
        return agency_id, user_id

    async def batch(self, agency_id: uuid.UUID, contacts: int = 0, **values: object) -> uuid.UUID:
        async with self.engine.begin() as connection:
            factory = Factory(connection)
            batch_id = await factory.batch(agency_id, **values)
            await factory.contacts(batch_id, agency_id, [{} for _ in range(contacts)])
        return batch_id

    async def execute(self, sql: str, **parameters: object) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(text(sql), parameters)

    async def cleanup(self) -> None:
        if not self.agencies:
            return
        async with self.engine.begin() as connection:
            ids = {"ids": self.agencies}
            await connection.execute(text("DELETE FROM users WHERE agency_id = ANY(:ids)"), ids)
            await connection.execute(text("DELETE FROM agencies WHERE id = ANY(:ids)"), ids)


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[CommittedData]:
    data = CommittedData(engine)
    try:
        yield data
    finally:
        await data.cleanup()
