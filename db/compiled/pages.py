"""One page of a list as one SQL expression that builds its connection's JSON.

The page's rows are read once, with one extra row to learn whether a next page exists, each
numbered by its position; a single aggregate over them builds every list the shape asks for
(`nodes`, `edges`, several aliases of either) and the first and last sort values. Counts run
only when the shape needs them, each once. The facts are those of `schema.pagination.ListSlice`
(the resolvers' reference): `has_previous_page` and the cursor-mode offset are derived the same
way, from the same counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.sql.selectable import LateralFromClause

from core.pagination import Window
from db.compiled.json_sql import (
    Columns,
    NotCompilable,
    Pairs,
    constant,
    empty_json_array,
    iso_timestamp,
    json_object,
    json_row,
)
from db.compiled.shapes import PAGE_FACTS, PAGINATION_FACTS, Constant, Nested, Shape, Value
from db.keyset import OrderKey, order_by_clauses, rows_after

NodePairs = Callable[[Columns, Shape], Pairs]
"""The keys and values of one row's object, given the page's columns."""


@dataclass(frozen=True)
class ListSource:
    """One list as SQL: where its rows come from, which match, their order, and its counts."""

    columns: tuple[ColumnElement[Any], ...]
    """What each row carries out of the page (every column a node may show)."""
    conditions: tuple[ColumnElement[bool], ...]
    keys: tuple[OrderKey, ...]
    """The sort keys, ending with a unique one."""
    count: Callable[[tuple[Any, ...] | None], Select[Any]]
    """`SELECT count(*) AS rows` of the list, or (given sort values) of its rows after them."""


def _sortable(expression: ColumnElement[Any]) -> ColumnElement[Any]:
    """A sort value as JSON carries it to the cursor: timestamps as `isoformat()` text."""
    return iso_timestamp(expression) if isinstance(expression.type, DateTime) else expression


def page_statement(
    source: ListSource, window: Window, shape: Shape, node: NodePairs
) -> Select[Any]:
    """`SELECT <the connection's JSON>`: one row, one column."""
    keys = list(source.keys)
    conditions = list(source.conditions)
    if window.after is not None:
        conditions.append(rows_after(keys, window.after))
    ordered = order_by_clauses(keys)
    rows = (
        select(
            *source.columns,
            *(_sortable(key.expression).label(f"sort_{i}") for i, key in enumerate(keys)),
            func.row_number().over(order_by=ordered).label("position"),
        )
        .where(*conditions)
        .order_by(*ordered)
        .limit(window.limit + 1)
    )
    if window.offset:
        rows = rows.offset(window.offset)
    page = rows.subquery("page")
    builder = _PageBuilder(page, len(keys), window, source, node)
    connection = builder.connection(shape)
    page_and_nodes: Any = page
    for node_row in builder.node_rows:
        page_and_nodes = page_and_nodes.join(node_row, true())
    summary = select(*builder.aggregates).select_from(page_and_nodes).subquery("page_summary")
    built = builder.finish(connection, summary)
    statement = select(built).select_from(summary)
    for counted in builder.counts():
        statement = statement.join(counted, true())
    return statement


class _PageBuilder:
    """Walks a connection's shape: aggregates over the page go to `page_summary`, the rest
    is built from its columns and the counts."""

    def __init__(
        self, page: Any, arity: int, window: Window, source: ListSource, node: NodePairs
    ) -> None:
        self.page = page
        self.window = window
        self.source = source
        self.node = node
        # Positions are numbered before OFFSET applies: the page holds offset+1 … offset+limit.
        self.in_page = page.c.position <= window.offset + window.limit
        self.sort_values = func.json_build_array(*(page.c[f"sort_{i}"] for i in range(arity)))
        self.aggregates: list[ColumnElement[Any]] = [func.count().label("fetched")]
        self.node_rows: list[LateralFromClause] = []
        """`json_row`s of the page's rows, one per node shape, joined beside the page."""
        self.needs_total = False
        self.needs_remaining = False
        self.summary: Any = None
        self.total: Any = None
        self.remaining: Any = None

    # Deferred references: the summary and count subqueries exist only after the walk.
    def _aggregate(self, expression: ColumnElement[Any]) -> Callable[[], ColumnElement[Any]]:
        name = f"part_{len(self.aggregates)}"
        self.aggregates.append(expression.label(name))
        return lambda: self.summary.c[name]

    def _list(self, item: ColumnElement[Any]) -> Callable[[], ColumnElement[Any]]:
        listed = func.json_agg(aggregate_order_by(item, self.page.c.position), type_=JSON)
        every = func.coalesce(listed.filter(self.in_page), empty_json_array(), type_=JSON)
        return self._aggregate(every)

    def connection(self, shape: Shape) -> list[tuple[str, Callable[[], ColumnElement[Any]]]]:
        parts: list[tuple[str, Callable[[], ColumnElement[Any]]]] = []
        for key, part in shape:
            if isinstance(part, Constant):
                parts.append((key, partial(constant, part)))
            elif isinstance(part, Value) and part.name == "total_count":
                self.needs_total = True
                parts.append((key, lambda: self.total.c.rows))
            elif isinstance(part, Nested) and part.name == "nodes":
                parts.append((key, self._list(self._node(part.shape))))
            elif isinstance(part, Nested) and part.name == "edges":
                parts.append((key, self._list(self._edge(part.shape))))
            elif isinstance(part, Nested) and part.name == "page_info":
                parts.append((key, self._object(part.shape, self._page_fact)))
            elif isinstance(part, Nested) and part.name == "pagination":
                parts.append((key, self._object(part.shape, self._pagination_fact)))
            else:
                raise NotCompilable(f"not a part of a connection: {part!r}")
        return parts

    def _node(self, shape: Shape) -> ColumnElement[Any]:
        """A page row's object: a composite row of the keys, joined beside the page."""
        node_row = json_row(self.node(self.page.c, shape), f"node_{len(self.node_rows) + 1}")
        self.node_rows.append(node_row)
        return node_row.table_valued()

    def _edge(self, shape: Shape) -> ColumnElement[Any]:
        pairs: Pairs = []
        for key, part in shape:
            if isinstance(part, Constant):
                pairs.append((key, constant(part)))
            elif isinstance(part, Value) and part.name == "cursor":
                pairs.append((key, self.sort_values))
            elif isinstance(part, Nested) and part.name == "node":
                pairs.append((key, self._node(part.shape)))
            else:
                raise NotCompilable(f"not a part of an edge: {part!r}")
        return json_object(pairs)

    def _object(
        self, shape: Shape, fact: Callable[[str], Callable[[], ColumnElement[Any]]]
    ) -> Callable[[], ColumnElement[Any]]:
        parts: list[tuple[str, Callable[[], ColumnElement[Any]]]] = []
        for key, part in shape:
            if isinstance(part, Constant):
                parts.append((key, partial(constant, part)))
            elif isinstance(part, Value):
                parts.append((key, fact(part.name)))
            else:
                raise NotCompilable(f"not a fact of a page: {part!r}")
        return lambda: json_object([(key, build()) for key, build in parts])

    def _page_fact(self, name: str) -> Callable[[], ColumnElement[Any]]:
        if name not in PAGE_FACTS or name == "total_count":
            raise NotCompilable(f"not a fact of pageInfo: {name}")
        limit = self.window.limit
        if name == "has_next_page":
            return lambda: self.summary.c.fetched > limit
        if name in ("start_cursor", "end_cursor"):
            listed = func.json_agg(aggregate_order_by(self.sort_values, self.page.c.position))
            every = self._aggregate(listed.filter(self.in_page))
            index = 0 if name == "start_cursor" else -1
            return lambda: every().op("->", return_type=JSON)(literal(index, Integer))
        return self._has_previous_page()

    def _has_previous_page(self) -> Callable[[], ColumnElement[Any]]:
        """`ListSlice.has_previous_page`."""
        window = self.window
        if window.cursor_mode:
            if window.after is None:
                return lambda: literal_column("false")
            offset = self._offset()
            return lambda: offset() > 0
        if window.offset == 0:
            return lambda: literal_column("false")
        self.needs_total = True
        return lambda: self.total.c.rows > 0

    def _offset(self) -> Callable[[], ColumnElement[Any]]:
        """`ListSlice.offset`: in cursor mode after a cursor, the rows before the page."""
        if not self.window.cursor_mode or self.window.after is None:
            offset = self.window.offset
            return lambda: literal(offset, Integer)
        self.needs_total = self.needs_remaining = True
        return lambda: self.total.c.rows - self.remaining.c.rows

    def _pagination_fact(self, name: str) -> Callable[[], ColumnElement[Any]]:
        """`core.pagination.offset_maths` of the total, the offset and the limit."""
        if name not in PAGINATION_FACTS:
            raise NotCompilable(f"not a fact of pagination: {name}")
        self.needs_total = True
        limit = literal(self.window.limit, Integer)
        offset = self._offset()
        facts: dict[str, Callable[[], ColumnElement[Any]]] = {
            "total": lambda: self.total.c.rows,
            "page": lambda: offset() // limit + 1,
            "limit": lambda: limit,
            "offset": offset,
            "total_pages": lambda: (self.total.c.rows + limit - 1) // limit,
            "has_more": lambda: offset() + limit < self.total.c.rows,
        }
        return facts[name]

    def counts(self) -> list[Any]:
        counted = []
        if self.total is not None:
            counted.append(self.total)
        if self.remaining is not None:
            counted.append(self.remaining)
        return counted

    def finish(
        self, parts: list[tuple[str, Callable[[], ColumnElement[Any]]]], summary: Any
    ) -> ColumnElement[Any]:
        self.summary = summary
        if self.needs_total:
            self.total = self.source.count(None).subquery("total")
        if self.needs_remaining:
            assert self.window.after is not None
            remaining = self.source.count(self.window.after)
            self.remaining = remaining.subquery("remaining")
        return json_object([(key, build()) for key, build in parts])
