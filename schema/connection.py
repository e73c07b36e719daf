"""The connection every list returns (Strawberry's pagination guide: `Connection(Generic[T])`,
`Edge(Generic[T])`), with `pageInfo`, `totalCount` and the offset `pagination`.

Strawberry names a generic type after its argument: `Connection[Batch]` is `BatchConnection` in
the schema, its edges `BatchEdge`. A new list (say `Batch.events`) returns
`Connection[BatchEvent]` built by `connection(...)` from a `ListSlice` (`schema.pagination`:
`Paging.window`, `list_slice`) and a function turning a page of rows into nodes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from schema.context import Info
from schema.limits.list_sizes import PAGE_ITEMS, list_size
from schema.pagination import ListSlice

T = TypeVar("T")
Row = TypeVar("Row")


@strawberry.type
class PageInfo:
    """Each field is computed only when selected (hasPreviousPage may need a count)."""

    slice: strawberry.Private[ListSlice[Any]]

    @strawberry.field
    async def has_next_page(self) -> bool:
        return await self.slice.has_next_page()

    @strawberry.field
    async def has_previous_page(self) -> bool:
        return await self.slice.has_previous_page()

    @strawberry.field
    async def start_cursor(self) -> str | None:
        rows = await self.slice.rows()
        return self.slice.cursor_of(rows[0]) if rows else None

    @strawberry.field
    async def end_cursor(self) -> str | None:
        rows = await self.slice.rows()
        return self.slice.cursor_of(rows[-1]) if rows else None


@strawberry.type
class OffsetPagination:
    total: int
    page: int
    limit: int
    offset: int
    total_pages: int
    has_more: bool


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    slice: strawberry.Private[ListSlice[Any]]
    nodes_of: strawberry.Private[Callable[[Info, Sequence[Any]], Awaitable[Sequence[T]]]]
    """The nodes of a page of rows (`info`: what the query selects below, to load no more)."""

    @strawberry.field(metadata=list_size(PAGE_ITEMS))
    async def edges(self, info: Info) -> list[Edge[T]]:
        rows = await self.slice.rows()
        nodes = await self.nodes_of(info, rows)
        return [
            Edge(cursor=self.slice.cursor_of(row), node=node)
            for row, node in zip(rows, nodes, strict=True)
        ]

    @strawberry.field(metadata=list_size(PAGE_ITEMS))
    async def nodes(self, info: Info) -> list[T]:
        return list(await self.nodes_of(info, await self.slice.rows()))

    @strawberry.field
    def page_info(self) -> PageInfo:
        return PageInfo(slice=self.slice)

    @strawberry.field
    async def total_count(self) -> int:
        return await self.slice.total()

    @strawberry.field
    async def pagination(self) -> OffsetPagination:
        return OffsetPagination(**vars(await self.slice.pagination()))


def connection(
    rows: ListSlice[Row], nodes_of: Callable[[Info, Sequence[Row]], Awaitable[Sequence[T]]]
) -> Connection[T]:
    return Connection(slice=rows, nodes_of=nodes_of)
