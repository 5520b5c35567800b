"""The dispatcher: drains the outbox at each platform's rate, exactly once where it can be.

A worker claims due rows in batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers on several machines drain one outbox; a single worker on SQLite) under a lease: a row
its worker never finished goes back to pending when the lease runs out, so a crashed worker
loses nothing and at most the messages it had in flight can go out twice. Each message is
worded when it is sent, in the recipient's language and zone; non-urgent ones wait out the
recipient's quiet hours. Rates: the channel's overall rate over any one-second window, and a
minimum spacing per chat. A 429 pauses the channel for the time asked; a blocked chat is marked
unreachable and the person's other channel is tried; transient errors back off exponentially;
after the last attempt the row is ``dead``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import aiohttp
import orjson
from sqlalchemy.exc import DBAPIError

from bot.channels.common import split_text
from bot.channels.whatsapp import RATE_LIMIT_CODES, UNDELIVERABLE_CODES, GraphError, WhatsAppChannel
from bot.config import OutboxSettings, Settings
from bot.factory import App
from handlers.lapses import close_lapsed
from handlers.notices import Notice
from handlers.ports import ConnectionLost, Translator
from handlers.schedule import DRAFT_IDLE, after_quiet_hours, draft_idle
from storage.outbox import Identity, OutboxItem, OutboxQueue, Outcome, Recipient, SqlOutbox

log = logging.getLogger(__name__)

WINDOW_MARGIN = 0.05
"""Seconds added to the one-second rate window: arrival jitter on the way to the platform must
not put one message too many into any of its windows."""
BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
FLUSH_SECONDS = 0.1
SWEEP_SECONDS = 60.0
OUTAGE_FIRST_WAIT = 0.5
OUTAGE_MAX_WAIT = 10.0
"""While the database is away the loop waits this long, doubling, before it tries again."""
HEARTBEAT_MAX_AGE = 300.0
"""A loop that has not come round for this long is stuck: ``/healthz`` says so."""
TRANSIENT = (DBAPIError, OSError, ConnectionLost, TimeoutError)
"""What a database restart, a cut connection or a failover raises: waited out, never fatal."""


class RetryLater(Exception):
    """The platform asks to wait (429) before the channel sends again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Unreachable(Exception):
    """The person blocked the bot on this channel (or the number cannot receive)."""


