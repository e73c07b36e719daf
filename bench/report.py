"""The benchmark's report: the machine, the Markdown table, the results file and the comparison
of runs."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench.data import Scale

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


def markdown(report: dict[str, Any]) -> str:
    scale: Scale = report["scale"]
    lines = [
        f"### Scale {scale.name}: {scale.agencies} agencies, {scale.batches:,} batches, "
        f"{scale.contacts:,} contacts (largest batch {report['batch_size']:,})",
        "",
        f"- Machine: {machine()}; PostgreSQL {report['postgres']} "
        f"(pg_trgm {'installed' if report['pg_trgm'] else 'not available'}), "
        f"API `--workers {report['workers']}`, {report['seconds']:.0f} s per cell.",
        f"- Server RSS (MB; supervisor first, then each worker): before the cells "
        f"{report['memory_before']}, after them {report['memory_after']}.",
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
    ]
    ratios = []
    by_key = {(r["query"], r["via"], r["concurrency"]): r for r in report["results"]}
    for r in report["results"]:
        if r["via"] == "API" and r["concurrency"] == 1:
            floor = by_key[(r["query"], "asyncpg floor", 1)]
            ratios.append(f"{r['query'].split()[0]} {r['p50'] / max(floor['p50'], 1e-6):.1f}x")
    queries_run = list(dict.fromkeys(r["query"] for r in report["results"]))
    first = by_key[(queries_run[1], "API", 1)]["p50"]
    deep = by_key[(queries_run[3], "API", 1)]["p50"]
    lines += [
        "",
        f"API p50 ÷ floor p50 at 1 client: {', '.join(ratios)}. "
        f"Deep page ÷ first page (Q4 ÷ Q2, API, 1 client): {deep / max(first, 1e-6):.2f}.",
        "",
    ]
    return "\n".join(lines)


def write_results(report: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scale_{report['scale'].name}.md"
    path.write_text(markdown(report))
    return path


def comparison(reports: list[dict[str, Any]]) -> str:
    """Q1 p50 of each scale relative to the first (API and floor, 1 client)."""
    lines = []
    base = reports[0]
    for report in reports[1:]:
        for via in ("API", "asyncpg floor"):
            cells = [
                next(
                    r["p50"]
                    for r in rep["results"]
                    if r["query"].startswith("Q1") and r["via"] == via and r["concurrency"] == 1
                )
                for rep in (base, report)
            ]
            lines.append(
                f"Q1 p50 {via}: {report['scale'].name} {cells[1]:.1f} ms ÷ "
                f"{base['scale'].name} {cells[0]:.1f} ms = {cells[1] / max(cells[0], 1e-6):.2f}"
            )
    return "\n".join(lines)
