"""Rows written by other SQL clients with only the columns they need are served correctly."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.tenant import token_for


async def test_minimal_rows_inserted_with_plain_sql_are_served_with_true_counts(
    connection: AsyncConnection, client: httpx.AsyncClient
) -> None:
    agency, user, batch = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    contacts = [uuid.uuid4() for _ in range(4)]
    ids = {"agency": agency, "user": user, "batch": batch}
    await connection.execute(text("INSERT INTO agencies (id) VALUES (:agency)"), ids)
    await connection.execute(text("INSERT INTO users (id, agency_id) VALUES (:user, :agency)"), ids)
    await connection.execute(
        text("INSERT INTO call_batches (id, agency_id, name) VALUES (:batch, :agency, 'Plain')"),
        ids,
    )
    for contact, status in zip(contacts, ("completed", "failed", "pending", "queued"), strict=True):
        await connection.execute(
            text(
                "INSERT INTO campaign_contacts (id, batch_id, agency_id, phone_number, status) "
                "VALUES (:id, :batch, :agency, '+15550000000', :status)"
            ),
            {**ids, "id": contact, "status": status},
        )
    await connection.execute(
        text(
            "INSERT INTO call_logs (contact_id, agency_id, call_status) "
            "VALUES (:contact, :agency, 'completed')"
        ),
        {**ids, "contact": contacts[0]},
    )

    response = await client.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { batch(id: $id) { name status campaignName totalContacts "
            "completed failed progressPercentage remainingCount contacts { totalCount nodes { "
            "id priority attempts doNotCall customData name callLogs { callStatus } } } } }",
            "variables": {"id": str(batch)},
        },
        headers={"Authorization": f"Bearer {token_for(user)}"},
    )

    assert response.status_code == 200
    found = response.json()["data"]["batch"]
    assert (found["name"], found["status"], found["campaignName"]) == ("Plain", "PENDING", None)
    assert (found["totalContacts"], found["completed"], found["failed"]) == (4, 1, 1)
    assert (found["progressPercentage"], found["remainingCount"]) == (50.0, 2)
    nodes = {node.pop("id"): node for node in found["contacts"]["nodes"]}
    assert nodes[str(contacts[0])] == {
        "priority": "normal",
        "attempts": 0,
        "doNotCall": False,
        "customData": {},
        "name": None,
        "callLogs": [{"callStatus": "completed"}],
    }
    assert found["contacts"]["totalCount"] == 4
