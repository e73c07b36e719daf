"""The error contract, continued: missing and foreign batches answer alike, anything unexpected
is masked (INTERNAL_SERVER_ERROR, a request id the log shares, no SQL), unusable HTTP requests
and GraphQL syntax or validation errors get their codes. On the resolvers' path (the compiled
path is off here: these tests break the resolvers' query functions); a failure of the compiled
path falls back to them (tests/test_compiled_reads_fallback.py)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.compiled_fixtures import resolvers_only_app_state
from tests.factories import Factory
from tests.security_support import (
    BATCH_QUERY,
    HEALTHY_QUERY,
    assert_nothing_leaks,
    bearer,
    error_of,
    log_text,
    post_graphql,
)
from tests.tenant import JWT_SECRET, Tenant, token_for

__all__ = ["resolvers_only_app_state"]


async def not_found_response(tenant: Tenant, batch_id: uuid.UUID) -> httpx.Response:
    return await tenant.client.post(
        "/graphql",
        json={"query": BATCH_QUERY, "variables": {"id": str(batch_id)}},
        headers={**bearer(token_for(tenant.user_id)), "X-Request-ID": "same-request"},
    )


async def test_missing_deleted_and_foreign_batches_get_byte_identical_not_found(
    tenant: Tenant, other_tenant: Tenant, factory: Factory
) -> None:
    deleted = await factory.batch(tenant.agency_id, deleted_at=datetime.now(UTC))
    foreign = await factory.batch(other_tenant.agency_id, name="Healthy")

    responses = [
        await not_found_response(tenant, batch_id) for batch_id in (uuid.uuid4(), deleted, foreign)
    ]

    assert {r.status_code for r in responses} == {200}
    assert responses[0].json() == {
        "data": {"batch": None},
        "errors": [
            {
                "message": "batch not found",
                "locations": [{"line": 1, "column": 23}],
                "path": ["batch"],
                "extensions": {"code": "NOT_FOUND"},
            }
        ],
    }
    assert responses[1].content == responses[0].content
    assert responses[2].content == responses[0].content
    assert (await tenant.data(HEALTHY_QUERY))["batches"]["totalCount"] == 0


async def test_an_unexpected_error_is_masked_and_logged_with_the_same_request_id(
    tenant: Tenant,
    batch_id: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from db import batches

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"SELECT * FROM call_batches -- secret {JWT_SECRET}")

    monkeypatch.setattr(batches, "list_batches", broken)
    caplog.set_level(logging.INFO)

    response = await tenant.post(HEALTHY_QUERY)

    assert response.status_code == 200
    error = error_of(response)
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["message"] == "Internal server error. Quote the requestId when reporting it."
    request_id = error["extensions"]["requestId"]
    assert request_id
    assert_nothing_leaks(response, "RuntimeError", "call_batches")
    unexpected = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(unexpected) == 1
    assert request_id in unexpected[0].getMessage()
    assert "RuntimeError: SELECT * FROM call_batches" in log_text(caplog)
    monkeypatch.undo()
    assert (await tenant.data(HEALTHY_QUERY))["batches"]["totalCount"] == 1


async def test_a_failing_sql_statement_is_masked_without_showing_the_sql(
    tenant: Tenant, batch_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    from db import batches

    async def bad_sql(session: Any, *args: Any, **kwargs: Any) -> Any:
        await session.execute(text("SELECT no_such_column FROM call_batches WHERE name = 'x'"))

    monkeypatch.setattr(batches, "list_batches", bad_sql)

    response = await tenant.post(HEALTHY_QUERY)

    error = error_of(response)
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert_nothing_leaks(response, "no_such_column", "UndefinedColumn", "call_batches")


async def test_the_client_request_id_is_echoed_in_masked_errors_when_it_is_sane(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from db import batches

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(batches, "list_batches", broken)
    headers = bearer(token_for(tenant.user_id))

    sane = await post_graphql(
        tenant.client, HEALTHY_QUERY, headers={**headers, "X-Request-ID": "abc-123"}
    )
    odd = await post_graphql(
        tenant.client, HEALTHY_QUERY, headers={**headers, "X-Request-ID": "a b<script>"}
    )

    assert error_of(sane)["extensions"]["requestId"] == "abc-123"
    assert error_of(odd)["extensions"]["requestId"] not in ("", "a b<script>")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"{not json", "Unable to parse request body as JSON"),
        (b'{"variables": {}}', "No GraphQL query found in the request"),
    ],
)
async def test_an_unusable_http_request_is_400_with_a_graphql_shaped_body(
    client: httpx.AsyncClient, tenant: Tenant, content: bytes, says: str
) -> None:
    response = await client.post(
        "/graphql",
        content=content,
        headers={**bearer(token_for(tenant.user_id)), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    error = error_of(response)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"] == says


async def test_a_syntax_error_is_graphql_parse_failed(tenant: Tenant) -> None:
    error = error_of(await tenant.post("{ batches { "))

    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["message"].startswith("Syntax Error")


async def test_an_unknown_field_is_graphql_validation_failed(tenant: Tenant) -> None:
    error = error_of(await tenant.post("{ batches { password } }"))

    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Cannot query field 'password' on type 'BatchConnection'" in error["message"]


async def test_a_body_over_one_megabyte_is_413_without_being_read_whole(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    huge = {"search": "x" * (2 * 1024 * 1024)}

    response = await post_graphql(
        client, HEALTHY_QUERY, huge, headers=bearer(token_for(tenant.user_id))
    )

    assert response.status_code == 413
    error = error_of(response)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"] == "the request body is larger than 1048576 bytes"
    assert (await tenant.data(HEALTHY_QUERY))["batches"]["totalCount"] == 0


async def test_an_error_raised_outside_the_resolvers_is_masked_too(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from collections.abc import Iterator

    from schema.limits import QueryLimiter

    def broken(self: QueryLimiter) -> Iterator[None]:
        raise RuntimeError(f"validator crashed near {JWT_SECRET}")
        yield

    monkeypatch.setattr(QueryLimiter, "on_validate", broken)

    response = await tenant.post(HEALTHY_QUERY)

    error = error_of(response)
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert_nothing_leaks(response, "validator crashed")
    assert error["extensions"]["requestId"] in log_text(caplog)
    assert "RuntimeError: validator crashed" in log_text(caplog)
