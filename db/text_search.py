"""Turning a user's search string into a LIKE pattern that matches it literally."""

from __future__ import annotations

LIKE_ESCAPE = "\\"


def contains_pattern(term: str) -> str:
    """`%term%` with `\\`, `%` and `_` escaped, for `LIKE … ESCAPE '\\'`."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
