"""The outbox dispatcher against the fake Bot API and Graph API servers: wording at send time,
quiet hours, rates and 429s, blocked chats and the other channel, back-off and dead rows, leases;
on PostgreSQL two worker processes, and a worker killed mid-batch."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import _Sending
from bot.config import environment_names, load_settings
from bot.dispatcher import Dispatcher, build_dispatcher
from bot.factory import App, build_app
from bot.server import build_web_app
from domain import schedule
from scheme.model import Rules
from storage import migrate
from storage.db import make_engine
from storage.models import ChannelIdentityRow, OutboxRow, PersonRow
from tests.bot.telegram_rig import TOKEN
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.telegram import FakeBotApi
from tests.fakes.whatsapp import FakeGraphApi

DAYTIME = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 10:00 WIB, 12:00 WIT
ASESORBOT = Path(sys.executable).with_name("asesorbot")


@dataclass
class Rig:
    app: App
    api: FakeBotApi
    engine: AsyncEngine
    clock: list[datetime]

    def dispatcher(self) -> Dispatcher:
        dispatcher = build_dispatcher(self.app, clock=lambda: self.clock[0])
        assert dispatcher is not None
        return dispatcher

    async def drain(self) -> None:
        dispatcher = self.dispatcher()
        try:
            await dispatcher.sweep()
            await dispatcher.run(asyncio.Event(), until_idle=True)
        finally:
            await dispatcher.close()

    async def rows(self, sql: str) -> list[Any]:
        async with self.engine.connect() as connection:
            return list(await connection.execute(text(sql)))


async def make_rig(engine, clean_env, api: FakeBotApi, **env: str) -> Rig:  # type: ignore[no-untyped-def]
    clean_env.setenv("BOT_TOKEN", TOKEN)
    clean_env.setenv("TELEGRAM_API_BASE", api.base_url)
    for name, value in env.items():
        clean_env.setenv(name, value)
    settings = load_settings(env_file=None)
    await migrate.upgrade(engine)
    app = await build_app(settings, engine=engine)
    return Rig(app, api, engine, [DAYTIME])


@pytest.fixture
async def rig(engine, clean_env, bot_api: FakeBotApi) -> Rig:  # type: ignore[no-untyped-def]
    return await make_rig(engine, clean_env, bot_api, OUTBOX_TELEGRAM_PER_CHAT_SECONDS="0")


async def people(
    engine: AsyncEngine,
    count: int,
    *,
    locale: str = "id",
    zone: str = "Asia/Jakarta",
    channels: tuple[str, ...] = ("telegram",),
    first: int = 100_000,
) -> list[int]:
    """``count`` people, each reachable on ``channels`` (chat id / number from ``first``)."""
    now = datetime.now(UTC)
    person = {
        "locale": locale, "locale_chosen": True, "timezone": zone, "created_at": now,
        "updated_at": now, "phone_verified": False,
    }  # fmt: skip
    async with engine.begin() as connection:
        result = await connection.execute(
            insert(PersonRow).returning(PersonRow.id, sort_by_parameter_order=True),
            [person] * count,
        )
        ids = list(result.scalars())
        await connection.execute(
            insert(ChannelIdentityRow),
            [
                {
                    "channel": channel,
                    "external_id": str(first + n) if channel == "telegram" else f"62811{first + n}",
                    "person_id": person,
                    "step": "menu",
                    "step_data": {},
                    "created_at": now,
                    "last_active_at": now - timedelta(days=2),
                }
                for n, person in enumerate(ids)
                for channel in channels
            ],
        )
    return ids


async def queue(engine: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    now = datetime.now(UTC)
    defaults = {"status": "pending", "attempts": 0, "urgent": False, "created_at": now}
    async with engine.begin() as connection:
        await connection.execute(insert(OutboxRow), [{**defaults, **row} for row in rows])


def announcement(person: int, n: int, due: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "person_id": person, "kind": "announcement", "due_at": due,
        "params": {"text_id": f"Pengumuman {n}", "text_en": f"Announcement {n}"},
        "dedupe_key": f"announcement:{n}", **extra,
    }  # fmt: skip


def planned_row(person: int, planned: schedule.Planned) -> dict[str, Any]:
    return {
        "person_id": person, "kind": planned.notice.kind, "params": dict(planned.notice.params),
        "due_at": planned.due_at, "dedupe_key": planned.dedupe_key,
        "subject": planned.subject and str(planned.subject), "urgent": planned.notice.urgent,
    }  # fmt: skip


async def test_due_messages_go_once_worded_for_each_recipient(rig: Rig) -> None:
    [wib] = await people(rig.engine, 1, first=1)
    [wit] = await people(rig.engine, 1, locale="en", zone="Asia/Jayapura", first=2)
    decided = DAYTIME - timedelta(minutes=5)
    rows = [planned_row(p, schedule.decision(f"AK-{p}", "decided_competent", decided, Rules())[0])
            for p in (wib, wit)]  # fmt: skip
    rows.append(
        planned_row(wib, schedule.status_changed("AK-9", "accepted", DAYTIME + timedelta(hours=1)))
    )
    await queue(rig.engine, rows)
    await rig.drain()
    texts = {m["chat_id"]: m["text"] for m in rig.api.sent()}
    assert "Kamis, 26 November 2026 pukul 23.59 WIB" in texts[1]
    assert "Diputuskan Kompeten" in texts[1]
    assert "Friday, 27 November 2026 at 01:59 WIT" in texts[2]
    assert "Decided competent" in texts[2]
    assert len(rig.api.sent()) == 2  # the status notice is due in an hour
    statuses = await rig.rows(
        "SELECT status, sent_via, platform_message_id FROM outbox ORDER BY id"
    )
    assert [s[0] for s in statuses] == ["sent", "sent", "pending"]
    assert all(s[1] == "telegram" and s[2] for s in statuses[:2])
    await rig.drain()
    assert len(rig.api.sent()) == 2  # nothing twice
    rig.clock[0] = DAYTIME + timedelta(hours=2)
    await rig.drain()
    assert "sekarang Diterima sebagai peserta sertifikasi" in rig.api.sent()[-1]["text"]


async def test_quiet_hours_hold_what_can_wait(rig: Rig) -> None:
    [person] = await people(rig.engine, 1)
    rig.clock[0] = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 22:00 WIB
    decided = rig.clock[0] - timedelta(minutes=1)
    await queue(rig.engine, [
        planned_row(person, schedule.decision("AK-1", "decided_not_yet", decided, Rules())[0]),
        planned_row(person, schedule.status_changed("AK-2", "accepted", decided)),
    ])  # fmt: skip
    await rig.drain()
    [sent] = rig.api.sent()
    assert "banding" in sent["text"]  # the appeal deadline does not wait for morning
    [(status, due, attempts)] = await rig.rows(
        "SELECT status, due_at, attempts FROM outbox WHERE kind = 'status_changed'"
    )
    assert status == "pending"
    assert attempts == 0
    assert str(due).startswith("2026-11-26 00:00")  # 07:00 WIB


async def test_429_pauses_the_channel_and_the_rate_holds_in_every_second(
    engine, clean_env, bot_api: FakeBotApi
) -> None:  # type: ignore[no-untyped-def]
    rig = await make_rig(
        engine, clean_env, bot_api, OUTBOX_TELEGRAM_RATE="10", OUTBOX_TELEGRAM_PER_CHAT_SECONDS="0"
    )
    persons = await people(rig.engine, 30)
    await queue(
        rig.engine, [announcement(p, n, DAYTIME, urgent=True) for n, p in enumerate(persons)]
    )
    bot_api.rate_limit = 10  # the platform's own flood control, as strict as ours
    bot_api.fail_next.append(("sendMessage", 429, {"retry_after": 1}))
    dispatcher = build_dispatcher(rig.app)  # one worker, running on, with the real clock
    assert dispatcher is not None
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    try:
        async with asyncio.timeout(30):
            while len(await rig.rows("SELECT id FROM outbox WHERE status = 'sent'")) < 30:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await running
        await dispatcher.close()
    arrivals = sorted(c.at for c in bot_api.calls if c.method == "sendMessage")
    busiest = max(sum(1 for t in arrivals if a <= t < a + 1.0) for a in arrivals)
    assert busiest <= 10, f"{busiest} messages in one second"
    assert bot_api.too_many == 0
    chats = collections.Counter(m["chat_id"] for m in bot_api.sent())
    assert len(chats) == 30
    assert max(chats.values()) == 2  # the one refused with 429, then the same again


async def test_a_blocked_chat_is_marked_and_the_other_channel_is_tried(
    engine, clean_env, bot_api: FakeBotApi
) -> None:  # type: ignore[no-untyped-def]
    graph = FakeGraphApi("wa-token", "1065")
    await graph.start()
    try:
        rig = await make_rig(
            engine, clean_env, bot_api,
            WHATSAPP_TOKEN="wa-token", WHATSAPP_PHONE_ID="1065", WHATSAPP_APP_SECRET="s",
            WHATSAPP_VERIFY_TOKEN="v", WHATSAPP_API_BASE=graph.base_url,
            OUTBOX_TELEGRAM_PER_CHAT_SECONDS="0",
        )  # fmt: skip
        [both] = await people(rig.engine, 1, channels=("telegram", "whatsapp"), first=7)
        [only] = await people(rig.engine, 1, first=8)
        bot_api.blocked |= {"7", "8"}
        await queue(
            rig.engine,
            [announcement(p, n, DAYTIME, urgent=True) for n, p in enumerate((both, only), 1)],
        )
        await rig.drain()
        [wa] = graph.sent
        assert wa.body["type"] == "template"  # outside the 24-hour window
        assert wa.body["template"]["name"] == "asesorbot_announcement"
        rows = await rig.rows("SELECT status, sent_via, last_error FROM outbox ORDER BY id")
        assert rows[0][:2] == ("sent", "whatsapp")
        assert rows[1][0] == "dead"
        assert "unreachable" in rows[1][2]
        unreachable = await rig.rows(
            "SELECT external_id FROM channel_identities WHERE unreachable_at IS NOT NULL "
            "ORDER BY external_id"
        )
        assert [u[0] for u in unreachable] == ["7", "8"]
        assert graph.violations == []
    finally:
        await graph.close()


async def test_transient_failures_back_off_then_the_row_is_dead(
    engine, clean_env, bot_api: FakeBotApi
) -> None:  # type: ignore[no-untyped-def]
    rig = await make_rig(engine, clean_env, bot_api, OUTBOX_MAX_ATTEMPTS="2")
    [person] = await people(rig.engine, 1)
    await queue(rig.engine, [announcement(person, 1, DAYTIME, urgent=True)])
    bot_api.fail_next += [("sendMessage", 502, {}), ("sendMessage", 502, {})]
    await rig.drain()
    [(status, attempts, due)] = await rig.rows("SELECT status, attempts, due_at FROM outbox")
    assert (status, attempts) == ("failed", 1)
    assert str(due).startswith("2026-11-25 03:00:30")  # 30 s later
    rig.clock[0] = DAYTIME + timedelta(minutes=1)
    await rig.drain()
    [(status, attempts, error)] = await rig.rows("SELECT status, attempts, last_error FROM outbox")
    assert (status, attempts) == ("dead", 2)
    assert "502" in error


async def test_a_lease_that_ran_out_goes_back_to_pending(rig: Rig) -> None:
    [person] = await people(rig.engine, 1)
    await queue(rig.engine, [announcement(
        person, 1, DAYTIME, urgent=True, status="sending", attempts=1,
        lease_until=DAYTIME - timedelta(seconds=1),
    )])  # fmt: skip
    await rig.drain()
    assert len(rig.api.sent()) == 1
    [(status, attempts)] = await rig.rows("SELECT status, attempts FROM outbox")
    assert (status, attempts) == ("sent", 2)


def long_announcement(person: int, n: int, due: datetime, lines: int = 250) -> dict[str, Any]:
    """An announcement of about 7,000 characters: two Telegram messages."""
    text = "\n".join(f"Baris {i} pengumuman {n}" for i in range(lines))
    return {
        **announcement(person, n, due, urgent=True),
        "params": {"text_id": text, "text_en": text},
    }


async def test_a_long_message_goes_in_parts_each_once_under_the_per_chat_limit(
    engine, clean_env, bot_api: FakeBotApi
) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, item 3: the second part used to hit the per-chat limit, and its retry resent
    the first, without end. Now the parts are one unit, spaced for the chat with a margin."""
    rig = await make_rig(engine, clean_env, bot_api, OUTBOX_TELEGRAM_RATE="30")
    bot_api.rate_limit, bot_api.per_chat_seconds = 30, 1.0  # Telegram's own limits
    persons = await people(rig.engine, 12)
    await queue(rig.engine, [long_announcement(p, n, DAYTIME) for n, p in enumerate(persons)])
    await rig.drain()
    assert bot_api.too_many == 0
    sent = collections.Counter((m["chat_id"], m["text"][:40]) for m in bot_api.sent())
    assert len(sent) == 24, "two parts each"
    assert set(sent.values()) == {1}, "none twice"
    rows = await rig.rows("SELECT status, attempts, parts_sent FROM outbox")
    assert set(rows) == {("sent", 1, 2)}
    assert bot_api.violations == []


