"""What a compiled read asks the database to build: the JSON shape of one root field.

The schema layer describes a response as these plain values (the response keys in document
order, and for each key what it holds); `db.compiled` turns a shape into one SQL statement that
makes PostgreSQL build exactly that JSON. Names are the database's (snake case): a `Value`
names a column of the row in scope (`name`, `total_contacts`) or a fact of the page in scope
(`total_count`, `has_next_page`, `cursor` …), never a GraphQL field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.pagination import Window
from db.batches import BatchFilter
from db.contacts import ContactFilter, ContactSort


@dataclass(frozen=True)
class Value:
    """A column of the row in scope, or a fact of the page in scope."""

    name: str


@dataclass(frozen=True)
class Constant:
    """A fixed string (`__typename`)."""

    text: str


@dataclass(frozen=True)
class Nested:
    """An object or a list below the current one: `nodes`, `edges`, `node`, `page_info`,
    `pagination` of a page, or `call_logs` of a contact."""

    name: str
    shape: Shape


@dataclass(frozen=True)
class ContactPage:
    """A batch's `contacts` connection: which contacts, which slice, and what to build."""

    contact_filter: ContactFilter
    sort: tuple[ContactSort, ...]
    window: Window
    shape: Shape


Part = Value | Constant | Nested | ContactPage
Shape = tuple[tuple[str, Part], ...]
"""Response keys, in order, each with what it holds."""


@dataclass(frozen=True)
class BatchPage:
    """The root `batches` connection."""

    agency_id: uuid.UUID
    batch_filter: BatchFilter
    window: Window
    shape: Shape


@dataclass(frozen=True)
class RowsReadBudget:
    """What the contacts lists of one batch may make PostgreSQL read together
    (`schema.limits.rows_read`): a list that scans is charged the batch's every contact, any
    other at most its offset plus its page."""

    maximum: int
    scanning_lists: int
    pages: tuple[int, ...]
    """Offset plus page size of each list that does not scan."""


@dataclass(frozen=True)
class OneBatch:
    """The root `batch(id:)`. With a budget, a batch whose lists would read more is not read
    (no row: the caller lets the resolvers refuse it)."""

    agency_id: uuid.UUID
    batch_id: uuid.UUID
    shape: Shape
    budget: RowsReadBudget | None = None


RootRead = BatchPage | OneBatch

PAGE_FACTS = frozenset(
    {"total_count", "has_next_page", "has_previous_page", "start_cursor", "end_cursor"}
)
PAGINATION_FACTS = frozenset({"total", "page", "limit", "offset", "total_pages", "has_more"})


def reads_value(shape: Shape, name: str) -> bool:
    """Whether `shape`, or any shape below it, asks for the value `name`."""
    for _, part in shape:
        if part == Value(name):
            return True
        if isinstance(part, Nested | ContactPage) and reads_value(part.shape, name):
            return True
    return False
