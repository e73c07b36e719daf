"""Per-request DataLoaders: many `callLogs` fields of one page become one SQL statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from db.contacts import call_logs_by_contact
from db.models import CallLog
from db.tenancy import RequestDatabase


class Loaders:
    def __init__(self, db: RequestDatabase) -> None:
        self._db = db
        self.call_logs = DataLoader[uuid.UUID, list[CallLog]](load_fn=self._load_call_logs)

    async def _load_call_logs(self, contact_ids: Sequence[uuid.UUID]) -> list[list[CallLog]]:
        async with self._db.session() as session:
            by_contact = await call_logs_by_contact(session, self._db.agency_id, contact_ids)
        return [by_contact.get(contact_id, []) for contact_id in contact_ids]
