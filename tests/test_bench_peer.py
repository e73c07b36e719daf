"""The PostGraphile anchor's bookkeeping in `python -m bench run` (no server, no Node): answers
compared on totals, ids and order; round trips counted from the client's protocol messages;
issue 16's targets judged from the results; a missing Node said in one line."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from bench import peer_server, queries
from bench.answers import AnswersDiffer, api_answer, check_same, peer_answer
from bench.data import SCALES
from bench.floor_server import statement_arguments, typed_arguments
from bench.measure import measure_alternating
from bench.report import markdown
from bench.round_trips import ClientMessages, counting_proxy
from bench.targets import API, FLOOR, HTTP_FLOOR, PEER, verdicts


def _api_batch(ids: list[str], logs: list[list[str]], total: int) -> bytes:
    nodes = [
        {"id": i, "callLogs": [{"id": log} for log in node_logs]}
        for i, node_logs in zip(ids, logs, strict=True)
    ]
    page = {"totalCount": total, "pageInfo": {"hasNextPage": True}, "nodes": nodes}
    return orjson.dumps({"data": {"batch": {"contacts": page}}})


def _peer_batch(ids: list[str], logs: list[list[str]], total: int) -> bytes:
    nodes = [
        {"id": i, "callLogsByContactIdAndAgencyId": {"nodes": [{"id": log} for log in node_logs]}}
        for i, node_logs in zip(ids, logs, strict=True)
    ]
    page = {"totalCount": total, "pageInfo": {"hasNextPage": True}, "nodes": nodes}
    return orjson.dumps(
        {"data": {"allVCallBatchSummaries": {"nodes": []}, "callBatchById": {
            "campaignContactsByBatchIdAndAgencyId": page}}}
    )  # fmt: skip


def test_the_same_page_from_api_and_peer_is_the_same_answer() -> None:
    api = api_answer(_api_batch(["a", "b"], [["l1", "l2"], []], 7))
    peer = peer_answer(_peer_batch(["a", "b"], [["l1", "l2"], []], 7))
    assert api == peer
    check_same("Q2", {API: api, PEER: peer})


@pytest.mark.parametrize(
    ("ids", "logs", "total", "says"),
    [
        (["b", "a"], [[], ["l1", "l2"]], 7, "first difference at 0"),
        (["a", "b"], [["l1", "l2"], []], 8, "totalCount 8 instead of 7"),
        (["a", "b"], [["l2", "l1"], []], 7, "call logs differ"),
        (["a"], [["l1", "l2"]], 7, "1 ids instead of 2"),
    ],
)
def test_a_different_order_total_or_log_list_stops_the_run(
    ids: list[str], logs: list[list[str]], total: int, says: str
) -> None:
    api = api_answer(_api_batch(["a", "b"], [["l1", "l2"], []], 7))
    with pytest.raises(AnswersDiffer, match=says):
        check_same("Q2", {API: api, PEER: peer_answer(_peer_batch(ids, logs, total))})


def test_an_empty_or_failed_answer_is_not_a_comparison() -> None:
    with pytest.raises(AnswersDiffer, match="no rows"):
        check_same("Q2", {API: api_answer(_api_batch([], [], 0))})
    with pytest.raises(AnswersDiffer, match="errors"):
        peer_answer(b'{"errors":[{"message":"too many clients"}],"data":null}')


def test_the_floor_encoding_reads_as_the_api_answer() -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    contact, log = uuid.uuid4(), uuid.uuid4()
    row: dict[str, Any] = {
        "id": contact, "first_name": "Ada", "last_name": None, "phone_number": "+1",
        "email": None, "status": "completed", "priority": "normal", "attempts": 1,
        "outcome": None, "last_attempt_at": None, "created_at": at, "log_id": log,
        "call_status": "completed", "duration_seconds": 3, "recording_url": None,
        "log_at": at, "total": 1,
    }  # fmt: skip
    answer = api_answer(queries.encode_contacts([row], False))
    assert (answer.total, answer.ids, answer.log_ids) == (1, (str(contact),), ((str(log),),))


def _typed(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + (4 + len(payload)).to_bytes(4, "big") + payload


def test_each_query_and_each_sync_is_one_round_trip_however_the_bytes_arrive() -> None:
    extended = _typed(b"P", b"select 1\x00") + _typed(b"B", b"xx") + _typed(b"E") + _typed(b"S")
    stream = _typed(b"Q", b"BEGIN;\x00") + extended + extended + _typed(b"Q", b"ROLLBACK;\x00")
    whole, split = ClientMessages(), ClientMessages()
    whole.feed(stream)
    for at in range(0, len(stream), 3):
        split.feed(stream[at : at + 3])
    assert whole.round_trips == split.round_trips == 4


async def test_the_proxy_refuses_tls_forwards_startup_and_counts_round_trips() -> None:
    received: list[bytes] = []

    async def upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            received.append(data)
        writer.close()

    server = await asyncio.start_server(upstream, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with counting_proxy("127.0.0.1", port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))
        assert await reader.readexactly(1) == b"N"
        startup = (8).to_bytes(4, "big") + (196608).to_bytes(4, "big")
        writer.write(startup + _typed(b"Q", b"select 1\x00") + _typed(b"S"))
        await writer.drain()
        for _ in range(50):
            await asyncio.sleep(0.01)
            if proxy.round_trips == 2:
                break
        writer.close()
    server.close()
    assert proxy.round_trips == 2
    assert b"".join(received).startswith(startup)


def _row(query: str, via: str, clients: int, p50: float, rps: float) -> dict[str, Any]:
    return {"query": query, "via": via, "concurrency": clients, "p50": p50, "rps": rps}


def _report(with_peer: bool, soaked: list[float]) -> dict[str, Any]:
    rows = []
    for query, api_p50, api_rps, peer_rps in (
        ("Q1 batches", 1.5, 500.0, 500.0),
        ("Q2 batch", 3.0, 200.0, 200.0),
        ("Q3 search", 2.0, 100.0, 150.0),
        ("Q4 deep", 2.9, 200.0, 200.0),
    ):
        rows += [_row(query, API, 1, api_p50, 0), _row(query, FLOOR, 1, 1.0, 0)]
        rows.append(_row(query, API, 32, 0, api_rps))
        if with_peer:
            rows.append(_row(query, PEER, 32, 0, peer_rps))
    return {"results": rows, "memory_after": [10.0, 100.0], "soak": {"memory": soaked}}


def test_targets_are_judged_from_the_run() -> None:
    met = {v.target.split(" (")[0]: v.met for v in verdicts(_report(True, [10.0, 125.0]))}
    assert met == {
        "Q1 p50 ≤ 2x the floor at 1 client": True,
        "Q2 p50 ≤ 2x the floor at 1 client": False,
        "Q3 p50 ≤ 2x the floor at 1 client": True,
        "Q1 req/s at 32 clients ≥ PostGraphile's": True,
        "Q3 req/s at 32 clients ≥ PostGraphile's": False,
        "Q2 req/s at 32 clients > PostGraphile's": False,
        "deep cursor page": True,
        "memory flat in the soak": False,
    }


def test_without_the_peer_its_targets_are_not_measured() -> None:
    judged = verdicts(_report(False, [10.0, 100.0]))
    assert [v.met for v in judged if "PostGraphile" in v.target] == [None, None, None]
    assert judged[-1].met is True


def test_without_node_the_peer_is_skipped_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda _: None)
    assert peer_server.install() == "node or npm is not on PATH"


def test_the_summary_gives_ratios_and_round_trips_per_question() -> None:
    report = _report(True, [10.0, 100.0])
    report["results"].append(_row("Q1 batches", PEER, 1, 1.2, 0))
    for row in report["results"]:
        row.update(p99=row["p50"], requests=1, errors=0)
    report.update(
        scale=SCALES["S"], batch_size=1, postgres="16", pg_trgm=True, workers=2, seconds=5,
        memory_before=[1.0], peer=True,
        round_trips={"Q1 batches": {API: 6.0, PEER: 1.0}},
        soak={"memory": [10.0, 100.0], "seconds": 30, "requests": 1, "errors": 0, "p50": 1, "p99": 1},
    )  # fmt: skip
    line = next(row for row in markdown(report).splitlines() if row.startswith("| Q1 batches |"))
    assert line == (
        "| Q1 batches | 1.5 · 1.2 · - · 1.0 | - · 1.5x | 500 · 500 · - · - | 1.00x | 6.0 · 1.0 |"
    )


def test_the_floor_over_http_decides_the_floor_targets_when_it_ran() -> None:
    report = _report(True, [10.0, 100.0])
    for query, p50 in (("Q1 batches", 0.5), ("Q2 batch", 2.0), ("Q3 search", 0.9)):
        report["results"].append(_row(query, HTTP_FLOOR, 1, p50, 0))
    judged = {v.target.split(" (")[0]: v for v in verdicts(report)}
    assert [judged[f"{q} p50 ≤ 2x the floor at 1 client"].met for q in ("Q1", "Q2", "Q3")] == [
        False,
        True,
        False,
    ]
    assert judged["Q1 p50 ≤ 2x the floor at 1 client"].measured == ("3.0x (in-process floor: 1.5x)")


def test_the_http_floor_gets_back_the_arguments_the_floor_statement_takes() -> None:
    at, batch = datetime(2025, 1, 1, 12, 30, 0, 123456, tzinfo=UTC), uuid.uuid4()
    sent = orjson.loads(orjson.dumps(typed_arguments((batch, at, "%zeld%"))))
    assert statement_arguments(sent) == [str(batch), at, "%zeld%"]


def test_the_deep_page_asked_in_turn_with_the_first_decides_when_measured() -> None:
    report = _report(True, [10.0, 100.0])  # separate cells: Q4 2.9 ÷ Q2 3.0 ms
    report["deep_page"] = {
        API: {"first": 3.0, "deep": 3.3},
        HTTP_FLOOR: {"first": 2.0, "deep": 2.2},
    }
    verdict = next(v for v in verdicts(report) if v.target.startswith("deep cursor page"))
    assert verdict.met is False
    assert verdict.measured == (
        "asked in turn: 3.3 ÷ 3.0 ms = 1.10 (separate cells: 0.97; in turn, "
        "asyncpg + Starlette floor 1.10)"
    )


async def test_requests_asked_in_turn_keep_their_latencies_apart() -> None:
    asked: list[str] = []

    def maker(name: str, pause: float) -> Any:
        async def make() -> Any:
            async def call() -> bool:
                asked.append(name)
                await asyncio.sleep(pause)
                return name == "first"

            return call

        return make

    first, deep = await measure_alternating([maker("first", 0.0), maker("deep", 0.01)], 0.2)

    assert asked[:4] == ["first", "deep", "first", "deep"]
    assert len(first.latencies) == len(deep.latencies) > 2
    assert first.errors == 0 and deep.errors == len(deep.latencies)
    assert first.p(0.5) < deep.p(0.5)
