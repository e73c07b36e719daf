"""Bearer tokens lately told to retry later, so that the HTTP protocol can refuse their next
requests before the app sees them.

The connection that carried a `429` is held until `Retry-After` (`web/connection_hold.py`), but
a client may ignore that and open new connections, each with a full request: reading its body,
decoding it, checking its token and refusing it again costs the process a couple of
milliseconds each time, taken from every other agency's requests in the same event loop. A
token refused with `Retry-After` a moment ago is therefore remembered until then, and a GraphQL
request bearing it is answered `429` by the protocol as soon as its headers are read.
"""

from __future__ import annotations


class ThrottledTokens:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._until: dict[bytes, float] = {}

    def hold(self, authorization: bytes, until: float, now: float) -> None:
        """Refuse `authorization` (the header's value) until `until` (event loop time)."""
        if authorization not in self._until and len(self._until) >= self.capacity:
            self._forget_expired(now)
            if len(self._until) >= self.capacity:
                del self._until[next(iter(self._until))]
        self._until[authorization] = max(until, self._until.get(authorization, until))

    def seconds_left(self, authorization: bytes, now: float) -> float:
        """How long `authorization` is still refused; 0 when it is not."""
        until = self._until.get(authorization)
        if until is None:
            return 0.0
        if until <= now:
            del self._until[authorization]
            return 0.0
        return until - now

    def _forget_expired(self, now: float) -> None:
        for authorization in [a for a, until in self._until.items() if until <= now]:
            del self._until[authorization]

    def __len__(self) -> int:
        return len(self._until)
