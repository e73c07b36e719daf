"""Keyset ("seek") pagination over an ordered list of sort expressions.

Every list ends its ORDER BY with a unique key, so a row's sort values pin its position exactly.
NULLs sort last in both directions (what a dashboard wants: rows without a value at the end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, literal, or_, tuple_


@dataclass(frozen=True)
class OrderKey:
    expression: ColumnElement[Any]
    descending: bool = False
    nullable: bool = False


def order_by_clauses(keys: Sequence[OrderKey]) -> list[ColumnElement[Any]]:
    clauses: list[ColumnElement[Any]] = []
    for key in keys:
        clause = key.expression.desc() if key.descending else key.expression.asc()
        clauses.append(clause.nulls_last() if key.nullable else clause)
    return clauses


def rows_after(keys: Sequence[OrderKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """The condition selecting rows strictly after the row whose sort values are `values`.

    Built lexicographically: after(k1, k2…) = k1 beyond v1 OR (k1 equal v1 AND after(k2…)),
    with NULL handled explicitly (never compared with `=`), so it is exact for ties and NULLs.
    """
    if len(keys) != len(values):
        raise ValueError("one value per sort key is required")
    if _row_comparable(keys, values):
        left = tuple_(*(key.expression for key in keys))
        right = tuple_(*(_value(key, v) for key, v in zip(keys, values, strict=True)))
        return left < right if keys[0].descending else left > right
    condition: ColumnElement[bool] = false()
    for key, value in reversed(list(zip(keys, values, strict=True))):
        condition = or_(_beyond(key, value), and_(_equal(key, value), condition))
    return condition


@dataclass(frozen=True)
class BoundValue:
    """A sort value given when the statement runs, as the bind parameter `name` (for a
    statement built once and run with each cursor's values)."""

    name: str


def _value(key: OrderKey, value: Any) -> ColumnElement[Any]:
    """A sort value as SQL, of the key's type."""
    if isinstance(value, BoundValue):
        return bindparam(value.name, type_=key.expression.type, required=False)
    return literal(value, key.expression.type)


def _row_comparable(keys: Sequence[OrderKey], values: Sequence[Any]) -> bool:
    """True when `(k1, k2…) > (v1, v2…)` means the same: one direction and no NULL anywhere.

    A row comparison is what a B-tree index on the sort keys can seek to directly."""
    return (
        len({key.descending for key in keys}) == 1
        and not any(key.nullable for key in keys)
        and all(value is not None for value in values)
    )


def _beyond(key: OrderKey, value: Any) -> ColumnElement[bool]:
    if value is None:
        return false()
    bound = _value(key, value)
    beyond: ColumnElement[bool] = (
        key.expression < bound if key.descending else key.expression > bound
    )
    return or_(beyond, key.expression.is_(None)) if key.nullable else beyond


def _equal(key: OrderKey, value: Any) -> ColumnElement[bool]:
    if value is None:
        return key.expression.is_(None) if key.nullable else false()
    equal: ColumnElement[bool] = key.expression == _value(key, value)
    return equal
