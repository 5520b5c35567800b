"""The Telegram test rig: the production wiring on the test database, served over HTTP, with a
fake Bot API server that checks every request against the spec."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from bot.config import load_settings
from bot.factory import App, build_app
from storage import migrate
from storage.objects import S3ObjectStore
from tests.bot.serving import served
from tests.bot.telegram_user import TelegramUser
from tests.fakes.telegram import FakeBotApi

TOKEN = "123456:TEST-TOKEN"
SECRET = "webhook-secret-for-tests"
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@dataclass
class Clock:
    """The bot's clock in a test: it stands still at ``at`` until a test moves it on."""

    at: datetime = NOW

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Rig:
    app: App
    channel: TelegramChannel
    api: FakeBotApi
    url: str
    http: aiohttp.ClientSession
    clock: Clock

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with self.http.post(
            self.url + WEBHOOK_PATH, json=update, headers=headers
        ) as response:
            if response.status == 200 and (body := await response.json()):
                self.api.webhook_reply(body)  # a method answered in the response is checked too
            return response.status

    async def deliver(self, update: dict[str, Any]) -> None:
        assert await self.post(update) == 200

    def user(self, **kwargs: Any) -> TelegramUser:
        return TelegramUser(self.api, self.deliver, **kwargs)

    async def count(self, table: str, where: str = "") -> int:
        async with self.app.engine.connect() as connection:
            return (
                await connection.execute(text(f"SELECT count(*) FROM {table} {where}"))
            ).scalar_one()


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(TOKEN)
    await api.start()
    yield api
    await api.close()
    assert api.violations == [], f"requests that break the Bot API spec: {api.violations}"


@pytest.fixture
async def rig(
    request: pytest.FixtureRequest, engine, clean_env, bot_api: FakeBotApi
) -> AsyncIterator[Rig]:  # type: ignore[no-untyped-def]
    if engine.dialect.name == "postgresql":
        request.getfixturevalue("s3_settings")  # PostgreSQL goes with the S3 server
    clean_env.setenv("BOT_TOKEN", TOKEN)
    clean_env.setenv("TELEGRAM_API_BASE", bot_api.base_url)
    clean_env.setenv("WEBHOOK_BASE_URL", "https://bot.example.org")
    clean_env.setenv("WEBHOOK_SECRET", SECRET)
    # A conversation's messages are paced like everything else (34 ms apart at Telegram's
    # 30/s): at that rate a test's hundreds of steps would wait seconds for nothing. The tests
    # of the limits set the platform's own rate.
    clean_env.setenv("OUTBOX_TELEGRAM_RATE", "1000")
    settings = load_settings(env_file=None)
    await migrate.upgrade(engine)
    clock = Clock()
    app = await build_app(settings, engine=engine, clock=clock)
    if isinstance(app.objects, S3ObjectStore):
        await app.objects.ensure_bucket()
    channel = TelegramChannel(
        app.conversation,
        app.translator,
        app.uow_factory,
        settings,
        retry_delays=(0.01,),
        objects=app.objects,
        pacer=app.pacer,
    )
    async with served(app, channel) as url, aiohttp.ClientSession() as http:
        yield Rig(app, channel, bot_api, url, http, clock)
