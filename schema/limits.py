"""Limits that keep one request's work bounded on a public endpoint.

Checked in order, each as cheaply as possible, before any resolver runs:
1. tokens and source length, while parsing (the parser aborts early);
2. depth and aliases, on the parsed document (cached per document), before the standard
   GraphQL validation, so a bomb never reaches the costlier validation rules;
3. the standard validation (cached per document), argument-value errors coded BAD_USER_INPUT;
4. the estimated cost, with the request's variables (page sizes may come from variables).

The cost estimate counts every selected field once per object it is resolved on. A list
multiplies the cost of what it selects by its length: a connection's `edges`/`nodes` by the page
size asked for (`first`/`limit`, or the list's default), `callLogs` by a small constant per
contact, introspection lists by a constant. Every rejection is a GraphQL error with code
GRAPHQL_VALIDATION_FAILED and `extensions.limit`, `maximum` and (when known) `actual`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    parse,
    specified_rules,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from graphql.validation import ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension

from schema.pagination import BATCH_LIMITS, CONTACT_LIMITS, EVENT_LIMITS, Limits

LIMIT_CODE = "GRAPHQL_VALIDATION_FAILED"


@dataclass(frozen=True)
class QueryLimits:
    """The limits (see README "Auth, tenancy and errors" for why these values)."""

    max_tokens: int = 1_000
    max_source_length: int = 100_000
    max_depth: int = 20
    max_aliases: int = 30
    max_field_repeats: int = 10
    max_cost: int = 100_000
    call_logs_per_contact: int = 3
    introspection_list_length: int = 5


PAGED_FIELDS: Mapping[tuple[str, str], Limits] = {
    ("Query", "batches"): BATCH_LIMITS,
    ("Batch", "contacts"): CONTACT_LIMITS,
    ("Batch", "events"): EVENT_LIMITS,
}
"""The list fields that take page sizes, and their default/maximum page size."""

CONNECTION_LISTS = frozenset({"edges", "nodes"})


def limit_error(message: str, limit: str, maximum: int, actual: int | None = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": LIMIT_CODE, "limit": limit, "maximum": maximum}
    if actual is not None:
        extensions["actual"] = actual
    return GraphQLError(message, extensions=extensions)


_PARSE_LIMITS = (
    (re.compile(r"Document contains more than (\d+) tokens"), "tokens"),
    (re.compile(r"Source contains more than (\d+) code points"), "sourceLength"),
)


def parse_limit_error(error: GraphQLError) -> GraphQLError | None:
    """The parser's "too many tokens/characters" syntax error, reworded as a limit error."""
    for pattern, limit in _PARSE_LIMITS:
        match = pattern.search(error.message)
        if match:
            maximum = int(match.group(1))
            unit = "tokens" if limit == "tokens" else "characters"
            return limit_error(
                f"the query has more than {maximum} {unit}, the maximum: send a smaller query "
                "(page through lists, drop unused fields)",
                limit,
                maximum,
            )
    return None


