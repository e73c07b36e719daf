"""`viewer`: who the caller is in its agency, so a client can show what the caller may do
(the dashboard hides batch controls from viewers) instead of learning it from a refusal."""

from __future__ import annotations

import enum

import strawberry

from db.users import role_of
from schema.context import Info


@strawberry.enum(description="What a user may do in its agency (contract section 6).")
class UserRole(enum.Enum):
    VIEWER = "viewer"
    OPERATOR = "operator"


@strawberry.type(description="The caller: its user, its agency and its role there.")
class Viewer:
    id: strawberry.ID
    agency_id: strawberry.ID
    role: UserRole

    @strawberry.field(
        description="Whether the caller may pause, resume, cancel and delete batches (operators)."
    )
    def can_control_batches(self) -> bool:
        return self.role is UserRole.OPERATOR


async def current_viewer(info: Info) -> Viewer:
    context = info.context
    async with context.db.session() as session:
        role = await role_of(session, context.user_id, context.agency_id)
    return Viewer(
        id=strawberry.ID(str(context.user_id)),
        agency_id=strawberry.ID(str(context.agency_id)),
        role=UserRole(role or "viewer"),
    )
