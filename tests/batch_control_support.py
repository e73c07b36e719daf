"""Shared by the batch control tests: the mutations' documents and an operator of an agency."""

from __future__ import annotations

import uuid
from typing import Any

from tests.tenant import Tenant

MUTATIONS = {
    "pause": "mutation($id: ID!) { result: pauseBatch(id: $id) { id status updatedAt } }",
    "resume": "mutation($id: ID!) { result: resumeBatch(id: $id) { id status updatedAt } }",
    "cancel": "mutation($id: ID!) { result: cancelBatch(id: $id) { id status updatedAt } }",
    "delete": "mutation($id: ID!) { result: deleteBatch(id: $id) }",
}

EVENTS = """
query($id: ID!, $first: Int, $after: String) {
  batch(id: $id) {
    status
    events(first: $first, after: $after) {
      totalCount
      nodes { id action fromStatus toStatus userId createdAt }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


async def act(tenant: Tenant, action: str, batch_id: uuid.UUID) -> dict[str, Any]:
    """The response body of one mutation (HTTP 200 either way)."""
    return await tenant.query(MUTATIONS[action], {"id": str(batch_id)})


def error_code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None
