"""The ``world`` every use-case test starts from: the production wiring on the test database, its
clock stopped on a Wednesday morning in Jakarta."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from bot.factory import App
from tests.usecases.world import World

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
"""Wednesday 25 November 2026, 10:00 WIB."""


@pytest.fixture
async def world(make_app: Callable[..., Awaitable[App]]) -> AsyncIterator[World]:
    app = await make_app(clock=lambda: NOW)
    yield World(app)
    await app.aclose()
