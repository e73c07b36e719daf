"""Token rules beyond the signature: a bounded lifetime, a small clock leeway, and the
`WWW-Authenticate: Bearer` challenge on every 401 (GraphQL as REST)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt

from core.settings import Settings
from tests.tenant import JWT_SECRET, Tenant

QUERY = "{ batches { totalCount } }"


def token(user_id: uuid.UUID, *, issued: datetime | None, expires: datetime) -> str:
    claims: dict[str, object] = {"sub": str(user_id), "exp": expires}
    if issued is not None:
        claims["iat"] = issued
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


async def post(client: httpx.AsyncClient, bearer: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {bearer}"}
    )


async def test_a_token_living_longer_than_the_maximum_is_refused(
    tenant: Tenant, settings: Settings
) -> None:
    now = datetime.now(UTC)
    longest = timedelta(seconds=settings.jwt_max_lifetime_seconds)

    too_long = await post(
        tenant.client, token(tenant.user_id, issued=now, expires=now + 2 * longest)
    )
    no_iat = await post(
        tenant.client, token(tenant.user_id, issued=None, expires=now + 2 * longest)
    )
    just_right = await post(tenant.client, token(tenant.user_id, issued=now, expires=now + longest))

    assert too_long.status_code == 401
    assert "lives longer than the maximum" in too_long.json()["errors"][0]["message"]
    assert no_iat.status_code == 401, "without iat the lifetime counts from now"
    assert just_right.status_code == 200


async def test_clocks_a_few_seconds_apart_are_tolerated_but_not_minutes(tenant: Tenant) -> None:
    now = datetime.now(UTC)

    skewed = await post(
        tenant.client,
        token(
            tenant.user_id, issued=now + timedelta(seconds=10), expires=now - timedelta(seconds=10)
        ),
    )
    expired = await post(
        tenant.client,
        token(tenant.user_id, issued=now - timedelta(hours=1), expires=now - timedelta(minutes=2)),
    )

    assert skewed.status_code == 200
    assert expired.status_code == 401
    assert "expired" in expired.json()["errors"][0]["message"]


async def test_a_graphql_401_carries_the_bearer_challenge_as_rest_does(tenant: Tenant) -> None:
    graphql = await tenant.client.post("/graphql", json={"query": QUERY})
    rest = await tenant.client.get("/functions/v1/calls-batch-list")

    assert graphql.status_code == rest.status_code == 401
    assert graphql.headers["WWW-Authenticate"] == rest.headers["WWW-Authenticate"] == "Bearer"
