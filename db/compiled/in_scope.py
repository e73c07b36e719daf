"""A compiled read's statement in the form `read_in_scope()` runs it (migration 0010): one
statement that checks the caller's membership, sets the request's scope and runs the read, in
place of `BEGIN` with the scope, the read and `ROLLBACK`.

The function takes the read's arguments as one `text[]`, so each `$k::type` of the driver's SQL
becomes `($1[k])::type` and each value is sent as PostgreSQL's text for it. A statement with a
parameter the driver's SQL does not cast, or a value of a type not written here, has no such
form: it is read in a transaction as before.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_PARAMETER = re.compile(r"\$(\d+)(::)?")


@dataclass(frozen=True)
class InScopeStatement:
    name: str
    """The prepared statement's name in a session: the hash of its text."""
    sql: str

    def text_arguments(self, arguments: Sequence[Any]) -> list[str | None] | None:
        """The arguments as text, or None when one has no text form here."""
        written: list[str | None] = []
        for value in arguments:
            text = _as_text(value)
            if text is _NO_TEXT:
                return None
            written.append(text)
        return written


def in_scope_form(driver_sql: str) -> InScopeStatement | None:
    if any(not cast for _, cast in _PARAMETER.findall(driver_sql)):
        return None
    sql = _PARAMETER.sub(lambda found: f"($1[{found.group(1)}])::", driver_sql)
    digest = hashlib.sha256(sql.encode()).hexdigest()[:32]
    return InScopeStatement(name=f"callbatch_read_{digest}", sql=sql)


_NO_TEXT = object()


def _as_text(value: Any) -> Any:
    """PostgreSQL's input text for `value` (exact types, but for UUIDs: a `str` enum's `str()`
    is its name, not its value)."""
    kind = type(value)
    if value is None:
        return None
    if kind is bool:
        return "true" if value else "false"
    if kind in (str, int, Decimal) or isinstance(value, uuid.UUID):
        return str(value)  # the driver's UUIDs are a subclass of `uuid.UUID`
    if kind is float:
        return repr(value)
    if kind in (datetime, date):
        return value.isoformat()
    return _NO_TEXT
