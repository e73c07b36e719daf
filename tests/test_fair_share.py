"""Fair share per agency: one agency's flood queues on its own lane, past its queue it is
RATE_LIMITED (429 with Retry-After), and another agency is served meanwhile."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.errors import RateLimited
from db.engine import async_database_url
from tests.factories import Factory
from tests.ops_support import PrivateServer, running_app
from web.fair_share import FairShare

CALL_LOGS = "query Heavy($id: ID!) { batch(id: $id) { contacts { nodes { callLogs { id } } } } }"
LIGHT = "query Light { batches { totalCount } }"


async def test_a_lane_admits_its_slots_queues_the_next_and_refuses_the_rest() -> None:
    share = FairShare(slots=2, queue=1, wait_seconds=0.2)
    lane = share.lane_for(uuid.uuid4())
    release = asyncio.Event()

    async def hold() -> None:
        async with share.slot(lane):
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(2)]
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(hold())
    await asyncio.sleep(0.01)

    with pytest.raises(RateLimited) as refused_at_once:
        async with share.slot(lane):
            pass
    assert share.in_use(lane) == 3
    release.set()
    await asyncio.gather(*holders, waiting)

    assert refused_at_once.value.headers == {"Retry-After": "1"}
    assert share.in_use(lane) == 0, "an idle lane is forgotten"


async def test_a_request_waiting_past_the_wait_is_refused() -> None:
    share = FairShare(slots=1, queue=5, wait_seconds=0.1)
    lane = share.lane_for(uuid.uuid4())
    release = asyncio.Event()

    async def hold() -> None:
        async with share.slot(lane):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    with pytest.raises(RateLimited, match=r"waited 0\.1 s"):
        async with share.slot(lane):
            pass
    release.set()
    await holder


async def test_a_user_is_admitted_on_its_agencys_lane_once_known() -> None:
    share = FairShare(slots=1, queue=0, wait_seconds=0.1)
    user, agency = uuid.uuid4(), uuid.uuid4()
    before = share.lane_for(user)
    share.remember(user, agency)

    assert before != share.lane_for(user)
    assert share.lane_for(user) == share.lane_for_agency(agency)


async def _other_agency(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A second agency with a batch whose contacts have call logs; its user's id."""
    engine = create_async_engine(async_database_url(url))
    try:
        async with engine.begin() as connection:
            factory = Factory(connection)
            agency = await factory.agency(name="Flooding agency")
            user = await factory.user(agency)
            batch = await factory.batch(agency)
            [contact] = await factory.contacts(batch, agency, [{}])
            await factory.call_log(contact, agency)
        return user, batch
    finally:
        await engine.dispose()


async def test_one_agencys_flood_is_rate_limited_while_another_agency_is_served(
    server: PrivateServer,
) -> None:
    flooding_user, batch = await _other_agency(server.url)
    settings = server.settings(agency_concurrency=2, agency_queue=2, agency_queue_wait_seconds=0.3)
    flood_headers = {"Authorization": f"Bearer {server.token_for(flooding_user)}"}
    calm_headers = {"Authorization": f"Bearer {server.token()}"}
    engine = create_async_engine(async_database_url(server.url))
    try:
        async with running_app(settings) as (_, client), engine.connect() as blocker:
            await blocker.begin()
            await blocker.execute(text("LOCK TABLE call_logs IN ACCESS EXCLUSIVE MODE"))

            async def heavy() -> httpx.Response:
                return await client.post(
                    "/graphql",
                    json={"query": CALL_LOGS, "variables": {"id": str(batch)}},
                    headers=flood_headers,
                )

            flood = [asyncio.create_task(heavy()) for _ in range(6)]
            await asyncio.sleep(0.5)
            calm = await client.post("/graphql", json={"query": LIGHT}, headers=calm_headers)
            await blocker.rollback()
            answers = await asyncio.gather(*flood)
    finally:
        await engine.dispose()

    assert calm.status_code == 200, calm.text
    assert calm.json()["data"]["batches"]["totalCount"] == 1
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200, 429, 429, 429, 429], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_an_agency_past_its_request_rate_is_refused_until_its_bucket_refills() -> None:
    share = FairShare(slots=1, queue=0, wait_seconds=0.1, rate=2.0, burst=3)
    mine, theirs = share.lane_for(uuid.uuid4()), share.lane_for(uuid.uuid4())

    for _ in range(3):
        share.admit(mine)
    with pytest.raises(RateLimited, match="more than 2 requests a second") as refused:
        share.admit(mine)
    share.admit(theirs)

    assert refused.value.headers == {"Retry-After": "1"}


def test_an_agency_in_rows_read_debt_is_refused_until_it_is_paid_off() -> None:
    share = FairShare(slots=1, queue=0, wait_seconds=0.1, rows_per_second=1_000, rows_burst=500)
    my_agency = uuid.uuid4()
    mine, theirs = share.lane_for_agency(my_agency), share.lane_for_agency(uuid.uuid4())

    share.admit(mine)
    share.charge_rows(my_agency, 400)
    share.admit(mine)
    share.charge_rows(my_agency, 2_500)
    with pytest.raises(RateLimited, match=r"read more rows than its share") as refused:
        share.admit(mine)
    share.admit(theirs)

    assert refused.value.headers == {"Retry-After": "3"}, "2,400 rows of debt at 1,000 a second"


async def test_an_agency_whose_searches_read_past_its_share_over_graphql_and_rest_is_refused(
    server: PrivateServer,
) -> None:
    scanning_user, batch = await _other_agency(server.url)
    settings = server.settings(max_rows_read=1, agency_rows_read_per_second=1)
    search = {
        "query": 'query Scan($id: ID!) { batch(id: $id) { contacts(search: "a") { totalCount } } }',
        "variables": {"id": str(batch)},
    }
    scanning = {"Authorization": f"Bearer {server.token_for(scanning_user)}"}
    calm = {"Authorization": f"Bearer {server.token()}"}
    async with running_app(settings) as (_, client):
        first = await client.post("/graphql", json=search, headers=scanning)
        second = await client.get(
            f"/api/call/batch-details/{batch}", params={"search": "a"}, headers=scanning
        )
        third = await client.post("/graphql", json=search, headers=scanning)
        other = await client.post("/graphql", json={"query": LIGHT}, headers=calm)

    assert [first.status_code, second.status_code] == [200, 200], second.text
    assert "errors" not in first.json()
    assert third.status_code == 429, third.text
    assert third.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "read more rows than its share" in third.json()["errors"][0]["message"]
    assert int(third.headers["Retry-After"]) >= 1
    assert other.status_code == 200 and "errors" not in other.json(), other.text
