"""Fault drills across processes (issue 14, item 6): the bot (``asesorbot run``) answering a
crowd while two ``asesorbot worker`` processes broadcast, every one of them told the platform's
whole rate, against a fake Bot API with Telegram's limits in a process of its own (so that its
clock is the platform's, not held up by the test)."""

from __future__ import annotations

import asyncio
import collections
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from tests.bot.telegram_rig import TOKEN
from tests.bot.test_dispatcher import (
    DAYTIME,
    announcement,
    current_schema,
    finished,
    people,
    queue,
    worker,
)
from tests.bot.test_run import run, start_update, stop

ROOT = Path(__file__).resolve().parents[2]
SECRET = "drill-secret"
CROWD = 200
NOTICES = 150


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if a <= t < a + 1.0) for a in times)


@pytest.fixture
async def platform() -> AsyncIterator[str]:
    """The fake Bot API at 30 messages a second and one a second per chat, in its own process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.telegram", TOKEN, "30", "1.0", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
    assert url.startswith("http://"), url
    yield url
    await stop(process)


async def state(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/_fake/state") as response:
        return dict(await response.json())


def messages(fake: dict[str, Any]) -> list[tuple[int, str, float]]:
    """(chat, text, arrival) of every message the fake accepted."""
    return [
        (int(c["params"]["chat_id"]), str(c["params"]["text"]), float(c["at"]))
        for c in fake["calls"]
        if c["method"] == "sendMessage"
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_a_crowd_answering_during_a_two_worker_broadcast_shares_one_budget(
    engine: AsyncEngine, platform: str, tmp_path: Path
) -> None:
    """200 people write at once while two workers send 150 notices: no reply is dropped, nobody
    gets anything twice, the three processes together keep to the platform's rate, and the
    replies do not wait for the broadcast."""
    await migrate.upgrade(engine)
    persons = await people(engine, NOTICES)
    await queue(engine, [announcement(p, n, DAYTIME, urgent=True) for n, p in enumerate(persons)])
    port = free_port()
    bot = await run(
        tmp_path,
        BOT_TOKEN=TOKEN,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        DATABASE_SCHEMA=await current_schema(engine),
        TELEGRAM_API_BASE=platform,
        WEBHOOK_BASE_URL="https://bot.example.org",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
        OUTBOX_IN_RUN="false",
        LOG_LEVEL="WARNING",
    )
    try:
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(30):
                while True:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
            limits = {"OUTBOX_TELEGRAM_RATE": "30", "OUTBOX_TELEGRAM_PER_CHAT_SECONDS": "1"}
            workers = [await worker(engine, platform, tmp_path, **limits) for _ in range(2)]
            async with asyncio.timeout(30):
                while len(messages(await state(platform))) < 30:  # noqa: ASYNC110  (another process)
                    await asyncio.sleep(0.1)

            async def write(n: int) -> int:
                update = start_update(10_000 + n)
                update["message"]["chat"]["id"] = update["message"]["from"]["id"] = 900_000 + n  # type: ignore[index]
                async with http.post(
                    f"http://127.0.0.1:{port}/webhook/telegram",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                ) as response:
                    return response.status

            asked = time.monotonic()
            statuses = await asyncio.gather(*(write(n) for n in range(CROWD)))
            assert set(statuses) == {200}
            for process in workers:
                await finished(process)
            async with asyncio.timeout(60):
                while True:
                    calls = [
                        c for c in (await state(platform))["calls"] if c["method"] == "sendMessage"
                    ]
                    if sum(1 for c in calls if int(c["params"]["chat_id"]) >= 900_000) >= CROWD:
                        break
                    await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # nothing more comes
    finally:
        await stop(bot)
    final = await state(platform)
    assert final["violations"] == []
    sent = messages(final)
    per_chat = collections.Counter(chat for chat, _, _ in sent)
    crowd = {900_000 + n for n in range(CROWD)}
    greeted = {chat for chat, text, _ in sent if "Selamat datang" in text}
    assert greeted == crowd, "no reply dropped"
    assert max(per_chat[chat] for chat in crowd) == 1, "no reply twice"
    assert set(per_chat) - crowd == {100_000 + n for n in range(NOTICES)}
    assert max(per_chat[100_000 + n] for n in range(NOTICES)) == 1, "no notice twice"
    # One budget for the bot and both workers: each told 30/s, together they keep to 30/s.
    # (Divided by nobody, three per-process budgets drew 399 refusals here; 0 in each of the
    # runs seen since.) Five processes on two cores can still wake late now and then: a 429
    # or two would be waited out, and is tolerated up to 1 %.
    refused = final["too_many"]
    assert refused <= 0.01 * len(sent), f"{refused} refused of {len(sent)}"
    assert busiest_second([at for _, _, at in sent]) <= 30
    replies = sorted(at - asked for chat, _, at in sent if chat in crowd)
    notices_end = max(at for chat, _, at in sent if chat not in crowd) - asked
    p99 = replies[int(len(replies) * 0.99) - 1]
    print(
        f"{len(replies)} replies: p99 {p99:.1f} s, last {replies[-1]:.1f} s after the crowd "
        f"wrote; the broadcast's last notice {notices_end:.1f} s after; {refused} × 429"
    )
    # Replies first: the crowd's 200 messages take about 200 / 30 s of the budget, and the
    # broadcast's rest goes out after them.
    assert replies[-1] < notices_end
