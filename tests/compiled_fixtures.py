"""Fixtures of the compiled-path tests (imported by their modules)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app import create_app
from core.settings import Settings
from schema.compiled.reads import CompiledReads
from tests.compiled_support import BothPaths, DataSet, data_set
from tests.factories import Factory
from web.state import AppState


@pytest.fixture
async def both_paths(
    app_state: AppState, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BothPaths]:
    answered: list[bool] = []
    original = CompiledReads.answer

    async def spy(self: CompiledReads, *arguments: Any) -> dict[str, Any] | None:
        data = await original(self, *arguments)
        answered.append(data is not None)
        return data

    monkeypatch.setattr(CompiledReads, "answer", spy)
    settings = app_state.settings.model_copy(update={"compiled_reads": False})
    reference_state = AppState(
        settings=settings,
        engine=app_state.engine,
        read_engine=app_state.read_engine,
        sessions=app_state.sessions,
        read_sessions=app_state.read_sessions,
    )
    app = create_app(settings)
    app.state.app = reference_state
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as reference:
        yield BothPaths(client, reference, answered, (app_state, reference_state))


@pytest.fixture(name="app_state")
def resolvers_only_app_state(
    settings: Settings, engine: AsyncEngine, sessions: async_sessionmaker[Any]
) -> AppState:
    """`app_state` with the compiled path off, for a module about the resolvers themselves
    (their statements, their error masking): import it into that module."""
    return AppState(
        settings=settings.model_copy(update={"compiled_reads": False}),
        engine=engine,
        read_engine=engine,
        sessions=sessions,
        read_sessions=sessions,
    )


@pytest.fixture
async def data(factory: Factory) -> DataSet:
    return await data_set(factory)
