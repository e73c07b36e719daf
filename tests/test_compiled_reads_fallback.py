"""When the compiled path fails (a statement the database refuses, as a bug would make), the
request is not lost: the failure is logged with its trace, the request's transaction starts
afresh in the same scope, and the resolvers answer, exactly as they would have alone."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

import db.compiled.reads
from bench.queries import Q2
from db.compiled.in_scope import in_scope_form
from db.compiled.reads import DriverStatement
from tests.compiled_fixtures import both_paths, data
from tests.compiled_support import BothPaths, DataSet

__all__ = ["both_paths", "data"]


async def test_a_failing_compiled_statement_falls_back_to_the_resolvers(
    both_paths: BothPaths,
    data: DataSet,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(read: Any) -> Any:
        sql = "SELECT no_such_column FROM call_batches"
        return DriverStatement(sql, (), {}, orjson.loads, in_scope_form(sql))

    monkeypatch.setattr(db.compiled.reads, "_kept_statement", broken)

    response = await both_paths.agree(data.user_id, Q2, {"id": str(data.batch_ids[0])})

    assert "errors" not in response.json()
    assert response.json()["data"]["batch"]["contacts"]["totalCount"] == 7
    assert both_paths.answered == [False]
    failure = [r for r in caplog.records if r.name == "callbatch.compiled"]
    assert failure and failure[0].levelno == logging.WARNING and failure[0].exc_info
