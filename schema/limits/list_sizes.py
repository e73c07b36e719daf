"""How many objects each list field yields, for the cost estimate, declared on the field itself.

A field of our schema that takes a page size or returns a list says how long its result is,
with `strawberry.field(metadata=list_size(...))`:

- `Paged(limits)`: takes a page size (`first`/`limit`, else the list's default, clamped to its
  maximum) and returns a connection whose `PAGE_ITEMS` lists have that length;
- `PAGE_ITEMS`: a connection's `edges`/`nodes`, as long as the page the connection was asked for;
- `PerParent(...)`: a short list under each parent object (a contact's call logs).

A list field that declares nothing is estimated like graphql-core's introspection lists (which
are not ours to annotate); tests/test_query_limits.py fails when a field of our schema does.
To cost a field by more than its size (issue 12: database work such as offsets or searches), give
its declaration a new kind here; `CostEstimate.field_cost` (cost.py) is the one place that
applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from graphql import FieldNode, GraphQLField

from core.pagination import Limits
from schema.limits.bounds import QueryLimits

if TYPE_CHECKING:
    from schema.limits.cost import CostEstimate

LIST_SIZE = "cost.list_size"
"""The key of a field's declaration in its Strawberry `metadata`."""

STRAWBERRY_FIELD = "strawberry-definition"
"""Where Strawberry keeps a graphql-core field's own `StrawberryField` (its `extensions`)."""


class ListSize(Protocol):
    def sizes(self, node: FieldNode, page: int, estimate: CostEstimate) -> tuple[int, int]:
        """(objects per parent object, the page size their connection fields multiply by),
        for `node` resolved on an object whose own page size is `page`."""

    def rows_read(self, node: FieldNode, estimate: CostEstimate) -> int:
        """Rows PostgreSQL reads to answer one call of the field (0: nothing beyond its
        objects)."""


@dataclass(frozen=True)
class Paged:
    limits: Limits
    scans: frozenset[str] = frozenset()
    """Arguments that, when given, make PostgreSQL read the whole list (a search, a filter, or
    a sort of more than one field, which no index serves)."""

    def sizes(self, node: FieldNode, page: int, estimate: CostEstimate) -> tuple[int, int]:
        return 1, estimate.page_size(node, self.limits)

    def rows_read(self, node: FieldNode, estimate: CostEstimate) -> int:
        """Rows PostgreSQL reads for one call beyond the page itself (which its items count):
        the rows an offset skips, and a whole list for a scanning argument; both bounded by the
        assumed list size, as the list's real length is not known before any SQL."""
        assumed = estimate.limits.assumed_list_rows
        offset = estimate.int_argument(node, "offset") or 0
        page = estimate.int_argument(node, "page")
        if page is not None:
            offset = max(page - 1, 0) * estimate.page_size(node, self.limits)
        rows = min(max(offset, 0), assumed)
        if any(
            estimate.scans(argument.name.value, argument.value)
            for argument in node.arguments or ()
            if argument.name.value in self.scans
        ):
            rows += assumed
        return rows


@dataclass(frozen=True)
class PageItems:
    def sizes(self, node: FieldNode, page: int, estimate: CostEstimate) -> tuple[int, int]:
        return page, 1

    def rows_read(self, node: FieldNode, estimate: CostEstimate) -> int:
        return 0


PAGE_ITEMS = PageItems()


@dataclass(frozen=True)
class PerParent:
    count: Callable[[QueryLimits], int]
    """The estimated number per parent, from the limits (tests and operators may tune it)."""

    def sizes(self, node: FieldNode, page: int, estimate: CostEstimate) -> tuple[int, int]:
        return self.count(estimate.limits), 1

    def rows_read(self, node: FieldNode, estimate: CostEstimate) -> int:
        return 0


def list_size(size: ListSize) -> dict[str, Any]:
    """The `metadata` of a `strawberry.field` declaring `size`."""
    return {LIST_SIZE: size}


def declared_size(definition: GraphQLField) -> ListSize | None:
    strawberry_field = (definition.extensions or {}).get(STRAWBERRY_FIELD)
    metadata: Mapping[str, Any] = getattr(strawberry_field, "metadata", None) or {}
    size: ListSize | None = metadata.get(LIST_SIZE)
    return size
