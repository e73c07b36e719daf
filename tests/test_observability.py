"""What operators see: request ids, JSON access lines with database time, metrics, slow queries."""

from __future__ import annotations

import logging
import sys
import uuid

import orjson
import pytest

from core.settings import Settings
from tests.ops_support import running_app
from tests.tenant import Tenant, token_for
from web.graphql_operation import graphql_operation_name
from web.observability import JsonFormatter, Metrics, TextFormatter


async def test_response_carries_the_request_id_the_error_body_quotes(tenant: Tenant) -> None:
    response = await tenant.client.post("/graphql", json={"query": "{ batches { totalCount } }"})
    assert response.status_code == 401
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    assert response.json()["errors"][0]["extensions"]["requestId"] == request_id


async def test_a_sane_client_request_id_is_kept_and_an_insane_one_replaced(tenant: Tenant) -> None:
    kept = await tenant.client.get("/healthz", headers={"X-Request-ID": "lb-42.abc"})
    replaced = await tenant.client.get("/healthz", headers={"X-Request-ID": "bad id\x7f" * 20})
    assert kept.headers["x-request-id"] == "lb-42.abc"
    assert replaced.headers["x-request-id"] != "bad id\x7f" * 20
    assert len(replaced.headers["x-request-id"]) == 32


async def test_access_line_names_operation_status_and_database_time(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="callbatch.access")
    headers = {"Authorization": f"Bearer {token_for(uuid.uuid4())}", "X-Request-ID": "req-1"}
    async with running_app(settings) as (_, client):
        response = await client.post(
            "/graphql",
            json={"query": "query Dashboard { batches { totalCount } }"},
            headers=headers,
        )
        metrics = (await client.get("/metrics")).text
    assert response.status_code == 401
    [line] = [r for r in caplog.records if getattr(r, "request_id", None) == "req-1"]
    assert line.name == "callbatch.access"
    assert line.__dict__["operation"] == "Dashboard"
    assert line.__dict__["status"] == 401
    assert line.__dict__["outcome"] == "client_error"
    assert line.__dict__["error_codes"] == ["UNAUTHENTICATED"]
    assert line.__dict__["db_statements"] >= 1, "the user lookup ran"
    assert 0 < line.__dict__["db_ms"] <= line.__dict__["duration_ms"]
    assert 'callbatch_requests_total{operation="Dashboard",outcome="client_error"} 1.0' in metrics
    assert 'callbatch_errors_total{code="UNAUTHENTICATED"} 1.0' in metrics
    assert 'callbatch_db_pool_connections_in_use{database="primary"} 0.0' in metrics
    pool, overflow = settings.pool_limits
    assert f'callbatch_db_pool_capacity{{database="primary"}} {float(pool + overflow)}' in metrics
    assert "callbatch_db_statement_duration_seconds_count" in metrics


async def test_statements_over_the_slow_query_threshold_are_logged_with_the_request_id(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="callbatch.slow_query")
    every_statement = settings.model_copy(update={"slow_query_ms": 0})
    headers = {"Authorization": f"Bearer {token_for(uuid.uuid4())}", "X-Request-ID": "slow-1"}
    async with running_app(every_statement) as (_, client):
        await client.post("/graphql", json={"query": "{ batches { totalCount } }"}, headers=headers)
    async with running_app(settings) as (_, client):
        await client.post("/graphql", json={"query": "{ batches { totalCount } }"}, headers=headers)

    slow = [r for r in caplog.records if r.name == "callbatch.slow_query"]
    assert slow, "with SLOW_QUERY_MS=0 every statement is slow"
    assert {r.__dict__["request_id"] for r in slow} == {"slow-1"}
    assert any("FROM users" in r.__dict__["statement"] for r in slow)
    assert len(slow) == len({id(r) for r in slow})
    # At the default threshold (500 ms) the same request logs nothing more.
    assert len([r for r in caplog.records if r.name == "callbatch.slow_query"]) == len(slow)


def test_json_lines_carry_extra_fields_and_the_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "callbatch.test", logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info()
        )
    record.request_id = "abc"
    line = orjson.loads(JsonFormatter().format(record))
    assert line["message"] == "failed x"
    assert line["level"] == "error"
    assert line["request_id"] == "abc"
    assert "ValueError: boom" in line["exception"]
    assert line["time"].endswith("+00:00")


@pytest.mark.parametrize(
    ("request_body", "name"),
    [
        ({"query": "query Named { batches { totalCount } }"}, "Named"),
        ({"query": "{ a: batches { totalCount } }", "operationName": "Given"}, "Given"),
        ({"query": "# note\n{ batch(id: 1) { id } }"}, "batch"),
        ({"query": "{ renamed: batches { totalCount } }"}, "batches"),
        ({"query": 42}, "invalid"),
        ([{"query": "{ batches { totalCount } }"}], "batched"),
        ({"query": "!!!"}, "anonymous"),
    ],
)
def test_operation_names_come_from_the_request(request_body: object, name: str) -> None:
    assert graphql_operation_name(request_body) == name


def test_operation_labels_are_bounded_so_fuzzers_cannot_explode_the_metrics() -> None:
    metrics = Metrics()
    labels = {metrics.operation_label(f"Op{i}") for i in range(500)}
    assert len(labels) == 101
    assert "other" in labels
    assert metrics.operation_label("Op3") == "Op3"


async def test_other_endpoints_are_labelled_by_their_route_template(settings: Settings) -> None:
    async with running_app(settings) as (_, client):
        await client.get(f"/api/call/batches/{uuid.uuid4()}")
        await client.get(f"/api/call/batches/{uuid.uuid4()}")
        await client.get("/no/such/page")
        metrics = (await client.get("/metrics")).text
    assert 'operation="/api/call/batches/{userId}"' in metrics
    assert 'callbatch_requests_total{operation="other",outcome="client_error"} 1.0' in metrics


def test_text_lines_keep_the_extra_fields_as_key_value_pairs() -> None:
    record = logging.LogRecord("callbatch.access", logging.INFO, __file__, 1, "request", (), None)
    record.status = 503
    record.request_id = "r-9"
    line = TextFormatter().format(record)
    assert line.endswith("INFO callbatch.access request status=503 request_id=r-9")


async def test_the_endpoint_records_its_operation_and_error_codes_for_the_access_line(
    tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="callbatch.access")
    authorization = {"Authorization": f"Bearer {token_for(tenant.user_id)}"}
    await tenant.client.post(
        "/graphql",
        json={"query": "query Broken { batches(limit: -1) { totalCount } nosuch }"},
        headers={**authorization, "X-Request-ID": "codes-1"},
    )
    await tenant.client.post(
        "/graphql", content=b"not json", headers={**authorization, "X-Request-ID": "codes-2"}
    )
    await tenant.client.get("/graphql", headers={"X-Request-ID": "codes-3"})
    lines = {
        r.__dict__["request_id"]: r.__dict__ for r in caplog.records if r.name == "callbatch.access"
    }
    assert lines["codes-1"]["operation"] == "Broken"
    assert lines["codes-1"]["error_codes"] == ["GRAPHQL_VALIDATION_FAILED"]
    assert lines["codes-2"]["operation"] == "invalid"
    assert lines["codes-2"]["error_codes"] == ["BAD_REQUEST"]
    assert lines["codes-3"]["operation"] == "graphiql"
