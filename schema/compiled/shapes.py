"""The GraphQL types the compiled path knows, turned into `db.compiled.shapes`: each selected
field becomes the database value, fact or list that answers it. A field not listed here (or an
argument combination the path does not cover) raises `NotCovered`, and the resolvers answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode

from db.compiled.shapes import Constant, Nested, Part, Shape, Value
from schema.compiled.collect import collect_fields, sub_selections


class NotCovered(Exception):
    """The compiled path does not answer this operation; the resolvers do."""


def _snake(names: str) -> dict[str, str]:
    """GraphQL field names (camel case) → the database's names (snake case)."""
    return {
        name: "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name)
        for name in names.split()
    }


BATCH_FIELDS = _snake(
    "id name status campaignId campaignName agentMappingId agentName fromNumber totalContacts "
    "pending queued inProgress completed failed skipped callsPicked progressPercentage "
    "remainingCount callsPerMinute maxConcurrent scheduledFor createdAt startedAt updatedAt"
)
CONTACT_FIELDS = _snake(
    "id phoneNumber firstName lastName name email company title accountId priority status "
    "callId attempts maxAttempts outcome durationSeconds outcomeNotes lastAttemptAt "
    "completedAt customData doNotCall timezone createdAt"
)
CALL_LOG_FIELDS = _snake("id callStatus durationSeconds recordingUrl transcript createdAt")
PAGE_INFO_FIELDS = _snake("hasNextPage hasPreviousPage startCursor endCursor")
PAGINATION_FIELDS = _snake("total page limit offset totalPages hasMore")

ListField = Callable[[list[FieldNode], "ShapeBuilder"], Part]
"""Builds the part of a field with arguments or a nested list (e.g. a batch's contacts)."""


class ShapeBuilder:
    """Collects the selections of one operation into shapes (fragments, directives, aliases)."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode], variables: Any) -> None:
        self.fragments = fragments
        self.variables = variables

    def collect(self, nodes: list[FieldNode], type_name: str) -> dict[str, list[FieldNode]]:
        return collect_fields(sub_selections(nodes), type_name, self.fragments, self.variables)

    def object_shape(
        self,
        nodes: list[FieldNode],
        type_name: str,
        values: Mapping[str, str],
        nested: Mapping[str, ListField] | None = None,
    ) -> Shape:
        """An object of `type_name`: plain fields from `values`, others from `nested`."""
        parts: list[tuple[str, Part]] = []
        for key, fields in self.collect(nodes, type_name).items():
            name = fields[0].name.value
            if name == "__typename":
                parts.append((key, Constant(type_name)))
            elif name in values and not fields[0].arguments:
                parts.append((key, Value(values[name])))
            elif nested is not None and name in nested:
                parts.append((key, nested[name](fields, self)))
            else:
                raise NotCovered(f"{type_name}.{name}")
        return tuple(parts)

    def connection_shape(self, nodes: list[FieldNode], type_name: str, node: ListField) -> Shape:
        """A `…Connection` of `type_name`'s nodes (`node` builds one node's part)."""
        edge_type = f"{type_name}Edge"

        def edges(fields: list[FieldNode], builder: ShapeBuilder) -> Part:
            def edge_node(fields: list[FieldNode], builder: ShapeBuilder) -> Part:
                return Nested("node", _node_shape(node(fields, builder)))

            shape = builder.object_shape(
                fields, edge_type, {"cursor": "cursor"}, {"node": edge_node}
            )
            return Nested("edges", shape)

        def nodes_list(fields: list[FieldNode], builder: ShapeBuilder) -> Part:
            return Nested("nodes", _node_shape(node(fields, builder)))

        def page_info(fields: list[FieldNode], builder: ShapeBuilder) -> Part:
            return Nested("page_info", builder.object_shape(fields, "PageInfo", PAGE_INFO_FIELDS))

        def pagination(fields: list[FieldNode], builder: ShapeBuilder) -> Part:
            shape = builder.object_shape(fields, "OffsetPagination", PAGINATION_FIELDS)
            return Nested("pagination", shape)

        return self.object_shape(
            nodes,
            f"{type_name}Connection",
            {"totalCount": "total_count"},
            {"edges": edges, "nodes": nodes_list, "pageInfo": page_info, "pagination": pagination},
        )


def _node_shape(part: Part) -> Shape:
    if not isinstance(part, Nested):
        raise NotCovered("a node that is not an object")
    return part.shape


def call_logs(fields: list[FieldNode], builder: ShapeBuilder) -> Part:
    return Nested("call_logs", builder.object_shape(fields, "CallLog", CALL_LOG_FIELDS))


def contact_node(fields: list[FieldNode], builder: ShapeBuilder) -> Part:
    shape = builder.object_shape(fields, "Contact", CONTACT_FIELDS, {"callLogs": call_logs})
    return Nested("contact", shape)
