"""The benchmark's four questions, each asked of every system (the API, PostGraphile when it
runs, the asyncpg floor): how to make a measured call, and how to fetch one answer to compare."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench import peer_queries, queries
from bench.answers import Answer, api_answer, check_same, peer_answer
from bench.data import SEARCH_TERM
from bench.floor_server import typed_arguments
from bench.measure import HttpClient, api_call, floor_call, http_call
from bench.server import Targets
from bench.targets import API, FLOOR, HTTP_FLOOR, PEER

MakeCall = Callable[[], Awaitable[Callable[[], Awaitable[bool]]]]
FetchAnswer = Callable[[], Awaitable[Answer]]


@dataclass
class Scenario:
    name: str
    calls: dict[str, MakeCall] = field(default_factory=dict)
    answers: dict[str, FetchAnswer] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)
    """The HTTP request bodies (API, PostGraphile), for counting round trips."""


async def post_once(port: int, token: str, body: bytes, path: str = "/graphql") -> bytes:
    client = HttpClient("127.0.0.1", port, token, path)
    try:
        status, payload = await client.post(body)
    finally:
        await client.close()
    if status != 200 or b'"errors"' in payload:
        raise RuntimeError(f"HTTP {status} from port {port}: {payload[:300]!r}")
    return payload


def _graphql(query: str, variables: dict[str, Any]) -> bytes:
    return orjson.dumps({"query": query, "variables": variables})


def _floor_answer(
    pool: Any, sql: str, args: tuple[Any, ...], encode: Callable[[list[Any]], bytes]
) -> FetchAnswer:
    async def fetch() -> Answer:
        async with pool.acquire() as connection:
            rows = await connection.fetch(sql, *args)
        return api_answer(encode(rows))

    return fetch


def _http_answer(
    port: int, token: str, body: bytes, read: Callable[[bytes], Answer], path: str = "/graphql"
) -> FetchAnswer:
    async def fetch() -> Answer:
        return read(await post_once(port, token, body, path))

    return fetch


async def peer_cursor_at(port: int, targets: Targets) -> str:
    """PostGraphile's cursor after the same contact the API's deep cursor points after."""
    body = _graphql(
        peer_queries.CURSOR_AT,
        {"id": str(targets.batch_id), "offset": targets.deep_position - 1},
    )
    data = orjson.loads(await post_once(port, "", body))["data"]
    cursor: str = data["callBatchById"]["campaignContactsByBatchIdAndAgencyId"]["pageInfo"][
        "endCursor"
    ]
    return cursor


def build(
    api_port: int,
    token: str,
    peer_port: int | None,
    peer_deep_cursor: str | None,
    pool: Any,
    floor_port: int | None,
    targets: Targets,
    deep: Any,
) -> list[Scenario]:
    """`deep`: the (created_at, id) row the deep page starts after, for the floors, which
    take each question's statement and encoding from `queries.FLOOR_QUERIES`.
    `floor_port`: the HTTP floor's (`bench.floor_server`), when it runs."""
    batch = str(targets.batch_id)
    questions: list[tuple[str, str, dict[str, Any], str, dict[str, Any], tuple[Any, ...]]] = [
        (
            "Q1 batches page 1",
            queries.Q1, {},
            peer_queries.Q1, {"agency": str(targets.agency_id)},
            (targets.agency_id,),
        ),
        (
            "Q2 largest batch, 50 contacts",
            queries.Q2, {"id": batch},
            peer_queries.Q2, {"id": batch},
            (targets.batch_id,),
        ),
        (
            "Q3 completed + search",
            queries.Q3, {"id": batch, "search": SEARCH_TERM},
            peer_queries.Q3, {"id": batch, "search": SEARCH_TERM},
            (targets.batch_id, f"%{SEARCH_TERM}%"),
        ),
        (
            f"Q4 page at {targets.deep_position:,}",
            queries.Q4, {"id": batch, "after": targets.deep_cursor},
            peer_queries.Q4, {"id": batch, "after": peer_deep_cursor},
            (targets.batch_id, deep["created_at"], deep["id"]),
        ),
    ]  # fmt: skip
    scenarios = []
    for name, api_query, api_vars, peer_query, peer_vars, args in questions:
        scenario = Scenario(name)
        short = name.split()[0]
        sql, encode = queries.FLOOR_QUERIES[short]
        scenario.calls[API] = api_call(api_port, token, api_query, api_vars)
        scenario.answers[API] = _http_answer(
            api_port, token, _graphql(api_query, api_vars), api_answer
        )
        scenario.bodies[API] = _graphql(api_query, api_vars)
        if peer_port is not None:
            scenario.calls[PEER] = api_call(peer_port, "", peer_query, peer_vars)
            scenario.answers[PEER] = _http_answer(
                peer_port, "", _graphql(peer_query, peer_vars), peer_answer
            )
            scenario.bodies[PEER] = _graphql(peer_query, peer_vars)
        scenario.calls[FLOOR] = floor_call(pool, sql, args, encode)
        scenario.answers[FLOOR] = _floor_answer(pool, sql, args, encode)
        if floor_port is not None:
            path, body = f"/floor/{short}", orjson.dumps(typed_arguments(args))
            scenario.calls[HTTP_FLOOR] = http_call(floor_port, "", path, body, name)
            scenario.answers[HTTP_FLOOR] = _http_answer(floor_port, "", body, api_answer, path)
        scenarios.append(scenario)
    return scenarios


async def check_answers(scenarios: list[Scenario]) -> None:
    """Every system's answer to every question has the API's totals, ids and order (raises
    AnswersDiffer otherwise: the run must not measure systems answering different things)."""
    for scenario in scenarios:
        answers = {via: await fetch() for via, fetch in scenario.answers.items()}
        check_same(scenario.name, answers)
        reference = answers[API]
        print(
            f"same answer from {', '.join(answers)} for {scenario.name}: total "
            f"{reference.total}, {len(reference.ids)} ids",
            flush=True,
        )
