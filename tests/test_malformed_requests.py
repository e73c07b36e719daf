"""Every malformed request is a 400 BAD_REQUEST with a GraphQL-shaped JSON body, never a 500 or
a logged traceback; a client hanging up mid-body logs one INFO line."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from core.settings import Settings
from tests.ops_support import running_app
from tests.security_support import bearer
from tests.tenant import Tenant, token_for

BODIES = {
    "a string": b'"hello"',
    "a number": b"42",
    "true": b"true",
    "null": b"null",
    "invalid UTF-8 in a string": b'{"query": "{ batches { totalCount } }", "x": "\xff"}',
    "100,000 nested arrays": b"[" * 100_000,
    "a lone surrogate in a variable": (
        b'{"query": "query($s: String) { batches(search: $s) { totalCount } }",'
        b' "variables": {"s": "\\ud800"}}'
    ),
    "not JSON at all": b"{not json",
}


@pytest.mark.parametrize("case", list(BODIES))
async def test_a_malformed_body_is_400_bad_request_with_a_json_body_and_no_traceback(
    tenant: Tenant, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await tenant.client.post(
        "/graphql",
        content=BODIES[case],
        headers={**bearer(token_for(tenant.user_id)), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_lone_surrogate_in_a_query_literal_is_a_parse_error_not_a_500(
    tenant: Tenant,
) -> None:
    body = await tenant.query('{ batches(search: "\\ud800") { totalCount } }')

    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_client_hanging_up_mid_body_logs_one_info_line(
    tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = tenant.client._transport.app  # type: ignore[attr-defined]
    messages: list[dict[str, object]] = [
        {"type": "http.request", "body": b'{"query": "{ batc', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token_for(tenant.user_id)}".encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "state": {},
    }
    await app(scope, receive, send)

    lines = [r for r in caplog.records if "client disconnected" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_metrics_need_the_token_when_one_is_set(settings: Settings) -> None:
    guarded = settings.model_copy(update={"metrics_token": SecretStr("scrape-token-123")})
    async with running_app(guarded) as (_, client):
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        scraper = await client.get("/metrics", headers={"Authorization": "Bearer scrape-token-123"})

    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert scraper.status_code == 200
    assert "callbatch_requests_total" in scraper.text


async def test_made_up_operation_names_of_anonymous_callers_never_become_metric_labels(
    settings: Settings,
) -> None:
    async with running_app(settings) as (_, client):
        for n in range(120):
            await client.post(
                "/graphql", json={"query": f"query Junk{n} {{ batches {{ totalCount }} }}"}
            )
        metrics = (await client.get("/metrics")).text

    assert "Junk" not in metrics
    assert 'operation="unauthenticated"' in metrics
