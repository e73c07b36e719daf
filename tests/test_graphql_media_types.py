"""GraphQL over HTTP media types: `application/graphql-response+json` for clients that ask for it
(Apollo Client 4 does, first), with request errors as 400 without `data`; `application/json`
unchanged for everyone else."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.tenant import Tenant, token_for
from web.media_types import GRAPHQL_RESPONSE_JSON, response_media_type

APOLLO_CLIENT_4_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
QUERY = "{ batches { totalCount } }"


async def post(
    tenant: Tenant, accept: str | None, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token_for(tenant.user_id)}"}
    if accept is not None:
        headers["Accept"] = accept
    return await tenant.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (APOLLO_CLIENT_4_ACCEPT, GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.5, application/json", "application/json"),
        ("application/graphql-response+json;q=0", "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("", "application/json"),
        (None, "application/json"),
    ],
)
def test_the_response_media_type_follows_the_accept_header(
    accept: str | None, expected: str
) -> None:
    assert response_media_type(accept) == expected


async def test_apollo_client_4_gets_graphql_response_json(tenant: Tenant) -> None:
    response = await post(tenant, APOLLO_CLIENT_4_ACCEPT, QUERY)

    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert "accept" in response.headers["vary"].lower()
    assert response.json() == {"data": {"batches": {"totalCount": 0}}}


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ batches { totalCount ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ batches { noSuchField } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($id: ID!) { batch(id: $id) { name } }", {"id": {"not": "an id"}}, None),
        ("query($id: ID!) { batch(id: $id) { name } }", None, None),
    ],
    ids=["parse", "validation", "variable coercion", "missing variable"],
)
async def test_request_errors_are_400_without_data_under_graphql_response_json(
    tenant: Tenant, query: str, variables: dict[str, Any] | None, code: str | None
) -> None:
    response = await post(tenant, APOLLO_CLIENT_4_ACCEPT, query, variables)

    body = response.json()
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert "data" not in body
    assert body["errors"]
    if code:
        assert body["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize("accept", ["application/json", None])
async def test_request_errors_keep_200_and_null_data_under_application_json(
    tenant: Tenant, accept: str | None
) -> None:
    response = await post(tenant, accept, "{ batches { totalCount ")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_field_error_stays_200_with_data_under_graphql_response_json(
    tenant: Tenant,
) -> None:
    response = await post(
        tenant,
        APOLLO_CLIENT_4_ACCEPT,
        "query($id: ID!) { batch(id: $id) { name } }",
        {"id": str(uuid.uuid4())},
    )

    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"batch": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["path"] == ["batch"]


async def test_refusals_before_execution_use_the_negotiated_media_type(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    anonymous = await client.post(
        "/graphql", json={"query": QUERY}, headers={"Accept": APOLLO_CLIENT_4_ACCEPT}
    )
    not_json = await client.post(
        "/graphql",
        content=b"{ batches",
        headers={
            "Accept": APOLLO_CLIENT_4_ACCEPT,
            "Content-Type": "text/plain",
            "Authorization": f"Bearer {token_for(tenant.user_id)}",
        },
    )

    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert 400 <= not_json.status_code < 500
    assert not_json.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert "data" not in not_json.json()


async def test_graphiql_html_is_not_rewritten(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})

    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("operation_name", [{"name": "Q"}, ["Q"], 7])
async def test_an_operation_name_that_is_not_a_string_is_a_request_error_not_a_500(
    tenant: Tenant, operation_name: Any
) -> None:
    """graphql-http's audit (6C00, 6C03): an object or array `operationName` is the client's
    mistake; it must never reach the compiled path's caches as a key (it is unhashable)."""
    response = await tenant.client.post(
        "/graphql",
        json={"query": QUERY, "operationName": operation_name},
        headers={
            "Authorization": f"Bearer {token_for(tenant.user_id)}",
            "Accept": APOLLO_CLIENT_4_ACCEPT,
        },
    )

    assert response.status_code == 400, response.text
