"""An operation planned for the compiled path: per root field, the `db.compiled` read that
answers it and where its cursors are. The arguments go through the very checks the resolvers
apply (`search_term`, `parse_id`, `Paging.window`, `ContactFilter.to_query`, `contact_sort`);
any error they raise makes the operation `NotCovered`, so the resolvers report it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLObjectType, GraphQLSchema
from graphql.execution.values import get_argument_values

from core.arguments import parse_id, search_term
from core.errors import DomainError
from core.pagination import BATCH_LIMITS, CONTACT_LIMITS
from db import batches as batch_queries
from db.compiled.shapes import (
    BatchPage,
    ContactPage,
    Nested,
    OneBatch,
    RootRead,
    RowsReadBudget,
    Shape,
    Value,
)
from schema.compiled.shapes import (
    BATCH_FIELDS,
    NotCovered,
    ShapeBuilder,
    contact_node,
)
from schema.context import Context
from schema.inputs import ContactFilter, ContactSort, contact_sort
from schema.limits.rows_read import contacts_list_scans
from schema.pagination import Paging, list_binding

DATETIME, UUID, PLAIN = "datetime", "uuid", "plain"
_DATETIME_SORTS = frozenset({"created_at", "last_attempt_at", "completed_at"})


@dataclass(frozen=True)
class CursorSite:
    """Where the sort values of one list's rows sit in a root field's JSON, to be signed:
    response keys below the root field's value, `None` standing for every element of a list."""

    path: tuple[str | None, ...]
    paging: Paging
    kinds: tuple[str, ...]
    """How each sort value is carried in JSON: a timestamp's text, a UUID's text, or plain."""


@dataclass(frozen=True)
class RootPlan:
    key: str
    read: RootRead | None
    """None for `__typename`."""
    cursors: tuple[CursorSite, ...] = ()


def _arguments(parent: GraphQLObjectType, node: FieldNode, variables: Any) -> dict[str, Any]:
    try:
        return get_argument_values(parent.fields[node.name.value], node, variables)
    except GraphQLError as error:
        raise NotCovered("arguments the resolvers will refuse") from error


def _key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


class OperationPlanner:
    def __init__(
        self, schema: GraphQLSchema, builder: ShapeBuilder, variables: Any, context: Context
    ) -> None:
        self.schema = schema
        self.builder = builder
        self.variables = variables
        self.context = context

    def root(self, key: str, fields: list[FieldNode]) -> RootPlan:
        name = fields[0].name.value
        query_type = self.schema.query_type
        assert query_type is not None
        try:
            if name == "__typename":
                return RootPlan(key, None)
            if name == "batches":
                arguments = _arguments(query_type, fields[0], self.variables)
                return self._batches(key, fields, arguments)
            if name == "batch":
                arguments = _arguments(query_type, fields[0], self.variables)
                return self._batch(key, fields, arguments)
        except DomainError as error:
            raise NotCovered(f"{name}: {error.message}") from error
        raise NotCovered(f"Query.{name}")

    def _batches(self, key: str, fields: list[FieldNode], arguments: dict[str, Any]) -> RootPlan:
        """`Query.batches`, as its resolver reads its arguments."""
        status, campaign_id = arguments["status"], arguments["campaignId"]
        batch_filter = batch_queries.BatchFilter(
            search=search_term(arguments["search"]),
            status=status.value if status else None,
            campaign_id=parse_id("campaignId", campaign_id) if campaign_id is not None else None,
        )
        paging = Paging(self.context.cursors, list_binding("batches", filter=vars(batch_filter)), 2)
        window = paging.window(BATCH_LIMITS, **_paging_arguments(arguments))

        def batch_node(nodes: list[FieldNode], builder: ShapeBuilder) -> Nested:
            return Nested("batch", builder.object_shape(nodes, "Batch", BATCH_FIELDS))

        shape = self.builder.connection_shape(fields, "Batch", batch_node)
        sites = connection_cursors((), shape, paging, (DATETIME, UUID))
        read = BatchPage(self.context.agency_id, batch_filter, window, shape)
        return RootPlan(key, read, tuple(sites))

    def _batch(self, key: str, fields: list[FieldNode], arguments: dict[str, Any]) -> RootPlan:
        """`Query.batch(id:)` with its contacts lists (each read with the batch's own id)."""
        batch_id = parse_id("id", arguments["id"])
        sites: list[CursorSite] = []
        scanning_lists = 0
        pages: list[int] = []

        def contacts(nodes: list[FieldNode], builder: ShapeBuilder) -> ContactPage:
            nonlocal scanning_lists
            batch_type = self.schema.get_type("Batch")
            assert isinstance(batch_type, GraphQLObjectType)
            page, paging, scans = self._contacts(
                batch_id, nodes, _arguments(batch_type, nodes[0], self.variables)
            )
            kinds = tuple(
                DATETIME if s.field.value in _DATETIME_SORTS else PLAIN for s in page.sort
            )
            sites.extend(connection_cursors((_key(nodes[0]),), page.shape, paging, (*kinds, UUID)))
            if scans:
                scanning_lists += 1
            else:
                pages.append(page.window.offset + page.window.limit)
            return page

        shape = self.builder.object_shape(fields, "Batch", BATCH_FIELDS, {"contacts": contacts})
        budget = (
            RowsReadBudget(0, scanning_lists, tuple(pages)) if scanning_lists or pages else None
        )
        read = OneBatch(self.context.agency_id, batch_id, shape, budget)
        return RootPlan(key, read, tuple(sites))

    def _contacts(
        self, batch_id: uuid.UUID, nodes: list[FieldNode], arguments: dict[str, Any]
    ) -> tuple[ContactPage, Paging, bool]:
        """`Batch.contacts`, as its resolver reads its arguments; and whether the list scans
        its whole batch (a search, a filter, a sort of several fields)."""
        filter_argument, sort_argument = arguments["filter"], arguments["sort"]
        term = search_term(arguments["search"])
        scans = contacts_list_scans(term, filter_argument is not None, len(sort_argument or ()))
        query_filter = _contact_filter(filter_argument).to_query(term)
        order = contact_sort(
            [ContactSort(field=s["field"], direction=s["direction"]) for s in sort_argument]
            if sort_argument
            else None
        )
        binding = list_binding(
            "contacts",
            batch=batch_id,
            sort=[(s.field.value, s.descending) for s in order],
            filter=vars(query_filter),
        )
        paging = Paging(self.context.cursors, binding, arity=len(order) + 1)
        window = paging.window(CONTACT_LIMITS, **_paging_arguments(arguments))
        shape = self.builder.connection_shape(nodes, "Contact", contact_node)
        return ContactPage(query_filter, order, window, shape), paging, scans


