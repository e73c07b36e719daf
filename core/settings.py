"""The service's configuration, read once from the environment at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(ValueError):
    """The configuration cannot work; the message is one line meant for the operator."""


class DatabaseSettings(BaseSettings):
    """What the migrations need: only where the database is."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: str | None = None
    """Primary PostgreSQL (`postgresql://…`). Unset: an embedded server is started in `data_dir`."""


class Settings(DatabaseSettings):
    database_read_url: str | None = None
    """Optional streaming replica for read-only GraphQL queries."""
    jwt_secret: SecretStr | None = None
    """HS256 secret for bearer tokens. Required with `database_url`; generated in embedded mode."""
    data_dir: Path = Path(".data")

    db_max_connections: int = 20
    """Connections one `python app.py` may open, all its worker processes together: with
    `--workers N` each worker's pool gets an even share (unless DB_POOL_SIZE is set)."""
    web_concurrency: int = 1
    """Worker processes sharing DB_MAX_CONNECTIONS (`--workers` sets it; uvicorn's variable)."""
    db_pool_size: int | None = None
    """Pooled connections per worker; unset: two thirds of the worker's share."""
    db_max_overflow: int | None = None
    """Extra connections per worker above the pool under bursts; unset: the rest of its share."""
    db_pool_timeout_seconds: float = 5.0
    db_connect_timeout_seconds: float = 5.0
    db_statement_timeout_ms: int = 10_000
    db_statement_cache: bool = True
    """Set false behind PgBouncer in transaction pooling mode."""

    cursor_secret: SecretStr | None = None
    """Key for signing pagination cursors; defaults to a key derived from `jwt_secret`."""

    log_format: Literal["json", "text"] = "json"
    """`json`: one JSON object per line (for log shippers); `text`: plain lines for a terminal."""
    log_level: str = "INFO"
    slow_query_ms: int = 500
    """Statements running longer than this are logged as `slow query` (0 logs every statement)."""
    shutdown_grace_seconds: float = 30.0
    """On SIGTERM, how long in-flight requests may run before the process exits anyway."""

    cors_allowed_origins: str = ""
    """Comma-separated origins whose browser pages may call the API (a front end served from
    another origin, e.g. `https://dashboard.example.com`); empty: no cross-origin access."""

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_allowed_origins.split(",") if o.strip()]

    @model_validator(mode="after")
    def _database_url_needs_jwt_secret(self) -> Settings:
        if self.database_url and self.jwt_secret is None:
            raise SettingsError(
                "JWT_SECRET must be set when DATABASE_URL is set "
                "(only the embedded database generates one)"
            )
        if self.jwt_secret is not None and len(self.jwt_secret.get_secret_value()) < 32:
            raise SettingsError("JWT_SECRET must be at least 32 characters long (HS256 key)")
        for name in ("db_pool_size", "db_statement_timeout_ms", "db_max_connections"):
            if (getattr(self, name) or 1) < 1:
                raise SettingsError(f"{name.upper()} must be at least 1")
        if self.web_concurrency < 1:
            raise SettingsError("WEB_CONCURRENCY (--workers) must be at least 1")
        return self

    @property
    def pool_limits(self) -> tuple[int, int]:
        """(pool size, max overflow) of one worker process's connection pool."""
        share = max(2, self.db_max_connections // self.web_concurrency)
        overflow = self.db_max_overflow if self.db_max_overflow is not None else share // 3
        pool = self.db_pool_size if self.db_pool_size is not None else max(1, share - overflow)
        return pool, overflow


def load_settings() -> Settings:
    """Read the environment, turning validation failures into a one-line `SettingsError`."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper() or "settings"
        message = str(first.get("ctx", {}).get("error") or first["msg"])
        raise SettingsError(message if not first["loc"] else f"{field}: {message}") from None
