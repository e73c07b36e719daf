"""Batch change notifications: one LISTEN connection per process, shared by every subscriber.

Migration 0005 makes PostgreSQL raise `NOTIFY callbatch_batch_changes, '<agency_id>:<batch_id>'`
whenever a statement changes a batch's counts or its row, whoever runs it. `ChangeListener`
holds one asyncpg connection (to the primary, directly: see docs/OPERATIONS.md) that LISTENs on
that channel, and marks the batch on every `Watch` interested in it: the watches of that batch
and the agency-wide watches of its agency. A watch keeps a set of changed batch ids, not a queue:
any number of notifications between two reads collapse into one mark per batch (coalescing).

The connection is supervised: lost (database restart, failover, terminated backend) or silent
(a health query every `health_interval` seconds gets no answer) it is replaced, with backoff,
and every watch is told to resynchronise, since notifications sent while nobody listened are
lost for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

CHANNEL = "callbatch_batch_changes"
LISTENER_APPLICATION_NAME = "callbatch-listener"

logger = logging.getLogger("callbatch.live")


class TooManyWatches(Exception):
    def __init__(self, agency_limit: int) -> None:
        super().__init__(f"the agency already has {agency_limit} live subscriptions")
        self.agency_limit = agency_limit


@dataclass
class Changes:
    batch_ids: set[uuid.UUID] = field(default_factory=set)
    resync: bool = False
    """The listener (re)connected: notifications may have been missed, read everything again."""
    latest: float = 0.0
    """When the newest of these changes was heard (`time.monotonic()`): any read that started
    later shows it."""


class Watch:
    """What one subscription waits on: the batches changed since it last looked."""

    def __init__(
        self, listener: ChangeListener, agency_id: uuid.UUID, batch_id: uuid.UUID | None
    ) -> None:
        self.listener = listener
        self.agency_id = agency_id
        self.batch_id = batch_id
        self._changes = Changes()
        self._wake = asyncio.Event()

    def mark(self, batch_id: uuid.UUID) -> None:
        self._changes.batch_ids.add(batch_id)
        self._changes.latest = time.monotonic()
        self._wake.set()

    def mark_resync(self) -> None:
        self._changes.resync = True
        self._changes.latest = time.monotonic()
        self._wake.set()

    async def next_changes(self) -> Changes:
        """The changes since the last call, waiting for the first one."""
        await self._wake.wait()
        self._wake.clear()
        changes, self._changes = self._changes, Changes()
        return changes

    def close(self) -> None:
        self.listener.forget(self)


class ChangeListener:
    def __init__(
        self,
        database_url: str,
        *,
        connect_timeout: float = 5.0,
        health_interval: float = 10.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql")
        self._connect_timeout = connect_timeout
        self._health_interval = health_interval
        self._max_backoff = max_backoff
        self._by_batch: dict[uuid.UUID, set[Watch]] = {}
        self._by_agency: dict[uuid.UUID, set[Watch]] = {}
        self._per_agency: Counter[uuid.UUID] = Counter()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.connections = 0
        """How many times the LISTEN connection was (re)established."""
        self.notifications = 0
        self.backend_pid: int | None = None

    @property
    def watches(self) -> int:
        return sum(self._per_agency.values())

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="callbatch-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def watch(
        self, agency_id: uuid.UUID, batch_id: uuid.UUID | None, *, agency_limit: int
    ) -> Watch:
        """A watch of one batch, or (batch_id None) of every batch of the agency."""
        if self._per_agency[agency_id] >= agency_limit:
            raise TooManyWatches(agency_limit)
        watch = Watch(self, agency_id, batch_id)
        index, key = (
            (self._by_agency, agency_id) if batch_id is None else (self._by_batch, batch_id)
        )
        index.setdefault(key, set()).add(watch)
        self._per_agency[agency_id] += 1
        return watch

    def forget(self, watch: Watch) -> None:
        index, key = (
            (self._by_agency, watch.agency_id)
            if watch.batch_id is None
            else (self._by_batch, watch.batch_id)
        )
        watches = index.get(key)
        if watches is None or watch not in watches:
            return
        watches.discard(watch)
        if not watches:
            del index[key]
        self._per_agency[watch.agency_id] -= 1
        if self._per_agency[watch.agency_id] <= 0:
            del self._per_agency[watch.agency_id]

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.notifications += 1
        agency_text, _, batch_text = payload.partition(":")
        try:
            agency_id, batch_id = uuid.UUID(agency_text), uuid.UUID(batch_text)
        except ValueError:
            logger.warning("ignored a malformed %s notification: %r", CHANNEL, payload[:100])
            return
        for watch in self._by_batch.get(batch_id, ()):
            if watch.agency_id == agency_id:
                watch.mark(batch_id)
        for watch in self._by_agency.get(agency_id, ()):
            watch.mark(batch_id)

    def _resync_all(self) -> None:
        for index in (self._by_batch, self._by_agency):
            for watches in index.values():
                for watch in watches:
                    watch.mark_resync()

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                connection = await asyncpg.connect(
                    self._dsn.render_as_string(hide_password=False),
                    timeout=self._connect_timeout,
                    server_settings={"application_name": LISTENER_APPLICATION_NAME},
                )
            except Exception as error:
                logger.warning("LISTEN connection failed (retry in %.1f s): %r", backoff, error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = 0.1
            try:
                await self._listen(connection)
            except Exception as error:
                logger.warning("LISTEN connection lost, reconnecting: %r", error)
            finally:
                self.connected.clear()
                self.backend_pid = None
                connection.terminate()

    async def _listen(self, connection: Any) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(CHANNEL, self._on_notification)
        self.backend_pid = connection.get_server_pid()
        self.connections += 1
        self.connected.set()
        self._resync_all()
        logger.info("listening on %s (backend %s)", CHANNEL, self.backend_pid)
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), self._health_interval)
            if not lost.is_set():
                await connection.fetchval("SELECT 1", timeout=self._connect_timeout)
