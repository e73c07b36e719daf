"""`CompiledReads`: answer a query operation on the compiled path, or say it cannot (None).

The request has already passed the limits and validation (the endpoint checks them before
signing in, `Context.limits_checked`). Per root field one statement runs in the request's
transaction; PostgreSQL builds the field's JSON; here its cursors are signed
(they need the agency's key), and handed back as the operation's `data`.

Not covered, so answered by the resolvers: mutations, subscriptions, introspection, any field
or argument `schema.compiled.shapes`/`plan` does not know, every error (a refused argument, a
batch not found, lists over the rows-read budget or large enough to take the agency's turn, a
database fault) and contacts below the batch list. What the compiled lists read is charged to
the request's rows-read account, as the resolvers charge theirs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.values import get_variable_values

from core.kept_results import KeptResults, variables_key
from db.compiled.json_sql import NotCompilable
from db.compiled.reads import PreparedRead, prepare, read_json
from db.tenancy import NotAMember
from schema.compiled.collect import collect_fields
from schema.compiled.plan import (
    DATETIME,
    UUID,
    CursorSite,
    OperationPlanner,
    RootPlan,
    with_budgets,
)
from schema.compiled.shapes import NotCovered, ShapeBuilder
from schema.context import Context
from schema.limits import LimitChecks

logger = logging.getLogger("callbatch.compiled")

PLANS_KEPT = 512


class Planned(NamedTuple):
    plan: RootPlan
    read: PreparedRead | None
    """None for `__typename`."""


class CompiledReads:
    def __init__(self, schema: GraphQLSchema, limit_checks: LimitChecks) -> None:
        self.schema = schema
        self.limit_checks = limit_checks
        self._operations = lru_cache(maxsize=512)(self._query_operation)
        self._kept_plans: KeptResults[list[Planned] | None] = KeptResults(PLANS_KEPT)

    async def answer(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: Context,
    ) -> dict[str, Any] | None:
        """The operation's `data`, or None: the resolvers must answer it."""
        if query is None or not context.limits_checked:
            return None
        if operation_name is not None and not isinstance(operation_name, str):
            # Not a GraphQL request the compiled path reads: the resolvers' path refuses it.
            return None
        planned = self._planned(query, variables, operation_name, context)
        if planned is None:
            return None
        try:
            return await self._run(planned, context)
        except NotCovered:
            return None
        except NotAMember:
            raise
        except Exception:
            logger.warning("compiled read failed; the resolvers answer", exc_info=True)
            # A database fault leaves the transaction unusable: start again in a fresh one,
            # where the resolvers meet (and report) the fault themselves.
            await context.db.close()
            return None

    def _planned(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: Context,
    ) -> list[Planned] | None:
        """The operation's reads, prepared; None when it is not covered. Kept per request
        shape: the document, the operation, the variables, the agency (its cursors are signed
        with the agency's key) and the rows-read budget (`with_budgets`) decide the plan and
        nothing else, so a request repeating an earlier one's costs a lookup."""
        budget = (context.rows_read.remaining, context.rows_read.large_read)
        known = variables_key(variables)
        key = None if known is None else (query, operation_name, known, context.agency_id, budget)
        return self._kept_plans.get(
            key, lambda: self._plan_query(query, variables, operation_name, context)
        )

    def _plan_query(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: Context,
    ) -> list[Planned] | None:
        document = self.limit_checks.parse(query)
        operation = self._operations(document, operation_name)
        if operation is None:
            return None
        try:
            plans = self._plan(document, operation, variables, context)
            # The SQL is built here: what `db.compiled` cannot build (too many keys, a key too
            # long for a column name) is found only now.
            return [Planned(p, prepare(p.read) if p.read is not None else None) for p in plans]
        except (NotCovered, NotCompilable) as reason:
            logger.debug("not compiled: %s", reason)
            return None

    def _query_operation(
        self, document: DocumentNode, operation_name: str | None
    ) -> OperationDefinitionNode | None:
        """The query operation to run, or None when the document cannot be compiled at all."""
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is None:
            chosen = operations[0] if len(operations) == 1 else None
        else:
            chosen = next(
                (o for o in operations if o.name and o.name.value == operation_name), None
            )
        if chosen is None or chosen.operation is not OperationType.QUERY:
            return None
        return chosen

    def _plan(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
        context: Context,
    ) -> list[RootPlan]:
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), dict(variables or {})
        )
        if isinstance(coerced, list):
            raise NotCovered("variables the resolvers will refuse")
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        builder = ShapeBuilder(fragments, coerced)
        planner = OperationPlanner(self.schema, builder, coerced, context)
        root_fields = collect_fields([operation.selection_set], "Query", fragments, coerced)
        plans = [planner.root(key, fields) for key, fields in root_fields.items()]
        return with_budgets(plans, context.rows_read.remaining, context.rows_read.large_read)

    async def _run(self, planned: list[Planned], context: Context) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for plan, read in planned:
            if read is None:
                data[plan.key] = "Query"
                continue
            found = await read_json(context.db.fetch_row, read)
            if found is None:
                raise NotCovered("no batch: not found, or its lists over the rows-read budget")
            value, rows_read = found
            # Within the budget (the statement checked it): counted for the agency's share.
            context.rows_read.charge(rows_read, "this batch's contacts lists")
            for site in plan.cursors:
                _sign(value, site.path, site)
            data[plan.key] = value
        return data


def _sign(value: Any, path: tuple[str | None, ...], site: CursorSite) -> None:
    """Replace the sort values at `path` below `value` by their signed cursor."""
    if value is None:
        return
    head, rest = path[0], path[1:]
    if head is None:
        for item in value:
            _sign(item, rest, site)
        return
    if not rest:
        sort_values = value[head]
        if sort_values is not None:
            value[head] = site.paging.cursor(_decoded(sort_values, site.kinds))
        return
    _sign(value[head], rest, site)


def _decoded(sort_values: list[Any], kinds: tuple[str, ...]) -> list[Any]:
    """Sort values as the resolvers hold them (datetimes, UUIDs), so the cursor is the same."""
    decoded: list[Any] = []
    for value, kind in zip(sort_values, kinds, strict=True):
        if value is not None and kind == DATETIME:
            value = datetime.fromisoformat(value)
        elif value is not None and kind == UUID:
            value = uuid.UUID(value)
        decoded.append(value)
    return decoded
