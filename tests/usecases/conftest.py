"""The ``world`` every use-case test starts from: the verbs on the unit of work in memory (the
fast tier) and on PostgreSQL through the production wiring (what keeps the memory honest), the
clock stopped on a Wednesday morning in Jakarta. SQLite's adapters are the storage tests' and
the journeys'."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.factory import build_app
from scheme.model import Scheme
from storage import migrate
from tests.conftest import _drop_schema, _postgres_schema_engine
from tests.usecases.world import NOW, SqlTables, World, memory_world


@pytest.fixture(params=["memory", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def world(
    request: pytest.FixtureRequest, settings: Settings, scheme: Scheme
) -> AsyncIterator[World]:
    if request.param == "memory":
        yield memory_world(settings, scheme)
        return
    url = request.getfixturevalue("postgres_url")
    engine, schema = await _postgres_schema_engine(url)
    try:
        await migrate.upgrade(engine)
        app = await build_app(settings, engine=engine, clock=lambda: NOW)
        yield World(app, SqlTables(app.engine, app.uow_factory))
    finally:
        await engine.dispose()
        await _drop_schema(url, schema)
