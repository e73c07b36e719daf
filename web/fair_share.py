"""Fair share of the service per agency, within one worker process.

Each agency may start `rate` requests a second (a token bucket with `burst`), refused past it
before any limit check or database work.

Requests are not equal: a search of a 200,000-contact batch makes PostgreSQL read 200,000 rows,
a dashboard page a few hundred. So each agency also has a budget of rows read a second
(`rows_per_second`, counted as `MAX_ROWS_READ` counts them, at most `rows_burst` saved up): a
request's rows are charged when it ends, the balance may go into debt, and while it is in debt
the agency's requests are refused (RATE_LIMITED, `Retry-After` until the debt is paid). An
agency that reads little never meets it; one that scans big batches back to back gets its share
of the database's time and no more, whatever its request rate.

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

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one will be there."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def charge(self, now: float, amount: float) -> None:
        """Take `amount` tokens, going into debt when there are fewer."""
        self._refill(now)
        self.tokens -= amount

    def debt_seconds(self, now: float) -> float:
        """0 when the balance is positive, else the seconds until it will be."""
        self._refill(now)
        return 0.0 if self.tokens > 0 else -self.tokens / self.rate


class FairShare:
    def __init__(
        self,
        slots: int,
        queue: int,
        wait_seconds: float,
        rate: float = 1e9,
        burst: int = 1_000_000,
        rows_per_second: float = math.inf,
        rows_burst: int = 1_000_000,
        remembered_users: int = 10_000,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()
        self._rows_per_second = rows_per_second
        self._rows_burst = rows_burst
        self._rows: OrderedDict[Hashable, _Bucket] = OrderedDict()
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

    def agency_of(self, user_id: uuid.UUID) -> uuid.UUID | None:
        """The agency `user_id` signed in to last (on this worker), if remembered."""
        return self._agency_of.get(user_id)

    def remember(self, user_id: uuid.UUID, agency_id: uuid.UUID) -> None:
        self._agency_of[user_id] = agency_id
        self._agency_of.move_to_end(user_id)
        if len(self._agency_of) > self._remembered_users:
            self._agency_of.popitem(last=False)

    def admit(self, lane: Hashable) -> None:
        """Take one of the lane's request tokens, or refuse (RATE_LIMITED) with the time until
        the next one, or until its rows-read debt is paid: the cheapest refusal there is, before
        any limit check or SQL."""
        now = time.monotonic()
        rows = self._rows.get(lane)
        if rows is not None and (debt := rows.debt_seconds(now)):
            retry_after = max(1, math.ceil(debt))
            raise RateLimited(
                f"your agency's requests made the database read more rows than its share of "
                f"this server ({self._rows_per_second:,.0f} a second); retry after "
                f"{retry_after} s, or read less per request (cursors instead of deep offsets, "
                "narrower searches)",
                retry_after,
            )
        wait = self._bucket(self._buckets, lane, self._rate, self._burst, now).take(now)
        if wait:
            retry_after = max(1, math.ceil(wait))
            raise RateLimited(
                f"your agency is sending more than {self._rate:g} requests a second to this "
                f"server; retry after {retry_after} s",
                retry_after,
            )

    def charge_rows(self, agency_id: uuid.UUID, rows: int) -> None:
        """Count the rows a finished request of the agency made the database read."""
        if rows and self._rows_per_second != math.inf:
            now = time.monotonic()
            lane = self.lane_for_agency(agency_id)
            bucket = self._bucket(self._rows, lane, self._rows_per_second, self._rows_burst, now)
            bucket.charge(now, rows)

    def _bucket(
        self,
        buckets: OrderedDict[Hashable, _Bucket],
        lane: Hashable,
        rate: float,
        burst: int,
        now: float,
    ) -> _Bucket:
        """`lane`'s bucket, made full when new; the least recently used are forgotten."""
        bucket = buckets.get(lane)
        if bucket is None:
            bucket = buckets[lane] = _Bucket(rate, burst, now)
        buckets.move_to_end(lane)
        if len(buckets) > self._remembered_users:
            buckets.popitem(last=False)
        return bucket

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
