"""`GET /openapi.json`: a valid OpenAPI 3.1 document that describes exactly the REST routes
served, with the limits they enforce and response schemas their live answers satisfy."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from starlette.routing import Route

from tests.factories import Factory
from tests.rest_support import function_seed_batch, weya_seed_batches
from tests.tenant import Tenant, token_for
from web.rest import rest_routes


async def fetch_document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


def assert_matches_documented_response(
    document: dict[str, Any], path: str, response: httpx.Response
) -> None:
    responses = document["paths"][path]["get"]["responses"]
    assert str(response.status_code) in responses, (path, response.status_code, response.text)
    schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    OAS31Validator({**schema, "components": document["components"]}).validate(response.json())


async def test_document_is_served_without_a_token_and_is_valid_openapi_3_1(
    client: httpx.AsyncClient,
) -> None:
    document = await fetch_document(client)

    validate_spec(document)
    assert document["openapi"] == "3.1.0"


async def test_every_rest_route_is_documented_and_every_documented_path_is_served(
    client: httpx.AsyncClient,
) -> None:
    document = await fetch_document(client)
    served = {r.path for r in rest_routes() if isinstance(r, Route)} - {"/openapi.json"}

    assert set(document["paths"]) == served
    assert all(set(item) == {"get"} for item in document["paths"].values())


async def test_live_answers_of_every_endpoint_match_the_documented_schemas(
    tenant: Tenant, factory: Factory, client: httpx.AsyncClient
) -> None:
    document = await fetch_document(client)
    await weya_seed_batches(factory, tenant.agency_id)
    seed = await function_seed_batch(factory, tenant.agency_id)
    await factory.call_log(seed.answered_contact_id, tenant.agency_id, recording_url="https://r")
    me, batch = tenant.user_id, seed.batch_id
    calls: list[tuple[str, str, dict[str, Any], int]] = [
        ("/api/call/batches/{userId}", f"/api/call/batches/{me}", {}, 200),
        ("/api/call/batches/{userId}", f"/api/call/batches/{me}", {"search": "zzz"}, 404),
        ("/api/call/batches/{userId}", f"/api/call/batches/{me}", {"limit": "x"}, 400),
        ("/api/call/batches/{userId}", f"/api/call/batches/{uuid.uuid4()}", {}, 403),
        ("/api/call/batch-details/{id}", f"/api/call/batch-details/{batch}", {}, 200),
        ("/api/call/batch-details/{id}", f"/api/call/batch-details/{uuid.uuid4()}", {}, 404),
        ("/api/call/batch-details/{id}", f"/api/call/batch-details/{batch}", {"filter": "["}, 400),
        ("/functions/v1/calls-batch-list", "/functions/v1/calls-batch-list", {}, 200),
        ("/functions/v1/calls-batch-list", "/functions/v1/calls-batch-list", {"offset": -1}, 400),
        (
            "/functions/v1/calls-batch-get",
            "/functions/v1/calls-batch-get",
            {"batch_id": str(batch)},
            200,
        ),
        ("/functions/v1/calls-batch-get", "/functions/v1/calls-batch-get", {}, 400),
        (
            "/functions/v1/calls-batch-get",
            "/functions/v1/calls-batch-get",
            {"batch_id": str(uuid.uuid4())},
            404,
        ),
    ]
    headers = {"Authorization": f"Bearer {token_for(me)}"}
    for path, url, params, status in calls:
        response = await client.get(url, params=params, headers=headers)
        assert response.status_code == status, (url, params, response.text)
        assert_matches_documented_response(document, path, response)
    for path, url, *_ in calls[::4]:
        assert_matches_documented_response(document, path, await client.get(url))
        assert_matches_documented_response(document, path, await client.delete(url))


@pytest.mark.parametrize(
    "path",
    [
        "/api/call/batches/{userId}",
        "/api/call/batch-details/{id}",
        "/functions/v1/calls-batch-list",
        "/functions/v1/calls-batch-get",
    ],
)
async def test_documented_integer_ranges_are_the_ones_enforced(
    tenant: Tenant, factory: Factory, client: httpx.AsyncClient, path: str
) -> None:
    document = await fetch_document(client)
    batch_id = await factory.batch(tenant.agency_id)
    url = path.replace("{userId}", str(tenant.user_id)).replace("{id}", str(batch_id))
    required = {"batch_id": str(batch_id)} if path.endswith("calls-batch-get") else {}
    headers = {"Authorization": f"Bearer {token_for(tenant.user_id)}"}
    ranged = [
        p
        for p in document["paths"][path]["get"]["parameters"]
        if p["in"] == "query" and p["schema"].get("type") == "integer"
    ]
    assert ranged

    for parameter in ranged:
        schema, name = parameter["schema"], parameter["name"]
        within = [schema["minimum"], schema["default"], schema.get("maximum", schema["minimum"])]
        outside = [schema["minimum"] - 1] + ([schema["maximum"] + 1] if "maximum" in schema else [])
        for value in within:
            response = await client.get(url, params={**required, name: value}, headers=headers)
            assert response.status_code in (200, 404), (name, value, response.text)
        for value in outside:
            response = await client.get(url, params={**required, name: value}, headers=headers)
            assert response.status_code == 400, (name, value, response.text)


def migration_pairs() -> list[tuple[str, str]]:
    """(REST request line, GraphQL query) pairs of the migration guide's calls, in order."""
    guide = (Path(__file__).parent.parent / "docs" / "MIGRATING_FROM_REST.md").read_text()
    section = guide.split("## Call by call", 1)[1].split("\n## ", 1)[0]
    requests = re.findall(r"```\n(GET [^\n]+)\n```", section)
    queries = re.findall(r"```graphql\n(.*?)```", section, re.DOTALL)
    assert len(requests) == len(queries) == 4
    return list(zip(requests, queries, strict=True))


def total_of(body: Any) -> int:
    """The `total` of a REST or GraphQL answer, wherever its pagination sits."""
    if isinstance(body, dict):
        if isinstance(body.get("total"), int):
            return int(body["total"])
        for value in body.values():
            found = total_of(value)
            if found >= 0:
                return found
    return -1


async def test_the_migration_guide_pairs_each_rest_call_with_a_graphql_query_counting_the_same_rows(
    tenant: Tenant, factory: Factory
) -> None:
    campaign = await factory.campaign(tenant.agency_id)
    batch = await factory.batch(
        tenant.agency_id, name="Marketing May", status="processing", campaign_id=campaign
    )
    await factory.batch(tenant.agency_id, name="Other", status="paused")
    emily, _ = await factory.contacts(
        batch,
        tenant.agency_id,
        [
            {"first_name": "Emily", "status": "completed"},
            {"first_name": "Emil", "status": "pending"},
        ],
    )
    await factory.call_log(emily, tenant.agency_id, call_status="completed")
    headers = {"Authorization": f"Bearer {token_for(tenant.user_id)}"}

    for request_line, query in migration_pairs():
        target = (
            request_line.removeprefix("GET ")
            .replace("{userId}", str(tenant.user_id))
            .replace("{id}", str(batch))
            .replace("campaign_id=<uuid>", f"campaign_id={campaign}")
            .replace("<uuid>", str(batch))
        )
        url = urlsplit(target)
        rest = await tenant.client.get(url.path, params=dict(parse_qsl(url.query)), headers=headers)
        graphql = await tenant.data(
            query.replace('"<uuid>"', f'"{campaign}"'),
            {"id": str(batch)} if "$id" in query else None,
        )

        assert rest.status_code == 200, (target, rest.text)
        assert total_of(rest.json()) == total_of(graphql) == 1, (target, rest.json(), graphql)
