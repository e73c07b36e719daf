"""The noisy-neighbour benchmark's bookkeeping (no server: the run itself is `python -m bench
noisy`): A's answers are counted by status and code, and the target is judged on B's figures."""

from __future__ import annotations

import orjson

from bench.noisy_load import Traffic, deep_query, outcome_of
from bench.noisy_report import Samples, target_met


def test_deep_query_repeats_the_probe_as_aliases_of_one_batch() -> None:
    query = orjson.loads(deep_query("b1", 30, 150_000, True))["query"]
    assert query.count("contacts(") == 30
    assert query.count('search: "a"') == 30 and "offset: 150000" in query
    assert 'batch(id: "b1")' in query


def test_outcomes_name_the_status_and_every_distinct_code() -> None:
    limited = b'{"errors":[{"message":"x","extensions":{"code":"RATE_LIMITED"}}]}'
    mixed = b'{"data":{},"errors":[{"extensions":{"code":"TIMEOUT"}},{"message":"y"}]}'
    assert outcome_of(429, limited) == "HTTP 429 RATE_LIMITED"
    assert outcome_of(200, mixed) == "HTTP 200 TIMEOUT+no code"
    assert outcome_of(200, b'{"data":{"batch":null}}') == "HTTP 200 ok"
    assert outcome_of(502, b"<html>") == "HTTP 502 not JSON"


def _b(latencies_ms: list[float], failures: int = 0) -> Traffic:
    seen = Traffic()
    for ms in latencies_ms:
        seen.record("batches page", "HTTP 200 ok", ms / 1000)
    for _ in range(failures):
        seen.record("batches page", "HTTP 503 TIMEOUT", 5.0)
    return seen


def test_target_needs_no_error_and_p95_within_three_times() -> None:
    alone = _b([10.0] * 100)

    def report(attacked: Traffic) -> dict[str, object]:
        return {
            "alone": (alone, Traffic(), Samples()),
            "attacked": (attacked, Traffic(), Samples()),
        }

    assert target_met(report(_b([29.0] * 100)))
    assert not target_met(report(_b([31.0] * 100)))
    assert not target_met(report(_b([10.0] * 99, failures=1)))


def test_b_alone_before_and_after_the_attack_count_as_one_baseline() -> None:
    before, after = _b([10.0] * 50), _b([30.0] * 50, failures=1)

    both = before.merged(after)

    assert len(both.latencies) == 101
    assert both.errors == 1
    assert both.p(0.5) == 30.0 and both.p(0.25) == 10.0
