"""Updates per second and latency of the Telegram webhook, next to a bare aiogram echo bot.

Both bots talk to the same fake Bot API server (tests/fakes/telegram.py) over loopback HTTP; each
bot runs in a process of its own, and so does the load generator. The load is a realistic
journey: N new candidates at once, each choosing the language, answering the eligibility
questions of 6.1 and the whole of APL-01 (typed answers, pressed options, the shared contact),
confirming it, uploading the copy of the KTP and the photo, and asking for their status and help.
Then a steady 100 updates/s (latency). The bots take turns over the rounds, after a warm-up that
is not counted. Beside each bot's own CPU per update, PostgreSQL's (the server processes on this
machine) is counted too: the echo bot keeps no state, asesorbot keeps it all there.
asesorbot runs on PostgreSQL (``TEST_DATABASE_URL``, in a schema of its own that is dropped
afterwards), with Telegram's rate limits lifted (the echo bot keeps none): with them the bot
answers 30 messages a second whatever its speed, which is the platform's ceiling, not the bot's.
Usage: ``python -m bench.telegram_webhook [users]``.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
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
from tests import documents
from tests.fakes.telegram import FakeBotApi

TOKEN = "123456:BENCH"
SECRET = "bench-secret"
DATABASE = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
ROUNDS = 3
SCRIPT = [
    "/start", "cb:id", "cb:apply", "cb:0", "cb:s1", "2", "cb:1", "cb:1",
    "Siti Rahayu", "cb:WNI", "3273015708850002", "Bandung", "Jl. Merdeka No. 1, Bandung",
    "40111", "CONTACT", "siti@contoh.co.id", "LSP Teknologi Digital", "Manajer Sertifikasi",
    "Jl. Sudirman No. 1, Jakarta", "10220", "021 5790 1234", "siti@lsp.co.id", "cb:confirm",
    "FILE:ktp", "FILE:photo", "/status", "/help",
]  # fmt: skip
"""A new candidate's first minutes: language, applying, the eligibility questions of 6.1, the
whole of APL-01 (the NIK telling the birth date and sex, the mobile number shared as a contact),
confirmed, the first two pieces of evidence uploaded (a PDF, a photo), their status."""
FILES = {"ktp": ("ktp.pdf", "application/pdf"), "photo": ("foto.jpg", "image/jpeg")}
"""The files the journey uploads, put into the fake Bot API by the parent process."""
USERS = itertools.count(100_000, 1_000)


def update(n: int, user: int, step: str) -> dict[str, Any]:
    sender = {"id": user, "is_bot": False, "first_name": "U", "language_code": "id"}
    chat = {"id": user, "type": "private"}
    message: dict[str, Any] = {"message_id": n, "date": 0, "chat": chat, "from": sender}
    if step.startswith("cb:"):
        return {
            "update_id": n,
            "callback_query": {
                "id": str(n), "from": sender, "chat_instance": "b", "data": step[3:],
                "message": {**message, "text": "…"},
            },
        }  # fmt: skip
    if step == "CONTACT":
        message["contact"] = {"phone_number": f"6281{user:09d}", "first_name": "U", "user_id": user}
    elif step.startswith("FILE:"):
        name, mime = FILES[step[5:]]
        file = {"file_id": step[5:], "file_unique_id": f"{step[5:]}-{user}", "file_size": 30_000}
        message["document"] = {**file, "file_name": name, "mime_type": mime}
    else:
        message["text"] = step
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


async def load(url: str, users: int, first_user: int, first_id: int, sizes: dict[str, int]) -> None:
    """In the load process: every user goes through the journey, its updates one after the
    other; all users at once. Prints the wall time and each update's latency (JSON)."""
    latencies: list[float] = []
    ids = itertools.count(first_id)
    async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as http:

        async def user(number: int) -> None:
            for step in SCRIPT:
                body = update(next(ids), first_user + number, step)
                if "document" in body.get("message", {}):
                    body["message"]["document"]["file_size"] = sizes[step[5:]]
                started = time.perf_counter()
                async with http.post(url, json=body) as response:
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        wall = time.perf_counter() - started
    print(json.dumps({"wall": wall, "latencies": latencies}), flush=True)


