"""The HTTP side of the bot (aiohttp): channel webhooks and ``GET /healthz``."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from sqlalchemy import text

from bot.channels import telegram, whatsapp
from bot.factory import App
from handlers.ports import ObjectStoreError

log = logging.getLogger(__name__)


def build_web_app(
    app: App,
    telegram_channel: telegram.TelegramChannel | None = None,
    whatsapp_channel: whatsapp.WhatsAppChannel | None = None,
    outbox_alive: Callable[[], bool] | None = None,
) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024)

    async def healthz(_request: web.Request) -> web.Response:
        """200 when the database and the object store both answer; 503 naming what does not."""
        checks: dict[str, str] = {}
        try:
            async with app.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception:
            log.exception("health check: database")
            checks["database"] = "unavailable"
        try:
            await app.objects.ping()
            checks["objects"] = "ok"
        except ObjectStoreError:
            checks["objects"] = "unavailable"
        if outbox_alive is not None:  # the dispatcher inside `run`: never silently dead
            checks["outbox"] = "ok" if outbox_alive() else "stopped"
        healthy = all(value == "ok" for value in checks.values())
        return web.json_response(checks, status=200 if healthy else 503)

    web_app.router.add_get("/healthz", healthz)
    if telegram_channel is not None:
        web_app.router.add_post(telegram.WEBHOOK_PATH, telegram_channel.webhook)
    if whatsapp_channel is not None:
        web_app.router.add_get(whatsapp.WEBHOOK_PATH, whatsapp_channel.verify)
        web_app.router.add_post(whatsapp.WEBHOOK_PATH, whatsapp_channel.webhook)
    return web_app
