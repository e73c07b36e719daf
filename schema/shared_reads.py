"""One snapshot query for many subscribers of the same batch.

When a change of a batch wakes its subscribers, each must read the batch as it is now. A read
that started after a subscriber was woken necessarily shows every change it was woken for
(PostgreSQL delivers a notification only after its transaction committed), so subscribers of
one agency share it, each asking for a read that started after the newest notification it
responds to was heard: hundreds of dashboards watching one batch cost one query per change, not
hundreds. Reads are keyed by (agency, batch), so nothing is ever shared across agencies.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import async_sessionmaker

from db import batches as batch_queries
from db.tenancy import RequestDatabase

Key = tuple[uuid.UUID, uuid.UUID]


class SharedReads:
    def __init__(self, sessions: async_sessionmaker[Any], statement_timeout_ms: int) -> None:
        self._sessions = sessions
        self._statement_timeout_ms = statement_timeout_ms
        self._latest: dict[Key, tuple[float, asyncio.Task[Row[Any] | None]]] = {}
        self.queries = 0

    async def batch(
        self, agency_id: uuid.UUID, batch_id: uuid.UUID, since: float
    ) -> Row[Any] | None:
        """The batch's summary row as read by a query that started at or after `since`
        (`time.monotonic()`): the latest such read, finished or not, or a new one."""
        key = (agency_id, batch_id)
        latest = self._latest.get(key)
        if latest is None or latest[0] < since or _failed(latest[1]):
            task = asyncio.ensure_future(self._read(agency_id, batch_id))
            latest = (time.monotonic(), task)
            self._latest[key] = latest
            task.add_done_callback(lambda done: self._forget_later(key, done))
        return await asyncio.shield(latest[1])

    async def _read(self, agency_id: uuid.UUID, batch_id: uuid.UUID) -> Row[Any] | None:
        self.queries += 1
        db = RequestDatabase(
            self._sessions, agency_id=agency_id, statement_timeout_ms=self._statement_timeout_ms
        )
        try:
            async with db.session() as session:
                return await batch_queries.get_batch(session, agency_id, batch_id)
        finally:
            await db.close()

    def _forget_later(self, key: Key, done: asyncio.Task[Row[Any] | None]) -> None:
        """Keep a finished read a few seconds (late subscribers woken before it started may
        still use it), then drop it so the map holds only batches being watched."""

        def forget() -> None:
            latest = self._latest.get(key)
            if latest is not None and latest[1] is done:
                del self._latest[key]

        if not done.cancelled():
            done.exception()  # retrieved here; each waiter gets it through its shield
        asyncio.get_running_loop().call_later(5.0, forget)


def _failed(task: asyncio.Task[Any]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)
