"""Small factories: each inserts one row with sensible defaults and returns its id."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.models import Agency, AgentMapping, CallBatch, CallLog, Campaign, CampaignContact, User

T0 = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)


class Factory:
    """Builds rows through the test's connection (as the migrating role, outside the app's RLS)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._sequence = itertools.count(1)

    def next(self) -> int:
        return next(self._sequence)

    async def _insert(self, model: Any, values: dict[str, Any]) -> uuid.UUID:
        values.setdefault("id", uuid.uuid4())
        await self.connection.execute(insert(model), [values])
        return uuid.UUID(str(values["id"]))

    async def agency(self, **values: Any) -> uuid.UUID:
        values.setdefault("name", f"Agency {self.next()}")
        return await self._insert(Agency, values)

    async def user(self, agency_id: uuid.UUID | None, **values: Any) -> uuid.UUID:
        values.setdefault("email", f"user{self.next()}-{uuid.uuid4().hex[:6]}@example.com")
        return await self._insert(User, {"agency_id": agency_id, **values})

    async def campaign(self, agency_id: uuid.UUID, **values: Any) -> uuid.UUID:
        values.setdefault("name", f"Campaign {self.next()}")
        return await self._insert(Campaign, {"agency_id": agency_id, **values})

    async def agent(self, agency_id: uuid.UUID, **values: Any) -> uuid.UUID:
        values.setdefault("name", f"Agent {self.next()}")
        return await self._insert(AgentMapping, {"agency_id": agency_id, **values})

    async def batch(self, agency_id: uuid.UUID, **values: Any) -> uuid.UUID:
        n = self.next()
        values.setdefault("name", f"Batch {n}")
        values.setdefault("created_at", T0 + timedelta(minutes=n))
        values.setdefault("updated_at", values["created_at"])
        return await self._insert(CallBatch, {"agency_id": agency_id, **values})

    async def contact(self, batch_id: uuid.UUID, agency_id: uuid.UUID, **values: Any) -> uuid.UUID:
        n = self.next()
        values.setdefault("phone_number", f"+1555{n:07d}")
        values.setdefault("created_at", T0 + timedelta(seconds=n))
        return await self._insert(
            CampaignContact, {"batch_id": batch_id, "agency_id": agency_id, **values}
        )

    async def contacts(
        self, batch_id: uuid.UUID, agency_id: uuid.UUID, rows: list[dict[str, Any]]
    ) -> list[uuid.UUID]:
        """Many contacts in one statement."""
        prepared = []
        for values in rows:
            n = self.next()
            prepared.append(
                {
                    "id": uuid.uuid4(),
                    "batch_id": batch_id,
                    "agency_id": agency_id,
                    "phone_number": f"+1555{n:07d}",
                    "created_at": T0 + timedelta(seconds=n),
                    **values,
                }
            )
        if prepared:
            await self.connection.execute(insert(CampaignContact), prepared)
        return [row["id"] for row in prepared]

    async def call_log(
        self, contact_id: uuid.UUID, agency_id: uuid.UUID, **values: Any
    ) -> uuid.UUID:
        values.setdefault("call_status", "completed")
        values.setdefault("created_at", T0 + timedelta(seconds=self.next()))
        return await self._insert(
            CallLog, {"contact_id": contact_id, "agency_id": agency_id, **values}
        )
