"""Turning a user's search string into a LIKE pattern that matches it literally."""

from __future__ import annotations

LIKE_ESCAPE = "\\"

SEARCH_OPERATOR = "@~~"
"""`LIKE` (escape `\\`) declared LEAKPROOF (migration 0007, `contact_search_like`), so that under
row-level security the planner may use the trigram index `ix_campaign_contacts_search_leakproof_trgm`
for it; `document @~~ pattern` answers exactly as `document LIKE pattern ESCAPE '\\'`."""


def contains_pattern(term: str) -> str:
    """`%term%` with `\\`, `%` and `_` escaped, for `LIKE … ESCAPE '\\'` or `@~~`."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
