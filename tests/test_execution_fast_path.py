"""The short path for plain scalar fields (`schema.execution`) never skips a field's own checks."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission

from schema.execution import LeafFastPathExecution


class Never(BasePermission):
    message = "not for you"

    def has_permission(self, source: object, info: strawberry.Info, **kwargs: object) -> bool:
        return False


@strawberry.type
class Probe:
    plain: str = "plain value"
    guarded: str = strawberry.field(default="secret value", permission_classes=[Never])


@strawberry.type
class ProbeQuery:
    @strawberry.field
    def probe(self) -> Probe:
        return Probe()


def probe_schema() -> strawberry.Schema:
    schema = strawberry.Schema(query=ProbeQuery)
    schema.execution_context_class = LeafFastPathExecution.for_schema(schema._schema)
    return schema


async def test_a_field_with_permission_classes_is_checked_not_answered_inline() -> None:
    result = await probe_schema().execute("{ probe { plain guarded } }")

    assert result.data is None or result.data["probe"] is None
    assert result.errors is not None
    assert [e.message for e in result.errors] == ["not for you"]
    assert "secret value" not in str(result.data)


async def test_plain_fields_beside_it_still_take_the_short_path() -> None:
    result = await probe_schema().execute("{ probe { plain } }")

    assert result.errors is None
    assert result.data == {"probe": {"plain": "plain value"}}
