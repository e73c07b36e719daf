"""Statements built once: each read is turned into a template (the same read with bind
parameters in place of the agency, the batch and the cursors' sort values) and the statement
of a template is kept, so a request that repeats an earlier one's shape only binds its values.

Everything else a read holds stays in the template, so that a statement is never reused for a
read it does not answer: the fields asked for, the filter and search values, the sort, the page
size and offset, which sort values are NULL (they change the SQL), the rows-read budget. Those
vary little in practice (dashboards send the same few shapes); the cache is bounded.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import Uuid, bindparam

from core.pagination import Window
from db.compiled.shapes import BatchPage, ContactPage, Part, RootRead, Shape
from db.keyset import BoundValue

STATEMENTS_KEPT = 512

_AGENCY = bindparam("agency_id", type_=Uuid(), required=False)
_BATCH = bindparam("batch_id", type_=Uuid(), required=False)
"""Every template holds these very objects, so templates compare equal by identity."""


def template_of(read: RootRead) -> tuple[RootRead, dict[str, Any]]:
    """The read with bind parameters for its varying values, and those values by name."""
    values: dict[str, Any] = {"agency_id": read.agency_id}
    agency = cast(uuid.UUID, _AGENCY)  # stands for the agency wherever the SQL compares it
    if isinstance(read, BatchPage):
        window = _window_template(read.window, "after", values)
        return replace(read, agency_id=agency, window=window), values
    values["batch_id"] = read.batch_id
    shape = _shape_template(read.shape, values)
    batch = cast(uuid.UUID, _BATCH)
    return replace(read, agency_id=agency, batch_id=batch, shape=shape), values


def _shape_template(shape: Shape, values: dict[str, Any]) -> Shape:
    """A batch's shape with each contacts page's cursor values as bind parameters."""
    parts: list[tuple[str, Part]] = []
    for index, (key, part) in enumerate(shape):
        if isinstance(part, ContactPage):
            part = replace(part, window=_window_template(part.window, f"after_{index}", values))
        parts.append((key, part))
    return tuple(parts)


def _window_template(window: Window, prefix: str, values: dict[str, Any]) -> Window:
    if window.after is None:
        return window
    after: list[Any] = []
    for position, value in enumerate(window.after):
        if value is None:
            after.append(None)  # a NULL sort value changes the SQL: part of the template
            continue
        name = f"{prefix}_{position}"
        values[name] = value
        after.append(BoundValue(name))
    return replace(window, after=tuple(after))
