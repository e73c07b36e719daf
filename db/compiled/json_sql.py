"""SQL building blocks of compiled reads: JSON objects of one row, in the exact text the API's
resolvers produce once encoded (see `iso_timestamp` and `one_decimal`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Integer, Numeric, String, case, cast, func, literal_column
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from db.compiled.shapes import Constant, Part, Shape, Value

Columns = ReadOnlyColumnCollection[str, Any]
"""The columns of the row in scope, by name (a table's, a view's or a subquery's `.c`)."""

MAX_OBJECT_KEYS = 50
"""`json_build_object` takes at most 100 arguments: a shape with more keys is not compiled."""

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


def json_object(pairs: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    """`json_build_object('key', value, …)` in the given key order; keys are GraphQL response
    names (letters, digits, `_`), written into the SQL as literals."""
    if len(pairs) > MAX_OBJECT_KEYS:
        raise NotCompilable(f"an object of more than {MAX_OBJECT_KEYS} keys")
    arguments: list[ColumnElement[Any]] = []
    for key, value in pairs:
        if not _RESPONSE_KEY.match(key):
            raise NotCompilable(f"not a response name: {key!r}")
        arguments += [literal_column(f"'{key}'", String), value]
    return func.json_build_object(*arguments, type_=JSON)


def empty_json_array() -> ColumnElement[Any]:
    return literal_column("'[]'::json", JSON)


def constant(part: Constant) -> ColumnElement[Any]:
    """A fixed string; only GraphQL type names (letters, digits, `_`) are written inline."""
    if not _RESPONSE_KEY.match(part.text):
        raise NotCompilable(f"not a type name: {part.text!r}")
    return sql_text(part.text)


RowValue = Callable[[Columns], ColumnElement[Any]]


def row_object(
    columns: Columns,
    shape: Shape,
    values: Mapping[str, RowValue],
    nested: Callable[[Columns, str, Part], ColumnElement[Any]],
) -> ColumnElement[Any]:
    """The JSON object of one row: each `Value` from `values` (by name), `Constant`s as
    strings, and anything else from `nested` (lists and pages below the row)."""
    pairs: list[tuple[str, ColumnElement[Any]]] = []
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
    return json_object(pairs)


def column(name: str) -> RowValue:
    return lambda columns: columns[name]


def timestamp_column(name: str) -> RowValue:
    return lambda columns: iso_timestamp(columns[name])


def enum_column(name: str) -> RowValue:
    return lambda columns: upper_name(columns[name])
