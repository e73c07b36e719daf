"""The benchmark's report: the machine, the Markdown table, the results file and the comparison
of runs."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench.data import Scale
from bench.targets import API, FLOOR, HTTP_FLOOR, PEER, cell, ratio, verdicts

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / ".results"
DOC = ROOT / "docs" / "BENCHMARKS.md"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({model}), "
        f"{memory:.0f} GB RAM, Python {platform.python_version()}"
    )


def _summary(report: dict[str, Any]) -> list[str]:
    """One line per question: p50 at 1 client, req/s at 32, the ratios, round trips."""
    results, trips = report["results"], report.get("round_trips", {})
    systems = (API, PEER, HTTP_FLOOR, FLOOR)
    lines = [
        "| query | p50 ms at 1 client: API · PostGraphile · HTTP floor · in-process floor | "
        "API ÷ floor: HTTP · in-process | "
        "req/s at 32 clients: API · PostGraphile · HTTP floor · in-process floor | "
        "API ÷ PostGraphile | round trips: API · PostGraphile |",
        "|---|---|---:|---|---:|---|",
    ]
    for name in dict.fromkeys(r["query"] for r in results):
        short = name.split()[0]
        p50 = [cell(results, short, via, 1) for via in systems]
        rps = [cell(results, short, via, 32) for via in systems]
        floor_ratios = [ratio(results, short, "p50", 1, API, via) for via in (HTTP_FLOOR, FLOOR)]
        peer_ratio = ratio(results, short, "rps", 32, API, PEER)
        counted = trips.get(name, {})
        lines.append(
            f"| {name} | {' · '.join(_number(c, 'p50', '.1f') for c in p50)} | "
            f"{' · '.join(_ratio(r, '.1f') for r in floor_ratios)} | "
            f"{' · '.join(_number(c, 'rps', ',.0f') for c in rps)} | "
            f"{_ratio(peer_ratio, '.2f')} | "
            f"{_number(counted.get(API), None, '.1f')} · {_number(counted.get(PEER), None, '.1f')} |"
        )
    return lines


def _number(value: Any, key: str | None, spec: str) -> str:
    if value is None:
        return "-"
    return format(value[key] if key else value, spec)


def _ratio(value: float | None, spec: str) -> str:
    return "-" if value is None else f"{value:{spec}}x"


def _load(report: dict[str, Any], at: int) -> str:
    load = report.get("load")
    return "-" if load is None else " ".join(f"{value:.1f}" for value in load[at])


def markdown(report: dict[str, Any]) -> str:
    scale: Scale = report["scale"]
    peer = (
        f"PostGraphile v4 ({report['workers']} Node process(es), as the database owner)"
        if report.get("peer")
        else "no PostGraphile (Node/npm missing, install failed or --no-peer)"
    )
    lines = [
        f"### Scale {scale.name}: {scale.agencies} agencies, {scale.batches:,} batches, "
        f"{scale.contacts:,} contacts (largest batch {report['batch_size']:,})",
        "",
        f"- Machine: {machine()}; PostgreSQL {report['postgres']} "
        f"(pg_trgm {'installed' if report['pg_trgm'] else 'not available'}), "
        f"API `--workers {report['workers']}`, {peer}; each cell {report.get('repetitions', 1)}"
        f" x {report['seconds']:g} s, the systems in reversed order every other time, pooled.",
        f"- Load average (1, 5, 15 min) at the start {_load(report, 0)}, at the end "
        f"{_load(report, 1)} (2 cores: other sessions' work shows here).",
        f"- Server RSS (MB; supervisor first, then each worker): before the cells "
        f"{report['memory_before']}, after them {report['memory_after']}.",
        "",
        *_summary(report),
        "",
        "| query | via | clients | p50 ms | p99 ms | req/s | requests | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['query']} | {r['via']} | {r['concurrency']} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['rps']:.0f} | {r['requests']} | {r['errors']} |"
        )
    soak = report["soak"]
    lines += [
        "",
        f"Soak: 32 clients sending Q1-Q4 in turn for {soak['seconds']:.0f} s: "
        f"{soak['requests']} requests, **{soak['errors']} errors**, p50 {soak['p50']:.1f} ms, "
        f"p99 {soak['p99']:.1f} ms; RSS after (MB) {soak['memory']}.",
        "",
        "| issue 16 target | measured | met |",
        "|---|---|---|",
    ]
    for verdict in verdicts(report):
        met = "not measured" if verdict.met is None else ("yes" if verdict.met else "**no**")
        lines.append(f"| {verdict.target} | {verdict.measured} | {met} |")
    lines.append("")
    return "\n".join(lines)


def write_results(report: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scale_{report['scale'].name}.md"
    path.write_text(markdown(report))
    return path


def _q1_p50(report: dict[str, Any], via: str) -> float | None:
    for row in report["results"]:
        if row["query"].startswith("Q1") and row["via"] == via and row["concurrency"] == 1:
            return float(row["p50"])
    return None


def comparison(reports: list[dict[str, Any]]) -> str:
    """Q1 p50 of each scale relative to the first (API and floors, 1 client)."""
    lines = []
    base = reports[0]
    for report in reports[1:]:
        for via in (API, HTTP_FLOOR, FLOOR):
            before, after = _q1_p50(base, via), _q1_p50(report, via)
            if before is None or after is None:
                continue
            lines.append(
                f"Q1 p50 {via}: {report['scale'].name} {after:.1f} ms ÷ "
                f"{base['scale'].name} {before:.1f} ms = {after / max(before, 1e-6):.2f}"
            )
    return "\n".join(lines)
