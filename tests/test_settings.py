from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import SettingsError, load_settings
from db.engine import async_database_url

ROOT = Path(__file__).resolve().parent.parent


def test_database_url_without_jwt_secret_refuses_to_start_with_a_one_line_reason() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "DATABASE_URL")}
    env["DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/none"

    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: JWT_SECRET must be set when DATABASE_URL is set "
        "(only the embedded database generates one)"
    ]


def test_short_jwt_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://localhost/x")
    monkeypatch.setenv("JWT_SECRET", "short")

    with pytest.raises(SettingsError, match="at least 32 characters"):
        load_settings()


def test_plain_postgresql_urls_use_the_asyncpg_driver() -> None:
    assert async_database_url("postgresql://u:p@h:5432/d") == "postgresql+asyncpg://u:p@h:5432/d"
    assert async_database_url("postgres://h/d").startswith("postgresql+asyncpg://")


def test_non_postgresql_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="only PostgreSQL"):
        async_database_url("mysql://h/d")


@pytest.mark.parametrize(
    ("workers", "expected"),
    [(1, (14, 6)), (2, (7, 3)), (4, (4, 1)), (40, (2, 0))],
)
def test_connection_budget_is_shared_by_the_workers(
    monkeypatch: pytest.MonkeyPatch, workers: int, expected: tuple[int, int]
) -> None:
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("DB_MAX_OVERFLOW", raising=False)
    monkeypatch.setenv("DB_MAX_CONNECTIONS", "20")
    monkeypatch.setenv("WEB_CONCURRENCY", str(workers))

    pool, overflow = load_settings().pool_limits

    assert (pool, overflow) == expected
    assert workers * (pool + overflow) <= max(20, 2 * workers)


def test_explicit_pool_size_wins_over_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "8")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("WEB_CONCURRENCY", "4")

    assert load_settings().pool_limits == (8, 0)
