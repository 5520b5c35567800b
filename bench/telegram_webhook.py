"""Updates per second and latency of the Telegram webhook, next to a bare aiogram echo bot.

Both bots talk to the same fake Bot API server (tests/fakes/telegram.py) over loopback HTTP.
Two runs each, after a warm-up that is not counted: N concurrent simulated users sending updates
as fast as the bot answers (throughput), then a steady 100 updates/s (latency).  asesorbot runs
on PostgreSQL (``TEST_DATABASE_URL``, in a schema of its own that is dropped afterwards), with
Telegram's rate limits lifted (the echo bot keeps none): with them the bot answers 30 messages a
second whatever its speed, which is the platform's ceiling, not the bot's.
Usage: ``python -m bench.telegram_webhook [users] [updates_per_user]``.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiohttp import web
from sqlalchemy.engine import make_url

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from bot.config import load_settings
from bot.factory import build_app
from bot.server import build_web_app
from storage import migrate
from storage.db import make_engine
from tests.fakes.telegram import FakeBotApi

TOKEN = "123456:BENCH"
SECRET = "bench-secret"
DATABASE = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
ROUNDS = 3
SCRIPT = [
    "/start", "cb:id", "cb:apply", "cb:0", "cb:s1", "2", "cb:1", "cb:1",
    "Siti Rahayu", "cb:WNI", "3273015708850002", "Bandung", "Jl. Merdeka No. 1, Bandung",
    "40111", "/status", "/help",
]  # fmt: skip
"""A new candidate's first minutes: language, applying, the eligibility questions of 6.1, the
start of APL-01 (a NIK checked, telling the birth date and sex), their status. Each load sends it
from the start with users who have never written (uploads are ``bench/upload_document.py``'s)."""
USERS = itertools.count(100_000, 1_000)


def update(n: int, user: int, step: str) -> dict[str, Any]:
    sender = {"id": user, "is_bot": False, "first_name": "U", "language_code": "id"}
    chat = {"id": user, "type": "private"}
    message = {"message_id": n, "date": 0, "chat": chat, "from": sender, "text": step}
    if step.startswith("cb:"):
        return {
            "update_id": n,
            "callback_query": {
                "id": str(n), "from": sender, "chat_instance": "b", "data": step[3:],
                "message": {**message, "text": "…"},
            },
        }  # fmt: skip
    return {"update_id": n, "message": message}


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}{WEBHOOK_PATH}"


def echo_bot(api_base: str) -> web.Application:
    """The baseline: a bare aiogram bot that answers every text with the same text."""
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    @dispatcher.callback_query()
    async def pressed(query: Any) -> None:
        await bot.answer_callback_query(query.id)
        await bot.send_message(chat_id=query.from_user.id, text=query.data or "…")

    async def webhook(request: web.Request) -> web.Response:
        await dispatcher.feed_raw_update(bot, await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, webhook)
    return app


async def load(
    url: str, users: int, per_user: int, ids: Callable[[], int]
) -> tuple[float, list[float]]:
    """Every user sends its updates one after the other; all users at once; new users each
    time (the bots share one database over the rounds)."""
    latencies: list[float] = []
    first = next(USERS)
    async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as http:

        async def user(number: int) -> None:
            for step in range(per_user):
                body = update(ids(), first + number, SCRIPT[step % len(SCRIPT)])
                started = time.perf_counter()
                async with http.post(url, json=body) as response:
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        return time.perf_counter() - started, latencies


