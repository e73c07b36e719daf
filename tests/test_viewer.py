"""`viewer`: the caller's own user, agency and role, so clients know what it may do."""

from __future__ import annotations

from sqlalchemy import text

from tests.factories import Factory
from tests.tenant import Tenant

VIEWER = "{ viewer { id agencyId role canControlBatches } }"


async def test_a_new_user_is_a_viewer_who_may_not_control_batches(tenant: Tenant) -> None:
    data = await tenant.data(VIEWER)

    assert data == {
        "viewer": {
            "id": str(tenant.user_id),
            "agencyId": str(tenant.agency_id),
            "role": "VIEWER",
            "canControlBatches": False,
        }
    }


async def test_an_operator_is_told_it_may_control_batches(tenant: Tenant, factory: Factory) -> None:
    operator = Tenant(
        tenant.agency_id, await factory.user(tenant.agency_id, role="operator"), tenant.client
    )

    data = await operator.data(VIEWER)

    assert data["viewer"]["role"] == "OPERATOR"
    assert data["viewer"]["canControlBatches"] is True


async def test_a_role_changed_a_moment_ago_already_counts(tenant: Tenant, factory: Factory) -> None:
    await factory.connection.execute(
        text("UPDATE users SET role = 'operator' WHERE id = :id"), {"id": tenant.user_id}
    )

    assert (await tenant.data(VIEWER))["viewer"]["role"] == "OPERATOR"
