"""The embedded default: a PostgreSQL started with `pgserver` in the data folder.

Used when `DATABASE_URL` is unset, so a newcomer needs nothing but Python. The generated
`JWT_SECRET` is kept beside the data, so printed tokens survive restarts.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

SECRET_FILE = "jwt_secret"  # noqa: S105 (a file name, not a secret)


def start_embedded_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or reuse) the server in `data_dir/pg`; returns its handle and a connection URL.

    The handle stops the server when the process exits (or on `cleanup()`).
    """
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir.resolve() / "pg", cleanup_mode="stop")
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