# --- depth and aliases: properties of the document alone ------------------------------------


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _selection_depth(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    memo: dict[str, int],
    visiting: set[str],
) -> int:
    """How many field levels deep `selection_set` goes, fragments inlined (each computed once)."""
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            depth = 1 + _selection_depth(selection.selection_set, fragments, memo, visiting)
        elif isinstance(selection, InlineFragmentNode):
            depth = _selection_depth(selection.selection_set, fragments, memo, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                continue  # unknown fragments and cycles are reported by the standard rules
            if name not in memo:
                visiting.add(name)
                memo[name] = _selection_depth(fragment.selection_set, fragments, memo, visiting)
                visiting.discard(name)
            depth = memo[name]
        else:
            continue
        deepest = max(deepest, depth)
    return deepest


def document_depth(document: DocumentNode) -> int:
    fragments = _fragments(document)
    memo: dict[str, int] = {}
    return max(
        (
            _selection_depth(d.selection_set, fragments, memo, set())
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ),
        default=0,
    )


def _alias_count(node: Any) -> int:
    count = 0
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, FieldNode) and current.alias is not None:
            count += 1
        selection_set = getattr(current, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return count


def document_aliases(document: DocumentNode) -> int:
    """Aliases written in the document (in operations and fragment definitions)."""
    return sum(_alias_count(d) for d in document.definitions)


class _TooMuch(Exception):
    def __init__(self, error: GraphQLError) -> None:
        self.error = error


class _MergedFields:
    """Walks the document as GraphQL merges it: fields of one response name under one response
    path form one group (fragments inlined, each at most once per level, as execution does).

    Repeating a field is legal (the copies merge) but checking that the copies agree is
    quadratic in their number and multiplies through nesting, so the copies per group are
    bounded, and so is the total work of this walk.
    """

    def __init__(self, document: DocumentNode, limits: QueryLimits) -> None:
        self.fragments = _fragments(document)
        self.limits = limits
        self.work = 0
        self.max_work = 10 * limits.max_tokens

    def check(self, selection_sets: list[SelectionSetNode]) -> None:
        groups: dict[str, list[FieldNode]] = {}
        expanded: set[str] = set()
        pending = list(selection_sets)
        while pending:
            for selection in pending.pop().selections:
                self.work += 1
                if self.work > self.max_work:
                    raise _TooMuch(
                        limit_error(
                            "the query expands to too many fields (fragments inlined); "
                            "send a smaller query",
                            "fields",
                            self.max_work,
                        )
                    )
                if isinstance(selection, FieldNode):
                    name = (selection.alias or selection.name).value
                    group = groups.setdefault(name, [])
                    group.append(selection)
                    if len(group) > self.limits.max_field_repeats:
                        raise _TooMuch(self._repeated(name))
                elif isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments.get(selection.name.value)
                    if fragment is not None and fragment.name.value not in expanded:
                        expanded.add(fragment.name.value)
                        pending.append(fragment.selection_set)
        for group in groups.values():
            children = [f.selection_set for f in group if f.selection_set is not None]
            if children:
                self.check(children)

    def _repeated(self, name: str) -> GraphQLError:
        maximum = self.limits.max_field_repeats
        return limit_error(
            f"the query selects '{name}' more than {maximum} times at one place (repeated "
            "fields and their parents' copies merge); to ask for a field with other "
            "arguments, use an alias",
            "fieldRepeats",
            maximum,
        )


def merge_errors(document: DocumentNode, limits: QueryLimits) -> list[GraphQLError]:
    walk = _MergedFields(document, limits)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    try:
        for operation in operations:
            walk.check([operation.selection_set])
    except _TooMuch as too_much:
        return [too_much.error]
    return []


def shape_errors(document: DocumentNode, limits: QueryLimits) -> list[GraphQLError]:
    depth = document_depth(document)
    if depth > limits.max_depth:
        return [
            limit_error(
                f"the query is nested {depth} levels deep; the maximum is {limits.max_depth}",
                "depth",
                limits.max_depth,
                depth,
            )
        ]
    aliases = document_aliases(document)
    if aliases > limits.max_aliases:
        return [
            limit_error(
                f"the query uses {aliases} aliases; the maximum is {limits.max_aliases}",
                "aliases",
                limits.max_aliases,
                aliases,
            )
        ]
    return merge_errors(document, limits)


# --- cost: page sizes may come from variables ------------------------------------------------


class _CostEstimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        limits: QueryLimits,
    ) -> None:
        self.schema = schema
        self.fragments = _fragments(document)
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
        name = node.name.value
        if name == "__typename" or node.selection_set is None:
            return 1
        definition = self._field_definition(parent, name)
        if definition is None:
            return 1
        child_type = get_named_type(definition.type)
        paged = PAGED_FIELDS.get((parent.name, name))
        child_page = self.page_size(node, paged) if paged else 1
        multiplier = 1
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            if name in CONNECTION_LISTS and parent.name.endswith("Connection"):
                multiplier = page
            elif name == "callLogs":
                multiplier = self.limits.call_logs_per_contact
            else:
                multiplier = self.limits.introspection_list_length
        return 1 + multiplier * self.selection_cost(node.selection_set, child_type, child_page)

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
    estimate = _CostEstimate(schema, document, variables or {}, limits)
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
            "contact): ask for smaller pages with first/limit or select fewer fields",
            "cost",
            limits.max_cost,
            cost,
        )
    ]


