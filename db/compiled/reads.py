"""Run a compiled read: one statement per root field, returning the JSON PostgreSQL built. Runs in the request's own transaction (the app role, `app.agency_id` set), so
row-level security guards it as it guards every resolver's statement."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Integer, Select, Text, cast, func, literal, select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from db import batches as batch_queries
from db.compiled.in_scope import InScopeStatement, in_scope_form
from db.compiled.pages import ListSource, page_statement
from db.compiled.rows import SUMMARY_COLUMNS, batch_json, batch_pairs
from db.compiled.shapes import BatchPage, OneBatch, RootRead, RowsReadBudget, reads_value
from db.compiled.statements import STATEMENTS_KEPT, template_of
from db.models import batch_summary

_VIEW = batch_summary.c


def statement_for(read: RootRead) -> Select[Any]:
    """The one statement answering `read`: one row of its JSON and the rows its contacts lists
    read (none when the batch asked for by id is not visible, or its lists would read more
    than the budget)."""
    if isinstance(read, OneBatch):
        built = batch_json(read.agency_id, _VIEW, read.shape, read.batch_id)
        rows = _rows_read(read.budget) if read.budget is not None else literal(0, Integer)
        statement = select(built, rows).where(
            _VIEW.agency_id == read.agency_id, _VIEW.id == read.batch_id
        )
        if read.budget is not None:
            statement = statement.where(rows <= read.budget.maximum)
        return statement
    return _batch_page(read)


def _rows_read(budget: RowsReadBudget) -> ColumnElement[int]:
    """What the batch's lists read, counted with its real size (the counters'
    `total_contacts`, as the resolvers count it) before any list is read."""
    total = _VIEW.total_contacts
    rows: ColumnElement[Any] = literal(0, Integer)
    if budget.scanning_lists:
        rows = rows + total * budget.scanning_lists
    for page in budget.pages:
        rows = rows + func.least(literal(page, Integer), total)
    return rows


def _batch_page(read: BatchPage) -> Select[Any]:
    """`list_batches` and `count_batches` of one filter as one statement."""
    agency_id, batch_filter = read.agency_id, read.batch_filter
    source = ListSource(
        columns=SUMMARY_COLUMNS,
        conditions=tuple(batch_queries.matching(_VIEW, agency_id, batch_filter)),
        keys=batch_queries.NEWEST_FIRST,
        count=lambda after: batch_queries.count_query(agency_id, batch_filter, after),
    )
    return page_statement(
        source,
        read.window,
        read.shape,
        lambda columns, shape: batch_pairs(agency_id, columns, shape),
    )


@dataclass(frozen=True)
class DriverStatement:
    """A statement compiled once to the driver's SQL (`$1`, `$2` …): its text, for each
    position the name of the template's value or the fixed value the statement holds, how
    its JSON (sent as text) is decoded, and its form for `read_in_scope()`. Its two columns
    are the JSON and the rows its contacts lists read."""

    sql: str
    positions: tuple[str, ...]
    fixed: dict[str, Any]
    decode: Callable[[str], Any]
    in_scope: InScopeStatement | None

    def arguments(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[n] if n in values else self.fixed[n] for n in self.positions)


def _driver_statement(template: RootRead) -> DriverStatement:
    """The JSON comes as text, decoded by orjson (several times faster than `json`), unless the
    read holds `custom_data`: clients' JSON, where only `json` (the driver's codec, which
    decodes it for the resolvers) reads integers beyond 64 bits exactly."""
    statement = statement_for(template)
    built, *others = statement.selected_columns
    rows_read = others or [literal(0, Integer)]
    as_text = statement.with_only_columns(cast(built, Text), *rows_read)
    dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
    compiled = as_text.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    fixed = dict(compiled.construct_params())
    decode = json.loads if reads_value(template.shape, "custom_data") else orjson.loads
    positions = tuple(compiled.positiontup or ())
    return DriverStatement(
        compiled.string, positions, fixed, decode, in_scope_form(compiled.string)
    )


_kept_statement = lru_cache(maxsize=STATEMENTS_KEPT)(_driver_statement)
"""The statement of a template (`statements.template_of`), compiled on first use: a request
then sends its SQL text as it is, without SQLAlchemy building, caching or compiling the (large)
expression again."""


@dataclass(frozen=True)
class PreparedRead:
    """A read ready to send: its statement and the values it is sent with."""

    statement: DriverStatement
    arguments: tuple[Any, ...]


def prepare(read: RootRead) -> PreparedRead:
    template, values = template_of(read)
    statement = _kept_statement(template)
    return PreparedRead(statement, statement.arguments(values))


FetchRow = Callable[[str, tuple[Any, ...], InScopeStatement | None], Awaitable[Any]]
"""Sends SQL with its arguments in the request's scope, in its transaction or as one
`read_in_scope()` statement; its first row or None (`RequestDatabase.fetch_row`)."""


async def read_json(fetch_row: FetchRow, read: PreparedRead) -> tuple[Any, int] | None:
    """The root field's JSON, decoded, and the rows its contacts lists read; None when the
    statement found no row."""
    found = await fetch_row(read.statement.sql, read.arguments, read.statement.in_scope)
    if found is None:
        return None
    return read.statement.decode(found[0]), found[1]
