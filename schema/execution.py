"""A shorter path through graphql-core for plain scalar fields (most fields of every response).

graphql-core resolves every field the same general way: a response path, a resolve-info
object, the arguments, the resolver through Strawberry's wrappers, an awaitable check, then a
dispatch on the return type. A page of 50 contacts with their call logs is about 850 fields,
nearly all of them a scalar attribute read by Strawberry's default resolver (`getattr`), for
which that work changes nothing. `LeafFastPathExecution` answers such fields directly: the same
attribute, the same scalar or enum coercion. Anything unusual (a null for a non-null field, an
exception, a value the scalar refuses, an awaitable) takes graphql-core's general path, so
results and errors are unchanged. With field middleware (a Strawberry extension that
implements `resolve`) every field takes the general path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

LeafPlan = tuple[str, GraphQLLeafType, bool]
"""A plain scalar field's attribute name, its scalar or enum type, whether it is non-null."""

_GENERAL = object()
"""The fast path declined a field: resolve it the general way."""


class LeafFastPathExecution(StrawberryGraphQLCoreExecutionContext):
    plans: Mapping[str, Mapping[str, LeafPlan]] = {}
    """The plain scalar fields of the schema: type name → field name → plan (`for_schema`)."""

    @classmethod
    def for_schema(cls, schema: GraphQLSchema) -> type[LeafFastPathExecution]:
        """This execution with the plans of `schema`'s plain scalar fields, computed once."""
        plans: dict[str, dict[str, LeafPlan]] = {}
        for type_ in schema.type_map.values():
            if isinstance(type_, GraphQLObjectType):
                for name, field in type_.fields.items():
                    plan = _plan(field)
                    if plan is not None:
                        plans.setdefault(type_.name, {})[name] = plan
        return type(cls.__name__, (cls,), {"plans": plans})

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, with plain scalar fields answered inline."""
        plans = self.plans.get(parent_type.name)
        manager = self.middleware_manager
        if plans is None or (manager is not None and manager.middlewares):
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                plan = plans.get(node.name.value)
                if plan is not None and not node.arguments:
                    value = _plain_value(plan, source_value, is_awaitable)
                    if value is not _GENERAL:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()


def _plain_value(plan: LeafPlan, source: Any, is_awaitable: Any) -> Any:
    attribute, leaf_type, non_null = plan
    try:
        value = getattr(source, attribute)
        if value is None:
            return _GENERAL if non_null else None
        if isinstance(value, Exception) or is_awaitable(value):
            return _GENERAL
        coerced = leaf_type.coerce_output_value(value)
    except Exception:
        return _GENERAL  # the general path reports it, at the field's path
    return _GENERAL if coerced is None or coerced is Undefined else coerced


def _plan(field: GraphQLField) -> LeafPlan | None:
    """A plan for a field Strawberry resolves by reading an attribute (no resolver function,
    the default `getattr` resolver, no arguments) of a scalar or enum type. `is_basic_field`
    too: Strawberry also marks fields with permission classes or field extensions as default
    (`_is_default`), and answering those inline would skip their checks."""
    definition = (field.extensions or {}).get("strawberry-definition")
    leaf_type = get_nullable_type(field.type)
    if (
        not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
        or definition.default_resolver is not getattr
        or not getattr(field.resolve, "_is_default", False)
        or field.args
        or not is_leaf_type(leaf_type)
    ):
        return None
    leaf: GraphQLLeafType = leaf_type
    return (definition.python_name, leaf, isinstance(field.type, GraphQLNonNull))