async def steady(url: str, rate: float, seconds: float, first_id: int) -> None:
    """In the load process: ``rate`` updates per second, spread over 200 users, for
    ``seconds`` (texts and presses of the journey's start; no uploads)."""
    latencies: list[float] = []
    texts = SCRIPT[: SCRIPT.index("CONTACT")]
    async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as http:

        async def one(n: int) -> None:
            body = update(first_id + n, first_id + n % 200, texts[(n // 200) % len(texts)])
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
    print(json.dumps({"wall": seconds, "latencies": latencies}), flush=True)


async def in_load_process(*arguments: str) -> tuple[float, list[float]]:
    """The load generator in a process of its own, so that its work is not the bot's."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.telegram_webhook", *arguments,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await child.communicate()
    assert child.returncode == 0, f"the load process failed: {child.returncode}"
    found = json.loads(out)
    return float(found["wall"]), [float(x) for x in found["latencies"]]


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL server process on this machine so far (the bench's
    database is local): the state the echo bot does not keep costs there."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        if "(postgres)" in text or "(postmaster)" in text:
            total += cpu_seconds(int(stat.parent.name))
    return total


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


async def main(users: int) -> None:
    """Each bot runs in a process of its own, and so does the load; the fake Bot API stays
    here."""
    ids = itertools.count(1, 1_000_000)
    api = FakeBotApi(TOKEN)
    await api.start()
    contents = {"ktp": documents.pdf("bench-ktp"), "photo": documents.photo()}
    for file_id, data in contents.items():
        api.add_file(file_id, data, FILES[file_id][0])
    sizes = json.dumps({file_id: len(data) for file_id, data in contents.items()})
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    url = make_url(DATABASE)
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    print(
        f"{users} new candidates at once, each {len(SCRIPT)} updates (APL-01 whole, two uploads), "
        f"then 100 updates/s for 5 s; {ROUNDS} rounds, the bots taking turns (this machine's "
        "other work varies by round)"
    )
    rates: dict[str, list[float]] = {"echo": [], "ours": []}
    costs: dict[str, list[float]] = {"echo": [], "ours": []}
    database: dict[str, list[float]] = {"echo": [], "ours": []}
    try:
        for round_number in range(1, ROUNDS + 1):
            for kind, name in (
                ("echo", "aiogram echo bot (no database)"),
                ("ours", "asesorbot (PostgreSQL)"),
            ):
                child, bot_url = await start_bot(kind, api.base_url, schema)
                try:
                    journey = ("--load", bot_url, str(users), sizes)
                    await in_load_process(*journey, str(next(USERS)), str(next(ids)))  # warm-up
                    before, before_pg = cpu_seconds(child.pid), postgres_cpu_seconds()
                    wall, latencies = await in_load_process(
                        *journey, str(next(USERS)), str(next(ids))
                    )
                    cpu = (cpu_seconds(child.pid) - before) / len(latencies) * 1000
                    pg = (postgres_cpu_seconds() - before_pg) / len(latencies) * 1000
                    costs[kind].append(cpu)
                    database[kind].append(pg)
                    rates[kind].append(report(f"{round_number}: {name}", wall, latencies))
                    print(f"   CPU per update: the bot {cpu:.2f} ms, PostgreSQL {pg:.2f} ms")
                    wall, latencies = await in_load_process(
                        "--steady", bot_url, "100", "5", str(next(ids))
                    )
                    report(f"{round_number}: {name} @ 100/s", wall, latencies)
                finally:
                    await stop_bot(child)
        ratios = [ours / echo for ours, echo in zip(rates["ours"], rates["echo"], strict=True)]
        print(
            "asesorbot / echo throughput per round: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f"; median {statistics.median(ratios):.2f} (target >= 0.5)"
        )
        echo, ours = statistics.median(costs["echo"]), statistics.median(costs["ours"])
        print(
            f"CPU per update, median: echo {echo:.2f} ms, asesorbot {ours:.2f} ms "
            f"+ PostgreSQL {statistics.median(database['ours']):.2f} ms: on equal CPU asesorbot "
            f"would handle {echo / ours:.2f} of the echo bot's updates (the load process, the "
            "fake Bot API and PostgreSQL share this machine's cores with the bot)"
        )
        stored = await admin.fetchval(f'SELECT count(*) FROM "{schema}".documents')
        journeys = 2 * ROUNDS  # the warm-up's and the measured one, per round
        print(
            f"documents stored: {stored} (the journey's two uploads for each of the "
            f"{users * journeys} candidates: {2 * users * journeys})"
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
    elif sys.argv[1:2] == ["--load"]:
        where, users, sizes, first_user, first_id = sys.argv[2:7]
        asyncio.run(load(where, int(users), int(first_user), int(first_id), json.loads(sizes)))
    elif sys.argv[1:2] == ["--steady"]:
        where, rate, seconds, first_id = sys.argv[2:6]
        asyncio.run(steady(where, float(rate), float(seconds), int(first_id)))
    else:
        asyncio.run(main(int(sys.argv[1]) if sys.argv[1:] else 50))