async def test_overlapping_batches_keep_each_persons_messages_in_order(
    engine, clean_env, bot_api: FakeBotApi
) -> None:  # type: ignore[no-untyped-def]
    """The next batch is claimed while the last one's people still wait for their chats; a
    person's rows in it wait for their rows in the earlier one. Batches of two rows, four
    people at a time (so two rows of one person would otherwise be sent side by side): each
    person's five messages arrive in order, none refused for the chat's spacing, once."""
    rig = await make_rig(
        engine, clean_env, bot_api, OUTBOX_TELEGRAM_PER_CHAT_SECONDS="0.2",
        OUTBOX_BATCH_SIZE="2", OUTBOX_CONCURRENCY="4",
    )  # fmt: skip
    bot_api.per_chat_seconds = 0.2
    persons = await people(rig.engine, 3)
    base = DAYTIME - timedelta(minutes=10)
    await queue(
        rig.engine,
        [
            announcement(p, 10 * k + i, base + timedelta(seconds=3 * k + i))
            for k in range(5)
            for i, p in enumerate(persons)
        ],
    )
    await rig.drain()
    assert bot_api.too_many == 0
    by_chat: dict[int, list[str]] = collections.defaultdict(list)
    for message in bot_api.sent():
        by_chat[message["chat_id"]].append(message["text"])
    assert len(by_chat) == 3
    for i in range(3):
        assert by_chat[100_000 + i] == [f"📢 Pengumuman {10 * k + i}" for k in range(5)]
    assert set(await rig.rows("SELECT status FROM outbox")) == {("sent",)}


