"""The tenancy matrix: two agencies with look-alike data (same names, phones, statuses, searches
and sort keys, interleaved in time). For every query and argument, agency A sees none of B's
rows, and a batch of B answers exactly as a batch that does not exist."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from tests.factories import Factory
from tests.tenancy_support import (
    BATCH_ARGUMENTS,
    BATCHES,
    CONTACT_ARGUMENTS,
    CONTACT_LOOKS,
    CONTACTS,
    World,
    assert_none_of,
    build_world,
)
from tests.tenant import Tenant


@pytest.fixture
async def world(tenant: Tenant, other_tenant: Tenant, factory: Factory) -> World:
    return await build_world(tenant, other_tenant, factory)


@pytest.mark.parametrize("arguments", BATCH_ARGUMENTS, ids=str)
async def test_batches_never_show_another_agencys_batch(
    world: World, arguments: dict[str, Any]
) -> None:
    response = await world.a.post(BATCHES, arguments)

    body = response.json()
    assert "errors" not in body, body
    assert_none_of(response.text, world.theirs)
    ids = {n["id"] for n in body["data"]["batches"]["nodes"]}
    assert ids <= {str(i) for i in world.mine.batch_ids}
    assert body["data"]["batches"]["totalCount"] <= len(world.mine.batch_ids)


async def test_batches_filtered_by_the_other_agencys_campaign_are_empty(world: World) -> None:
    foreign = await world.a.data(BATCHES, {"campaignId": str(world.theirs.campaign_id)})
    own = await world.a.data(BATCHES, {"campaignId": str(world.mine.campaign_id)})

    assert foreign["batches"]["totalCount"] == 0
    assert own["batches"]["totalCount"] == len(world.mine.batch_ids)


@pytest.mark.parametrize("arguments", CONTACT_ARGUMENTS, ids=str)
async def test_contacts_never_show_another_agencys_contact_or_call_log(
    world: World, arguments: dict[str, Any]
) -> None:
    batch_id = world.mine.batch_ids[0]

    response = await world.a.post(CONTACTS, {"id": str(batch_id), **arguments})

    body = response.json()
    assert "errors" not in body, body
    assert_none_of(response.text, world.theirs)
    contacts = body["data"]["batch"]["contacts"]
    assert {n["id"] for n in contacts["nodes"]} <= {str(i) for i in world.mine.contact_ids}
    assert contacts["totalCount"] <= len(CONTACT_LOOKS)
    logs = {log["id"] for n in contacts["nodes"] for log in n["callLogs"]}
    assert logs <= {str(i) for i in world.mine.call_log_ids}


async def test_the_unfiltered_lists_show_exactly_the_own_agencys_rows(world: World) -> None:
    """The matrix above is not vacuous: A does see all of its own look-alike rows."""
    batches = await world.a.data(BATCHES, {"limit": 100})
    contacts = await world.a.data(CONTACTS, {"id": str(world.mine.batch_ids[0])})

    assert {n["id"] for n in batches["batches"]["nodes"]} == {str(i) for i in world.mine.batch_ids}
    nodes = contacts["batch"]["contacts"]["nodes"]
    assert len(nodes) == len(CONTACT_LOOKS)
    assert all(len(n["callLogs"]) == 2 for n in nodes)


@pytest.mark.parametrize("with_contacts", [False, True])
async def test_another_agencys_batch_answers_exactly_like_a_missing_one(
    world: World, with_contacts: bool
) -> None:
    query = CONTACTS if with_contacts else "query One($id: ID!) { batch(id: $id) { id name } }"

    foreign = await world.a.post(query, {"id": str(world.theirs.batch_ids[0])})
    missing = await world.a.post(query, {"id": str(uuid.uuid4())})

    assert foreign.status_code == missing.status_code == 200
    assert foreign.content == missing.content
    assert foreign.json()["data"] == {"batch": None}
    assert foreign.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_the_other_agencys_batches_cursor_never_reveals_its_rows(world: World) -> None:
    theirs = await world.b.data(BATCHES, {"first": 2})
    cursor = theirs["batches"]["pageInfo"]["endCursor"]
    assert cursor

    response = await world.a.post(BATCHES, {"first": 100, "after": cursor})

    assert_none_of(response.text, world.theirs)
    body = response.json()
    if "errors" in body:
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    else:
        ids = {n["id"] for n in body["data"]["batches"]["nodes"]}
        assert ids <= {str(i) for i in world.mine.batch_ids}


@pytest.mark.parametrize("arguments", [{}, {"sort": [{"field": "NAME"}]}], ids=str)
async def test_the_other_agencys_contacts_cursor_is_rejected_not_misread(
    world: World, arguments: dict[str, Any]
) -> None:
    theirs = await world.b.data(
        CONTACTS, {"id": str(world.theirs.batch_ids[0]), "first": 1, **arguments}
    )
    cursor = theirs["batch"]["contacts"]["pageInfo"]["endCursor"]

    response = await world.a.post(
        CONTACTS, {"id": str(world.mine.batch_ids[0]), "first": 5, "after": cursor, **arguments}
    )

    assert_none_of(response.text, world.theirs)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_database_refuses_contacts_and_call_logs_that_cross_agencies(
    world: World, factory: Factory
) -> None:
    """So no count or list of A can ever include a row of B filed under A's batch."""
    attempts = [
        factory.contact(world.mine.batch_ids[0], world.b.agency_id),
        factory.call_log(world.mine.contact_ids[0], world.b.agency_id),
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError, match="foreign key"):
            async with factory.connection.begin_nested():
                await attempt

    data = await world.a.data(CONTACTS, {"id": str(world.mine.batch_ids[0])})
    assert data["batch"]["totalContacts"] == len(CONTACT_LOOKS)


