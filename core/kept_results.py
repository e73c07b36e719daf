"""Results kept per request shape: what was worked out for a request (its limit check, its
compiled plan) kept for the next request with the same document, operation and variables, and
whatever else decides it, in a bounded map that forgets the least recently used first."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

import orjson

V = TypeVar("V")


def variables_key(variables: Mapping[str, Any] | None) -> bytes | None:
    """The variables as canonical bytes (keys sorted); None when orjson cannot write them (an
    integer beyond 64 bits): such a request is worked out each time, not kept."""
    try:
        return orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return None


class KeptResults(Generic[V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable | None, make: Callable[[], V]) -> V:
        """The result kept for `key`, else `make()`'s, kept (never kept for a None key)."""
        if key is None:
            return make()
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        result = self._kept[key] = make()
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return result
