"""Paging arithmetic of every list, whatever the transport: page-size limits, the checks of
paging arguments and the `Window` they ask for, and offset maths.

Two modes, never mixed in one call:
- offset mode: `page` (1-based) or `offset`, plus `limit`;
- cursor mode: `first` plus `after` (the cursor decoded by the caller's `decode_after`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import BadUserInput


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
