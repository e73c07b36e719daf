"""Test harness: one real PostgreSQL per session, migrated once with Alembic; each test inside a
transaction rolled back at its end (SQLAlchemy's "join into an external transaction" recipe);
the app called over ASGI with httpx, as clients call it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from alembic import command
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from app import create_app
from core.settings import Settings
from db.engine import create_engine
from migrations import alembic_config
from tests.compiled_support import DifferentialTransport
from tests.database import postgres_server, scratch_database
from tests.factories import Factory
from tests.ops_support import (
    TEST_REQUEST_RATE,
    TEST_ROWS_READ_RATE,
    PrivateServer,
    private_server,
)
from tests.tenant import JWT_SECRET, Tenant
from web.state import AppState


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    with scratch_database(server_url) as url:
        command.upgrade(alembic_config(url), "head")
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        jwt_secret=SecretStr(JWT_SECRET),
        # One test is one agency sending as fast as it can; the request rate and the rows-read
        # budget are tested on their own (tests/test_fair_share.py).
        agency_requests_per_second=TEST_REQUEST_RATE,
        agency_burst=TEST_REQUEST_RATE,
        agency_rows_read_per_second=TEST_ROWS_READ_RATE,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            if transaction.is_active:
                await transaction.rollback()


@pytest.fixture
def sessions(connection: AsyncConnection) -> async_sessionmaker[Any]:
    return async_sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )


@pytest.fixture
def factory(connection: AsyncConnection) -> Factory:
    return Factory(connection)


@pytest.fixture
def app_state(
    settings: Settings, engine: AsyncEngine, sessions: async_sessionmaker[Any]
) -> AppState:
    return AppState(
        settings=settings,
        engine=engine,
        read_engine=engine,
        sessions=sessions,
        read_sessions=sessions,
    )


DIFFERENTIAL_MODULES = tuple(
    f"tests.test_read_{name}"
    for name in (
        "batches_list",
        "contact_filters",
        "contact_sorting",
        "cursor_walk_property",
        "cursors",
        "offset_paging",
    )
)
"""The read tests whose every GraphQL query is also answered with the compiled path off, the
two responses compared byte for byte (`DifferentialTransport`). Not the read tests that count
the statements a request sends (`statement_counts`, `sibling_fields`): a second app's
statements would be counted too; their documents are compared in test_compiled_reads_agree."""


@pytest.fixture
async def client(
    app_state: AppState, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(app_state.settings)
    app.state.app = app_state
    transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=app)
    if (
        request.module.__name__.startswith(DIFFERENTIAL_MODULES)
        and app_state.settings.compiled_reads
    ):
        reference_state = AppState(
            settings=app_state.settings.model_copy(update={"compiled_reads": False}),
            engine=app_state.engine,
            read_engine=app_state.read_engine,
            sessions=app_state.sessions,
            read_sessions=app_state.read_sessions,
        )
        reference = create_app(reference_state.settings)
        reference.state.app = reference_state
        transport = DifferentialTransport(transport, httpx.ASGITransport(app=reference))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def tenant(factory: Factory, client: httpx.AsyncClient) -> Tenant:
    agency_id = await factory.agency(name="Agency A")
    return Tenant(agency_id, await factory.user(agency_id), client)


@pytest.fixture
async def other_tenant(factory: Factory, client: httpx.AsyncClient) -> Tenant:
    agency_id = await factory.agency(name="Agency B")
    return Tenant(agency_id, await factory.user(agency_id), client)


@pytest.fixture
async def batch_id(tenant: Tenant, factory: Factory) -> uuid.UUID:
    """A batch of three contacts in `tenant`'s agency (the error tests' healthy target)."""
    batch_id = await factory.batch(tenant.agency_id, name="Healthy")
    await factory.contacts(batch_id, tenant.agency_id, [{}, {}, {}])
    return batch_id


@pytest.fixture(scope="module")
def server() -> Iterator[PrivateServer]:
    """A PostgreSQL server of the test module's own, with committed data: for tests that run
    the app on real sockets or several connections, or stop and restart the server."""
    with private_server() as server:
        yield server
