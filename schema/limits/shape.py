"""Depth, aliases and repeated fields: properties of the document alone (cached per document
by `LimitChecks`), checked before the standard validation so a bomb never reaches it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from schema.limits.bounds import QueryLimits, limit_error


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
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
    fragments = fragments_of(document)
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
        self.fragments = fragments_of(document)
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