async def test_a_429_between_parts_resumes_after_the_part_already_sent(rig: Rig) -> None:
    """A chat that refuses the second part for longer than the retries in place: the row waits
    with its progress, and its next attempt sends only the second part. Every attempt counts."""
    [person] = await people(rig.engine, 1)
    await queue(rig.engine, [long_announcement(person, 1, DAYTIME)])
    rig.api.per_chat_seconds = 60.0  # stricter than the dispatcher was told
    await rig.drain()
    assert rig.api.too_many == 4  # the first refusal and three retries in place
    [(status, attempts, parts, error)] = await rig.rows(
        "SELECT status, attempts, parts_sent, last_error FROM outbox"
    )
    assert (status, attempts, parts) == ("failed", 1, 1)
    assert error.startswith("429")
    rig.api.per_chat_seconds = None
    rig.clock[0] = DAYTIME + timedelta(hours=1)
    await rig.drain()
    first, second = (m["text"] for m in rig.api.sent())  # refused calls are not recorded
    assert first.startswith("📢 Baris 0 ")
    assert not second.startswith("📢")
    [(status, attempts, parts)] = await rig.rows("SELECT status, attempts, parts_sent FROM outbox")
    assert (status, attempts, parts) == ("sent", 2, 2)

    beat = time.monotonic() - 2.5  # the dispatcher's loop last came round 2.5 s ago
    server = TestServer(build_web_app(rig.app, outbox_heartbeat=lambda: beat))
    async with TestClient(server) as client:  # what an operator's Prometheus scrapes
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        page = await response.text()
    figures = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in page.splitlines()
        if line and not line.startswith("#")
    }
    assert figures['asesorbot_outbox_sends_total{channel="telegram",outcome="sent"}'] == 2
    assert figures['asesorbot_platform_429_total{channel="telegram",source="outbox"}'] == 4
    assert figures['asesorbot_outbox_rows{state="sent"}'] == 1
    assert figures['asesorbot_outbox_rows{state="pending"}'] == 0
    assert figures["asesorbot_outbox_oldest_due_age_seconds"] == 0
    assert figures["asesorbot_object_deletions_waiting"] == 0
    assert 2.5 <= figures["asesorbot_dispatcher_heartbeat_age_seconds"] < 10