async def steady(url: str, rate: float, seconds: float, ids: Callable[[], int]) -> list[float]:
    """``rate`` updates per second, spread over 200 users, for ``seconds``."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as http:

        async def one(n: int) -> None:
            body = update(ids(), 200_000 + n % 200, SCRIPT[(n // 200) % len(SCRIPT)])
            started = time.perf_counter()
            async with http.post(url, json=body) as response:
                assert response.status == 200
            latencies.append(time.perf_counter() - started)

        tasks = []
        begin = time.perf_counter()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``): unlike wall time, it does
    not move with what else the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(name: str, wall: float, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    rate = len(ordered) / wall
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(
        f"{name:34} {len(ordered):6d} updates {rate:8.1f}/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
    )
    return rate


async def serve_bot(kind: str, api_base: str, schema: str) -> None:
    """In a child process: run one bot's webhook server and print its URL."""
    if kind == "echo":
        runner, url = await serve(echo_bot(api_base))
    else:
        os.environ.update(
            BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=api_base, WEBHOOK_SECRET=SECRET,
            WEBHOOK_BASE_URL="https://bench.invalid", LOG_LEVEL="ERROR",
            STORAGE_LOCAL_DIR=tempfile.mkdtemp(prefix="bench-objects-"),
            DATABASE_POOL_SIZE="60",
            # Telegram's own limits (30 messages/s for the bot, about 1/s per chat), which the bot
            # keeps and the echo bot does not, are lifted: the bench compares the work per
            # update, not the platform's ceiling (tests/bot/test_pacing.py holds the limits).
            OUTBOX_TELEGRAM_RATE="100000", OUTBOX_TELEGRAM_PER_CHAT_SECONDS="0",
        )  # fmt: skip
        settings = load_settings(env_file=None)
        engine = make_engine(
            DATABASE,
            search_path=schema,
            pool_size=settings.database.pool_size,
            max_overflow=settings.database.max_overflow,
        )
        await migrate.upgrade(engine)
        app = await build_app(settings, engine=engine)
        channel = TelegramChannel(app.conversation, app.translator, app.uow_factory, settings)
        runner, url = await serve(build_web_app(app, [channel]))
    gc.freeze()  # as `asesorbot run` does once wired
    print(url, flush=True)
    await asyncio.get_running_loop().run_in_executor(
        None, sys.stdin.read
    )  # until the parent closes it
    await runner.cleanup()


async def start_bot(
    kind: str, api_base: str, schema: str
) -> tuple[asyncio.subprocess.Process, str]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.telegram_webhook", "--serve", kind, api_base, schema,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None
    url = (await asyncio.wait_for(child.stdout.readline(), 60)).decode().strip()
    return child, url


async def stop_bot(child: asyncio.subprocess.Process) -> None:
    assert child.stdin is not None
    child.stdin.close()
    try:
        await asyncio.wait_for(child.wait(), 10)
    except TimeoutError:
        child.kill()
        await child.wait()


async def main(users: int, per_user: int) -> None:
    """Each bot runs in a process of its own; the fake Bot API and the load stay here."""
    counter = iter(range(1, 10**9))

    def ids() -> int:
        return next(counter)

    api = FakeBotApi(TOKEN)
    await api.start()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    url = make_url(DATABASE)
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    print(
        f"{users} concurrent users x {per_user} updates, then 100 updates/s for 5 s; "
        f"{ROUNDS} rounds, the bots taking turns (this machine's other work varies by round)"
    )
    rates: dict[str, list[float]] = {"echo": [], "ours": []}
    costs: dict[str, list[float]] = {"echo": [], "ours": []}
    try:
        for round_number in range(1, ROUNDS + 1):
            for kind, name in (
                ("echo", "aiogram echo bot (no database)"),
                ("ours", "asesorbot (PostgreSQL)"),
            ):
                child, bot_url = await start_bot(kind, api.base_url, schema)
                try:
                    await load(bot_url, users, 2, ids)  # warm-up: connections, caches
                    before = cpu_seconds(child.pid)
                    wall, latencies = await load(bot_url, users, per_user, ids)
                    cpu = (cpu_seconds(child.pid) - before) / len(latencies) * 1000
                    costs[kind].append(cpu)
                    rates[kind].append(report(f"{round_number}: {name}", wall, latencies))
                    print(f"   the bot process used {cpu:.2f} ms of CPU per update")
                    latencies = await steady(bot_url, 100, 5, ids)
                    report(f"{round_number}: {name} @ 100/s", 5, latencies)
                finally:
                    await stop_bot(child)
        ratios = [ours / echo for ours, echo in zip(rates["ours"], rates["echo"], strict=True)]
        print(
            "asesorbot / echo throughput per round: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f"; median {statistics.median(ratios):.2f} (target >= 0.5)"
        )
        per_cpu = statistics.median(costs["echo"]) / statistics.median(costs["ours"])
        print(
            f"CPU per update, median: echo {statistics.median(costs['echo']):.2f} ms, "
            f"asesorbot {statistics.median(costs['ours']):.2f} ms: on equal CPU asesorbot "
            f"would handle {per_cpu:.2f} of the echo bot's updates (the load generator, the fake "
            "Bot API and PostgreSQL share this machine's cores with the bot)"
        )
        if api.violations:
            print(f"Bot API spec violations: {api.violations[:5]}")
    finally:
        await api.close()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        import uvloop

        uvloop.run(serve_bot(*sys.argv[2:5]))
    else:
        arguments = [int(a) for a in sys.argv[1:3]]
        asyncio.run(main(*(arguments + [50, 16][len(arguments) :])))
