"""`asesorbot run` with messenger settings: the real command, in polling and in webhook mode,
against the fake Bot API server, and with WhatsApp beside Telegram."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import environment_names
from tests.fakes.telegram import FakeBotApi

ASESORBOT = Path(sys.executable).with_name("asesorbot")
TOKEN = "654321:RUN-TOKEN"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi(TOKEN)
    await fake.start()
    yield fake
    await fake.close()
    assert fake.violations == []


async def run(tmp_path: Path, **settings: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in environment_names()}
    env.update({"BOT_TOKEN": TOKEN, **settings})
    return await asyncio.create_subprocess_exec(
        str(ASESORBOT), "run", cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


async def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(30):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def start_update(update_id: int) -> dict[str, object]:
    user = {"id": 4242, "is_bot": False, "first_name": "Budi", "language_code": "id"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1, "date": 0, "text": "/start",
            "chat": {"id": 4242, "type": "private"}, "from": user,
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }  # fmt: skip


async def test_run_polls_and_answers(tmp_path: Path, api: FakeBotApi) -> None:
    process = await run(tmp_path, TELEGRAM_API_BASE=api.base_url)
    try:
        await wait_for(lambda: "getUpdates" in api.methods(), "polling")
        api.push(start_update(1))
        await wait_for(lambda: api.sent("sendMessage"), "a reply")
        assert "Selamat datang di asesorbot" in api.sent("sendMessage")[0]["text"]
        assert "setMyCommands" in api.methods()
    finally:
        await stop(process)


async def test_run_serves_the_webhook(tmp_path: Path, api: FakeBotApi) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = await run(
        tmp_path,
        TELEGRAM_API_BASE=api.base_url,
        WEBHOOK_BASE_URL="https://bot.example.org",
        WEBHOOK_SECRET="run-secret",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    try:
        await wait_for(lambda: "setWebhook" in api.methods(), "setWebhook")
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
            async with http.post(f"{base}/webhook/telegram", json=start_update(2)) as response:
                assert response.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": "run-secret"}
            async with http.post(
                f"{base}/webhook/telegram", json=start_update(3), headers=headers
            ) as response:
                assert response.status == 200
        assert "Selamat datang" in api.sent("sendMessage")[0]["text"]
    finally:
        await stop(process)


async def test_polling_stops_cleanly_on_sigterm(tmp_path: Path, api: FakeBotApi) -> None:
    process = await run(tmp_path, TELEGRAM_API_BASE=api.base_url)
    await wait_for(lambda: "getUpdates" in api.methods(), "polling")
    process.terminate()
    assert await asyncio.wait_for(process.wait(), 15) == 0


async def test_run_serves_whatsapp_beside_telegram_polling(tmp_path: Path, api: FakeBotApi) -> None:
    """With both channels configured: Telegram polls, WhatsApp's webhook answers Meta's
    verification on the same server as /healthz, and SIGTERM stops both (exit 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = await run(
        tmp_path,
        TELEGRAM_API_BASE=api.base_url,
        WHATSAPP_TOKEN="wa-token",
        WHATSAPP_PHONE_ID="106540352242922",
        WHATSAPP_APP_SECRET="wa-secret",
        WHATSAPP_VERIFY_TOKEN="wa-verify",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    try:
        await wait_for(lambda: "getUpdates" in api.methods(), "polling")
        query = {"hub.mode": "subscribe", "hub.verify_token": "wa-verify", "hub.challenge": "42"}
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(30):
                while True:
                    try:
                        async with http.get(
                            f"http://127.0.0.1:{port}/webhook/whatsapp", params=query
                        ) as response:
                            assert response.status == 200
                            assert await response.text() == "42"
                            break
                    except aiohttp.ClientConnectorError:
                        await asyncio.sleep(0.05)
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 15) == 0
    finally:
        await stop(process)


async def test_a_reply_waiting_when_its_process_is_killed_goes_out_from_the_next(
    tmp_path: Path, api: FakeBotApi
) -> None:
    """Issue 14, item 4: the reply to /start waits (Telegram asked for a minute) when the bot is
    SIGKILLed. The greeting was saved with the change it reports; the next process, once the
    dead one's lease has run out, sends it — once."""
    api.fail_next.append(("sendMessage", 429, {"retry_after": 60}))
    first = await run(tmp_path, TELEGRAM_API_BASE=api.base_url)
    try:
        await wait_for(lambda: "getUpdates" in api.methods(), "polling")
        api.push(start_update(1))
        await wait_for(lambda: api.sent("sendMessage"), "the refused try")
        await asyncio.sleep(0.3)
    finally:
        first.kill()
        await first.wait()
    database = sqlite3.connect(tmp_path / "var" / "asesorbot.db")
    try:
        kept = database.execute("SELECT channel, external_id, body FROM kept_replies").fetchall()
        assert [(c, e) for c, e, _ in kept] == [("telegram", "4242")]
        assert "Selamat datang" in kept[0][2]
        # A minute later: the killed process's 30 s lease has run out.
        database.execute("UPDATE kept_replies SET held_until = '2000' || substr(held_until, 5)")
        database.commit()
    finally:
        database.close()
    second = await run(tmp_path, TELEGRAM_API_BASE=api.base_url)
    try:
        await wait_for(lambda: len(api.sent("sendMessage")) >= 2, "the greeting, at last")
        await asyncio.sleep(1.0)  # nothing more comes
    finally:
        await stop(second)
    greetings = [m for m in api.sent("sendMessage") if "Selamat datang" in m["text"]]
    assert len(greetings) == 2  # the refused try, then the one that went
    assert {str(m["chat_id"]) for m in greetings} == {"4242"}
    database = sqlite3.connect(tmp_path / "var" / "asesorbot.db")
    try:
        assert database.execute("SELECT count(*) FROM kept_replies").fetchone() == (0,)
    finally:
        database.close()
