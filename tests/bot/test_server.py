"""The bot's own web server: ``/healthz`` under faults."""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.factory import build_app
from bot.server import build_web_app


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_healthz_answers_within_two_seconds_while_the_store_hangs(
    engine: AsyncEngine, hung_s3: Settings
) -> None:
    """A load balancer asking whether the bot is well must get an answer, and the right one,
    however long the object store keeps it waiting."""
    app = await build_app(hung_s3, engine=engine)
    async with TestClient(TestServer(build_web_app(app))) as client:
        started = time.monotonic()
        response = await client.get("/healthz")
        elapsed = time.monotonic() - started
        assert response.status == 503
        assert await response.json() == {"database": "ok", "objects": "unavailable"}
    assert elapsed < 2.0
    await app.aclose()