def _contact_filter(argument: dict[str, Any] | None) -> ContactFilter:
    """The `ContactFilter` input Strawberry would build from the coerced argument."""
    if argument is None:
        return ContactFilter()
    return ContactFilter(
        status=argument["status"],
        status_in=argument["statusIn"],
        outcome=argument["outcome"],
        priority=argument["priority"],
        do_not_call=argument["doNotCall"],
        call_status=argument["callStatus"],
    )


def _paging_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    return {name: arguments[name] for name in ("page", "offset", "limit", "first", "after")}


def connection_cursors(
    base: tuple[str | None, ...], shape: Shape, paging: Paging, kinds: tuple[str, ...]
) -> list[CursorSite]:
    """The cursors a connection's shape asks for: each edge's, and pageInfo's first and last."""
    sites: list[CursorSite] = []
    for key, part in shape:
        if not isinstance(part, Nested) or part.name not in ("edges", "page_info"):
            continue
        for inner_key, inner in part.shape:
            if part.name == "edges" and inner == Value("cursor"):
                sites.append(CursorSite((*base, key, None, inner_key), paging, kinds))
            elif inner in (Value("start_cursor"), Value("end_cursor")):
                sites.append(CursorSite((*base, key, inner_key), paging, kinds))
    return sites


def with_budgets(plans: list[RootPlan], remaining: int, large_read: int) -> list[RootPlan]:
    """The plans with the request's rows-read budget shared out: each batch whose lists do not
    scan is held to their offsets plus pages (what they read at most), the batches whose lists
    scan share the rest evenly. Conservative where the resolvers would be exact (they charge
    each batch's real size in turn): a request refused here is answered by the resolvers.
    Each batch is also held below `large_read` rows: a large read takes its agency's turn
    first (`db/large_reads.py`), which the resolvers do, so it is left to them."""
    budgets = [p.read.budget if isinstance(p.read, OneBatch) else None for p in plans]
    fixed = sum(sum(b.pages) for b in budgets if b is not None and not b.scanning_lists)
    scanning = sum(1 for b in budgets if b is not None and b.scanning_lists)
    if fixed > remaining:
        raise NotCovered("lists that may read more rows than the request may")
    share = (remaining - fixed) // scanning if scanning else 0
    shared = []
    for plan, budget in zip(plans, budgets, strict=True):
        if isinstance(plan.read, OneBatch) and budget is not None:
            maximum = min(share if budget.scanning_lists else sum(budget.pages), large_read - 1)
            read = replace(plan.read, budget=replace(budget, maximum=maximum))
            plan = replace(plan, read=read)
        shared.append(plan)
    return shared
