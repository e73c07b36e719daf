"""The embedded default: a PostgreSQL started with `pgserver` in the data folder.

Used when `DATABASE_URL` is unset, so a newcomer needs nothing but Python. The generated
`JWT_SECRET` is kept beside the data, so printed tokens survive restarts.
"""

from __future__ import annotations

import logging
import secrets
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger("callbatch")

SECRET_FILE = "jwt_secret"  # noqa: S105 (a file name, not a secret)


def start_embedded_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or reuse) the server in `data_dir/pg`; returns its handle and a connection URL.

    The handle stops the server when the process exits (or on `cleanup()`).
    """
    with warnings.catch_warnings():
        # platformdirs warns at pgserver's import when XDG_RUNTIME_DIR is unset (containers,
        # sudo); pgserver then uses /tmp/runtime-<uid> for its lock file, which is fine.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "pg"
    first_start = not (pgdata / "PG_VERSION").exists()
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    logger.info(
        "embedded PostgreSQL %s in %s",
        "created (first start)" if first_start else "started",
        data_dir / "pg",
    )
    return server, str(server.get_uri())


def embedded_jwt_secret(data_dir: Path) -> str:
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
