"""GraphQL's field collection for one object type, on the parsed document: fragments inlined,
`@skip`/`@include` applied with the request's variables, fields of one response key merged
(validation guarantees they are the same field with the same arguments)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import get_directive_values

Collected = dict[str, list[FieldNode]]
"""Response key → the field nodes asking for it, in the order keys first appear."""


def collect_fields(
    selection_sets: list[SelectionSetNode],
    type_name: str,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Any,
) -> Collected:
    """The fields of `selection_sets` (one object of type `type_name`). The schema has no
    interfaces or unions, so a fragment valid on an object type is of that very type."""
    collected: Collected = {}
    visited: set[str] = set()

    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if not _included(selection, variables):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                collected.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value == type_name:
                    walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if fragment.type_condition.name.value == type_name:
                    walk(fragment.selection_set)

    for selection_set in selection_sets:
        walk(selection_set)
    return collected


def sub_selections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set is not None]


def _included(node: Any, variables: Any) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip is not None and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (include is not None and include.get("if") is False)
