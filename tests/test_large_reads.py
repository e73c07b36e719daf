"""An agency's large reads (a search or filter over a big batch) run one at a time across all
worker processes: the next waits for the agency's turn, held in the database, while other
agencies' reads do not wait."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.large_reads import wait_for_large_read_turn
from tests.factories import Factory
from tests.rest_support import details_url, rest_get
from tests.tenant import Tenant
from web.state import AppState

REST_SEARCH = {"search": "a"}
SEARCH = 'query Search($id: ID!) { batch(id: $id) { contacts(search: "a") { totalCount } } }'


@asynccontextmanager
async def turn_held_by_another_worker(
    engine: AsyncEngine, agency_id: uuid.UUID
) -> AsyncIterator[None]:
    """The agency's large-read turn, taken by another connection's transaction for the block."""
    async with AsyncSession(engine) as session:
        await wait_for_large_read_turn(session, agency_id)
        try:
            yield
        finally:
            await session.rollback()


async def searchable_batch(factory: Factory, tenant: Tenant) -> uuid.UUID:
    batch_id = await factory.batch(tenant.agency_id)
    await factory.contacts(
        batch_id, tenant.agency_id, [{"first_name": "Ada"}, {"first_name": "Bob"}]
    )
    return batch_id


async def test_a_large_read_waits_for_its_agencys_turn_and_no_other_agency_does(
    engine: AsyncEngine,
    factory: Factory,
    tenant: Tenant,
    other_tenant: Tenant,
    app_state: AppState,
) -> None:
    app_state.settings = app_state.settings.model_copy(update={"agency_large_read_rows": 2})
    batch = await searchable_batch(factory, tenant)
    other_batch = await searchable_batch(factory, other_tenant)

    async with turn_held_by_another_worker(engine, tenant.agency_id):
        async with asyncio.timeout(5):
            other = await other_tenant.post(SEARCH, {"id": str(other_batch)})
        waiting = asyncio.create_task(tenant.post(SEARCH, {"id": str(batch)}))
        await asyncio.sleep(0.5)
        waited = not waiting.done()
    async with asyncio.timeout(5):
        answer = await waiting

    assert other.json() == {"data": {"batch": {"contacts": {"totalCount": 1}}}}
    assert waited, "the agency's second large read waited for the first to end"
    assert answer.json() == {"data": {"batch": {"contacts": {"totalCount": 1}}}}


async def test_a_small_read_never_waits_for_a_turn(
    engine: AsyncEngine, factory: Factory, tenant: Tenant
) -> None:
    batch = await searchable_batch(factory, tenant)
    async with turn_held_by_another_worker(engine, tenant.agency_id):
        async with asyncio.timeout(5):
            answer = await tenant.post(SEARCH, {"id": str(batch)})

    assert answer.json() == {"data": {"batch": {"contacts": {"totalCount": 1}}}}


async def test_a_large_rest_page_waits_for_its_agencys_turn_too(
    engine: AsyncEngine, factory: Factory, tenant: Tenant, app_state: AppState
) -> None:
    app_state.settings = app_state.settings.model_copy(update={"agency_large_read_rows": 2})
    batch = await searchable_batch(factory, tenant)

    async with turn_held_by_another_worker(engine, tenant.agency_id):
        waiting = asyncio.create_task(rest_get(tenant, details_url(batch), **REST_SEARCH))
        await asyncio.sleep(0.5)
        waited = not waiting.done()
    async with asyncio.timeout(5):
        answer = await waiting

    assert waited, "the REST page waited for the agency's turn"
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["total"] == 1
