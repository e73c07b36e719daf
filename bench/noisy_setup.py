"""The noisy-neighbour benchmark's data and server: one agency (A) owning a 200,000-contact batch,
another (B) with about fifty batches of a few hundred contacts, and `python app.py --workers 2`
with the service's own capacity defaults (no pool override, unlike `bench run`)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.data import Scale
from bench.report import RESULTS, ROOT
from bench.server import plain_url

NOISY_SCALES = {
    "full": Scale(
        "noisy", agencies=4, batches=200, contacts=250_000, big_batches=1, big_batch_size=200_000
    ),
    "small": Scale(
        "noisy_small",
        agencies=4,
        batches=200,
        contacts=40_000,
        big_batches=1,
        big_batch_size=20_000,
    ),
}
"""Agency 1 (A) owns batch 1, the big one; the other 199 batches share the rest, a quarter of
them agency 1's and the others spread over agencies 2-4 (B is the one with most batches)."""


@dataclass(frozen=True)
class Agency:
    agency_id: uuid.UUID
    user_id: uuid.UUID
    batch_id: uuid.UUID
    """A's: its largest batch; B's: a batch of typical size (the median one)."""
    batch_size: int
    batches: int


async def find_agencies(url: str) -> tuple[Agency, Agency]:
    """(A, B): A owns the largest batch; B is the other agency with the most batches."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        rows = await connection.fetch(
            """
            SELECT b.agency_id, count(*) AS batches, max(c.total_contacts) AS largest,
                   (SELECT id FROM users u WHERE u.agency_id = b.agency_id ORDER BY id LIMIT 1)
                       AS user_id
            FROM call_batches b JOIN call_batch_counters c ON c.batch_id = b.id
            GROUP BY b.agency_id ORDER BY largest DESC, agency_id
            """
        )
        a = rows[0]
        b = max(rows[1:], key=lambda row: (row["batches"], str(row["agency_id"])))
        chosen = []
        for row, pick in ((a, "DESC"), (b, "MEDIAN")):
            order = "total_contacts DESC" if pick == "DESC" else "total_contacts, batch_id"
            batches = await connection.fetch(
                f"SELECT batch_id, total_contacts FROM call_batch_counters "
                f"WHERE agency_id = $1 ORDER BY {order}",
                row["agency_id"],
            )
            batch = batches[0] if pick == "DESC" else batches[len(batches) // 2]
            chosen.append(
                Agency(
                    row["agency_id"],
                    row["user_id"],
                    batch["batch_id"],
                    batch["total_contacts"],
                    row["batches"],
                )
            )
    finally:
        await connection.close()
    return chosen[0], chosen[1]


def start_server_with_defaults(
    url: str, secret: str, port: int, workers: int, overrides: dict[str, str]
) -> subprocess.Popen[bytes]:
    """`python app.py` as it ships: DB_MAX_CONNECTIONS and the fair-share settings at their
    defaults unless `overrides` (environment variables) say otherwise."""
    environment: dict[str, Any] = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DB_", "AGENCY_", "REQUEST_", "HTTP_"))
    }
    environment.update(DATABASE_URL=url, JWT_SECRET=secret, **overrides)
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / "noisy-server.log").open("wb")
    command = [sys.executable, "app.py", "--no-migrate", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
