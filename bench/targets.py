"""Issue 16's targets, checked on one run's results: the API within 2x of the floor at one
client (Q1-Q3; the floor as the issue defines it, asyncpg behind Starlette, when it ran), at
least PostGraphile's throughput at 32 clients (Q1, Q3) and ahead of it (Q2), a deep cursor page
no slower than the first, memory flat in the soak."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

API, PEER, FLOOR = "API", "PostGraphile v4", "asyncpg floor"
HTTP_FLOOR = "asyncpg + Starlette floor"
"""The floor as issue 16 defines it: the same statement served over HTTP (`bench.floor_server`).
`FLOOR` is that statement called in the bench's own process, with no HTTP at all."""
MEMORY_GROWTH_PERCENT = 10.0
"""As `python -m bench.soak --max-growth`: more growth than this in the soak is not flat."""


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None
    """None when the run could not measure it (no PostGraphile)."""


def cell(
    results: list[dict[str, Any]], query: str, via: str, clients: int
) -> dict[str, Any] | None:
    """The row of `query` (its short name, e.g. "Q1") through `via` at `clients`."""
    for row in results:
        if row["query"].split()[0] == query and row["via"] == via and row["concurrency"] == clients:
            return row
    return None


def ratio(
    results: list[dict[str, Any]], query: str, key: str, clients: int, over: str, under: str
) -> float | None:
    top, bottom = cell(results, query, over, clients), cell(results, query, under, clients)
    if top is None or bottom is None or not bottom[key]:
        return None
    return float(top[key]) / float(bottom[key])


def _within_floor(results: list[dict[str, Any]], query: str) -> Verdict:
    """Against the asyncpg + Starlette floor; the in-process floor's ratio is shown beside it
    (and decides when the HTTP floor did not run)."""
    over_http = ratio(results, query, "p50", 1, API, HTTP_FLOOR)
    in_process = ratio(results, query, "p50", 1, API, FLOOR)
    value = over_http if over_http is not None else in_process
    if value is None:
        measured = "not measured"
    elif over_http is None:
        measured = f"{value:.1f}x the in-process floor (no HTTP floor in this run)"
    else:
        in_process_text = "-" if in_process is None else f"{in_process:.1f}x"
        measured = f"{over_http:.1f}x (in-process floor: {in_process_text})"
    return Verdict(
        f"{query} p50 ≤ 2x the floor at 1 client (asyncpg + Starlette)",
        measured,
        None if value is None else value <= 2,
    )


def _throughput(results: list[dict[str, Any]], query: str, strictly: bool) -> Verdict:
    value = ratio(results, query, "rps", 32, API, PEER)
    target = f"{query} req/s at 32 clients {'>' if strictly else '≥'} PostGraphile's"
    if value is None:
        return Verdict(target, "no PostGraphile in this run", None)
    return Verdict(target, f"{value:.2f}x", value > 1 if strictly else value >= 1)


def _deep_page(report: dict[str, Any]) -> Verdict:
    """Judged on Q4 and Q2 asked in turn by one client (`deep_page`, when the run measured it),
    with the ratio of the two separate cells shown beside it."""
    results = report["results"]
    first, deep = cell(results, "Q2", API, 1), cell(results, "Q4", API, 1)
    target = "deep cursor page (Q4) p50 ≤ first page (Q2) p50, API, 1 client"
    cells = None if first is None or deep is None else deep["p50"] / first["p50"]
    in_turn = report.get("deep_page", {}).get(API)
    if in_turn is None:
        if first is None or deep is None:
            return Verdict(target, "not measured", None)
        value = deep["p50"] / first["p50"]
        return Verdict(
            target, f"{deep['p50']:.1f} ÷ {first['p50']:.1f} ms = {value:.2f}", value <= 1
        )
    value = in_turn["deep"] / in_turn["first"]
    floors = ", ".join(
        f"{via} {pair['deep'] / pair['first']:.2f}"
        for via, pair in report["deep_page"].items()
        if via != API
    )
    cells_text = "-" if cells is None else f"{cells:.2f}"
    return Verdict(
        target,
        f"asked in turn: {in_turn['deep']:.1f} ÷ {in_turn['first']:.1f} ms = {value:.2f} "
        f"(separate cells: {cells_text}; in turn, {floors or 'no floor'})",
        value <= 1,
    )


def _memory(before_soak: list[float], after_soak: list[float]) -> Verdict:
    growth = (sum(after_soak) - sum(before_soak)) / sum(before_soak) * 100
    return Verdict(
        f"memory flat in the soak (API RSS growth ≤ {MEMORY_GROWTH_PERCENT:.0f} %)",
        f"{sum(before_soak):.0f} → {sum(after_soak):.0f} MB ({growth:+.1f} %)",
        growth <= MEMORY_GROWTH_PERCENT,
    )


def verdicts(report: dict[str, Any]) -> list[Verdict]:
    results = report["results"]
    return [
        *(_within_floor(results, q) for q in ("Q1", "Q2", "Q3")),
        _throughput(results, "Q1", strictly=False),
        _throughput(results, "Q3", strictly=False),
        _throughput(results, "Q2", strictly=True),
        _deep_page(report),
        _memory(report["memory_after"], report["soak"]["memory"]),
    ]
