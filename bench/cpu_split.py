"""Where the machine's CPU went during a phase of a benchmark: the API's processes, PostgreSQL's,
the benchmark's own client, and everything else (other programs sharing the machine, which a
reader needs to judge whether the run was quiet)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]


def _tree_cpu_seconds(pid: int) -> float:
    """User and system CPU a process and its descendants have used so far, those that have
    ended included (a PostgreSQL backend ends with its connection)."""
    try:
        parent = psutil.Process(pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in family:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def postmaster_pid(data_dir: Path | None) -> int | None:
    """The PostgreSQL server's pid from its data directory (None when not on this machine)."""
    if data_dir is None:
        return None
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


@dataclass(frozen=True)
class CpuSplit:
    api: float
    database: float | None
    client: float
    machine: float

    @property
    def others(self) -> float:
        return self.machine - self.api - (self.database or 0.0) - self.client

    def describe(self, seconds: float, cores: int) -> str:
        database = "not measured" if self.database is None else f"{self.database:.0f}"
        return (
            f"API {self.api:.0f}, PostgreSQL {database}, benchmark client {self.client:.0f}, "
            f"other programs on the machine {max(self.others, 0.0):.0f} "
            f"(of {cores * seconds:.0f} core-seconds)"
        )


class CpuMeter:
    """`start()` then `split()`: the CPU used in between, by whom."""

    def __init__(self, api_pid: int, database_pid: int | None) -> None:
        self.api_pid = api_pid
        self.database_pid = database_pid
        self._start = self._now()

    def _now(self) -> tuple[float, float | None, float, float]:
        database = _tree_cpu_seconds(self.database_pid) if self.database_pid is not None else None
        return (
            _tree_cpu_seconds(self.api_pid),
            database,
            time.process_time(),
            _machine_busy_seconds(),
        )

    def start(self) -> None:
        self._start = self._now()

    def split(self) -> CpuSplit:
        api, database, client, machine = self._now()
        api0, database0, client0, machine0 = self._start
        return CpuSplit(
            api=api - api0,
            database=None if database is None or database0 is None else database - database0,
            client=client - client0,
            machine=machine - machine0,
        )
