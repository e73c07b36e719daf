"""Entry point: settings, database, migrations, demo data, then the ASGI app under uvicorn.

`python app.py` with no `DATABASE_URL` runs everything on an embedded PostgreSQL in `./.data/`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from db.engine import create_engine, session_factory
from db.settings import Settings, SettingsError, load_settings
from schema import build_schema
from web.dashboard import dashboard_routes
from web.graphql import GraphQLEndpoint
from web.health import healthz, readyz
from web.observability import Observability, ObservabilityMiddleware, configure_logging
from web.rest import rest_routes
from web.state import AppState

logger = logging.getLogger("callbatch")


def build_state(settings: Settings) -> AppState:
    engine = create_engine(settings)
    read_engine = (
        create_engine(settings, settings.database_read_url)
        if settings.database_read_url
        else engine
    )
    return AppState(
        settings=settings,
        engine=engine,
        read_engine=read_engine,
        sessions=session_factory(engine),
        read_sessions=session_factory(read_engine),
    )


async def dispose_state(state: AppState) -> None:
    await state.engine.dispose()
    if state.read_engine is not state.engine:
        await state.read_engine.dispose()


def create_app(settings: Settings) -> Starlette:
    observability = Observability(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = build_state(settings)
        app.state.app = state
        observability.watch(state)
        try:
            yield
        finally:
            observability.stop()
            await dispose_state(state)

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", observability.metrics_endpoint),
            Route("/graphql", GraphQLEndpoint(build_schema()), methods=["GET", "POST"]),
            *rest_routes(),
            *dashboard_routes(),
        ],
        middleware=[
            Middleware(ObservabilityMiddleware, observability=observability),
            *cross_origin_middleware(settings),
        ],
        lifespan=lifespan,
    )
    app.state.observability = observability
    return app


def cross_origin_middleware(settings: Settings) -> list[Middleware]:
    """CORS for the configured origins only (none by default): bearer tokens, no cookies."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
            max_age=600,
        )
    ]


def app_from_environment() -> Starlette:
    """Factory for uvicorn workers: each reads the settings its parent put in the environment."""
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)


def migrate(database_url: str) -> None:
    from alembic import command

    from migrations import alembic_config

    command.upgrade(alembic_config(database_url), "head")


async def load_demo(settings: Settings) -> None:
    from db.demo import load_demo_data

    engine = create_engine(settings, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as connection:
            summary = await load_demo_data(connection)
    finally:
        await engine.dispose()
    if summary.inserted:
        logger.info(
            "demo data loaded: %s batches, %s contacts, %s call logs",
            summary.batches,
            summary.contacts,
            summary.call_logs,
        )


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="GraphQL API for outbound call batches")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--no-migrate", action="store_true", help="do not apply migrations at start-up"
    )
    parser.add_argument(
        "--demo", action="store_true", help="load demo data (always done when embedded)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    os.environ["WEB_CONCURRENCY"] = str(arguments.workers)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    embedded: Any = None
    if settings.database_url is None:
        from db.embedded import embedded_jwt_secret, start_embedded_postgres

        embedded, url = start_embedded_postgres(settings.data_dir)
        secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
        secret = secret or embedded_jwt_secret(settings.data_dir)
        os.environ["DATABASE_URL"], os.environ["JWT_SECRET"] = url, secret
        settings = load_settings()
    assert settings.database_url is not None and settings.jwt_secret is not None
    try:
        if not arguments.no_migrate:
            migrate(settings.database_url)
        if arguments.demo or embedded is not None:
            asyncio.run(load_demo(settings))
        print_welcome(settings, arguments.host, arguments.port)
        # Logging is ours (configure_logging; the access line comes from ObservabilityMiddleware).
        # On SIGTERM uvicorn stops accepting, lets in-flight requests finish, then exits.
        server_options: dict[str, Any] = {
            "log_config": None,
            "access_log": False,
            "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        }
        if arguments.workers > 1:
            uvicorn.run(
                "app:app_from_environment",
                factory=True,
                host=arguments.host,
                port=arguments.port,
                workers=arguments.workers,
                **server_options,
            )
        else:
            uvicorn.run(
                create_app(settings), host=arguments.host, port=arguments.port, **server_options
            )
    finally:
        if embedded is not None:
            embedded.cleanup()
    return 0


def print_welcome(settings: Settings, host: str, port: int) -> None:
    from db.demo import DEMO_USER_ID
    from web.auth import issue_token

    assert settings.jwt_secret is not None
    token = issue_token(DEMO_USER_ID, settings.jwt_secret.get_secret_value())
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    print(f"GraphiQL: http://{shown_host}:{port}/graphql", flush=True)
    print("Paste this header into GraphiQL (demo user of the first agency):", flush=True)
    print(f"Authorization: Bearer {token}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
