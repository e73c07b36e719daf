"""Every field of the schema that takes a page size or returns a list declares how many objects
it yields (schema/limits/list_sizes.py), so the cost estimate never guesses: a new list field
without a declaration fails here instead of being silently costed like an introspection list."""

from __future__ import annotations

import strawberry
from graphql import GraphQLList, GraphQLObjectType, GraphQLSchema, get_nullable_type

from core.pagination import BATCH_LIMITS, CONTACT_LIMITS
from schema import build_schema
from schema.limits.list_sizes import PAGE_ITEMS, Paged, PerParent, declared_size


def undeclared_list_fields(schema: GraphQLSchema) -> list[str]:
    undeclared = []
    for named in schema.type_map.values():
        if named.name.startswith("__") or not isinstance(named, GraphQLObjectType):
            continue
        for name, field in named.fields.items():
            takes_page = bool({"first", "limit"} & set(field.args))
            is_list = isinstance(get_nullable_type(field.type), GraphQLList)
            if (takes_page or is_list) and declared_size(field) is None:
                undeclared.append(f"{named.name}.{name}")
    return undeclared


def test_every_list_field_of_the_schema_declares_its_size() -> None:
    assert undeclared_list_fields(build_schema()._schema) == []


def test_a_list_field_without_a_declaration_is_reported() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def names(self) -> list[str]:
            return []

        @strawberry.field
        def page(self, first: int | None = None) -> str:
            return ""

    assert undeclared_list_fields(strawberry.Schema(query=Query)._schema) == [
        "Query.names",
        "Query.page",
    ]


def test_the_list_fields_declare_their_page_limits() -> None:
    schema = build_schema()._schema

    def size(type_name: str, field: str) -> object:
        named = schema.get_type(type_name)
        assert isinstance(named, GraphQLObjectType)
        return declared_size(named.fields[field])

    assert size("Query", "batches") == Paged(BATCH_LIMITS, scans=frozenset({"search"}))
    assert size("Batch", "contacts") == Paged(
        CONTACT_LIMITS, scans=frozenset({"search", "filter", "sort"})
    )
    for connection in ("BatchConnection", "ContactConnection"):
        assert size(connection, "edges") is PAGE_ITEMS
        assert size(connection, "nodes") is PAGE_ITEMS
    assert isinstance(size("Contact", "callLogs"), PerParent)