# --- the extension ----------------------------------------------------------------------------


VALIDATION_ABORTED = limit_error(
    "the query is too complex to validate (too many overlapping fields or fragment spreads): "
    "send a smaller query",
    "validation",
    1,
)
"""graphql-core's own work budgets for validation ran out ("Validation aborted.")."""


class ArgumentValueRule(ValuesOfCorrectTypeRule):
    """The standard literal-argument check, its errors coded BAD_USER_INPUT: a wrong value in
    an argument is the client's input, like a wrong variable value."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        super().report_error(error)


VALIDATION_RULES: tuple[type[ASTValidationRule], ...] = tuple(
    ArgumentValueRule if rule is ValuesOfCorrectTypeRule else rule for rule in specified_rules
)


class LimitChecks:
    """The per-schema caches of the checks that depend on the document alone."""

    def __init__(self, limits: QueryLimits, cache_size: int = 512) -> None:
        self.limits = limits
        self.shape_errors = lru_cache(maxsize=cache_size)(self._shape_errors)
        self.validation_errors = lru_cache(maxsize=cache_size)(self._validation_errors)
        self.parse = lru_cache(maxsize=cache_size)(self._parse)

    def _shape_errors(self, document: DocumentNode) -> tuple[GraphQLError, ...]:
        return tuple(shape_errors(document, self.limits))

    def _validation_errors(
        self, schema: GraphQLSchema, document: DocumentNode
    ) -> tuple[GraphQLError, ...]:
        from strawberry.schema.schema import validate_document

        return tuple(validate_document(schema, document, VALIDATION_RULES))

    def parse_options(self) -> dict[str, int]:
        return {
            "max_tokens": self.limits.max_tokens,
            "max_source_length": self.limits.max_source_length,
        }

    def _parse(self, query: str) -> DocumentNode:
        return parse(
            query,
            max_tokens=self.limits.max_tokens,
            max_source_length=self.limits.max_source_length,
        )


class QueryLimiter(SchemaExtension):
    """Applies `LimitChecks` to each operation. It replaces Strawberry's parse and validation
    steps (and its ParserCache/ValidationCache): parsing stops at the token limit, and the
    standard rules run only on documents within the shape limits, both cached."""

    def __init__(self, checks: LimitChecks) -> None:
        super().__init__()
        self.checks = checks

    def on_operation(self) -> Iterator[None]:
        options = cast(dict[str, Any], self.execution_context.parse_options)
        options.update(self.checks.parse_options())
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [parse_limit_error(error) or error for error in result.errors]

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        assert context.query is not None
        # On a syntax error the document stays unset: Strawberry then parses again (with the
        # same limits, from `parse_options`) and reports the error as the operation's result.
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.checks.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        errors = list(self.checks.shape_errors(document))
        if not errors:
            errors = cost_errors(
                context.schema._schema,
                document,
                context.variables,
                self.checks.limits,
                context.operation_name,
            )
        if not errors:
            errors = [
                VALIDATION_ABORTED if error.message == "Validation aborted." else error
                for error in self.checks.validation_errors(context.schema._schema, document)
            ]
        context.pre_execution_errors = errors
        yield


__all__ = [
    "VALIDATION_RULES",
    "LimitChecks",
    "QueryLimiter",
    "QueryLimits",
    "estimated_cost",
    "parse_limit_error",
]
