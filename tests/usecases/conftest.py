"""The ``world`` every use-case test starts from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.factory import App
from tests.usecases.world import World


@pytest.fixture
async def world(make_app: Callable[..., Awaitable[App]]) -> AsyncIterator[World]:
    app = await make_app()
    yield World(app)
    await app.aclose()
