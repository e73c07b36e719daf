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


@dataclass(frozen=True)
class Paged:
    limits: Limits

    def sizes(self, node: FieldNode, page: int, estimate: CostEstimate) -> tuple[int, int]:
        return 1, estimate.page_size(node, self.limits)


@dataclass(frozen=True)
class PageItems:
    def sizes(self, node: FieldNode, page: int, estimate: CostEstimate) -> tuple[int, int]:
        return page, 1


PAGE_ITEMS = PageItems()


@dataclass(frozen=True)
class PerParent:
    count: Callable[[QueryLimits], int]
    """The estimated number per parent, from the limits (tests and operators may tune it)."""

    def sizes(self, node: FieldNode, page: int, estimate: CostEstimate) -> tuple[int, int]:
        return self.count(estimate.limits), 1


def list_size(size: ListSize) -> dict[str, Any]:
    """The `metadata` of a `strawberry.field` declaring `size`."""
    return {LIST_SIZE: size}


def declared_size(definition: GraphQLField) -> ListSize | None:
    strawberry_field = (definition.extensions or {}).get(STRAWBERRY_FIELD)
    metadata: Mapping[str, Any] = getattr(strawberry_field, "metadata", None) or {}
    size: ListSize | None = metadata.get(LIST_SIZE)
    return size
