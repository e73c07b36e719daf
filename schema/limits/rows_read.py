"""Rows one request's lists make PostgreSQL read, counted with the lists' real sizes.

The estimate made before any SQL (`cost.py`) must assume a size for each list it cannot know;
once a batch has been read its contact count is known (the counters keep it, so knowing costs no
statement), and each contacts list is charged what it will really make PostgreSQL read before
its own SQL runs: the whole batch for a search, a filter or a sort of several fields, else the
rows its offset skips plus its page. Aliases and nesting each charge their own call, so a
request cannot multiply its reads past `QueryLimits.max_rows_read`.

REST pages of contacts are charged the same way (`admit_read`), against the same maximum.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.pagination import Window
from db.large_reads import LARGE_READ_ROWS, wait_for_large_read_turn
from schema.limits.bounds import LIMIT_CODE


class RowsReadExceeded(DomainError):
    code = LIMIT_CODE
    http_status = 400


class RowsRead:
    def __init__(self, maximum: int, large_read: int = LARGE_READ_ROWS) -> None:
        self.maximum = maximum
        self.large_read = large_read
        """A list reading at least this many rows waits for its agency's turn (`admit_read`)."""
        self.charged = 0

    @property
    def remaining(self) -> int:
        return self.maximum - self.charged

    def charge(self, rows: int, what: str) -> None:
        """Count `rows` for `what`, refusing (before its SQL runs) past the maximum."""
        if self.charged + rows > self.maximum:
            error = RowsReadExceeded(
                f"{what} would make the database read {rows} rows, and this request's lists "
                f"together may read at most {self.maximum} (it has read {self.charged}): "
                "search or filter one list per request, page with cursors (first/after) "
                "instead of deep offsets"
            )
            error.extensions = {
                "limit": "rowsRead",
                "maximum": self.maximum,
                "actual": self.charged + rows,
            }
            raise error
        self.charged += rows


def contacts_list_scans(search: str | None, filtered: bool, sort_fields: int) -> bool:
    """Whether a contacts list reads its whole batch: a search, a filter or a sort of several
    fields, which no index serves (the resolvers, the compiled path and REST pages alike)."""
    return search is not None or filtered or sort_fields > 1


def list_rows_read(total: int, window: Window, scans: bool) -> int:
    """What one call of a list of `total` rows reads: all of them when it scans, else the rows
    its offset skips and its page (never more than there are)."""
    if scans:
        return total
    return min(window.offset + window.limit, total)


async def admit_read(
    rows_read: RowsRead, session: AsyncSession, agency_id: uuid.UUID, rows: int, what: str
) -> None:
    """Before a list's SQL: charge the `rows` it will make PostgreSQL read (refused past the
    request's maximum) and, when that is a large read, wait for the agency's turn
    (`db/large_reads.py`)."""
    rows_read.charge(rows, what)
    if rows >= rows_read.large_read:
        await wait_for_large_read_turn(session, agency_id)
