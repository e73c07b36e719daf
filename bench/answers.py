"""What must be identical in every system's answer to a benchmark query: the total, the ids in
order, each contact's call-log ids in order, and whether a next page exists. The run compares
them before measuring and stops when they differ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson


class AnswersDiffer(AssertionError):
    """Two systems answered one benchmark query differently: the comparison would be unfair."""


@dataclass(frozen=True)
class Answer:
    total: int
    ids: tuple[str, ...]
    log_ids: tuple[tuple[str, ...], ...] | None
    """Each node's call-log ids, in order; None when the query selects no call logs."""
    has_next_page: bool | None


def _connection_answer(connection: dict[str, Any], logs: Sequence[str]) -> Answer:
    """`logs`: the path from a node to its list of call logs (empty when not selected)."""
    nodes = connection["nodes"]
    log_ids: tuple[tuple[str, ...], ...] | None = None
    if logs:
        lists = []
        for node in nodes:
            value: Any = node
            for key in logs:
                value = value[key]
            lists.append(tuple(str(log["id"]) for log in value))
        log_ids = tuple(lists)
    page_info = connection.get("pageInfo")
    return Answer(
        total=int(connection["totalCount"]),
        ids=tuple(str(node["id"]) for node in nodes),
        log_ids=log_ids,
        has_next_page=None if page_info is None else bool(page_info["hasNextPage"]),
    )


def _data(body: bytes) -> dict[str, Any]:
    document = orjson.loads(body)
    if document.get("errors") or not document.get("data"):
        raise AnswersDiffer(f"an answer with errors or no data: {body[:300]!r}")
    data: dict[str, Any] = document["data"]
    return data


def api_answer(body: bytes) -> Answer:
    """The API's (or the floor's, which encodes the API's shape) answer to Q1, Q2, Q3 or Q4."""
    data = _data(body)
    if "batches" in data:
        return _connection_answer(data["batches"], ())
    return _connection_answer(data["batch"]["contacts"], ("callLogs",))


PEER_CONTACTS = "campaignContactsByBatchIdAndAgencyId"
PEER_LOGS = ("callLogsByContactIdAndAgencyId", "nodes")


def peer_answer(body: bytes) -> Answer:
    """PostGraphile's answer to its version of Q1, Q2, Q3 or Q4 (bench/peer_queries.py)."""
    data = _data(body)
    if "allVCallBatchSummaries" in data and "callBatchById" not in data:
        return _connection_answer(data["allVCallBatchSummaries"], ())
    return _connection_answer(data["callBatchById"][PEER_CONTACTS], PEER_LOGS)


def check_same(query: str, answers: dict[str, Answer]) -> None:
    """Raise AnswersDiffer naming the first system whose answer differs from the first one's;
    also when the answer is empty (an empty page would make any comparison meaningless)."""
    (reference_name, reference), *others = answers.items()
    if not reference.ids:
        raise AnswersDiffer(f"{query}: {reference_name} answered no rows")
    for name, answer in others:
        if answer != reference:
            raise AnswersDiffer(
                f"{query}: {name} answers differently from {reference_name}: "
                f"{_difference(reference, answer)}"
            )


def _difference(expected: Answer, got: Answer) -> str:
    if expected.total != got.total:
        return f"totalCount {got.total} instead of {expected.total}"
    if expected.ids != got.ids:
        first = next(
            (
                i
                for i, pair in enumerate(zip(expected.ids, got.ids, strict=False))
                if len(set(pair)) > 1
            ),
            min(len(expected.ids), len(got.ids)),
        )
        return f"{len(got.ids)} ids instead of {len(expected.ids)}, first difference at {first}"
    if expected.log_ids != got.log_ids:
        return "call logs differ"
    return f"hasNextPage {got.has_next_page} instead of {expected.has_next_page}"
