from __future__ import annotations

from tests.factories import Factory
from tests.tenant import Tenant


async def test_batches_query_answers_the_callers_batches_with_progress(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id, name="Spring Renewals")
    await factory.contacts(
        batch_id, tenant.agency_id, [{"status": "completed"}, {"status": "pending"}]
    )

    data = await tenant.data("{ batches { totalCount nodes { name progressPercentage } } }")

    assert data == {
        "batches": {
            "totalCount": 1,
            "nodes": [{"name": "Spring Renewals", "progressPercentage": 50.0}],
        }
    }
