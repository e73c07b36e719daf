"""Bearer-token authentication: every way a token can be wrong is HTTP 401 UNAUTHENTICATED, a user
without an agency is HTTP 403 FORBIDDEN, and neither answer nor log shows a secret or a token."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import Unauthenticated
from tests.factories import Factory
from tests.security_support import (
    assert_nothing_leaks,
    bearer,
    error_of,
    log_text,
    post_graphql,
    unsigned_token,
)
from tests.tenant import JWT_SECRET, Tenant, token_for
from web.auth import TokenRules, TokenVerifier, issue_token

QUERY = "{ batches { totalCount } }"
NOW = datetime.now(UTC)


def claims(user_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"sub": str(user_id), "iat": NOW, "exp": NOW + timedelta(hours=1)}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def hs256(payload: dict[str, Any], secret: str = JWT_SECRET, **kwargs: Any) -> str:
    return jwt.encode(payload, secret, algorithm="HS256", **kwargs)


def without_exp(user_id: uuid.UUID) -> str:
    return hs256({"sub": str(user_id), "iat": NOW})


def alg_none(user_id: uuid.UUID) -> str:
    return unsigned_token({"alg": "none", "typ": "JWT"}, {"sub": str(user_id), "exp": 4102444800})


def alg_none_with_hs256_signature(user_id: uuid.UUID) -> str:
    """The `none` header on an otherwise valid token: the header decides nothing."""
    valid = hs256(claims(user_id))
    header = unsigned_token({"alg": "none", "typ": "JWT"}, {}).split(".")[0]
    return ".".join([header, *valid.split(".")[1:]])


def rs256_header(user_id: uuid.UUID) -> str:
    return unsigned_token(
        {"alg": "RS256", "typ": "JWT"}, {"sub": str(user_id), "exp": 4102444800}, "c2lnbmF0dXJl"
    )


def swapped_subject(user_id: uuid.UUID) -> str:
    """A valid token whose payload was replaced by one naming another user."""
    header, _, signature = hs256(claims(uuid.uuid4())).split(".")
    payload = hs256(claims(user_id)).split(".")[1]
    return f"{header}.{payload}.{signature}"


TokenFor = Callable[[uuid.UUID], str]

BAD_TOKENS: dict[str, tuple[TokenFor, str]] = {
    "malformed": (lambda _: "not-a-jwt", "not a valid token"),
    "three garbage parts": (lambda _: "a.b.c", "not a valid token"),
    "bad signature": (lambda u: hs256(claims(u), secret="another-secret-" + "x" * 32), "valid"),
    "payload swapped after signing": (swapped_subject, "not a valid token"),
    "alg none": (alg_none, "not a valid token"),
    "alg none header on a signed token": (alg_none_with_hs256_signature, "not a valid token"),
    "HS512 with the right secret": (
        lambda u: jwt.encode(claims(u), JWT_SECRET, algorithm="HS512"),
        "not a valid token",
    ),
    "HS384 with the right secret": (
        lambda u: jwt.encode(claims(u), JWT_SECRET, algorithm="HS384"),
        "not a valid token",
    ),
    "RS256": (rs256_header, "not a valid token"),
    "expired": (lambda u: hs256(claims(u, exp=NOW - timedelta(minutes=5))), "expired"),
    "without exp": (without_exp, "not a valid token"),
    "without sub": (lambda u: hs256(claims(u, sub=None)), "not a valid token"),
    "not yet valid": (lambda u: hs256(claims(u, nbf=NOW + timedelta(hours=1))), "valid"),
    "sub not a UUID": (lambda _: hs256(claims(uuid.uuid4(), sub="admin")), "not a valid token"),
    "sub a number": (lambda _: hs256(claims(uuid.uuid4(), sub=42)), "not a valid token"),
    "sub an unknown user": (lambda _: hs256(claims(uuid.uuid4())), "user does not exist"),
}


async def test_a_valid_token_answers_the_query(tenant: Tenant) -> None:
    assert await tenant.data(QUERY) == {"batches": {"totalCount": 0}}


async def test_a_supabase_style_token_with_an_audience_and_a_role_is_accepted(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = hs256(claims(tenant.user_id, aud="authenticated", role="authenticated"))

    response = await post_graphql(client, QUERY, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json() == {"data": {"batches": {"totalCount": 0}}}


async def test_the_bearer_scheme_is_case_insensitive(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await post_graphql(
        client, QUERY, headers={"Authorization": f"bearer {token_for(tenant.user_id)}"}
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"batches": {"totalCount": 0}}}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_every_bad_token_is_401_unauthenticated_and_shows_nothing_else(
    client: httpx.AsyncClient, tenant: Tenant, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    make, says = BAD_TOKENS[case]
    token = make(tenant.user_id)
    caplog.set_level(logging.DEBUG)

    response = await post_graphql(client, QUERY, headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    error = error_of(response)
    assert response.json()["data"] is None
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert set(error["extensions"]) == {"code", "requestId"}
    assert says in error["message"]
    assert_nothing_leaks(response, token, str(tenant.agency_id))
    assert JWT_SECRET not in log_text(caplog)
    assert token not in log_text(caplog)


@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        (None, "missing Authorization header"),
        ("", "missing Authorization header"),
        ("Bearer", "must be 'Bearer <token>'"),
        ("Bearer    ", "must be 'Bearer <token>'"),
        ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'"),
        ("Token abc.def.ghi", "must be 'Bearer <token>'"),
        ("Bearer " + "A" * 100_000, "not a valid token"),
    ],
    ids=["absent", "empty", "scheme only", "blank token", "basic", "other scheme", "huge"],
)
async def test_a_missing_or_malformed_header_is_401_unauthenticated(
    client: httpx.AsyncClient, tenant: Tenant, authorization: str | None, says: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await post_graphql(client, QUERY, headers=headers)

    assert response.status_code == 401
    error = error_of(response)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert says in error["message"]
    assert len(response.content) < 1000, "the header is never echoed back"
    assert_nothing_leaks(response)


async def test_a_user_without_an_agency_is_403_forbidden(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user_id = await factory.user(None)
    token = token_for(user_id)

    response = await post_graphql(client, QUERY, headers=bearer(token))

    assert response.status_code == 403
    error = error_of(response)
    assert response.json()["data"] is None
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == "this user belongs to no agency"
    assert_nothing_leaks(response, token, str(user_id))


async def test_a_token_outlives_nothing_its_user_is_looked_up_on_every_request(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    """A user moved out of their agency loses access at once, not when the token expires."""
    agency_id = await factory.agency()
    user_id = await factory.user(agency_id)
    token = token_for(user_id)
    assert (await post_graphql(client, QUERY, headers=bearer(token))).status_code == 200

    await factory.connection.exec_driver_sql(
        f"UPDATE users SET agency_id = NULL WHERE id = '{user_id}'"
    )

    assert (await post_graphql(client, QUERY, headers=bearer(token))).status_code == 403


async def test_get_queries_for_scripts_require_a_token_too(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    anonymous = await client.get("/graphql", params={"query": QUERY})
    signed_in = await client.get(
        "/graphql", params={"query": QUERY}, headers=bearer(token_for(tenant.user_id))
    )

    assert anonymous.status_code == 401
    assert error_of(anonymous)["extensions"]["code"] == "UNAUTHENTICATED"
    assert signed_in.status_code == 200
    assert signed_in.json() == {"data": {"batches": {"totalCount": 0}}}


async def test_a_browser_gets_graphiql_without_a_token_but_no_data(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    browser_query = await client.get(
        "/graphql", params={"query": QUERY}, headers={"Accept": "text/html"}
    )

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert browser_query.status_code == 401


async def test_the_user_lookup_happens_once_per_request(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    import db.users
    import web.auth

    calls: list[uuid.UUID] = []
    original: Callable[..., Awaitable[Any]] = db.users.get_user

    async def counting(session: Any, user_id: uuid.UUID) -> Any:
        calls.append(user_id)
        return await original(session, user_id)

    monkeypatch.setattr(web.auth, "get_user", counting)

    await tenant.data("{ a: batches { totalCount } b: batches { totalCount } }")

    assert calls == [tenant.user_id]


async def test_an_unexpected_failure_during_sign_in_is_masked_with_a_request_id(
    client: httpx.AsyncClient,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import web.auth

    async def broken(session: Any, user_id: uuid.UUID) -> Any:
        raise RuntimeError(f"SELECT password FROM users -- {JWT_SECRET}")

    monkeypatch.setattr(web.auth, "get_user", broken)
    token = token_for(tenant.user_id)

    response = await post_graphql(client, QUERY, headers=bearer(token))

    assert response.status_code == 500
    error = error_of(response)
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    request_id = error["extensions"]["requestId"]
    assert_nothing_leaks(response, token)
    logged = log_text(caplog)
    assert request_id in logged and "RuntimeError" in logged


def test_issued_tokens_are_hs256_with_sub_and_exp() -> None:
    user_id = uuid.uuid4()
    token = issue_token(user_id, JWT_SECRET, lifetime=timedelta(minutes=5))

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    decoded = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    assert decoded["sub"] == str(user_id)
    assert 0 < decoded["exp"] - datetime.now(UTC).timestamp() <= 300


def test_a_token_remembered_as_valid_is_refused_once_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = TokenVerifier(TokenRules(JWT_SECRET, leeway_seconds=0))
    user_id = uuid.uuid4()
    token = issue_token(user_id, JWT_SECRET, lifetime=timedelta(seconds=60))
    assert verifier.user(f"Bearer {token}") == user_id

    decoded: list[str] = []
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append("again"))
    assert verifier.user(f"Bearer {token}") == user_id
    an_hour_later = datetime.now(UTC).timestamp() + 3600
    monkeypatch.setattr(time, "time", lambda: an_hour_later)
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.user(f"Bearer {token}")
    assert decoded == [], "the signature was checked once"


NAMES = "{ batches { nodes { name } } }"


def _names(data: Any) -> list[str]:
    return [node["name"] for node in data["batches"]["nodes"]]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("UPDATE users SET agency_id = :other WHERE id = :user", ["Theirs"]),
        ("UPDATE users SET agency_id = NULL WHERE id = :user", "FORBIDDEN"),
        ("DELETE FROM users WHERE id = :user", "UNAUTHENTICATED"),
    ],
    ids=["moved to another agency", "removed from its agency", "deleted"],
)
async def test_a_caller_remembered_from_its_last_request_is_checked_against_the_database(
    tenant: Tenant,
    other_tenant: Tenant,
    factory: Factory,
    connection: AsyncConnection,
    change: str,
    expected: Any,
) -> None:
    """The second request is scoped to the agency of the first in its first round trip, which
    also confirms the user still belongs to it: a change in between is seen at once."""
    await factory.batch(tenant.agency_id, name="Mine")
    await factory.batch(other_tenant.agency_id, name="Theirs")
    assert _names(await tenant.data(NAMES)) == ["Mine"]

    await connection.execute(
        text(change), {"user": tenant.user_id, "other": other_tenant.agency_id}
    )
    response = await tenant.post(NAMES)

    if isinstance(expected, list):
        assert _names(response.json()["data"]) == expected
    else:
        assert error_of(response)["extensions"]["code"] == expected
