"""The HTTP side of the bot (aiohttp): channel webhooks and ``GET /healthz``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiohttp import web
from sqlalchemy import text

from bot.channels import Channel
from bot.factory import App
from bot.metrics import CONTENT_TYPE
from domain.ports import ObjectStoreError

log = logging.getLogger(__name__)

HEALTH_CHECK_SECONDS = 1.5


def build_web_app(
    app: App,
    channels: Sequence[Channel] = (),
    outbox_alive: Callable[[], bool] | None = None,
    outbox_heartbeat: Callable[[], float] | None = None,
) -> web.Application:
    """``/healthz``, ``/metrics`` and the webhooks of ``channels``."""
    web_app = web.Application(client_max_size=1024 * 1024)

    async def database() -> str:
        try:
            async with asyncio.timeout(HEALTH_CHECK_SECONDS):
                async with app.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("health check: database", extra={"error": type(error).__name__})
            return "unavailable"
        return "ok"

    async def objects() -> str:
        try:
            async with asyncio.timeout(HEALTH_CHECK_SECONDS):
                await app.objects.ping()
        except (ObjectStoreError, TimeoutError) as error:
            log.warning("health check: object store", extra={"error": type(error).__name__})
            return "unavailable"
        return "ok"

    async def healthz(_request: web.Request) -> web.Response:
        """200 when the database and the object store both answer; 503 naming what does not.
        Both are asked at once, each for at most ``HEALTH_CHECK_SECONDS``: the answer comes
        within 2 s whatever a hung store or database does."""
        checks = dict(
            zip(("database", "objects"), await asyncio.gather(database(), objects()), strict=True)
        )
        if outbox_alive is not None:  # the dispatcher inside `run`: never silently dead
            checks["outbox"] = "ok" if outbox_alive() else "stopped"
        healthy = all(value == "ok" for value in checks.values())
        return web.json_response(checks, status=200 if healthy else 503)

    async def metrics(_request: web.Request) -> web.Response:
        """Prometheus' text format: counts and ages only, never a person's data."""
        try:
            async with asyncio.timeout(HEALTH_CHECK_SECONDS):
                page = await app.metrics.render(app.engine, outbox_heartbeat)
        except Exception as error:  # the database is away: say so, as /healthz does
            log.warning("metrics: database", extra={"error": type(error).__name__})
            return web.Response(status=503, text="database unavailable\n")
        return web.Response(body=page, headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    for channel in channels:
        for method, path, handler in channel.routes():
            web_app.router.add_route(method, path, handler)
    return web_app
