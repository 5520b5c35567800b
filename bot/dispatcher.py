"""The dispatcher: drains the outbox at each platform's rate, exactly once where it can be.

A worker claims due rows in batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers on several machines drain one outbox; a single worker on SQLite) under a lease that
is renewed while they are worked on: a row whose worker died is taken by the next claim once
its lease runs out, so a crashed worker loses nothing and at most the messages it had in flight
can go out twice. Each message is
worded when it is sent, in the recipient's language and zone; non-urgent ones wait out the
recipient's quiet hours. Rates: the account's budget, shared with replies and with every other
process (``bot/channels/pacing``), and a minimum spacing per chat. A 429 pauses the chat, or the
account, for the time asked; a blocked chat is marked
unreachable and the person's other channel is tried; transient errors back off exponentially;
after the last attempt the row is ``dead``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError

from bot.channels import Channel, Sender, configured_channels
from bot.channels.common import RetryLater, SendFailed, Unreachable
from bot.channels.pacing import Pacer
from bot.config import OutboxSettings
from bot.factory import App
from bot.metrics import Metrics
from domain.notices import Notice, NoticeKind
from domain.ports import ConnectionLost, Translator
from domain.schedule import DRAFT_IDLE, after_quiet_hours, draft_idle
from storage.outbox import Identity, OutboxItem, OutboxQueue, Outcome, Recipient, SqlOutbox
from usecases.lapses import close_lapsed

log = logging.getLogger(__name__)

BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
FLUSH_SECONDS = 0.1
SWEEP_SECONDS = 60.0
OUTAGE_FIRST_WAIT = 0.5
OUTAGE_MAX_WAIT = 10.0
"""While the database is away the loop waits this long, doubling, before it tries again."""
OUTAGE_GRACE = 15.0
"""After a database outage, rows another worker leased are left to it this long: it records
what it sent meanwhile (its retries are at most ``OUTAGE_MAX_WAIT`` apart) before anyone may
take them over."""
RETRIES_IN_PLACE = 3
"""429s waited out inside one attempt before the row goes back to wait (every one counts)."""
REPORT_SECONDS = 2.0
"""While a broadcast is being sent, its progress is counted at most this often (and once more
when the dispatcher runs out of rows)."""
RECENTLY_SENT = timedelta(seconds=30)
"""How far back a person's last message is looked up for their chat's spacing (more than any
platform's per-chat spacing)."""
HEARTBEAT_MAX_AGE = 300.0
"""A loop that has not come round for this long is stuck: ``/healthz`` says so."""
TRANSIENT = (DBAPIError, OSError, ConnectionLost, TimeoutError)
"""What a database restart, a cut connection or a failover raises: waited out, never fatal."""


@dataclass(slots=True)
class _Pending:
    """An outcome waiting to be recorded (under its batch's lease ``token``); its slot sends
    nothing more until it is."""

    token: str
    outcome: Outcome
    recorded: asyncio.Future[bool]


class _Outage:
    """The database's absence as the loop and the recorder see it: one log line when it goes,
    one when it is back, a growing wait between tries."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.last_failure = -OUTAGE_GRACE
        self._wait = OUTAGE_FIRST_WAIT

    def failed(self, error: BaseException) -> float:
        """The seconds to wait before trying again."""
        now = time.monotonic()
        self.last_failure = now
        if self.since is None:
            self.since = now
            log.warning(
                "outbox: database unavailable, waiting for it",
                extra={"error": type(error).__name__},
            )
        wait, self._wait = self._wait, min(self._wait * 2, OUTAGE_MAX_WAIT)
        return wait

    def recovered(self) -> None:
        if self.since is not None:
            seconds = round(time.monotonic() - self.since, 1)
            log.warning("outbox: database back", extra={"seconds": seconds})
            self.since, self._wait = None, OUTAGE_FIRST_WAIT

    def others_may_record(self) -> bool:
        """Soon after an outage, other workers may still be recording what they sent."""
        return time.monotonic() - self.last_failure < OUTAGE_GRACE


class Dispatcher:
    """Exactly once in effect: each claimed row is leased under a token and its lease renewed
    while it is worked on; every outcome is recorded before its sending slot sends another
    message, so a worker killed at any moment leaves at most ``concurrency`` messages sent but
    unrecorded; a database outage holds the outcomes (nothing more is sent or claimed) until
    they are recorded.

    Batches overlap: the next is claimed as soon as fewer people than ``concurrency`` are left
    to send to, so the rate never sags while one batch's last messages wait for their chats
    (at 1,000/s a batch boundary used to cost most of a second). A person's rows in a later
    batch wait for their rows in an earlier one: their messages stay in order."""

    def __init__(
        self,
        queue: OutboxQueue,
        senders: Mapping[str, Sender],
        pacer: Pacer,
        translator: Translator,
        settings: OutboxSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        housekeeping: Callable[[datetime], Awaitable[object]] | None = None,
        metrics: Metrics | None = None,
        owned: Sequence[Channel] = (),
    ) -> None:
        self._metrics = metrics or Metrics()
        self._owned = tuple(owned)
        """Channels built for this dispatcher alone, closed with it."""
        self._queue = queue
        self._housekeeping = housekeeping
        self._senders = dict(senders)
        self._pacer = pacer
        self._translator = translator
        self._settings = settings
        self._clock = clock
        self._lease = timedelta(seconds=settings.lease_seconds)
        self._pending: list[_Pending] = []
        self._gate = asyncio.Semaphore(settings.concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        """Every person's rows being sent, one task each."""
        self._last: dict[int, asyncio.Task[None]] = {}
        """The latest task of each person, which their next rows wait for."""
        self._batches: collections.Counter[str] = collections.Counter()
        """The lease tokens of the batches being sent: tasks left in each."""
        self._report_at = 0.0
        """When broadcasts' progress may be counted again (monotonic seconds)."""
        self._recorder: asyncio.Task[None] | None = None
        self._room = asyncio.Event()
        self._wake = asyncio.Event()
        self._outage = _Outage()
        self._stop = asyncio.Event()
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
        self._stop = stop
        try:
            await self._loop(stop, until_idle)
        except asyncio.CancelledError:
            for task in (*self._tasks, self._recorder):
                if task is not None:
                    task.cancel()
            raise
        await self._settle()  # stopping: what is in flight is sent and recorded

    async def _loop(self, stop: asyncio.Event, until_idle: bool) -> None:
        next_sweep = 0.0
        while not stop.is_set():
            self.heartbeat = time.monotonic()
            try:
                if time.monotonic() >= next_sweep:
                    await self.sweep()
                    next_sweep = time.monotonic() + SWEEP_SECONDS
                claimed = await self.drain_once()
                if claimed == 0 and self._tasks:
                    await self._settle()  # what they leave behind (reports) may be due now
                    await self._queue.report_broadcasts(self._clock())
                    continue
            except TRANSIENT as error:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._outage.failed(error))
                continue
            self._outage.recovered()
            if claimed == 0:
                if until_idle:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._settings.poll_seconds)

    async def sweep(self) -> None:
        """Reminders for drafts left idle; what time alone decides (lapsed appeal windows,
        expired certificates)."""
        now = self._clock()
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
                await outbox.schedule(draft.person_id, planned)
            await session.commit()

    async def drain_once(self) -> int:
        """Record what an outage kept, claim a batch and start sending it (people in parallel,
        one person's messages in order); return, with the batch still going, once fewer people
        than ``concurrency`` are left to send to. Returns how many rows were claimed."""
        await self._record()
        items = await self._claim()
        if not items:
            return 0
        if time.monotonic() >= self._report_at:  # a count of each broadcast's rows: not per batch
            await self._queue.report_broadcasts(self._clock())
            self._report_at = time.monotonic() + REPORT_SECONDS
        while len(self._tasks) > self._settings.concurrency and not self._stop.is_set():
            self.heartbeat = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), 1.0)
            self._room.clear()
        return len(items)

    async def _claim(self) -> list[OutboxItem]:
        token, items = await self._queue.claim(
            self._clock(),
            self._settings.batch_size,
            self._lease,
            take_abandoned=not self._outage.others_may_record(),
            mine=list(self._batches),
        )
        if not items:
            return items
        recipients = await self._queue.recipients(
            (item.person_id for item in items), self._clock() - RECENTLY_SENT
        )
        by_person: dict[int, list[OutboxItem]] = collections.defaultdict(list)
        for item in items:
            by_person[item.person_id].append(item)
        self._batches[token] = len(by_person)
        for person, group in by_person.items():
            after = self._last.get(person)
            task = asyncio.create_task(self._send_all(group, recipients.get(person), token, after))
            self._tasks.add(task)
            self._last[person] = task
            task.add_done_callback(functools.partial(self._sent_all, person, token))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_continuously())
        return items

    def _sent_all(self, person: int, token: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._last.get(person) is task:
            del self._last[person]
        self._batches[token] -= 1
        if self._batches[token] <= 0:
            del self._batches[token]
        if not task.cancelled() and (error := task.exception()) is not None:
            # A bug, not a platform's answer (those are outcomes): its rows return after
            # their lease.
            log.error("outbox: sending to a person failed", exc_info=error)
        self._room.set()
        self._wake.set()

    async def _settle(self) -> None:
        """Wait until everything claimed is sent and recorded."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))
        if self._recorder is not None:
            await self._recorder

    async def _record_continuously(self) -> None:
        """Record outcomes as they come (a group per round trip) and renew the leases of the
        batches being sent; while the database is away, wait for it. Stopping during an outage
        releases the waiting slots unrecorded (their rows go out again after the lease)."""
        every = self._lease.total_seconds() / 3
        renew_at = time.monotonic() + every
        while self._tasks or self._pending:
            if not self._pending:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), min(every, 1.0))
                self._wake.clear()
            try:
                await self._record()
                if time.monotonic() >= renew_at:
                    for token in list(self._batches):
                        await self._queue.renew(token, self._clock() + self._lease)
                    renew_at = time.monotonic() + every
            except TRANSIENT as error:
                self.heartbeat = time.monotonic()  # alive: waiting, not stuck
                wait = self._outage.failed(error)
                if self._stop.is_set():
                    for pending in self._pending:
                        if not pending.recorded.done():
                            pending.recorded.set_result(False)
                    self._pending = []
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), wait)
                continue
            self._outage.recovered()

    async def _record(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        by_token: dict[str, list[Outcome]] = collections.defaultdict(list)
        for pending in batch:
            by_token[pending.token].append(pending.outcome)
        try:
            for token, outcomes in by_token.items():
                await self._queue.finish(token, outcomes)
        except BaseException:
            self._pending[:0] = batch  # kept (recording twice changes nothing)
            raise
        for pending in batch:
            if not pending.recorded.done():
                pending.recorded.set_result(True)

    async def _send_all(
        self,
        items: Sequence[OutboxItem],
        recipient: Recipient | None,
        token: str,
        after: asyncio.Task[None] | None,
    ) -> None:
        if after is not None:
            await asyncio.wait({after})  # this person's earlier rows first
        if recipient is not None:
            self._spaced_from_last(recipient)
        loop = asyncio.get_running_loop()
        async with self._gate:
            for item in items:
                outcome = await self._deliver(item, recipient)
                pending = _Pending(token, outcome, loop.create_future())
                self._pending.append(pending)
                self._wake.set()
                if not await pending.recorded:
                    return

    def _spaced_from_last(self, recipient: Recipient) -> None:
        """The chat's spacing counts from the person's last message, whichever process sent
        it (another worker may have sent their earlier rows)."""
        now = self._clock()
        chats = {identity.channel: identity.external_id for identity in recipient.identities}
        for channel, at in recipient.sent:
            if (chat := chats.get(channel)) is not None and channel in self._senders:
                self._pacer.sent_before(channel, chat, (now - at).total_seconds())

    # --- one message ---------------------------------------------------------------------------

    async def _deliver(self, item: OutboxItem, recipient: Recipient | None) -> Outcome:
        now = self._clock()
        if recipient is None:
            return Outcome(item.id, "dead", last_error="the person no longer exists")
        try:
            notice = Notice(NoticeKind(item.kind), item.params)
        except ValueError as error:
            return Outcome(item.id, "dead", last_error=str(error))
        if not (item.urgent or notice.urgent):
            later = after_quiet_hours(
                now, recipient.timezone, self._settings.quiet_start, self._settings.quiet_end
            )
            if later > now:  # not an attempt: the person's night
                return Outcome(item.id, "pending", due_at=later, attempts=item.attempts - 1)
        tried: set[str] = set()
        while True:
            identity = self._pick(item, recipient, tried)
            if identity is None:
                reason = "unreachable on every channel" if tried else "no channel to reach them"
                return Outcome(item.id, "dead", last_error=reason)
            tried.add(identity.channel)
            try:
                return await self._send_parts(item, recipient, identity, notice)
            except Unreachable:
                await self._mark_unreachable(identity, now)
                continue  # the person's other channel, if any

    async def _send_parts(
        self, item: OutboxItem, recipient: Recipient, identity: Identity, notice: Notice
    ) -> Outcome:
        """Every part in order, each under the rate; a 429 is waited out in place (up to
        ``RETRIES_IN_PLACE``), and a row that must wait longer remembers how many parts went,
        so no part is ever sent twice."""
        channel, chat = identity.channel, identity.external_id
        sender = self._senders[channel]
        locale, zone = recipient.locale, recipient.timezone
        total = sender.parts(locale, zone, notice)
        part = item.parts_sent if channel == item.sent_via else 0
        first: str | None = None
        refusals = 0
        while part < total:
            await self._pacer.turn(channel, chat)
            try:
                platform_id = await sender.send(chat, locale, zone, notice, part)
            except RetryLater as error:
                self._metrics.refusals.labels(channel, "outbox").inc()
                await self._pacer.refused(channel, chat, error.seconds)
                log.warning(
                    "channel asked to slow down",
                    extra={"channel": channel, "retry_after": error.seconds},
                )
                refusals += 1
                if refusals <= RETRIES_IN_PLACE:
                    continue
                return self._failed(
                    item, f"429: retry after {error.seconds} s", transient=True,
                    parts_sent=part, via=channel, wait=timedelta(seconds=error.seconds),
                )  # fmt: skip
            except SendFailed as error:
                self._metrics.sends.labels(channel, "failed").inc()
                return self._failed(
                    item, str(error), transient=error.transient, parts_sent=part, via=channel
                )
            except Unreachable:
                self._metrics.sends.labels(channel, "unreachable").inc()
                raise
            except Exception as error:  # a bug in a sender must not stop the batch
                log.exception("sender failed")
                return self._failed(item, repr(error), transient=True, parts_sent=part, via=channel)
            first = first or platform_id
            part += 1
            self._metrics.sends.labels(channel, "sent").inc()
        return Outcome(
            item.id, "sent", attempts=item.attempts, sent_via=channel, platform_message_id=first,
            sent_at=self._clock(), parts_sent=total,
        )  # fmt: skip

    async def _mark_unreachable(self, identity: Identity, now: datetime) -> None:
        log.info("chat unreachable", extra={"channel": identity.channel})
        try:
            await self._queue.mark_unreachable(identity.channel, identity.external_id, now)
        except TRANSIENT:  # the next attempt to reach them will find out again
            log.warning("outbox: could not mark a chat unreachable", exc_info=True)

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

    def _failed(
        self,
        item: OutboxItem,
        error: str,
        *,
        transient: bool,
        parts_sent: int = 0,
        via: str | None = None,
        wait: timedelta = timedelta(0),
    ) -> Outcome:
        via = via if parts_sent else None  # where the parts already out went
        if not transient or item.attempts >= self._settings.max_attempts:
            return Outcome(
                item.id, "dead", attempts=item.attempts, last_error=error,
                parts_sent=parts_sent, sent_via=via,
            )  # fmt: skip
        backoff = max(min(BACKOFF * 2 ** (item.attempts - 1), MAX_BACKOFF), wait)
        return Outcome(
            item.id, "failed", due_at=self._clock() + backoff, attempts=item.attempts,
            last_error=error, parts_sent=parts_sent, sent_via=via,
        )  # fmt: skip

    async def close(self) -> None:
        for sender in self._senders.values():
            await sender.close()
        for channel in self._owned:
            await channel.close()


def build_dispatcher(
    app: App,
    channels: Sequence[Channel] | None = None,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Dispatcher | None:
    """The dispatcher for the channels configured (None when there is none to send on);
    ``channels``: those ``run`` serves already (else it builds its own, and closes them)."""
    owned = channels is None
    channels = configured_channels(app) if channels is None else list(channels)
    if not channels:
        return None
    senders = {channel.name: channel.sender() for channel in channels}

    async def housekeeping(now: datetime) -> None:
        await app.eraser.retry_due()
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
        OutboxQueue(app.engine), senders, app.pacer, app.translator, app.settings.outbox,
        clock=clock, housekeeping=housekeeping, metrics=app.metrics,
        owned=channels if owned else (),
    )  # fmt: skip
