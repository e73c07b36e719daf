"""Agency A's attack, run in a process of its own: a real attacker is another machine, and
sharing B's event loop would delay B's clients behind A's (B's latencies would then measure the
benchmark's client, not the service)."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from typing import Any

from bench.noisy_load import (
    A_QUERIES,
    Traffic,
    abandoning_client,
    deep_client,
    deep_query,
    slow_body_client,
)


@dataclass(frozen=True)
class AttackPlan:
    port: int
    token: str
    batch_id: str
    a_clients: int
    abandoning: int
    slow_bodies: int
    polite: bool


async def _attack(plan: AttackPlan, started: Any, stop: Any) -> Traffic:
    seen = Traffic()
    attackers: list[asyncio.Task[None]] = []
    for n in range(plan.a_clients):
        label, aliases, offset, search = A_QUERIES[n % len(A_QUERIES)]
        body = deep_query(plan.batch_id, aliases, offset, search)
        attackers.append(
            asyncio.create_task(deep_client(plan.port, plan.token, label, body, seen, plan.polite))
        )
    abandoned = deep_query(plan.batch_id, 10, 100_000, True)
    for _ in range(plan.abandoning):
        attackers.append(
            asyncio.create_task(abandoning_client(plan.port, plan.token, abandoned, 0.3, seen))
        )
    for _ in range(plan.slow_bodies):
        attackers.append(
            asyncio.create_task(
                slow_body_client(plan.port, plan.token, 400 * 1024, 300 * 1024, seen)
            )
        )
    started.set()
    try:
        await asyncio.to_thread(stop.wait)
    finally:
        for task in attackers:
            task.cancel()
        await asyncio.gather(*attackers, return_exceptions=True)
    return seen


def _attack_process(plan: AttackPlan, started: Any, stop: Any, results: Any) -> None:
    cpu = time.process_time()
    seen = asyncio.run(_attack(plan, started, stop))
    results.put((seen, time.process_time() - cpu))


class Attack:
    """`start()` A's clients in their own process, `finish()` them: (what A saw, CPU seconds
    the attacking process used)."""

    def __init__(self, plan: AttackPlan) -> None:
        context = multiprocessing.get_context("spawn")
        self._started = context.Event()
        self._stop = context.Event()
        self._results = context.Queue()
        self._process = context.Process(
            target=_attack_process,
            args=(plan, self._started, self._stop, self._results),
            daemon=True,
        )

    async def start(self) -> None:
        self._process.start()
        if not await asyncio.to_thread(self._started.wait, 60):
            raise RuntimeError("the attacking process did not start")

    async def finish(self) -> tuple[Traffic, float]:
        self._stop.set()
        seen, cpu = await asyncio.to_thread(self._results.get, True, 60)
        await asyncio.to_thread(self._process.join, 10)
        return seen, cpu
