"""The estimated cost of an operation, with the request's variables (page sizes may come from
variables).

The estimate counts every selected field once per object it is resolved on. A list multiplies
the cost of what it selects by its length, which each list field declares (`list_sizes.py`): a
connection's `edges`/`nodes` by the page size asked for (`first`/`limit`, or the list's
default), `callLogs` by a small constant per contact, introspection lists by a constant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from core.pagination import BATCH_LIMITS, CONTACT_LIMITS, Limits
from schema.limits.bounds import QueryLimits, limit_error
from schema.limits.list_sizes import declared_size
from schema.limits.shape import fragments_of


class CostEstimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        limits: QueryLimits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments_of(document)
        self.variables = variables
        self.limits = limits
        self.unit_costs: dict[tuple[str, int], int] = {}

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        defaults = {
            d.variable.name.value: d.default_value for d in operation.variable_definitions or ()
        }
        self.defaults = defaults
        return self.selection_cost(operation.selection_set, root, page=1)

    def selection_cost(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, page: int
    ) -> int:
        """Cost of `selection_set` resolved once on an object of type `parent`.

        `page` is the page size when `parent` is a connection (what `edges`/`nodes` multiply by).
        """
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_cost(selection.selection_set, target or parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment_cost(selection.name.value, parent, page)
        return total

    def fragment_cost(self, name: str, parent: GraphQLNamedType, page: int) -> int:
        key = (name, page)
        if key not in self.unit_costs:
            fragment = self.fragments.get(name)
            if fragment is None:
                return 0
            target = self.schema.get_type(fragment.type_condition.name.value) or parent
            self.unit_costs[key] = 0  # a cycle (rejected by validation) adds nothing
            self.unit_costs[key] = self.selection_cost(fragment.selection_set, target, page)
        return self.unit_costs[key]

    def field_cost(self, node: FieldNode, parent: GraphQLNamedType, page: int) -> int:
        """The cost of one field on one object of type `parent`: 1, plus what it selects times
        the number of objects it yields (`sizes`). The one place a field's cost is decided."""
        name = node.name.value
        if name == "__typename" or node.selection_set is None:
            return 1
        definition = self._field_definition(parent, name)
        if definition is None:
            return 1
        multiplier, child_page = self.sizes(node, definition, page)
        declared = declared_size(definition)
        rows_read = declared.rows_read(node, self) if declared is not None else 0
        child_type = get_named_type(definition.type)
        selected = self.selection_cost(node.selection_set, child_type, child_page)
        return 1 + rows_read + multiplier * selected

    def sizes(self, node: FieldNode, definition: GraphQLField, page: int) -> tuple[int, int]:
        """(objects per parent, page size below): the field's declared `ListSize`, else one
        object, or the introspection lists' constant for an undeclared list."""
        declared = declared_size(definition)
        if declared is not None:
            return declared.sizes(node, page, self)
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            return self.limits.introspection_list_length, 1
        return 1, 1

    def _field_definition(self, parent: GraphQLNamedType, name: str) -> Any:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType):
            return parent.fields.get(name)
        fields = getattr(parent, "fields", None)
        return fields.get(name) if isinstance(fields, dict) else None

    def page_size(self, node: FieldNode, limits: Limits) -> int:
        """The page size asked for, clamped to the list's range (out-of-range sizes are
        BAD_USER_INPUT at execution, with their own clearer message)."""
        for argument in node.arguments or ():
            if argument.name.value in ("first", "limit"):
                size = self._int_value(argument.value)
                if size is not None:
                    return min(max(size, 1), limits.maximum)
        return limits.default

    def int_argument(self, node: FieldNode, name: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self._int_value(argument.value)
        return None

    def scans(self, name: str, value: ValueNode) -> bool:
        """Whether an argument makes its list scan: given, not null or empty, and for `sort`
        more than one field (single-field sorts are read from their index)."""
        given = self._given(value)
        if name == "sort":
            return isinstance(given, list) and len(given) > 1
        return bool(given)

    def _given(self, value: ValueNode | None) -> Any:
        """An argument's value as far as scanning goes, variables resolved."""
        if isinstance(value, VariableNode):
            name = value.name.value
            if name in self.variables:
                return self.variables[name]
            return self._given(self.defaults.get(name))
        if value is None or isinstance(value, NullValueNode):
            return None
        if isinstance(value, ListValueNode):
            return list(value.values)
        if isinstance(value, StringValueNode):
            return value.value
        return True

    def _int_value(self, value: ValueNode) -> int | None:
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            name = value.name.value
            given = self.variables.get(name)
            if isinstance(given, int) and not isinstance(given, bool):
                return given
            default = self.defaults.get(name)
            if given is None and isinstance(default, IntValueNode):
                return int(default.value)
        return None


def estimated_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: QueryLimits,
    operation_name: str | None = None,
) -> int:
    """The cost of the operation that will run (all operations when none is named)."""
    estimate = CostEstimate(schema, document, variables or {}, limits)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return max((estimate.operation(o) for o in operations), default=0)


def cost_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: QueryLimits,
    operation_name: str | None = None,
) -> list[GraphQLError]:
    cost = estimated_cost(schema, document, variables, limits, operation_name)
    if cost <= limits.max_cost:
        return []
    return [
        limit_error(
            f"the query's estimated cost is {cost}; the maximum is {limits.max_cost}. Each "
            "field counts once per object it is resolved on and page sizes multiply through "
            f"nesting (batches default {BATCH_LIMITS.default}, contacts "
            f"{CONTACT_LIMITS.default}, callLogs about {limits.call_logs_per_contact} per "
            "contact), and so do the rows a list makes the database read (an offset skips its "
            f"rows; a search, a filter or a sort of several fields reads the whole list, counted "
            f"as {limits.assumed_list_rows}): ask for smaller pages with first/limit, page with "
            "cursors (first/after) instead of deep offsets, search once instead of in aliases, "
            "or select fewer fields",
            "cost",
            limits.max_cost,
            cost,
        )
    ]
