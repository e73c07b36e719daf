"""Pagination of the GraphQL lists: cursors and the lazy page behind a connection (paging
arguments and offset maths: `core.pagination`).

Cursor mode (`first` plus `after`) resumes with a keyset (seek) query, never OFFSET.

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
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BadUserInput
from core.pagination import Limits, OffsetMaths, Window, offset_maths, parse_window
from db.tenancy import RequestDatabase

T = TypeVar("T")
Row = TypeVar("Row")
RowT_co = TypeVar("RowT_co", covariant=True)


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


@dataclass(frozen=True)
class Paging:
    """The paging of one list: its cursors are bound to it (`list_binding`: which list, sort and
    filter) and carry `arity` sort values, so a cursor of another list is refused."""

    cursors: CursorCodec
    binding: str
    arity: int

    def window(
        self,
        limits: Limits,
        *,
        page: int | None,
        offset: int | None,
        limit: int | None,
        first: int | None,
        after: str | None,
    ) -> Window:
        """The list field's paging arguments checked and turned into a `Window`."""
        return parse_window(
            limits,
            page=page,
            offset=offset,
            limit=limit,
            first=first,
            after=after,
            decode_after=lambda cursor: self.cursors.decode(cursor, self.binding, self.arity),
        )

    def cursor(self, sort_values: Sequence[Any]) -> str:
        return self.cursors.encode(self.binding, sort_values)


class FetchRows(Protocol[RowT_co]):
    """A query function of `db` with its list's arguments bound: a page of rows."""

    def __call__(
        self, session: AsyncSession, *, limit: int, offset: int, after: Sequence[Any] | None
    ) -> Awaitable[Sequence[RowT_co]]: ...


class CountRows(Protocol):
    """A query function of `db` with its list's arguments bound: rows of the list, or after a
    cursor's position."""

    def __call__(self, session: AsyncSession, *, after: Sequence[Any] | None) -> Awaitable[int]: ...


def list_slice(
    db: RequestDatabase,
    window: Window,
    fetch: FetchRows[Row],
    count: CountRows,
    cursor_of: Callable[[Row], str],
) -> ListSlice[Row]:
    """The `ListSlice` of `window` over a list whose query functions take the request's session."""

    async def fetch_rows(size: int) -> Sequence[Row]:
        async with db.session() as session:
            return await fetch(session, limit=size, offset=window.offset, after=window.after)

    async def count_rows(after: tuple[Any, ...] | None = None) -> int:
        async with db.session() as session:
            return await count(session, after=after)

    return ListSlice(
        window, fetch=fetch_rows, count=count_rows, count_after=count_rows, cursor_of=cursor_of
    )
