"""One large read at a time per agency, across every worker process.

A list that makes PostgreSQL read many rows (a search or a filter over a 200,000-contact batch)
keeps one core busy for a good part of a second. The fair share (`web/fair_share.py`) bounds how
many requests an agency runs and how many rows it reads a second, but it is kept per worker
process: with two workers an agency could still run two such scans at once and take every core
of a small server from the other agencies. So before a large read a request takes its agency's
turn, a transaction-level advisory lock: the database itself queues the agency's large reads
one behind the other, whichever process they arrive on, and the lock goes with the request's
transaction. The waiting request holds only its own agency's slot and connection, under its
deadline; other agencies never wait for it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Integer, String

LARGE_READ_ROWS = 10_000
"""A list that makes PostgreSQL read at least this many rows waits for its agency's turn."""

LOCK_NAMESPACE = 0x43425252
"""The advisory lock's first key (b"CBRR"): keeps these locks apart from any other use."""

_TAKE_TURN = select(
    func.pg_advisory_xact_lock(
        bindparam("namespace", type_=Integer),
        func.hashtext(bindparam("agency", type_=String)),
    )
)


async def wait_for_large_read_turn(session: AsyncSession, agency_id: uuid.UUID) -> None:
    """Return once no other transaction of the agency holds its turn; hold it until this
    transaction ends (agencies whose ids hash alike share a turn: rare, and only slower)."""
    await session.execute(_TAKE_TURN, {"namespace": LOCK_NAMESPACE, "agency": str(agency_id)})
