"""Query-string values of the REST endpoints, checked; every violation is a 400 (BAD_USER_INPUT).

An empty value (`?page=`) counts as absent, as it did for the Express and Deno handlers we replace.
"""

from __future__ import annotations

from typing import NoReturn

from starlette.datastructures import QueryParams

from core.errors import BadUserInput, describe
from core.pagination import Limits, Window, parse_window

INT32_MAX = 2**31 - 1


def text(params: QueryParams, name: str) -> str | None:
    value = params.get(name)
    return value if value else None


def integer(params: QueryParams, name: str) -> int | None:
    """A whole number within PostgreSQL's `integer` range (larger values cannot be a page)."""
    value = text(params, name)
    if value is None:
        return None
    try:
        number = int(value.strip(), 10)
    except ValueError:
        raise BadUserInput(f"{name} must be an integer, got {describe(value)}") from None
    if abs(number) > INT32_MAX:
        raise BadUserInput(f"{name} must be at most {INT32_MAX}, got {describe(value)}")
    return number


def one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise BadUserInput(f"{name} must be one of {', '.join(allowed)}; got {describe(value)}")
    return value


def no_cursor(cursor: str) -> NoReturn:
    """REST endpoints page by page/offset only; `parse_window` never calls this for them."""
    raise BadUserInput("cursor paging is not offered by this endpoint")


def renamed(error: BadUserInput, names: dict[str, str]) -> BadUserInput:
    """`error` speaking of the REST parameter names (`contact_limit`) instead of the shared
    paging names (`limit`) that `core.pagination` uses in its messages."""
    for shared, own in names.items():
        if error.message.startswith(f"{shared} "):
            return BadUserInput(own + error.message[len(shared) :])
    return error


def page_window(params: QueryParams, limits: Limits) -> Window:
    """Weya's `page` and `limit` parameters as a window (Weya has no cursors)."""
    return parse_window(
        limits,
        page=integer(params, "page"),
        limit=integer(params, "limit"),
        decode_after=no_cursor,
    )
