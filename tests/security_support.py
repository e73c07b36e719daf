"""Shared pieces of the auth, error, limit and tenancy tests: raw requests and leak checks."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import httpx
import pytest

from tests.tenant import JWT_SECRET

FORBIDDEN_IN_RESPONSES = (
    JWT_SECRET,
    "Traceback",
    'File "',
    "SELECT ",
    "sqlalchemy",
    "asyncpg",
    "psycopg",
    "callbatch_app",
    "app.agency_id",
)
"""Text that must never reach a client: the secret, stack traces, SQL, driver and role names."""


async def post_graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_nothing_leaks(response: httpx.Response, *also: str) -> None:
    text = response.text
    for secret in (*FORBIDDEN_IN_RESPONSES, *also):
        assert secret not in text, f"{secret!r} leaked into {text[:500]}"


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The only error of a GraphQL error response (asserting it is one)."""
    body = response.json()
    assert set(body) <= {"data", "errors", "extensions"}, body
    assert body.get("data") is None or isinstance(body["data"], dict)
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert isinstance(error["message"], str) and error["message"]
    return error


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    """A JWT assembled by hand (for `alg: none` and other algorithms than HS256)."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}.{signature}"


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged, messages and tracebacks, as one string."""
    formatter = logging.Formatter()
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(formatter.formatException(record.exc_info))
    return "\n".join(lines)


HEALTHY_QUERY = "{ batches { totalCount nodes { name } } }"

BATCH_QUERY = "query One($id: ID!) { batch(id: $id) { id name } }"

BATCHES = """
query Batches($search: String, $status: BatchStatus, $campaignId: ID, $page: Int,
              $limit: Int, $first: Int, $after: String) {
  batches(search: $search, status: $status, campaignId: $campaignId, page: $page,
          limit: $limit, first: $first, after: $after) {
    totalCount nodes { name } pageInfo { endCursor }
  }
}
"""
