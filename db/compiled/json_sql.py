"""SQL building blocks of compiled reads: JSON objects of one row, in the exact text the API's
resolvers produce once encoded (see `iso_timestamp` and `one_decimal`).

An object is built one of two ways. `json_object` is `json_build_object('key', value, …)`, for
an object built once per statement (a root batch, a page's `pageInfo`). `json_row` makes the
object of every row of a list a composite row, joined `LATERAL` beside the row, one column per
key: PostgreSQL writes a row as the JSON object of its column names and values, with the same
text for each value as `json_build_object`, and for less per row, since
`json_build_object` inspects its variadic arguments again for every row. Measured on PostgreSQL
15, the bench's statements 2,000x and 800x in a scoped transaction (docs/BENCHMARKS.md): a page
of 25 batches 235-245 -> 200-205 µs of backend CPU, a batch with 50 contacts and their call
logs 760-850 -> 690-750 µs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    String,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.selectable import LateralFromClause

from db.compiled.shapes import Constant, Part, Shape, Value

Columns = ReadOnlyColumnCollection[str, Any]
"""The columns of the row in scope, by name (a table's, a view's or a subquery's `.c`)."""

Pairs = list[tuple[str, ColumnElement[Any]]]
"""An object's keys, in order, each with the SQL of its value."""

MAX_OBJECT_KEYS = 50
"""`json_build_object` takes at most 100 arguments: a shape with more keys is not compiled,
whichever way its object is built."""

MAX_COLUMN_NAME_BYTES = 63
"""PostgreSQL cuts longer identifiers short: a key longer than that is not a `json_row` column."""

_RESPONSE_KEY = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


class NotCompilable(Exception):
    """The shape asks for something this module cannot build: the caller answers another way."""


def sql_text(constant: str) -> ColumnElement[str]:
    """A constant string written into the SQL itself (not a bind parameter), so the statement
    reads as a DBA would write it; only for constants of this module, never a client's value."""
    return literal_column("'" + constant.replace("'", "''") + "'", String)


def iso_timestamp(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A timestamptz as Python's `datetime.isoformat()` writes the UTC datetimes asyncpg
    returns (`2025-01-15T10:30:00+00:00`, microseconds only when non-zero): PostgreSQL's own
    JSON text trims trailing zeros of the fraction and follows the session's TimeZone."""
    utc = func.timezone(sql_text("UTC"), value)
    seconds = func.to_char(utc, sql_text('YYYY-MM-DD"T"HH24:MI:SS'))
    fraction = func.to_char(utc, sql_text(".US"))
    whole = func.date_trunc(sql_text("second"), utc) == utc
    with_fraction = seconds.op("||")(case((whole, sql_text("")), else_=fraction))
    return with_fraction.op("||")(sql_text("+00:00"))


def one_decimal(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A percentage the view rounds to one decimal, as a JSON number that always shows it
    (`41.0`, like Python's float): float8's own text would be `41`."""
    return func.round(cast(value, Numeric), literal_column("1", Integer))


def upper_name(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A status as its GraphQL enum value (`in_progress` → `IN_PROGRESS`)."""
    return func.upper(value)


def json_object(pairs: Pairs) -> ColumnElement[Any]:
    """`json_build_object('key', value, …)` in the given key order; keys are GraphQL response
    names (letters, digits, `_`), written into the SQL as literals."""
    _check_keys(pairs)
    arguments: list[ColumnElement[Any]] = []
    for key, value in pairs:
        arguments += [literal_column(f"'{key}'", String), value]
    return func.json_build_object(*arguments, type_=JSON)


def json_row(pairs: Pairs, name: str) -> LateralFromClause:
    """`LATERAL (SELECT value AS key, …) AS name`: the object of the row in scope as a composite
    row, to be joined beside that row (`ON true`: one row each). Its whole-row value
    (`.table_valued()`) is the object, to aggregate with `json_agg` or to place in another
    object. Every column it reads is the row's, from the enclosing query."""
    _check_keys(pairs, longest=MAX_COLUMN_NAME_BYTES)
    return select(*(value.label(key) for key, value in pairs)).correlate_except(None).lateral(name)


def _check_keys(pairs: Pairs, longest: int | None = None) -> None:
    """`NotCompilable` unless the object has at most `MAX_OBJECT_KEYS` keys, each a response
    name (written into the SQL) of at most `longest` characters."""
    if len(pairs) > MAX_OBJECT_KEYS:
        raise NotCompilable(f"an object of more than {MAX_OBJECT_KEYS} keys")
    for key, _ in pairs:
        if not _RESPONSE_KEY.match(key):
            raise NotCompilable(f"not a response name: {key!r}")
        if longest is not None and len(key) > longest:
            raise NotCompilable(f"a response name longer than a column name: {key!r}")


def empty_json_array() -> ColumnElement[Any]:
    return literal_column("'[]'::json", JSON)


def constant(part: Constant) -> ColumnElement[Any]:
    """A fixed string; only GraphQL type names (letters, digits, `_`) are written inline."""
    if not _RESPONSE_KEY.match(part.text):
        raise NotCompilable(f"not a type name: {part.text!r}")
    return sql_text(part.text)


RowValue = Callable[[Columns], ColumnElement[Any]]


def row_pairs(
    columns: Columns,
    shape: Shape,
    values: Mapping[str, RowValue],
    nested: Callable[[Columns, str, Part], ColumnElement[Any]],
) -> Pairs:
    """The keys and values of one row's object: each `Value` from `values` (by name),
    `Constant`s as strings, and anything else from `nested` (lists and pages below the row)."""
    pairs: Pairs = []
    for key, part in shape:
        if isinstance(part, Value):
            value = values.get(part.name)
            if value is None:
                raise NotCompilable(f"unknown value {part.name!r}")
            pairs.append((key, value(columns)))
        elif isinstance(part, Constant):
            pairs.append((key, constant(part)))
        else:
            pairs.append((key, nested(columns, key, part)))
    return pairs


def column(name: str) -> RowValue:
    return lambda columns: columns[name]


def timestamp_column(name: str) -> RowValue:
    return lambda columns: iso_timestamp(columns[name])


def enum_column(name: str) -> RowValue:
    return lambda columns: upper_name(columns[name])
