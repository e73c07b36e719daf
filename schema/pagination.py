"""Pagination for every list: argument checking, offset maths, cursors and connections.

Two modes, never mixed in one call:
- offset mode: `page` (1-based) or `offset`, plus `limit`;
- cursor mode: `first` plus `after`, resumed with a keyset (seek) query, never OFFSET.

A cursor is `base64url(json) + "." + HMAC`: it carries the sort values of its row (the sort keys
and the unique tie-break) and a digest of the list it came from (which batch, sort, filter,
search). A cursor from another list, or altered in any byte, is rejected as BAD_USER_INPUT.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import math
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from schema.errors import BadUserInput

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    default: int
    maximum: int


BATCH_LIMITS = Limits(default=25, maximum=100)
CONTACT_LIMITS = Limits(default=50, maximum=200)
EVENT_LIMITS = Limits(default=20, maximum=100)


@dataclass(frozen=True)
class Window:
    """Which slice of a list one call asks for."""

    limit: int
    offset: int = 0
    after: tuple[Any, ...] | None = None
    cursor_mode: bool = False


def list_binding(kind: str, **parts: Any) -> str:
    """A short digest naming one list (its kind, parent, sort and filters) for cursor binding."""
    canonical = json.dumps([kind, parts], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def encode(self, binding: str, values: Sequence[Any]) -> str:
        payload = json.dumps(
            {"l": binding, "k": [_encode_value(v) for v in values]}, separators=(",", ":")
        ).encode()
        body = base64.urlsafe_b64encode(payload).rstrip(b"=")
        return f"{body.decode()}.{self._sign(body)}"

    def decode(self, cursor: str, binding: str, arity: int) -> tuple[Any, ...]:
        invalid = BadUserInput(
            "after is not a valid cursor for this list: use an endCursor or cursor returned by "
            "the same field with the same sort, filter and search"
        )
        if len(cursor) > 2048 or not cursor.isascii() or cursor.count(".") != 1:
            raise invalid  # (compare_digest refuses non-ASCII strings with a TypeError)
        body, signature = cursor.split(".")
        if not hmac.compare_digest(signature, self._sign(body.encode())):
            raise invalid
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            values = tuple(_decode_value(v) for v in payload["k"])
            if payload["l"] != binding or len(values) != arity:
                raise invalid
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise invalid from None
        return values

    def _sign(self, body: bytes) -> str:
        digest = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"d": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    if value is None or isinstance(value, (int, str)):
        return value
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"d"}:
            return datetime.fromisoformat(value["d"])
        if set(value) == {"u"}:
            return uuid.UUID(value["u"])
        raise ValueError("unknown cursor value")
    if value is None or isinstance(value, (int, str)):
        return value
    raise ValueError("unknown cursor value")


def _check_range(name: str, value: int, low: int, high: int | None = None) -> None:
    if value < low or (high is not None and value > high):
        allowed = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadUserInput(f"{name} must be {allowed}, got {value}")


def parse_window(
    limits: Limits,
    *,
    page: int | None = None,
    offset: int | None = None,
    limit: int | None = None,
    first: int | None = None,
    after: str | None = None,
    decode_after: Callable[[str], tuple[Any, ...]],
) -> Window:
    """Check paging arguments and turn them into a `Window`; every violation is BAD_USER_INPUT."""
    offset_mode = [
        n for n, v in (("page", page), ("offset", offset), ("limit", limit)) if v is not None
    ]
    cursor_mode = [n for n, v in (("first", first), ("after", after)) if v is not None]
    if offset_mode and cursor_mode:
        raise BadUserInput(
            f"use either offset paging (page/offset with limit) or cursor paging (first with "
            f"after), not both: got {', '.join(offset_mode + cursor_mode)}"
        )
    if page is not None and offset is not None:
        raise BadUserInput("give page or offset, not both")
    if cursor_mode:
        size = limits.default if first is None else first
        _check_range("first", size, 1, limits.maximum)
        return Window(
            limit=size,
            after=decode_after(after) if after is not None else None,
            cursor_mode=True,
        )
    size = limits.default if limit is None else limit
    _check_range("limit", size, 1, limits.maximum)
    if page is not None:
        _check_range("page", page, 1)
        return Window(limit=size, offset=(page - 1) * size)
    if offset is not None:
        _check_range("offset", offset, 0)
        return Window(limit=size, offset=offset)
    return Window(limit=size)


@dataclass(frozen=True)
class OffsetMaths:
    total: int
    page: int
    limit: int
    offset: int
    total_pages: int
    has_more: bool


def offset_maths(total: int, offset: int, limit: int) -> OffsetMaths:
    return OffsetMaths(
        total=total,
        page=offset // limit + 1,
        limit=limit,
        offset=offset,
        total_pages=math.ceil(total / limit),
        has_more=offset + limit < total,
    )


class ListSlice(Generic[T]):
    """One page of one list, computing only what the query selects, each part at most once.

    Rows are fetched with one extra to learn whether a next page exists; the count runs only
    when `totalCount` or `pagination` is selected. Sibling resolvers may ask concurrently, so
    each part is a shared task.
    """

    def __init__(
        self,
        window: Window,
        *,
        fetch: Callable[[int], Awaitable[Sequence[T]]],
        count: Callable[[], Awaitable[int]],
        count_after: Callable[[tuple[Any, ...]], Awaitable[int]],
        cursor_of: Callable[[T], str],
    ) -> None:
        self.window = window
        self._fetch = fetch
        self._count = count
        self._count_after = count_after
        self.cursor_of = cursor_of
        self._rows: asyncio.Task[Sequence[T]] | None = None
        self._total: asyncio.Task[int] | None = None
        self._remaining: asyncio.Task[int] | None = None

    async def _rows_plus_one(self) -> Sequence[T]:
        if self._rows is None:
            self._rows = asyncio.ensure_future(self._fetch(self.window.limit + 1))
        return await self._rows

    async def rows(self) -> Sequence[T]:
        return (await self._rows_plus_one())[: self.window.limit]

    async def has_next_page(self) -> bool:
        return len(await self._rows_plus_one()) > self.window.limit

    async def has_previous_page(self) -> bool:
        """Whether any row of the list comes before this page: exact, even when the page is
        past the end, the list is empty, or the cursor's own row has gone since."""
        if self.window.cursor_mode:
            return self.window.after is not None and await self.offset() > 0
        if self.window.offset == 0:
            return False
        return bool(await self.rows()) or await self.total() > 0

    async def total(self) -> int:
        if self._total is None:
            self._total = asyncio.ensure_future(self._count())
        return await self._total

    async def offset(self) -> int:
        """Position of this page's first row; in cursor mode, derived from a count after it."""
        after = self.window.after
        if not self.window.cursor_mode or after is None:
            return self.window.offset
        if self._remaining is None:
            self._remaining = asyncio.ensure_future(self._count_after(after))
        total, remaining = await asyncio.gather(self.total(), self._remaining)
        return total - remaining

    async def pagination(self) -> OffsetMaths:
        offset = await self.offset()
        return offset_maths(await self.total(), offset, self.window.limit)
