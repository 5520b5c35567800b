"""The WhatsApp test rig: the production wiring on the test database, served over HTTP, with
a fake Graph API server that checks every ``/messages`` request against the Cloud API spec."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from bot.channels.whatsapp import WEBHOOK_PATH, WhatsAppChannel
from bot.config import load_settings
from bot.factory import App, build_app
from storage import migrate
from storage.objects import S3ObjectStore
from tests.bot.serving import served
from tests.bot.whatsapp_user import WhatsAppUser
from tests.fakes.whatsapp import FakeGraphApi

TOKEN = "EAAG-test-token"
PHONE_ID = "106540352242922"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@dataclass
class Rig:
    app: App
    channel: WhatsAppChannel
    api: FakeGraphApi
    url: str
    http: aiohttp.ClientSession

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        async with self.http.post(self.url + WEBHOOK_PATH, data=body, headers=headers) as response:
            return response.status

    def user(self, **kwargs: Any) -> WhatsAppUser:
        return WhatsAppUser(self.api, self.post, APP_SECRET, **kwargs)

    async def rows(self, sql: str) -> list[Any]:
        async with self.app.engine.connect() as connection:
            return list(await connection.execute(text(sql)))


@pytest.fixture
async def graph_api() -> AsyncIterator[FakeGraphApi]:
    api = FakeGraphApi(TOKEN, PHONE_ID)
    await api.start()
    yield api
    await api.close()
    assert api.violations == [], "requests that break the WhatsApp Cloud API spec"


@pytest.fixture
def later() -> list[timedelta]:
    """How far the channel's clock is ahead of now (to step past the 24-hour window)."""
    return [timedelta(0)]


@pytest.fixture
async def whatsapp_rig(
    request: pytest.FixtureRequest, engine, clean_env, graph_api: FakeGraphApi, later
) -> AsyncIterator[Rig]:  # type: ignore[no-untyped-def]
    if engine.dialect.name == "postgresql":
        request.getfixturevalue("s3_settings")  # PostgreSQL goes with the S3 server
    clean_env.setenv("WHATSAPP_TOKEN", TOKEN)
    clean_env.setenv("WHATSAPP_PHONE_ID", PHONE_ID)
    clean_env.setenv("WHATSAPP_APP_SECRET", APP_SECRET)
    clean_env.setenv("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
    clean_env.setenv("WHATSAPP_API_BASE", graph_api.base_url)
    clean_env.setenv("WHATSAPP_TEMPLATES", '{"status_changed": "lsp_status_update"}')
    # As in the Telegram rig: no waiting here. A chat's own spacing (6 s on WhatsApp) would make
    # two notices to one person a 12-second test; the limits have tests of their own.
    clean_env.setenv("OUTBOX_WHATSAPP_RATE", "1000")
    clean_env.setenv("OUTBOX_WHATSAPP_PER_CHAT_SECONDS", "0.1")
    settings = load_settings(env_file=None)
    await migrate.upgrade(engine)
    app = await build_app(settings, engine=engine, clock=lambda: NOW)
    if isinstance(app.objects, S3ObjectStore):
        await app.objects.ensure_bucket()
    channel = WhatsAppChannel(
        app.conversation,
        app.translator,
        app.uow_factory,
        settings,
        clock=lambda: datetime.now(UTC) + later[0],
        retry_delays=(0.01,),
        objects=app.objects,
        pacer=app.pacer,
    )
    async with served(app, channel) as url, aiohttp.ClientSession() as http:
        yield Rig(app, channel, graph_api, url, http)
