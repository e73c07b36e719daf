"""An agency's user calling the API in tests, and the bearer tokens the test app accepts (kept out
of `conftest.py` so test modules import them from a plain module)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from web.auth import issue_token

JWT_SECRET = "test-secret-0123456789abcdef-0123456789"


def token_for(user_id: uuid.UUID) -> str:
    return issue_token(user_id, JWT_SECRET)


@dataclass
class Tenant:
    """An agency with one user, and a way to query the API as that user."""

    agency_id: uuid.UUID
    user_id: uuid.UUID
    client: httpx.AsyncClient

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token_for(self.user_id)}"},
        )

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body of a query that must answer HTTP 200."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """`data` of a query that must succeed without errors."""
        body = await self.query(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]