class SendFailed(Exception):
    """Anything else; ``transient`` failures are tried again later."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class Sender(Protocol):
    """One channel's way of delivering a notice; returns the platform's message id."""

    async def send(self, external_id: str, locale: str, zone: str, notice: Notice) -> str: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ChannelLimit:
    per_second: float
    per_chat_seconds: float


class RateLimiter:
    """Per channel: at most ``per_second`` sends in any window of one second (plus a margin),
    at least ``per_chat_seconds`` between two sends to one chat, and pauses a 429 asks for."""

    def __init__(
        self, limits: Mapping[str, ChannelLimit], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limits = dict(limits)
        self._clock = clock
        self._sent: dict[str, collections.deque[float]] = {c: collections.deque() for c in limits}
        self._chat_last: dict[tuple[str, str], float] = {}
        self._paused_until: dict[str, float] = {}
        self._locks = {c: asyncio.Lock() for c in limits}

    def pause(self, channel: str, seconds: float) -> None:
        until = self._clock() + seconds
        self._paused_until[channel] = max(self._paused_until.get(channel, 0.0), until)

    async def acquire(self, channel: str, chat: str) -> None:
        limit = self._limits[channel]
        async with self._locks[channel]:  # one waiter at a time keeps the order fair
            window = 1.0 + WINDOW_MARGIN
            sent = self._sent[channel]
            capacity = max(1, int(limit.per_second))
            while True:
                now = self._clock()
                while sent and sent[0] <= now - window:
                    sent.popleft()
                waits = [
                    self._paused_until.get(channel, 0.0) - now,
                    self._chat_last.get((channel, chat), -1e9) + limit.per_chat_seconds - now,
                ]
                if len(sent) >= capacity:
                    waits.append(sent[0] + window - now)
                wait = max(waits)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            sent.append(now)
            self._chat_last[(channel, chat)] = now
            if len(self._chat_last) > 100_000:  # forget chats long quiet
                cutoff = now - 3600
                self._chat_last = {k: v for k, v in self._chat_last.items() if v > cutoff}


class TelegramSender:
    """``sendMessage`` straight over aiohttp: at broadcast rates aiogram's pydantic models for
    every request and answer cost more CPU than the rest of the dispatcher (the bench)."""

    def __init__(self, settings: Settings, translator: Translator) -> None:
        token = settings.telegram.bot_token
        assert token is not None, "Telegram needs BOT_TOKEN"
        base = str(settings.telegram.api_base or "https://api.telegram.org").rstrip("/")
        self._url = f"{base}/bot{token.get_secret_value()}/sendMessage"
        self._translator = translator
        self._http: aiohttp.ClientSession | None = None

    async def send(self, external_id: str, locale: str, zone: str, notice: Notice) -> str:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        first = ""
        for part in split_text(notice.text(self._translator, locale, zone), 4096):
            body = orjson.dumps({"chat_id": int(external_id), "text": part})
            try:
                async with self._http.post(
                    self._url, data=body, headers={"Content-Type": "application/json"}
                ) as response:
                    answer = orjson.loads(await response.read())
            except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as error:
                raise SendFailed(f"network: {error!r}") from error
            if answer.get("ok"):
                first = first or str(answer["result"]["message_id"])
                continue
            code = answer.get("error_code")
            description = str(answer.get("description", ""))
            if code == 429:
                raise RetryLater(float((answer.get("parameters") or {}).get("retry_after", 1)))
            if code == 403:
                raise Unreachable(description)
            raise SendFailed(f"{code} {description}", transient=code is None or code >= 500)
        return first

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


class WhatsAppSender:
    """Free text inside the 24-hour window, the approved template outside it."""

    def __init__(self, channel: WhatsAppChannel) -> None:
        self._channel = channel

    async def send(self, external_id: str, locale: str, zone: str, notice: Notice) -> str:
        try:
            return await self._channel.notify(external_id, locale, zone, notice)
        except GraphError as error:
            if error.code in UNDELIVERABLE_CODES:
                raise Unreachable(str(error)) from error
            if error.code in RATE_LIMIT_CODES or error.status == 429:
                raise RetryLater(5.0) from error
            raise SendFailed(
                str(error), transient=error.status in {0, 429} or error.status >= 500
            ) from error

    async def close(self) -> None:
        await self._channel.close()


class Dispatcher:
    def __init__(
        self,
        queue: OutboxQueue,
        senders: Mapping[str, Sender],
        limits: Mapping[str, ChannelLimit],
        translator: Translator,
        settings: OutboxSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        housekeeping: Callable[[datetime], Awaitable[object]] | None = None,
    ) -> None:
        self._queue = queue
        self._housekeeping = housekeeping
        self._senders = dict(senders)
        self._limiter = RateLimiter({c: limits[c] for c in senders})
        self._translator = translator
        self._settings = settings
        self._clock = clock
        self._outcomes: list[Outcome] = []
        self.heartbeat = time.monotonic()
        """When the loop last came round (monotonic seconds)."""

    # --- the loop ------------------------------------------------------------------------------

    def alive(self) -> bool:
        """The loop came round recently (``/healthz`` fails otherwise)."""
        return time.monotonic() - self.heartbeat < HEARTBEAT_MAX_AGE

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> None:
        """Drain until ``stop`` is set (or, with ``until_idle``, until nothing is due). A
        database that goes away is waited out with a growing pause, one log line when it goes
        and one when it is back; the loop never ends because of it."""
        next_sweep = 0.0
        outage_since: float | None = None
        wait = OUTAGE_FIRST_WAIT
        while not stop.is_set():
            self.heartbeat = time.monotonic()
            try:
                if time.monotonic() >= next_sweep:
                    await self.sweep()
                    next_sweep = time.monotonic() + SWEEP_SECONDS
                sent = await self.drain_once()
            except TRANSIENT as error:
                if outage_since is None:
                    outage_since = time.monotonic()
                    log.warning(
                        "outbox: database unavailable, waiting for it",
                        extra={"error": type(error).__name__},
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                wait = min(wait * 2, OUTAGE_MAX_WAIT)
                continue
            if outage_since is not None:
                seconds = round(time.monotonic() - outage_since, 1)
                log.warning("outbox: database back", extra={"seconds": seconds})
                outage_since, wait = None, OUTAGE_FIRST_WAIT
            if sent == 0:
                if until_idle:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._settings.poll_seconds)

    async def sweep(self) -> None:
        """Expired leases back to pending; reminders for drafts left idle; what time alone
        decides (lapsed appeal windows, expired certificates)."""
        now = self._clock()
        requeued = await self._queue.requeue_expired(now)
        if requeued:
            log.warning("outbox rows of a dead worker requeued", extra={"count": requeued})
        await self.schedule_idle_drafts(now)
        if self._housekeeping is not None:
            await self._housekeeping(now)

    async def schedule_idle_drafts(self, now: datetime) -> None:
        drafts = await self._queue.idle_drafts(now, DRAFT_IDLE)
        if not drafts:
            return
        async with self._queue.session() as session:
            outbox = SqlOutbox(session)
            for draft in drafts:
                planned = draft_idle(draft.id, draft.created_at.date(), draft.updated_at)
                await outbox.schedule(
                    draft.person_id,
                    planned.notice.kind,
                    planned.notice.params,
                    planned.due_at,
                    planned.dedupe_key,
                    subject=planned.subject,
                )
            await session.commit()

    async def drain_once(self) -> int:
        """One batch: claim, send (people in parallel, one person's messages in order), record.
        Returns how many rows were claimed."""
        settings = self._settings
        items = await self._queue.claim(
            self._clock(), settings.batch_size, timedelta(seconds=settings.lease_seconds)
        )
        if not items:
            return 0
        recipients = await self._queue.recipients(item.person_id for item in items)
        by_person: dict[int, list[OutboxItem]] = collections.defaultdict(list)
        for item in items:
            by_person[item.person_id].append(item)
        gate = asyncio.Semaphore(settings.concurrency)
        done = asyncio.Event()
        flusher = asyncio.create_task(self._flush_periodically(done))
        try:
            await asyncio.gather(
                *(
                    self._send_all(group, recipients.get(person), gate)
                    for person, group in by_person.items()
                )
            )
        finally:
            done.set()
            await flusher
            await self._flush()
        await self._queue.report_broadcasts(self._clock())
        return len(items)

    async def _flush_periodically(self, done: asyncio.Event) -> None:
        """Record outcomes as they come: a worker killed mid-batch re-sends only what it sent
        since the last flush (never cancelled mid-write: that would lose outcomes)."""
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), FLUSH_SECONDS)
            await self._flush()

    async def _flush(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        if outcomes:
            await self._queue.finish(outcomes)

    async def _send_all(
        self, items: Sequence[OutboxItem], recipient: Recipient | None, gate: asyncio.Semaphore
    ) -> None:
        async with gate:
            for item in items:
                outcome = await self._deliver(item, recipient)
                self._outcomes.append(outcome)  # after the await: the flusher swaps the list

    # --- one message ---------------------------------------------------------------------------

    async def _deliver(self, item: OutboxItem, recipient: Recipient | None) -> Outcome:
        now = self._clock()
        if recipient is None:
            return Outcome(item.id, item.lease, "dead", last_error="the person no longer exists")
        try:
            notice = Notice(item.kind, item.params)
        except ValueError as error:
            return Outcome(item.id, item.lease, "dead", last_error=str(error))
        if not (item.urgent or notice.urgent):
            later = after_quiet_hours(
                now, recipient.timezone, self._settings.quiet_start, self._settings.quiet_end
            )
            if later > now:  # not an attempt: the person's night
                return Outcome(
                    item.id, item.lease, "pending", due_at=later, attempts=item.attempts - 1
                )
        tried: set[str] = set()
        while True:
            identity = self._pick(item, recipient, tried)
            if identity is None:
                reason = "unreachable on every channel" if tried else "no channel to reach them"
                return Outcome(item.id, item.lease, "dead", last_error=reason)
            tried.add(identity.channel)
            sender = self._senders[identity.channel]
            await self._limiter.acquire(identity.channel, identity.external_id)
            try:
                platform_id = await sender.send(
                    identity.external_id, recipient.locale, recipient.timezone, notice
                )
            except RetryLater as error:
                self._limiter.pause(identity.channel, error.seconds)
                log.warning("channel asked to slow down", extra={"channel": identity.channel})
                due = self._clock() + timedelta(seconds=error.seconds)
                return Outcome(
                    item.id, item.lease, "failed", due_at=due, attempts=item.attempts - 1,
                    last_error=f"429: retry after {error.seconds} s",
                )  # fmt: skip
            except Unreachable:
                await self._queue.mark_unreachable(identity.channel, identity.external_id, now)
                log.info("chat unreachable", extra={"channel": identity.channel})
                continue  # the person's other channel, if any
            except SendFailed as error:
                return self._failed(item, str(error), transient=error.transient)
            except Exception as error:  # a bug in a sender must not stop the batch
                log.exception("sender failed")
                return self._failed(item, repr(error), transient=True)
            return Outcome(
                item.id, item.lease, "sent", attempts=item.attempts, sent_via=identity.channel,
                platform_message_id=platform_id, sent_at=self._clock(),
            )  # fmt: skip

    def _pick(self, item: OutboxItem, recipient: Recipient, tried: set[str]) -> Identity | None:
        """The row's channel first if it names one, then the channels the person used most
        recently; never one that is unreachable, already tried, or without a sender here."""
        candidates = [
            i
            for i in recipient.identities
            if i.reachable and i.channel in self._senders and i.channel not in tried
        ]
        candidates.sort(key=lambda i: i.channel != item.channel)  # stable: recency stays
        return candidates[0] if candidates else None

    def _failed(self, item: OutboxItem, error: str, *, transient: bool) -> Outcome:
        if not transient or item.attempts >= self._settings.max_attempts:
            return Outcome(item.id, item.lease, "dead", attempts=item.attempts, last_error=error)
        backoff = min(BACKOFF * 2 ** (item.attempts - 1), MAX_BACKOFF)
        return Outcome(
            item.id, item.lease, "failed", due_at=self._clock() + backoff,
            attempts=item.attempts, last_error=error,
        )  # fmt: skip

    async def close(self) -> None:
        for sender in self._senders.values():
            await sender.close()


def build_dispatcher(
    app: App,
    *,
    whatsapp: WhatsAppChannel | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Dispatcher | None:
    """The dispatcher for the channels configured (None when there is none to send on);
    ``whatsapp``: the channel ``run`` serves already, if any."""
    settings = app.settings
    outbox = settings.outbox
    senders: dict[str, Sender] = {}
    if settings.telegram.bot_token is not None:
        senders["telegram"] = TelegramSender(settings, app.translator)
    if settings.whatsapp.enabled:
        whatsapp = whatsapp or WhatsAppChannel(
            app.conversation, app.translator, app.uow_factory, settings
        )
        senders["whatsapp"] = WhatsAppSender(whatsapp)
    if not senders:
        return None
    limits = {
        "telegram": ChannelLimit(outbox.telegram_rate, outbox.telegram_per_chat_seconds),
        "whatsapp": ChannelLimit(outbox.whatsapp_rate, outbox.whatsapp_per_chat_seconds),
    }

    async def housekeeping(now: datetime) -> None:
        lapsed = await close_lapsed(app.uow_factory, now, app.scheme.rules)
        if lapsed.appeal_windows_closed or lapsed.certificates_expired:
            log.info(
                "lapsed",
                extra={
                    "appeal_windows_closed": lapsed.appeal_windows_closed,
                    "certificates_expired": lapsed.certificates_expired,
                },
            )

    return Dispatcher(
        OutboxQueue(app.engine), senders, limits, app.translator, outbox, clock=clock,
        housekeeping=housekeeping,
    )  # fmt: skip
