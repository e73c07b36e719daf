"""Entry point: settings, database, migrations, demo data, then the ASGI app under uvicorn.

`python app.py` with no `DATABASE_URL` runs everything on an embedded PostgreSQL in `./.data/`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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
from starlette.routing import Route, WebSocketRoute

from core.settings import Settings, SettingsError, load_settings
from db.engine import create_engine, session_factory
from db.notifications import ChangeListener
from demo.load import DemoUserView
from demo.plan import DemoSummary
from schema import build_schema
from schema.live_session import LiveBounds
from web.connection_hold import HoldConnectionAfterRateLimit
from web.console import (
    choose_log_format,
    demo_data_message,
    print_lines,
    quiet_start_up,
    serve_then,
    welcome_lines,
)
from web.dashboard import dashboard_routes
from web.graphiql import GraphiQLPage, is_loopback_host
from web.graphql import GraphQLEndpoint
from web.health import healthz, readyz
from web.http_protocol import BoundedHttpProtocol, HttpLimits
from web.live import WEBSOCKET_SERVER_OPTIONS, LiveEndpoint
from web.media_types import NegotiatedMediaType
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
        listener=ChangeListener(
            settings.database_url or "", connect_timeout=settings.db_connect_timeout_seconds
        ),
    )


async def dispose_state(state: AppState) -> None:
    if state.listener is not None:
        await state.listener.stop()
    await state.engine.dispose()
    if state.read_engine is not state.engine:
        await state.read_engine.dispose()


def create_app(settings: Settings, graphiql_demo_token: str | None = None) -> Starlette:
    """`graphiql_demo_token`: pre-filled in GraphiQL for loopback visitors (embedded mode only)."""
    observability = Observability(settings)
    schema = build_schema()
    graphiql = GraphiQLPage(graphiql_demo_token)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = build_state(settings)
        app.state.app = state
        if state.listener is not None:
            state.listener.start()
        observability.watch(state)
        # What the worker built to serve (schema, engine, statements) lives as long as the
        # worker: frozen out of the collector, whose full passes otherwise walk all of it again
        # every few thousand requests (Q1 at 32 clients: p99 60-65 -> 29-31 ms, about 5 % less
        # CPU a request; docs/BENCHMARKS.md). Garbage is collected first, never frozen.
        gc.collect()
        gc.freeze()
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
            Route(
                "/graphql", NegotiatedMediaType(GraphQLEndpoint(schema)), methods=["GET", "POST"]
            ),
            WebSocketRoute("/graphql", LiveEndpoint(schema, LiveBounds(), settings.cors_origins)),
            *graphiql.routes(),
            *rest_routes(),
            *dashboard_routes(),
        ],
        middleware=[
            Middleware(ObservabilityMiddleware, observability=observability),
            Middleware(HoldConnectionAfterRateLimit),
            *cross_origin_middleware(settings),
        ],
        lifespan=lifespan,
    )
    app.state.observability = observability
    app.state.graphiql = graphiql
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
    BoundedHttpProtocol.configure(HttpLimits.from_settings(settings))
    return create_app(settings)


def migrate(database_url: str) -> None:
    from alembic import command

    from migrations import alembic_config

    command.upgrade(alembic_config(database_url), "head")


async def load_demo(settings: Settings) -> tuple[DemoSummary, DemoUserView]:
    """Loads the demo data if absent: (all of it, what the demo user sees of it)."""
    from demo.load import demo_user_view, load_demo_data

    engine = create_engine(settings, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as connection:
            everything = await load_demo_data(connection)
            sees = await demo_user_view(connection)
    finally:
        await engine.dispose()
    logger.info(demo_data_message(everything, sees))
    return everything, sees


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
    log_format = choose_log_format(os.environ, sys.stderr)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    quiet_start_up(log_format)
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
        demo = None
        if arguments.demo or embedded is not None:
            demo = asyncio.run(load_demo(settings))
        token = demo_token(settings)
        # GraphiQL shows the demo token only to loopback visitors of an embedded, loopback server.
        prefill = token if embedded is not None and is_loopback_host(arguments.host) else None
        welcome = welcome_lines(token, arguments.host, arguments.port, demo, prefill is not None)
        # Logging is ours (configure_logging; the access line comes from ObservabilityMiddleware).
        # On SIGTERM uvicorn stops accepting, lets in-flight requests finish, then exits.
        http_limits = HttpLimits.from_settings(settings)
        BoundedHttpProtocol.configure(http_limits)
        server_options: dict[str, Any] = {
            "log_config": None,
            "access_log": False,
            "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
            **http_limits.server_options(),
            **WEBSOCKET_SERVER_OPTIONS,
        }
        if arguments.workers > 1:
            print_lines(welcome)
            uvicorn.run(
                "app:app_from_environment",
                factory=True,
                host=arguments.host,
                port=arguments.port,
                workers=arguments.workers,
                **server_options,
            )
        else:
            serve_then(
                create_app(settings, prefill),
                lambda: print_lines(welcome),
                host=arguments.host,
                port=arguments.port,
                **server_options,
            )
    finally:
        if embedded is not None:
            embedded.cleanup()
    return 0


def demo_token(settings: Settings) -> str:
    from demo.plan import DEMO_USER_ID
    from web.auth import issue_token

    assert settings.jwt_secret is not None
    return issue_token(DEMO_USER_ID, settings.jwt_secret.get_secret_value())


if __name__ == "__main__":
    sys.exit(main())
