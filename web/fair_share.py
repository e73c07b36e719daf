"""Fair share of the service per agency, within one worker process.

Each agency may start `rate` requests a second (a token bucket with `burst`), refused past it
before any limit check or database work.

At most `slots` requests of one agency hold a database connection at once; up to `queue` more
wait for one of those, each at most `wait_seconds`; past that the request is refused with
RATE_LIMITED (429, `Retry-After`). One agency's flood therefore queues on its own lane while
other agencies' requests go straight to the pool.

The agency is known only after sign-in, which needs the database; so a request is admitted
under the agency its user signed in with last time (remembered here, a bounded map), and under
its own user until then. Tokens are signed by us, so an agency can only use its own users.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from core.errors import RateLimited


class _Lane:
    def __init__(self, slots: int) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.requests = 0
        """Admitted requests: holding a slot or waiting for one."""


class _Bucket:
    """A token bucket: `rate` tokens a second, at most `burst` kept."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one will be there."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FairShare:
    def __init__(
        self,
        slots: int,
        queue: int,
        wait_seconds: float,
        rate: float = 1e9,
        burst: int = 1_000_000,
        remembered_users: int = 10_000,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()
        self._slots = slots
        self._queue = queue
        self._wait_seconds = wait_seconds
        self._lanes: dict[Hashable, _Lane] = {}
        self._agency_of: OrderedDict[uuid.UUID, uuid.UUID] = OrderedDict()
        self._remembered_users = remembered_users

    def lane_for(self, user_id: uuid.UUID) -> Hashable:
        """The lane a request of `user_id` queues on: its agency's when known."""
        agency_id = self._agency_of.get(user_id)
        return self.lane_for_agency(agency_id) if agency_id else ("user", user_id)

    @staticmethod
    def lane_for_agency(agency_id: uuid.UUID) -> Hashable:
        return ("agency", agency_id)

    def remember(self, user_id: uuid.UUID, agency_id: uuid.UUID) -> None:
        self._agency_of[user_id] = agency_id
        self._agency_of.move_to_end(user_id)
        if len(self._agency_of) > self._remembered_users:
            self._agency_of.popitem(last=False)

    def admit(self, lane: Hashable) -> None:
        """Take one of the lane's request tokens, or refuse (RATE_LIMITED) with the time until
        the next one: the cheapest refusal there is, before any limit check or SQL."""
        now = time.monotonic()
        bucket = self._buckets.get(lane)
        if bucket is None:
            bucket = self._buckets[lane] = _Bucket(self._rate, self._burst, now)
        self._buckets.move_to_end(lane)
        if len(self._buckets) > self._remembered_users:
            self._buckets.popitem(last=False)
        wait = bucket.take(now)
        if wait:
            retry_after = max(1, math.ceil(wait))
            raise RateLimited(
                f"your agency is sending more than {self._rate:g} requests a second to this "
                f"server; retry after {retry_after} s",
                retry_after,
            )

    def in_use(self, lane: Hashable) -> int:
        """Requests admitted on `lane` (for tests and metrics)."""
        found = self._lanes.get(lane)
        return found.requests if found else 0

    @asynccontextmanager
    async def slot(self, lane_key: Hashable) -> AsyncIterator[None]:
        lane = self._lanes.get(lane_key)
        if lane is None:
            lane = self._lanes[lane_key] = _Lane(self._slots)
        if lane.requests >= self._slots + self._queue:
            raise self._refusal("already has as many requests waiting as it may")
        lane.requests += 1
        try:
            try:
                async with asyncio.timeout(self._wait_seconds):
                    await lane.slots.acquire()
            except TimeoutError:
                raise self._refusal(
                    f"waited {self._wait_seconds:g} s without a free slot"
                ) from None
            try:
                yield
            finally:
                lane.slots.release()
        finally:
            lane.requests -= 1
            if lane.requests == 0 and self._lanes.get(lane_key) is lane:
                del self._lanes[lane_key]

    def _refusal(self, why: str) -> RateLimited:
        retry_after = max(1, math.ceil(self._wait_seconds))
        return RateLimited(
            f"your agency is using its whole share of this server ({self._slots} requests at "
            f"once) and this request {why}; retry after {retry_after} s, or send fewer requests "
            "at once",
            retry_after,
        )
