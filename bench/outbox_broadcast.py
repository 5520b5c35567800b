"""A broadcast through the outbox, and finding due rows among a million scheduled reminders.

1. Broadcasts through one ``asesorbot worker`` process with its Telegram rate set to the
   platform's limit (and ``OUTBOX_CONCURRENCY`` to twice it, as the README advises; the default
   batch size), against the fake Bot API server (tests/fakes/telegram.py) enforcing that
   limit over any one-second window and Telegram's one message a second per chat (beyond either:
   429): one message per person, three per person, and one long message (over 4096 characters,
   two parts) per person; at the free 30/s and the paid 1,000/s. Prints messages/s as a fraction
   of the limit (target >= 0.95): sustained, from the first arrival to the last, and beside it
   the completion time against the fastest the platform allows (a window's worth at once);
   429s received (target 0), duplicates (target 0).
2. 1,000,000 scheduled reminders of which 1,000 are due: the dispatcher's claim query (the
   ``SELECT … FOR UPDATE SKIP LOCKED`` of a batch) timed, with its plan (target < 50 ms).
3. A broadcast to 100,000 people half sent: counting its progress (``report_broadcasts``) timed,
   and the database time it costs each second at 1,000/s, counted every ``REPORT_SECONDS`` as
   the dispatcher does beside once per batch of the default size as it did (the baseline).

PostgreSQL (``TEST_DATABASE_URL``), in a schema of its own that is dropped afterwards.
Usage: ``python -m bench.outbox_broadcast [seconds_per_run]`` (default 20: each run queues about
that many seconds of messages at its limit).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench.postgres import DATABASE, bench_schema, connect
from bot.config import environment_names
from bot.dispatcher import REPORT_SECONDS
from storage.db import make_engine
from storage.outbox import OutboxQueue, claim_ids
from tests.fakes.telegram import FakeBotApi

TOKEN = "123456:BROADCAST"
ASESORBOT = Path(sys.executable).with_name("asesorbot")


LONG_TEXT = "\n".join(f"Baris {i} pengumuman LSP tentang jadwal uji kompetensi" for i in range(120))
"""About 6,500 characters: two Telegram messages."""


async def seed_broadcast(db: asyncpg.Connection, people: int, per_person: int, long: bool) -> None:
    """``people`` on Telegram, each with ``per_person`` announcements due now."""
    await db.execute("TRUNCATE outbox, channel_identities, persons CASCADE")
    await db.execute(
        """
        INSERT INTO persons (id, locale, locale_chosen, timezone, phone_verified, created_at,
                             updated_at)
        SELECT n, CASE WHEN n % 3 = 0 THEN 'en' ELSE 'id' END, true, 'Asia/Jakarta', false,
               now(), now()
        FROM generate_series(1, $1) AS n;
        """,
        people,
    )
    await db.execute(
        """
        INSERT INTO channel_identities (channel, external_id, person_id, step, step_data,
                                        created_at, last_active_at)
        SELECT 'telegram', (1000000 + n)::text, n, 'menu', '{}', now(), now()
        FROM generate_series(1, $1) AS n;
        """,
        people,
    )
    await db.execute(
        """
        INSERT INTO outbox (person_id, kind, params, urgent, due_at, dedupe_key, status,
                            attempts, created_at)
        SELECT 1 + (n - 1) % $1::int, 'announcement',
               json_build_object('text_id', $3::text || ' ' || n, 'text_en', $3::text || ' ' || n),
               true, now() - interval '1 minute', 'broadcast:' || n, 'pending', 0, now()
        FROM generate_series(1, $1::int * $2::int) AS n;
        """,
        people,
        per_person,
        LONG_TEXT if long else "Pengumuman LSP",
    )
    await db.execute("ANALYZE")


@contextlib.contextmanager
def frozen_heap() -> Iterator[list[float]]:
    """The fake Bot API runs in this process and stamps each message when it reads it. A full
    pass of this process's garbage collector over everything the bench has built (70 ms was
    seen) stamps the messages that arrive meanwhile late and together, and the fake counts a
    burst the worker never sent (1–3 × 429 a run). The heap as it is before the run is frozen
    out of the collector's passes (``gc.freeze``, as ``asesorbot`` does after start-up); the
    collector's pauses during the run are measured and yielded (seconds), for the report."""
    pauses: list[float] = []
    started: list[float] = []

    def measure(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append(time.perf_counter() - started[0])

    gc.collect()
    gc.freeze()
    gc.callbacks.append(measure)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(measure)
        gc.unfreeze()


async def broadcast(schema: str, label: str, limit: int, expected: int) -> None:
    api = FakeBotApi(TOKEN, rate_limit=limit)
    api.per_chat_seconds = 1.0  # Telegram's rule for one chat
    await api.start()
    env = {k: v for k, v in os.environ.items() if k not in environment_names()}
    env.update(
        DATABASE_URL=DATABASE, DATABASE_SCHEMA=schema, BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=api.base_url, LOG_LEVEL="ERROR",
        OUTBOX_TELEGRAM_RATE=str(limit), OUTBOX_TELEGRAM_PER_CHAT_SECONDS="1",
        OUTBOX_CONCURRENCY=str(max(32, 2 * limit)),
    )  # fmt: skip
    started = time.perf_counter()
    with frozen_heap() as pauses:
        worker = await asyncio.create_subprocess_exec(
            str(ASESORBOT), "worker", "--until-idle", env=env, cwd=tempfile.gettempdir(),
            stdin=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await worker.wait()
    wall = time.perf_counter() - started
    await api.close()
    sends = [c for c in api.calls if c.method == "sendMessage"]
    arrivals = sorted(c.at for c in sends)
    copies = collections.Counter((c.params["chat_id"], c.params["text"]) for c in sends)
    duplicates = sum(n - 1 for n in copies.values())
    # Sustained: the rate between the first arrival and the last. Completion: against the
    # fastest the platform allows, a full window at once every second, so that n messages need
    # (n/limit - 1) s; evenly spaced slots give up that one second once per broadcast.
    span = arrivals[-1] - arrivals[0]
    sustained = (len(arrivals) - 1) / span
    completion = len(arrivals) / (span + 1.0)
    print(
        f"  {label:<24} {len(sends):>6} of {expected} messages in {wall:5.1f} s: "
        f"sustained {sustained / limit:.3f} of the limit (completion {completion / limit:.3f}), "
        f"{api.too_many} × 429 ({api.too_many_chat} per chat), {duplicates} duplicates; "
        f"the fake's collector: {max(pauses, default=0) * 1000:.0f} ms longest pause"
    )


async def due_query(schema: str, total: int, due: int) -> None:
    db = await connect()
    try:
        await db.execute(f'SET search_path TO "{schema}"')
        await db.execute("TRUNCATE outbox")
        await db.execute(
            """
            INSERT INTO outbox (person_id, kind, params, urgent, due_at, dedupe_key, status,
                                attempts, created_at)
            SELECT 1 + n % 1000, 'renewal_reminder',
                   json_build_object('certificate', 'C' || n, 'request_by_on', '2029-01-01'),
                   false,
                   CASE WHEN n <= $2 THEN now() - interval '1 minute'
                        ELSE now() + (n % 1000) * interval '1 day' END,
                   'bench:' || n,
                   CASE WHEN n % 10 = 0 AND n > $2 THEN 'sent' ELSE 'pending' END, 0, now()
            FROM generate_series(1, $1) AS n;
            """,
            total,
            due,
        )
        await db.execute("ANALYZE outbox")
    finally:
        await db.close()
    engine = make_engine(DATABASE, search_path=schema)
    try:
        timings = []
        async with engine.connect() as connection:
            params = {"now": datetime.now(UTC), "batch": 500, "mine": []}
            for _ in range(30):
                started = time.perf_counter()
                async with connection.begin():
                    rows = (await connection.execute(claim_ids(True), params)).all()
                timings.append((time.perf_counter() - started) * 1000)
        db = await connect()
        await db.execute(f'SET search_path TO "{schema}"')
        plan = await db.fetch(
            "EXPLAIN (ANALYZE, COSTS OFF) SELECT id FROM outbox "
            "WHERE status IN ('pending', 'failed') AND due_at <= $1 "
            "ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            datetime.now(UTC) + timedelta(seconds=1),
            500,
        )
        await db.close()
    finally:
        await engine.dispose()
    print(f"due rows among {total:,} scheduled ({due:,} due): claim query for a batch of 500")
    print(
        f"  {len(rows)} rows, median {statistics.median(timings):.2f} ms, "
        f"max {max(timings):.2f} ms over {len(timings)} runs (target < 50 ms; the first, "
        f"cold: {timings[0]:.2f} ms)"
    )
    print("  plan: " + " | ".join(str(r[0]).strip() for r in plan[:4]))


async def progress_count(schema: str, db: asyncpg.Connection, total: int) -> None:
    await db.execute("TRUNCATE outbox, broadcasts, channel_identities, persons CASCADE")
    await db.execute(
        """
        INSERT INTO persons (id, locale, locale_chosen, timezone, phone_verified, created_at,
                             updated_at)
        SELECT n, 'id', true, 'Asia/Jakarta', false, now(), now()
        FROM generate_series(1, $1) AS n;
        INSERT INTO broadcasts (id, segment, text_id, text_en, total, created_at, progress_sent)
        VALUES (1, 'all', 'x', 'x', $1, now(), true);
        INSERT INTO outbox (person_id, kind, params, urgent, due_at, dedupe_key, subject, status,
                            attempts, created_at)
        SELECT n, 'announcement', '{}', false, now(), 'bench:' || n, 'broadcast:1',
               CASE WHEN n % 2 = 0 THEN 'sent' ELSE 'pending' END, 0, now()
        FROM generate_series(1, $1) AS n;
        ANALYZE outbox;
        """.replace("$1", str(total))
    )
    engine = make_engine(DATABASE, search_path=schema)
    try:
        queue, timings = OutboxQueue(engine), []
        for _ in range(10):
            started = time.perf_counter()
            await queue.report_broadcasts(datetime.now(UTC))
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    median = statistics.median(timings)
    per_batch = 1000 / 200  # claims a second at 1,000/s with the default batch of 200
    print(f"progress of a broadcast to {total:,} (half sent), counted by report_broadcasts")
    print(
        f"  median {median:.1f} ms, max {max(timings):.1f} ms; at 1,000/s: "
        f"{median / REPORT_SECONDS:.0f} ms of the database a second, counted every "
        f"{REPORT_SECONDS:g} s (baseline, once per batch of 200: {median * per_batch:.0f} ms)"
    )


async def main(seconds: int) -> None:
    async with bench_schema() as (schema, db):
        print("broadcasts (target: >= 0.950 of the limit, 0 × 429, 0 duplicates)")
        for limit in (30, 1000):
            print(f" at {limit}/s, one message a second per chat:")
            for label, per_person, long in (
                ("one per person", 1, False),
                ("three per person", 3, False),
                ("one long (2 parts) each", 1, True),
            ):
                parts = per_person * (2 if long else 1)
                people = max(1, limit * seconds // parts)
                await seed_broadcast(db, people, per_person, long)
                await broadcast(schema, label, limit, people * parts)
        await due_query(schema, 1_000_000, 1_000)
        await progress_count(schema, db, 100_000)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
