"""One rate budget per bot and per WhatsApp number, shared by replies and proactive messages in
every process (issue 14, item 3).

The budget is a schedule of send slots, one every ``(1 + WINDOW_MARGIN) / rate`` seconds; its
only state is the next free slot of each platform account. On PostgreSQL that is one row per
account, booked with the database's clock (``storage/budget.py``), so N workers and the bot
together stay under the platform's rate with no division of it; on SQLite (one process) it is
kept in memory. Evenly spaced slots put at most ``rate / (1 + WINDOW_MARGIN)`` messages in any
one-second window, and a message may leave up to half the margin after its slot, which keeps
a window full of late and punctual messages within the rate (the other half is for the
network's jitter).

Replies first: a reply books the next free slot whatever is booked ahead of it; proactive
messages book only while the schedule reaches no further than ``HORIZON`` ahead, at most
``CHUNK_SECONDS`` of slots at a time, so a reply waits at most about their sum behind any
broadcast. The per-chat spacing (proactive messages only: a reply of several messages goes
at once, as Telegram allows in a private chat) and a 429's pause of one chat are kept in the
process; a 429 for several chats at once pauses the whole account, in the shared schedule.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.channels import CHANNELS
from bot.config import Settings

log = logging.getLogger(__name__)

WINDOW_MARGIN = 0.02
"""Slots are this fraction further apart than the rate: room for a late message and for the
jitter of the way there (the database's round trip, the network) inside every one-second
window."""
LATE = WINDOW_MARGIN / 2
"""Seconds a message may leave after its slot; a slot missed by more is let go and another
booked (a process too busy to keep its slots would otherwise send several at once)."""
REBOOKS = 3
"""Slots a reply may book before it goes anyway."""
REPLY_SPAN = 1.2
"""A reply books this many slots' time. The bot's process is busiest when it answers a crowd,
and a busy event loop sends late, after its check: several replies a few milliseconds apart.
The fifth of a slot each leaves room for that in every window (at 30/s, 200 replies at once
were refused 6 to 9 times without it, in tests/bot/test_drills.py)."""
CHAT_MARGIN = 0.2
"""Seconds added to the per-chat spacing, for the same jitter: it costs a broadcast nothing (other
chats go meanwhile) and one person's second message a fifth of a second."""
HORIZON = 0.05
"""Proactive messages book no slot while the schedule is booked further ahead than this."""
CHUNK_SECONDS = 0.1
"""At most this much of the rate is booked by one proactive booking (one round trip)."""
SHARED_TIMEOUT = 1.0
"""A booking the database does not answer within this is made in memory instead."""
SHARED_RETRY = 5.0
"""After the shared schedule failed, the process books in memory this long before it tries
the database again."""
OFFSET_SECONDS = 30.0
"""The database's clock is placed on this process's by the quickest booking of about this
long (see :class:`_ClockOffset`)."""


@dataclass(frozen=True, slots=True)
class ChannelLimit:
    """One platform account's limits: ``account`` names whose budget it is (the bot, the
    WhatsApp number), so every process that sends for it books from the same schedule."""

    per_second: float
    per_chat_seconds: float
    account: str

    @property
    def spacing(self) -> float:
        return (1.0 + WINDOW_MARGIN) / self.per_second


class Schedule(Protocol):
    """The slots of each account: where the shared budget lives."""

    async def book(
        self, account: str, slots: float, spacing: float, *, reply: bool, horizon: float
    ) -> tuple[float, float] | None:
        """Book ``slots`` consecutive slots (a reply: a little more than one): the first of
        them and the moment of booking, on the schedule's own clock; or None (not a reply)
        while the schedule is booked beyond ``horizon``."""
        ...

    async def hold(self, account: str, seconds: float) -> None:
        """Nobody sends for ``account`` during the next ``seconds`` (the platform said 429)."""
        ...


class MemorySchedule:
    """The schedule of one process (SQLite, or while the database does not answer)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next: dict[str, float] = {}

    async def book(
        self, account: str, slots: float, spacing: float, *, reply: bool, horizon: float
    ) -> tuple[float, float] | None:
        now = self._clock()
        first = max(self._next.get(account, now), now)
        if not reply and first > now + horizon:
            return None
        self._next[account] = first + slots * spacing
        return first, now

    async def hold(self, account: str, seconds: float) -> None:
        self._next[account] = max(self._next.get(account, 0.0), self._clock() + seconds)


class _ClockOffset:
    """Where the database's clock stands against this process's: from the booking with the
    shortest round trip of the last ``OFFSET_SECONDS``, which is off by at most half of it.
    Each booking dated by its own round trip's midpoint was off by half of any delay on one
    leg only (a busy event loop reading the answer late, a commit waiting for its WAL): its
    slots then came that much after the next booking's, and two messages that close drew a
    429 (seen in tests/bot/test_dispatcher.py at 10/s)."""

    def __init__(self) -> None:
        self._round_trip = float("inf")
        self._offset = 0.0
        self._taken = float("-inf")

    def place(self, booking: tuple[float, float], asked: float, answered: float) -> float:
        """The first slot of ``booking`` (first, now: the schedule's clock) on this
        process's clock."""
        first, now = booking
        round_trip = answered - asked
        if round_trip <= self._round_trip or answered - self._taken > OFFSET_SECONDS:
            self._round_trip = round_trip
            self._offset = now - (asked + answered) / 2
            self._taken = answered
        return first - self._offset


class Pacer:
    """The process's way into the budget: ``reply_turn`` before each message of a reply,
    ``turn`` before each proactive one, ``refused`` after a 429."""

    def __init__(
        self,
        limits: Mapping[str, ChannelLimit],
        shared: Schedule | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = dict(limits)
        self._clock = clock
        self._shared = shared
        self._memory = MemorySchedule(clock)
        self._shared_down_until = 0.0
        self._shared_down = False
        self._offset = _ClockOffset()
        self._slots: dict[str, collections.deque[float]] = {c: collections.deque() for c in limits}
        self._waiting: dict[str, int] = dict.fromkeys(limits, 0)
        self._locks = {c: asyncio.Lock() for c in limits}
        self._chat_next: dict[tuple[str, str], float] = {}
        self._chat_paused: dict[tuple[str, str], float] = {}
        self._refused: dict[str, collections.deque[tuple[float, str]]] = {
            c: collections.deque() for c in limits
        }

    async def reply_turn(self, channel: str, chat: str) -> None:
        """Wait for the next free slot (and for a 429 of this chat to pass)."""
        await self._chat_pause(channel, chat)
        limit = self._limits[channel]
        for _ in range(REBOOKS):
            slot = await self._book(limit, REPLY_SPAN, reply=True)
            if slot is None:  # never for a reply; for the type checker
                break
            if (wait := slot - self._clock()) > 0:
                await asyncio.sleep(wait)
            if self._clock() - slot <= LATE:
                break
            # Woken too late (a busy process): going now could crowd the slots after it.
        self._sent(channel, chat)

    async def turn(self, channel: str, chat: str) -> None:
        """Wait for this chat's spacing, then for a slot of the budget's rest."""
        limit = self._limits[channel]
        key = (channel, chat)
        while (wait := self._chat_next.get(key, 0.0) - self._clock()) > 0:  # noqa: ASYNC110  (a deadline, not an event)
            await asyncio.sleep(wait)
        await self._chat_pause(channel, chat)
        slots = self._slots[channel]
        self._waiting[channel] += 1
        try:
            async with self._locks[channel]:  # one waiter at a time keeps the order fair
                for _ in range(REBOOKS):
                    slot = await self._next_slot(channel, limit, slots)
                    if (wait := slot - self._clock()) > 0:
                        await asyncio.sleep(wait)
                    if self._clock() - slot <= LATE:
                        break
                    # Woken too late (a busy process): going now could crowd the next slots.
        finally:
            self._waiting[channel] -= 1
        self._sent(channel, chat)

    async def _next_slot(
        self, channel: str, limit: ChannelLimit, slots: collections.deque[float]
    ) -> float:
        """The next of the slots booked ahead for proactive messages, booking more (a chunk
        for those waiting) when none is left that can still be kept."""
        while True:
            now = self._clock()
            while slots and slots[0] < now - LATE:
                slots.popleft()  # missed: sending now could crowd the next ones
            if slots:
                return slots.popleft()
            chunk = max(1, int(CHUNK_SECONDS / limit.spacing))
            count = max(1, min(self._waiting[channel], chunk))
            first = await self._book(limit, count, reply=False)
            if first is None:
                await asyncio.sleep(HORIZON / 2)
                continue
            slots.extend(first + n * limit.spacing for n in range(count))

    async def refused(self, channel: str, chat: str, seconds: float) -> None:
        """A 429 for ``chat``: that chat waits; a second chat refused within a second means
        the account's budget is spent, and everyone sending for it waits."""
        now = self._clock()
        key = (channel, chat)
        self._chat_paused[key] = max(self._chat_paused.get(key, 0.0), now + seconds)
        self._chat_next[key] = max(self._chat_next.get(key, 0.0), now + seconds)
        refused = self._refused[channel]
        while refused and refused[0][0] < now - 1.0:
            refused.popleft()
        refused.append((now, chat))
        if len({c for _, c in refused}) > 1:
            account = self._limits[channel].account
            self._slots[channel].clear()
            await self._memory.hold(account, seconds)
            if (shared := self._shared_up()) is not None:
                try:
                    await asyncio.wait_for(shared.hold(account, seconds), SHARED_TIMEOUT)
                except Exception:  # the pause holds here either way
                    self._shared_failed()

    async def _chat_pause(self, channel: str, chat: str) -> None:
        key = (channel, chat)
        while (wait := self._chat_paused.get(key, 0.0) - self._clock()) > 0:  # noqa: ASYNC110  (a deadline, not an event)
            await asyncio.sleep(wait)

    def sent_before(self, channel: str, chat: str, seconds: float) -> None:
        """A message went to ``chat`` ``seconds`` ago, perhaps from another process: its
        spacing counts from then."""
        key = (channel, chat)
        at = self._clock() - max(0.0, seconds) + self._chat_spacing(channel)
        self._chat_next[key] = max(self._chat_next.get(key, 0.0), at)

    def _chat_spacing(self, channel: str) -> float:
        limit = self._limits[channel]
        return limit.per_chat_seconds + CHAT_MARGIN if limit.per_chat_seconds else 0.0

    def _sent(self, channel: str, chat: str) -> None:
        now = self._clock()
        self._chat_next[(channel, chat)] = now + self._chat_spacing(channel)
        if len(self._chat_next) > 100_000:  # forget chats long quiet
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
            self._chat_paused = {k: v for k, v in self._chat_paused.items() if v > now}

    async def _book(self, limit: ChannelLimit, slots: float, *, reply: bool) -> float | None:
        """The first slot booked, on this process's clock: from the shared schedule while it
        answers (placed by :class:`_ClockOffset`), from this process's own meanwhile."""
        if (shared := self._shared_up()) is not None:
            asked = self._clock()
            try:
                booking = await asyncio.wait_for(
                    shared.book(limit.account, slots, limit.spacing, reply=reply, horizon=HORIZON),
                    SHARED_TIMEOUT,
                )
            except Exception:  # any failure of the database: pace alone meanwhile
                self._shared_failed()
            else:
                if self._shared_down:
                    self._shared_down = False
                    log.warning("rate budget: database back, pacing shared again")
                if booking is None:
                    return None
                return self._offset.place(booking, asked, self._clock())
        booking = await self._memory.book(
            limit.account, slots, limit.spacing, reply=reply, horizon=HORIZON
        )
        return None if booking is None else booking[0]

    def _shared_up(self) -> Schedule | None:
        """The shared schedule, unless it failed within the last ``SHARED_RETRY`` seconds."""
        return self._shared if self._clock() >= self._shared_down_until else None

    def _shared_failed(self) -> None:
        if not self._shared_down:
            self._shared_down = True
            log.warning("rate budget: database unavailable, pacing in this process meanwhile")
        self._shared_down_until = self._clock() + SHARED_RETRY


def pacer_for(settings: Settings, shared: Schedule | None = None) -> Pacer:
    """Each channel's budget, at the rates the settings give it (:data:`bot.channels.CHANNELS`
    says how)."""
    return Pacer({kind.name: kind.limit(settings) for kind in CHANNELS}, shared)
