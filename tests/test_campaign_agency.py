"""A batch's campaign is always of the batch's agency: the database refuses any other link,
whoever writes it, and migration 0006 clears the links that were already wrong."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import async_database_url
from migrations import alembic_config
from tests.database import scratch_database
from tests.factories import Factory


@pytest.fixture
def database_at_0005(server_url: str) -> Iterator[str]:
    with scratch_database(server_url, prefix="callbatch_campaigns") as url:
        command.upgrade(alembic_config(url), "0005")
        yield url


async def test_a_batch_cannot_point_at_another_agencys_campaign(factory: Factory) -> None:
    mine, theirs = await factory.agency(), await factory.agency()
    their_campaign = await factory.campaign(theirs)

    with pytest.raises(IntegrityError, match="fk_call_batches_campaign_id_agency_id_campaigns"):
        await factory.batch(mine, campaign_id=their_campaign)


async def test_deleting_a_campaign_only_clears_its_batches_link(factory: Factory) -> None:
    agency = await factory.agency()
    campaign = await factory.campaign(agency)
    batch = await factory.batch(agency, campaign_id=campaign)

    await factory.connection.execute(text("DELETE FROM campaigns WHERE id = :id"), {"id": campaign})
    row = (
        await factory.connection.execute(
            text("SELECT agency_id, campaign_id FROM call_batches WHERE id = :id"), {"id": batch}
        )
    ).one()

    assert row.agency_id == agency and row.campaign_id is None


async def _seed_mismatch(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    engine = create_async_engine(async_database_url(url))
    try:
        async with engine.begin() as connection:
            factory = Factory(connection)
            mine, theirs = await factory.agency(), await factory.agency()
            own_campaign = await factory.campaign(mine)
            wrong = await factory.batch(mine, campaign_id=await factory.campaign(theirs))
            right = await factory.batch(mine, campaign_id=own_campaign)
        return wrong, right
    finally:
        await engine.dispose()


async def _campaign_links(url: str, *batches: uuid.UUID) -> list[uuid.UUID | None]:
    engine = create_async_engine(async_database_url(url))
    try:
        async with engine.connect() as connection:
            return [
                await connection.scalar(
                    text("SELECT campaign_id FROM call_batches WHERE id = :id"), {"id": batch}
                )
                for batch in batches
            ]
    finally:
        await engine.dispose()


def test_the_migration_clears_links_to_other_agencies_campaigns_and_keeps_the_rest(
    database_at_0005: str,
) -> None:
    wrong, right = asyncio.run(_seed_mismatch(database_at_0005))

    command.upgrade(alembic_config(database_at_0005), "0006")
    wrong_link, right_link = asyncio.run(_campaign_links(database_at_0005, wrong, right))

    assert wrong_link is None
    assert right_link is not None
    command.downgrade(alembic_config(database_at_0005), "0005")