async def test_a_batch_pointing_at_another_agencys_agent_shows_none_of_its_names(
    world: World, factory: Factory
) -> None:
    """Another agency's campaign cannot even be linked (tests/test_campaign_agency.py); an agent
    mapping of another agency, written by some other program, is still never shown."""
    agent = await factory.agent(world.b.agency_id, name="B-only agent")
    batch_id = await factory.batch(world.a.agency_id, agent_mapping_id=agent)

    response = await world.a.post(CONTACTS, {"id": str(batch_id)})

    batch = response.json()["data"]["batch"]
    assert batch["agentName"] is None
    assert "B-only" not in response.text


async def test_agency_b_sees_its_own_twin_data_and_none_of_a(world: World) -> None:
    """The matrix holds the other way round too."""
    batches = await world.b.post(BATCHES, {"limit": 100})
    contacts = await world.b.post(CONTACTS, {"id": str(world.theirs.batch_ids[0])})

    for response in (batches, contacts):
        assert "errors" not in response.json()
        assert_none_of(response.text, world.mine)
    ids = {n["id"] for n in batches.json()["data"]["batches"]["nodes"]}
    assert ids == {str(i) for i in world.theirs.batch_ids}


NOT_AGENCY_QUERIES = {"db.users.get_user"}
"""`get_user` runs before the agency is known (`user_scope` lets it see only the bearer's own
user row); `db.tenancy` sets up the scope itself."""


def test_every_query_function_in_db_takes_a_required_agency_id() -> None:
    import importlib
    import inspect
    import pkgutil

    import db

    checked = []
    for module_info in pkgutil.iter_modules(db.__path__):
        if module_info.name in ("tenancy", "driver_transaction"):
            continue
        module = importlib.import_module(f"db.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
            qualified = f"{module.__name__}.{name}"
            parameters = inspect.signature(function).parameters
            if function.__module__ != module.__name__ or next(iter(parameters), "") != "session":
                continue
            if qualified in NOT_AGENCY_QUERIES:
                continue
            checked.append(qualified)
            agency = parameters.get("agency_id")
            assert agency is not None, f"{qualified} takes no agency_id"
            assert agency.default is inspect.Parameter.empty, f"{qualified}: agency_id optional"

    assert {"db.batches.list_batches", "db.contacts.list_contacts"} <= set(checked)
