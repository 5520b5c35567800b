"""A burst of replies ten times the platform's rate: 300 people write ``/start`` within a moment
to ``asesorbot run`` (webhook, PostgreSQL) while the fake Bot API, in a process of its own,
keeps Telegram's limits (30 messages a second, one a second per chat; beyond either: 429).

Prints the replies that never came (target 0), duplicates (target 0), 429s, and the wait from
the burst to each reply's arrival (p50, p99, last) beside the baseline no bot can beat: the
k-th message of a burst cannot arrive before k / 30 s.
Usage: ``python -m bench.reply_burst [people]`` (default 300).
"""

from __future__ import annotations

import asyncio
import collections
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.outbox_broadcast import ASESORBOT
from bench.postgres import DATABASE, bench_schema
from bot.config import environment_names

TOKEN = "123456:BURST"
SECRET = "burst-secret"
RATE = 30
ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


async def fake_platform() -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.telegram", TOKEN, str(RATE), "1.0", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    return process, (await process.stdout.readline()).decode().strip()


async def platform_state(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(f"{url}/_fake/state") as response:
        return dict(await response.json())


def update(n: int) -> dict[str, Any]:
    person = {"id": 700_000 + n, "is_bot": False, "first_name": f"Asesi {n}"}
    return {
        "update_id": 50_000 + n,
        "message": {
            "message_id": 1, "date": 0, "text": "/start", "from": person,
            "chat": {"id": person["id"], "type": "private"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }  # fmt: skip


async def burst(schema: str, people: int) -> None:
    fake, api = await fake_platform()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in environment_names()}
    env.update(
        DATABASE_URL=DATABASE, DATABASE_SCHEMA=schema, BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=api,
        WEBHOOK_BASE_URL="https://bot.example.org", WEBHOOK_SECRET=SECRET,
        WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port), OUTBOX_IN_RUN="false",
        LOG_LEVEL="ERROR", OUTBOX_TELEGRAM_RATE=str(RATE),
    )  # fmt: skip
    bot = await asyncio.create_subprocess_exec(
        str(ASESORBOT), "run", env=env, cwd=tempfile.gettempdir(),
        stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"{base}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

            async def write(n: int) -> None:
                async with http.post(
                    f"{base}/webhook/telegram", json=update(n), headers=headers
                ) as response:
                    assert response.status == 200, response.status

            asked = time.monotonic()
            await asyncio.gather(*(write(n) for n in range(people)))
            deadline = time.monotonic() + 10 * people / RATE + 30
            while time.monotonic() < deadline:
                state = await platform_state(http, api)
                sent = [c for c in state["calls"] if c["method"] == "sendMessage"]
                if len({c["params"]["chat_id"] for c in sent}) >= people:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)
            state = await platform_state(http, api)
    finally:
        bot.terminate()
        await bot.wait()
        fake.terminate()
        await fake.wait()
    sent = [c for c in state["calls"] if c["method"] == "sendMessage"]
    first: dict[int, float] = {}
    for call in sorted(sent, key=lambda c: c["at"]):
        first.setdefault(int(call["params"]["chat_id"]), float(call["at"]) - asked)
    copies = collections.Counter(int(c["params"]["chat_id"]) for c in sent)
    waits = list(first.values())
    ideal = [(k + 1) / RATE for k in range(people)]
    print(
        f"  {people} replies at once ({people / RATE:.0f} s of the budget): "
        f"{people - len(first)} never came, {sum(n - 1 for n in copies.values())} duplicates, "
        f"{state['too_many']} × 429"
    )
    print(
        f"  wait for a reply: p50 {percentile(waits, 0.5):5.1f} s, p99 "
        f"{percentile(waits, 0.99):5.1f} s, last {max(waits):5.1f} s"
    )
    print(
        f"  baseline (k-th at k/{RATE} s): p50 {percentile(ideal, 0.5):5.1f} s, p99 "
        f"{percentile(ideal, 0.99):5.1f} s, last {max(ideal):5.1f} s"
    )


async def main(people: int) -> None:
    async with bench_schema() as (schema, _):
        print(f"a burst of replies at 10 × Telegram's {RATE}/s (target: 0 never came, 0 twice)")
        await burst(schema, people)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10 * RATE))
