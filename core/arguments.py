"""Checks of client-given values shared by the GraphQL and REST APIs; each violation is a
`BadUserInput` naming the argument."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.errors import BadUserInput, describe

SEARCH_MAX_LENGTH = 200


def parse_id(name: str, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise BadUserInput(f"{name} must be a UUID, got {describe(value)}") from None


def search_term(value: str | None) -> str | None:
    """A search string as data: bounded, free of control characters, blank meaning none."""
    if value is None:
        return None
    if len(value) > SEARCH_MAX_LENGTH:
        raise BadUserInput(
            f"search must be at most {SEARCH_MAX_LENGTH} characters, got {len(value)}"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise BadUserInput("search must not contain control characters (such as NUL or newline)")
    return value if value.strip() else None


def filter_text(name: str, value: str | None) -> str | None:
    if value is not None and (len(value) > SEARCH_MAX_LENGTH or "\x00" in value):
        raise BadUserInput(f"{name} must be at most {SEARCH_MAX_LENGTH} characters, without NUL")
    return value


@dataclass(frozen=True)
class ContactFilterText:
    """The free-text fields of a contact filter, checked on creation: the one place that knows
    which fields are text (the GraphQL `ContactFilter` and the REST `filter` parameter use it)."""

    outcome: str | None = None
    priority: str | None = None
    call_status: str | None = None

    def __post_init__(self) -> None:
        filter_text("filter.outcome", self.outcome)
        filter_text("filter.priority", self.priority)
        filter_text("filter.callStatus", self.call_status)