async def test_a_draft_left_for_three_days_gets_one_reminder(rig: Rig) -> None:
    [person] = await people(rig.engine, 1, first=5)
    old = DAYTIME - timedelta(days=4)
    async with rig.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO applications (person_id, scheme_code, state, eligibility, apl01, "
                "apl02, created_at, updated_at) VALUES (:p, 'x', 'draft', '{}', '{}', '{}', :t, :t)"
            ),
            {"p": person, "t": old},
        )
    await rig.drain()
    await rig.drain()
    [message] = rig.api.sent()
    assert "21 November 2026" in message["text"]
    assert len(await rig.rows("SELECT id FROM outbox")) == 1


# --- several processes on PostgreSQL ---------------------------------------------------------


async def current_schema(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        return str((await connection.execute(text("SELECT current_schema()"))).scalar_one())


async def worker(
    engine: AsyncEngine, api: FakeBotApi | str, tmp_path: Path, **env: str
) -> asyncio.subprocess.Process:
    """``asesorbot worker --until-idle`` on the test's database, sending to ``api`` (a fake,
    or the URL of one in a process of its own)."""
    variables = {k: v for k, v in os.environ.items() if k not in environment_names()}
    variables.update(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        DATABASE_SCHEMA=await current_schema(engine),
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=api if isinstance(api, str) else api.base_url,
        LOG_LEVEL="WARNING",
        OUTBOX_TELEGRAM_RATE="5000",
        OUTBOX_TELEGRAM_PER_CHAT_SECONDS="0",
    )
    variables.update(env)
    return await asyncio.create_subprocess_exec(
        str(ASESORBOT), "worker", "--until-idle", cwd=tmp_path, env=variables,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def finished(process: asyncio.subprocess.Process) -> None:
    assert process.stderr is not None
    errors = await process.stderr.read()
    assert await asyncio.wait_for(process.wait(), 120) == 0, errors.decode()[-2000:]


async def wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_two_worker_processes_send_2000_messages_exactly_once(
    engine, clean_env, bot_api: FakeBotApi, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    await migrate.upgrade(engine)
    persons = await people(engine, 2000)
    await queue(engine, [announcement(p, n, DAYTIME, urgent=True) for n, p in enumerate(persons)])
    workers = [await worker(engine, bot_api, tmp_path, OUTBOX_BATCH_SIZE="50") for _ in range(2)]
    for process in workers:
        await finished(process)
    chats = collections.Counter(m["chat_id"] for m in bot_api.sent())
    assert len(chats) == 2000
    assert set(chats.values()) == {1}
    async with engine.connect() as connection:
        statuses = dict(
            (
                await connection.execute(
                    text("SELECT status, count(*) FROM outbox GROUP BY status")
                )
            ).all()
        )
    assert statuses == {"sent": 2000}


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_a_worker_killed_mid_batch_loses_nothing(
    engine, clean_env, bot_api: FakeBotApi, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    await migrate.upgrade(engine)
    persons = await people(engine, 2000)
    await queue(engine, [announcement(p, n, DAYTIME, urgent=True) for n, p in enumerate(persons)])
    batch = 100
    settings = {"OUTBOX_BATCH_SIZE": str(batch), "OUTBOX_LEASE_SECONDS": "2"}
    bot_api.delay = 0.005
    doomed = await worker(engine, bot_api, tmp_path, OUTBOX_CONCURRENCY="8", **settings)
    await wait_until(lambda: len(bot_api.sent()) >= 300)
    doomed.send_signal(signal.SIGKILL)
    await doomed.wait()
    killed_at = len(bot_api.sent())
    bot_api.delay = 0.0
    await asyncio.sleep(2.5)  # the killed worker's lease runs out
    await finished(await worker(engine, bot_api, tmp_path, **settings))
    chats = collections.Counter(m["chat_id"] for m in bot_api.sent())
    assert len(chats) == 2000, "every message was sent"
    duplicated = sum(count - 1 for count in chats.values())
    # Only what the killed worker had sent but not yet recorded can go twice: each of its
    # sending slots records a message before it sends the next, so at most its concurrency.
    assert duplicated <= 8, f"{duplicated} duplicates (killed after {killed_at} sends)"
    print(f"killed after {killed_at} sends; {duplicated} sent twice")


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_the_dispatcher_waits_out_a_database_outage_and_sends_everything_after(
    engine, clean_env, bot_api: FakeBotApi, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, item 2: the database cut off (every connection closed, new ones refused) while
    the dispatcher runs: it neither ends nor spins, logs the outage once and its end once, and
    sends everything due once the database is back."""
    await migrate.upgrade(engine)
    async with engine.connect() as connection:
        schema = (await connection.execute(text("SELECT current_schema()"))).scalar_one()
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = make_engine(url.set(port=proxy.port), search_path=schema, pool_size=5)
    rig = await make_rig(proxied, clean_env, bot_api, OUTBOX_POLL_SECONDS="0.05")
    dispatcher = rig.dispatcher()
    stop = asyncio.Event()
    caplog.set_level("WARNING", logger="bot.dispatcher")
    running = asyncio.create_task(dispatcher.run(stop))
    try:
        await asyncio.sleep(0.3)  # connected and idle
        proxy.cut()
        persons = await people(engine, 30)  # queued meanwhile, straight to the database
        await queue(
            engine, [announcement(p, n, DAYTIME, urgent=True) for n, p in enumerate(persons)]
        )
        await asyncio.sleep(3)
        assert not running.done(), "the dispatcher ended during the outage"
        assert bot_api.sent() == []
        assert dispatcher.alive()
        proxy.restore()
        await wait_until(lambda: len(bot_api.sent()) == 30, seconds=30)
    finally:
        stop.set()
        await running
        await dispatcher.close()
        await rig.app.aclose()
        await proxied.dispose()
        await proxy.close()
    chats = collections.Counter(m["chat_id"] for m in bot_api.sent())
    assert len(chats) == 30
    assert set(chats.values()) == {1}
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.dispatcher"]
    assert messages.count("outbox: database unavailable, waiting for it") == 1
    assert messages.count("outbox: database back") == 1


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_a_database_outage_mid_broadcast_sends_nobody_anything_twice(
    engine, clean_env, bot_api: FakeBotApi, postgres_url: str
) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, item 1: the drill that once sent 205 of 322 people a broadcast twice. The
    database is cut off mid-broadcast: what was sent is held and recorded when it is back,
    nothing more is sent meanwhile than was in flight, and nothing is sent twice."""
    await migrate.upgrade(engine)
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = make_engine(
        url.set(port=proxy.port), search_path=await current_schema(engine), pool_size=5
    )
    rig = await make_rig(
        proxied, clean_env, bot_api, OUTBOX_POLL_SECONDS="0.05", OUTBOX_CONCURRENCY="8",
        OUTBOX_TELEGRAM_RATE="1000",
    )  # fmt: skip
    persons = await people(engine, 320)
    await queue(engine, [announcement(p, n, DAYTIME, urgent=True) for n, p in enumerate(persons)])
    bot_api.delay = 0.01
    dispatcher = rig.dispatcher()
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    try:
        await wait_until(lambda: len(bot_api.sent()) >= 80)
        proxy.cut()
        at_cut = len(bot_api.sent())
        await asyncio.sleep(3)
        during = len(bot_api.sent()) - at_cut
        assert during <= 8, f"{during} sent while the database was away"
        assert not running.done()
        proxy.restore()
        await wait_until(lambda: len(bot_api.sent()) >= 320, seconds=60)
        await wait_until_true(
            lambda: rig.rows("SELECT id FROM outbox WHERE status <> 'sent'"), empty=True
        )
    finally:
        stop.set()
        await running
        await dispatcher.close()
        await rig.app.aclose()
        await proxied.dispose()
        await proxy.close()
    chats = collections.Counter(m["chat_id"] for m in bot_api.sent())
    assert len(chats) == 320
    assert sum(n - 1 for n in chats.values()) == 0, "nobody got it twice"
    print(f"cut after {at_cut} sends; {during} more in flight; 0 duplicates")


async def wait_until_true(
    query: Callable[[], Awaitable[list[Any]]], *, empty: bool, seconds: float = 30
) -> None:
    async with asyncio.timeout(seconds):
        while bool(await query()) == empty:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_two_workers_with_batches_longer_than_the_lease_send_each_message_once(
    engine, clean_env, bot_api: FakeBotApi, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, item 1: leases that were never renewed let a second worker take rows the
    first was still sending (57 of 290 twice). Each batch here takes about twice the lease."""
    await migrate.upgrade(engine)
    persons = await people(engine, 300)
    await queue(engine, [announcement(p, n, DAYTIME, urgent=True) for n, p in enumerate(persons)])
    bot_api.delay = 0.03
    settings = {
        "OUTBOX_BATCH_SIZE": "150", "OUTBOX_LEASE_SECONDS": "0.6", "OUTBOX_CONCURRENCY": "4",
        "OUTBOX_POLL_SECONDS": "0.05",
    }  # fmt: skip
    workers = [await worker(engine, bot_api, tmp_path, **settings) for _ in range(2)]
    for process in workers:
        await finished(process)
    chats = collections.Counter(m["chat_id"] for m in bot_api.sent())
    assert len(chats) == 300
    assert sum(n - 1 for n in chats.values()) == 0


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_a_dispatcher_that_ends_by_itself_is_never_silent(
    engine, clean_env, bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    """Inside `run`: the process is told to stop (exit 1, so its supervisor restarts it), the
    log says why, and /healthz answers 503 "outbox: stopped" until then."""
    rig = await make_rig(engine, clean_env, bot_api)

    class Broken:
        async def run(self, stop: asyncio.Event) -> None:
            raise RuntimeError("a bug")

        def alive(self) -> bool:
            return True

        async def close(self) -> None:
            return None

    stop = asyncio.Event()
    sending = _Sending(Broken(), stop)  # type: ignore[arg-type]
    async with asyncio.timeout(5):
        await stop.wait()
    assert not sending.alive()
    assert any(r.getMessage().startswith("outbox dispatcher stopped") for r in caplog.records)
    server = TestServer(build_web_app(rig.app, outbox_alive=sending.alive))
    async with TestClient(server) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["outbox"] == "stopped"
    assert await sending.finish() is True
    await rig.app.aclose()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_two_workers_keep_each_chats_spacing_and_order(
    engine, clean_env, bot_api: FakeBotApi, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, item 3: the per-chat spacing was kept in each process, so two workers could
    claim one person's rows side by side and send them a few milliseconds apart (refused for
    the chat) or out of order. A person's rows now go through one worker at a time, and the
    next worker waits out the chat's spacing from the last message the person was sent."""
    await migrate.upgrade(engine)
    persons = await people(engine, 12)
    base = DAYTIME - timedelta(minutes=10)
    await queue(
        engine,
        [
            announcement(p, 100 * k + i, base + timedelta(seconds=k), urgent=True)
            for k in range(4)
            for i, p in enumerate(persons)
        ],
    )
    bot_api.per_chat_seconds = 0.5
    settings = {
        "OUTBOX_BATCH_SIZE": "6", "OUTBOX_CONCURRENCY": "4", "OUTBOX_POLL_SECONDS": "0.05",
        "OUTBOX_TELEGRAM_PER_CHAT_SECONDS": "0.5",
    }  # fmt: skip
    workers = [await worker(engine, bot_api, tmp_path, **settings) for _ in range(2)]
    for process in workers:
        await finished(process)
    by_chat: dict[int, list[str]] = collections.defaultdict(list)
    for message in bot_api.sent():
        by_chat[message["chat_id"]].append(message["text"])
    assert bot_api.too_many_chat == 0
    for i in range(12):
        assert by_chat[100_000 + i] == [f"📢 Pengumuman {100 * k + i}" for k in range(4)]
