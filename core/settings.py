"""The service's configuration, read once from the environment at start-up."""

from __future__ import annotations

import os
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

    request_deadline_seconds: float = 5.0
    """The most a request's work may take, all its statements together (GraphQL and REST);
    past it its statements are cancelled in PostgreSQL and it answers TIMEOUT (503)."""
    request_body_timeout_seconds: float = 10.0
    """How long a client may take to send its body (read whole before any database work)."""
    max_body_bytes: int = 1024 * 1024
    """Far above any real request (queries stop at 100,000 characters), far below a memory
    problem."""
    max_rows_read: int = 250_000
    """Rows the lists of one GraphQL request may make PostgreSQL read together, counted with the
    batches' real sizes before each list's SQL (a search of a 200,000-contact batch reads
    200,000): about a second of database work."""
    agency_concurrency: int | None = None
    """Requests of one agency using the database at once, per worker; unset: half the CPU cores
    shared among the workers, at most a third of the worker's pool, and at least 3 (with fewer a
    dashboard's few parallel requests queue behind each other whenever the host is busy; what
    one agency's requests may cost is bounded by the rows-read budget and the large-read turn,
    not by this)."""
    agency_requests_per_second: float = 20.0
    """Requests one agency may start per second in one worker (a token bucket, refused with
    RATE_LIMITED before the body is even decoded); about 70 operators polling every 3 s across
    two workers."""
    agency_burst: int = 40
    """Requests above that rate an agency may send at once after a quiet spell."""
    agency_rows_read_per_second: int | None = None
    """Rows one agency's GraphQL requests may make PostgreSQL read a second, on average, in one
    worker (counted as for MAX_ROWS_READ, charged when each request ends); past it the agency is
    RATE_LIMITED until its debt is paid, with at most MAX_ROWS_READ saved up. Unset: 100,000 per
    CPU core shared among the workers: a search of 200,000 contacts costs PostgreSQL about a
    quarter of a second of one core, so an agency scanning back to back gets about a tenth of
    the cores' time."""
    agency_large_read_rows: int = 10_000
    """A list that makes PostgreSQL read at least this many rows (counted as for MAX_ROWS_READ)
    first takes its agency's turn: one such read per agency at a time, across all workers."""
    agency_queue: int = 8
    """Requests of one agency that may wait for a slot, per worker; more are RATE_LIMITED."""
    agency_queue_wait_seconds: float = 2.0
    """How long a request waits for its agency's slot before it is RATE_LIMITED (429): long
    enough that a busy host slows an agency's dashboard down rather than refusing it, well
    inside the request's deadline."""

    http_max_header_bytes: int = 16 * 1024
    """Request line and headers together; larger ones answer 431 without being buffered."""
    http_max_headers: int = 100
    http_header_timeout_seconds: float = 10.0
    """How long a client may take to send its request line and headers."""
    http_keep_alive_seconds: float = 5.0
    """How long an idle keep-alive connection stays open."""
    http_max_connections: int = 1000
    """Open connections per worker; past it new requests answer 503."""

    jwt_max_lifetime_seconds: int = 31 * 24 * 3600
    """Tokens valid for longer than this (`exp` minus `iat`, or minus now) are refused."""
    jwt_leeway_seconds: int = 30
    """Clock skew tolerated on `exp`, `nbf` and `iat`."""
    metrics_token: SecretStr | None = None
    """When set, `/metrics` answers only `Authorization: Bearer <this token>`."""

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

    compiled_reads: bool = True
    """Answer the read queries the compiled path covers with one SQL statement per root field
    (`schema/compiled/`); `false`: every query through the resolvers (the reference)."""

    one_statement_reads: bool = True
    """A compiled read for a caller seen before on the worker is sent as one statement that
    checks its membership, sets its scope and reads (`read_in_scope()`, migration 0010), not
    in a transaction of its own (`BEGIN` with the scope, the read, `ROLLBACK`); `false`: always
    in a transaction."""

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
        for name in (
            "db_pool_size",
            "db_statement_timeout_ms",
            "db_max_connections",
            "agency_concurrency",
            "agency_rows_read_per_second",
            "agency_large_read_rows",
            "max_body_bytes",
            "max_rows_read",
            "http_max_header_bytes",
            "http_max_headers",
            "http_max_connections",
        ):
            if (getattr(self, name) or 1) < 1:
                raise SettingsError(f"{name.upper()} must be at least 1")
        for name in (
            "request_deadline_seconds",
            "agency_requests_per_second",
            "request_body_timeout_seconds",
            "agency_queue_wait_seconds",
            "http_header_timeout_seconds",
            "http_keep_alive_seconds",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name.upper()} must be more than 0")
        if self.agency_queue < 0 or self.jwt_leeway_seconds < 0 or self.agency_burst < 1:
            raise SettingsError(
                "AGENCY_QUEUE and JWT_LEEWAY_SECONDS may not be negative, AGENCY_BURST must be "
                "at least 1"
            )
        if self.web_concurrency < 1:
            raise SettingsError("WEB_CONCURRENCY (--workers) must be at least 1")
        return self

    @property
    def request_statement_timeout_ms(self) -> int:
        """The server-side bound on each statement of a request: never past its deadline."""
        return min(self.db_statement_timeout_ms, round(self.request_deadline_seconds * 1000))

    @property
    def agency_slots(self) -> int:
        """Concurrent database requests per agency in one worker (see `agency_concurrency`)."""
        if self.agency_concurrency is not None:
            return self.agency_concurrency
        half_the_cores = (os.cpu_count() or 2) // (2 * self.web_concurrency)
        pool = sum(self.pool_limits)
        return max(min(3, pool), min(half_the_cores, pool // 3))

    @property
    def agency_rows_per_second(self) -> int:
        """Rows read a second one agency is allowed per worker (see
        `agency_rows_read_per_second`)."""
        if self.agency_rows_read_per_second is not None:
            return self.agency_rows_read_per_second
        return 100_000 * (os.cpu_count() or 2) // self.web_concurrency

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
