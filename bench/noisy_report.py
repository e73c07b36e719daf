"""The noisy-neighbour benchmark's samples (connections by state, server RSS) and its report."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.noisy_load import Traffic

TARGET_RATIO = 3.0
"""Issue 12: under attack, B's p95 stays within 3x of its p95 alone (and B sees no error)."""


@dataclass
class Samples:
    """`pg_stat_activity` of the API's connections by state, and the server's RSS, over time."""

    states: list[dict[str, int]] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def add(self, states: dict[str, int], rss_mb: float) -> None:
        self.states.append(states)
        self.rss.append(rss_mb)

    def highest(self) -> Counter[str]:
        top: Counter[str] = Counter()
        for sample in self.states:
            for state, n in sample.items():
                top[state] = max(top[state], n)
        return top

    def mean(self, state: str) -> float:
        return sum(s.get(state, 0) for s in self.states) / max(1, len(self.states))

    def total_highest(self) -> int:
        return max((sum(s.values()) for s in self.states), default=0)


def ratio(report: dict[str, Any]) -> float:
    alone: Traffic = report["alone"][0]
    attacked: Traffic = report["attacked"][0]
    return attacked.p(0.95) / max(alone.p(0.95), 1e-9)


def target_met(report: dict[str, Any]) -> bool:
    attacked: Traffic = report["attacked"][0]
    return attacked.errors == 0 and ratio(report) <= TARGET_RATIO


def _states(samples: Samples) -> str:
    top = samples.highest()
    states = ("active", "idle", "idle in transaction")
    cells = [f"{state} {samples.mean(state):.1f} / {top[state]}" for state in states]
    others = [f"{state} {n}" for state, n in sorted(top.items()) if state not in states]
    return "; ".join(cells + others)


def markdown(report: dict[str, Any]) -> str:
    alone_b, _, alone_samples = report["alone"]
    b, a, samples = report["attacked"]
    after: Samples = report["after"]
    options = report["arguments"]
    met = target_met(report)
    lines = [
        f"- Command: `{report['command'].strip()}`; API `python app.py --workers "
        f"{options['workers']}` with its defaults"
        + (f" except {', '.join(options['set'])}" if options["set"] else "")
        + f"; PostgreSQL {report['postgres']} (embedded unless BENCH_DATABASE_URL).",
        f"- Machine: {report['machine']}; 1-minute load average {report['load'][0]:.1f} "
        f"before B alone, {report['load'][1]:.1f} at the end of the attack (the client, the API "
        "and PostgreSQL share the cores).",
        f"- A: {options['a_clients']} clients sending deep queries back to back on its "
        f"{report['a_batch_size']:,}-contact batch, {options['abandoning']} clients sending one "
        f"and hanging up after 0.3 s, {options['slow_bodies']} slow bodies (400 KiB declared, "
        f"300 KiB sent, then a byte a second). B: {options['b_clients']} clients, one request "
        f"each every {options['b_interval']:g} s, the batch list with counts and a batch page "
        f"(50 contacts with call logs) in turn ({report['b_batches']} batches). B alone "
        f"{options['baseline'] / 2:.0f} s, then under attack {options['seconds']:.0f} s, then "
        f"alone again {options['baseline'] / 2:.0f} s (2 s after the attack): its p95 alone is "
        "that of both quiet phases together, so a load that other programs put on the machine "
        "before or after the attack weighs on both sides of the ratio.",
        "",
        "| agency B | requests | errors | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    phases = (
        ("alone, before the attack", report["alone_before"]),
        ("alone, after the attack", report["alone_after"]),
        ("alone (both)", alone_b),
        ("under attack", b),
    )
    for name, seen in phases:
        lines.append(
            f"| {name} | {len(seen.latencies)} | {seen.errors} | {seen.p(0.5):.1f} | "
            f"{seen.p(0.95):.1f} | {seen.p(0.99):.1f} |"
        )
    lines += [
        "",
        f"B's p95 under attack ÷ alone: **{ratio(report):.2f}x**; errors under attack: "
        f"**{b.errors}**. Target (no error, within {TARGET_RATIO:g}x): "
        f"**{'met' if met else 'NOT met'}**.",
        "",
        "| agency A: request kind, outcome | count |",
        "|---|---:|",
    ]
    lines += [f"| {key} | {n} |" for key, n in sorted(a.outcomes.items())]
    sent = sum(a.outcomes.values())
    cores = os.cpu_count() or 1
    lines += [
        "",
        f"A: {sent} requests ({sent / max(options['seconds'], 1e-9):.0f}/s); those answered took "
        f"p50 {a.p(0.5):.0f} ms, p99 {a.p(0.99):.0f} ms. The benchmark's own clients (B's, and A's in a process of its own) used "
        f"{report['client_cpu']:.0f} s of CPU during the {options['seconds']:.0f} s attack, "
        f"the API's processes {report['api_cpu']:.0f} s (of {cores * options['seconds']:.0f} "
        f"core-seconds on {cores} cores)"
        + (". A's deep-query clients waited 1 s after each 429." if options["polite"] else "."),
        "",
        f"CPU (core-seconds) while B was alone before the attack: {report['cpu_alone']}; during "
        "the attack: "
        f"{report['cpu_attack']}.",
    ]
    lines += [
        "",
        "API connections in `pg_stat_activity` (application_name 'callbatch-graphql'), mean / "
        "highest of samples every 0.5 s:",
        f"- B alone: {_states(alone_samples)}; total at most {alone_samples.total_highest()}.",
        f"- Under attack: {_states(samples)}; total at most {samples.total_highest()}.",
        f"- 2 s after the attack: {_states(after)}.",
        "",
        f"Server RSS (MB, all processes): {report['rss_start']:.0f} before, "
        f"{max(samples.rss, default=0):.0f} at most under attack, "
        f"{max(after.rss, default=0):.0f} after.",
    ]
    if b.examples:
        lines += ["", "B's failures, first of each kind:"]
        lines += [f"- {key}: `{text}`" for key, text in b.examples.items()]
    return "\n".join(lines) + "\n"
