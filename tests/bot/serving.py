"""The bot's web server on a free loopback port, as both channel rigs serve it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from bot.channels import Channel
from bot.factory import App
from bot.server import build_web_app


@contextlib.asynccontextmanager
async def served(app: App, channel: Channel) -> AsyncIterator[str]:
    """The production web app for ``channel``; yields its base URL, then stops both."""
    runner = web.AppRunner(build_web_app(app, [channel]), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await channel.close()
