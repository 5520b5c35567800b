"""The outbox in SQL: scheduling (inside a use case's transaction) and the dispatcher's side —
claiming due rows, leases, recipients, and recording what became of each message."""

from __future__ import annotations

import collections
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.types import String

from domain.schedule import Planned, Subject, Topic, broadcast_progress, broadcast_report
from storage.models import (
    OUTBOX_OPEN,
    ApplicationRow,
    BroadcastRow,
    ChannelIdentityRow,
    OutboxRow,
    PersonRow,
    UTCDateTime,
    utcnow,
)

_OUTBOX = cast(Table, OutboxRow.__table__)
_BROADCASTS = cast(Table, BroadcastRow.__table__)
UNREACHABLE = ("unreachable", "no channel")
"""How a dead row's error starts when nobody could be reached: "blocked" in a broadcast report."""


def _row(person_id: int, planned: Planned, now: datetime) -> dict[str, Any]:
    """The outbox row of a planned message, not yet sent."""
    notice = planned.notice
    return {
        "person_id": person_id, "channel": None, "kind": str(notice.kind),
        "params": dict(notice.params), "urgent": notice.urgent, "due_at": planned.due_at,
        "dedupe_key": planned.dedupe_key,
        "subject": None if planned.subject is None else str(planned.subject),
        "status": "pending", "attempts": 0, "created_at": now,
    }  # fmt: skip


class SqlOutbox:
    """The use cases' port: schedule and cancel, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(self, person_id: int, planned: Planned) -> bool:
        insert = (
            postgresql_insert(_OUTBOX)
            if self._session.get_bind().dialect.name == "postgresql"
            else sqlite_insert(_OUTBOX)
        )
        result = await self._session.execute(
            insert.values(**_row(person_id, planned, utcnow()))
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(_OUTBOX.c.id)
        )
        return result.first() is not None

    async def cancel(self, subject: Subject) -> int:
        result = await self._session.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.subject == str(subject), _OUTBOX.c.status.in_(OUTBOX_OPEN))
            .values(status="cancelled")
            .returning(_OUTBOX.c.id)
        )
        return len(result.all())


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    person_id: int
    channel: str | None
    kind: str
    params: Mapping[str, str]
    urgent: bool
    attempts: int
    """Including this one: every claim counts."""
    parts_sent: int = 0
    """Parts of a long message that an earlier attempt already sent ..."""
    sent_via: str | None = None
    """... on this channel."""


@dataclass(frozen=True, slots=True)
class Identity:
    channel: str
    external_id: str
    last_active_at: datetime
    reachable: bool


@dataclass(frozen=True, slots=True)
class Recipient:
    person_id: int
    locale: str
    timezone: str
    identities: tuple[Identity, ...] = ()
    sent: tuple[tuple[str, datetime], ...] = ()
    """When a message last went to them lately, per channel: the chat's spacing counts from
    it, whichever process sent it."""


@dataclass(slots=True)
class Outcome:
    """What became of one claimed row."""

    id: int
    status: str
    due_at: datetime | None = None
    attempts: int | None = None
    last_error: str | None = None
    sent_via: str | None = None
    platform_message_id: str | None = None
    sent_at: datetime | None = None
    parts_sent: int | None = None


_DUE = and_(
    _OUTBOX.c.status.in_(OUTBOX_OPEN), _OUTBOX.c.due_at <= bindparam("now", type_=UTCDateTime())
)
_ABANDONED = and_(
    _OUTBOX.c.status == "sending",
    _OUTBOX.c.lease_until < bindparam("now", type_=UTCDateTime()),
)
"""Rows whose worker died (or lost the database for longer than its lease)."""
_HELD = _OUTBOX.alias("held")
_HELD_ELSEWHERE = exists().where(
    _HELD.c.person_id == _OUTBOX.c.person_id,
    _HELD.c.status == "sending",
    _HELD.c.lease_until >= bindparam("now", type_=UTCDateTime()),
    _HELD.c.lease_token.not_in(bindparam("mine", expanding=True)),
)
"""The person has a row that another worker is sending: their later rows wait for it, so one
chat is spaced (and kept in order) by one process at a time (issue 14, item 3)."""
CLAIM_LOCK = 0x61736573_6F72_01
"""PostgreSQL advisory lock taken by each claim for its transaction: claims one after another,
so each sees the rows the previous one leased (``_HELD_ELSEWHERE`` cannot race)."""


def claim_ids(take_abandoned: bool) -> Any:
    """The ids a claim takes (``now``, ``batch``, ``mine``: the claiming worker's own lease
    tokens): its own function for the bench's timing."""
    return (
        select(_OUTBOX.c.id)
        .where(or_(_DUE, _ABANDONED) if take_abandoned else _DUE, ~_HELD_ELSEWHERE)
        .order_by(_OUTBOX.c.due_at, _OUTBOX.c.id)
        .limit(bindparam("batch"))
        .with_for_update(skip_locked=True)
    )


def _claim(take_abandoned: bool) -> Any:
    ids = claim_ids(take_abandoned)
    return (
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(ids.scalar_subquery()))
        .values(
            status="sending",
            lease_until=bindparam("lease", type_=UTCDateTime()),
            lease_token=bindparam("token"),
            attempts=_OUTBOX.c.attempts + 1,
        )
        .returning(
            _OUTBOX.c.id,
            _OUTBOX.c.person_id,
            _OUTBOX.c.channel,
            _OUTBOX.c.kind,
            _OUTBOX.c.params,
            _OUTBOX.c.urgent,
            _OUTBOX.c.attempts,
            _OUTBOX.c.parts_sent,
            _OUTBOX.c.sent_via,
        )
    )


_CLAIM = {True: _claim(True), False: _claim(False)}
_RENEW = (
    update(_OUTBOX)
    .where(_OUTBOX.c.lease_token == bindparam("token"), _OUTBOX.c.status == "sending")
    .values(lease_until=bindparam("lease", type_=UTCDateTime()))
)
_FINISH = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("b_id"),
        _OUTBOX.c.status == "sending",
        _OUTBOX.c.lease_token == bindparam("b_token"),
    )
    .values(
        status=bindparam("b_status"),
        due_at=func.coalesce(bindparam("b_due_at", type_=UTCDateTime()), _OUTBOX.c.due_at),
        attempts=func.coalesce(bindparam("b_attempts"), _OUTBOX.c.attempts),
        last_error=bindparam("b_last_error"),
        sent_via=bindparam("b_sent_via"),
        platform_message_id=bindparam("b_platform_message_id"),
        sent_at=bindparam("b_sent_at", type_=UTCDateTime()),
        parts_sent=func.coalesce(bindparam("b_parts_sent"), _OUTBOX.c.parts_sent),
        lease_until=None,
        lease_token=None,
    )
)


class OutboxQueue:
    """The dispatcher's side; each call is its own short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def session(self) -> AsyncSession:
        """A session for scheduling from the dispatcher's own sweeps (through :class:`SqlOutbox`,
        like the use cases)."""
        return AsyncSession(self._engine, expire_on_commit=False)

    async def claim(
        self,
        now: datetime,
        batch: int,
        lease: timedelta,
        *,
        take_abandoned: bool = True,
        mine: Sequence[str] = (),
    ) -> tuple[str, list[OutboxItem]]:
        """Due rows, oldest first, leased to this worker under a fresh token (``FOR UPDATE SKIP
        LOCKED`` on PostgreSQL: workers never claim the same row), except those of a person
        another worker is sending to (``mine``: this worker's tokens in flight).
        ``take_abandoned``: also the rows whose lease ran out, so a dead worker's rows return
        within one lease."""
        token = uuid.uuid4().hex
        params = {
            "now": now, "batch": batch, "lease": now + lease, "token": token, "mine": list(mine),
        }  # fmt: skip
        async with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
            rows = await connection.execute(_CLAIM[take_abandoned], params)
            claimed = [
                OutboxItem(
                    id=row.id,
                    person_id=row.person_id,
                    channel=row.channel,
                    kind=row.kind,
                    params=row.params,
                    urgent=row.urgent,
                    attempts=row.attempts,
                    parts_sent=row.parts_sent,
                    sent_via=row.sent_via,
                )
                for row in rows
            ]
        # Postgres returns UPDATE … RETURNING rows in no particular order.
        return token, sorted(claimed, key=lambda item: item.id)

    async def renew(self, token: str, until: datetime) -> int:
        """Extend the lease of the rows still being sent under ``token``."""
        async with self._engine.begin() as connection:
            return (await connection.execute(_RENEW, {"token": token, "lease": until})).rowcount

    async def recipients(
        self, person_ids: Iterable[int], sent_since: datetime
    ) -> dict[int, Recipient]:
        """The people with their channels (most recently active first) and when each was last
        sent a message after ``sent_since``."""
        ids = sorted(set(person_ids))
        if not ids:
            return {}
        async with self._engine.connect() as connection:
            people = await connection.execute(
                select(PersonRow.id, PersonRow.locale, PersonRow.timezone).where(
                    PersonRow.id.in_(ids)
                )
            )
            found = {row.id: Recipient(row.id, row.locale, row.timezone) for row in people}
            identities = await connection.execute(
                select(
                    ChannelIdentityRow.person_id,
                    ChannelIdentityRow.channel,
                    ChannelIdentityRow.external_id,
                    ChannelIdentityRow.last_active_at,
                    ChannelIdentityRow.unreachable_at,
                )
                .where(ChannelIdentityRow.person_id.in_(ids))
                .order_by(ChannelIdentityRow.last_active_at.desc())
            )
            grouped: dict[int, list[Identity]] = {}
            for row in identities:
                grouped.setdefault(row.person_id, []).append(
                    Identity(
                        row.channel, row.external_id, row.last_active_at, row.unreachable_at is None
                    )
                )
            last = func.max(_OUTBOX.c.sent_at, type_=UTCDateTime())
            recent = await connection.execute(
                select(_OUTBOX.c.person_id, _OUTBOX.c.sent_via, last)
                .where(
                    _OUTBOX.c.person_id.in_(ids),
                    _OUTBOX.c.status == "sent",
                    _OUTBOX.c.sent_at >= sent_since,
                )
                .group_by(_OUTBOX.c.person_id, _OUTBOX.c.sent_via)
            )
            sent: dict[int, list[tuple[str, datetime]]] = {}
            for person, channel, at in recent:
                if channel is not None and at is not None:
                    sent.setdefault(person, []).append((channel, at))
        return {
            pid: Recipient(
                r.person_id, r.locale, r.timezone, tuple(grouped.get(pid, ())),
                tuple(sent.get(pid, ())),
            )
            for pid, r in found.items()
        }  # fmt: skip

    async def finish(self, token: str, outcomes: Sequence[Outcome]) -> None:
        """Record outcomes in one round trip (``executemany``). Only rows still held under
        ``token`` are written: one taken over by another worker is that worker's. Recording the
        same outcomes twice (an answer lost with the connection) changes nothing."""
        if not outcomes:
            return
        async with self._engine.begin() as connection:
            await connection.execute(
                _FINISH,
                [
                    {
                        "b_id": o.id,
                        "b_token": token,
                        "b_status": o.status,
                        "b_due_at": o.due_at,
                        "b_attempts": o.attempts,
                        "b_last_error": o.last_error[:300] if o.last_error else None,
                        "b_sent_via": o.sent_via,
                        "b_platform_message_id": o.platform_message_id,
                        "b_sent_at": o.sent_at,
                        "b_parts_sent": o.parts_sent,
                    }
                    for o in outcomes
                ],
            )

    async def mark_unreachable(self, channel: str, external_id: str, now: datetime) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(ChannelIdentityRow)
                .where(
                    ChannelIdentityRow.channel == channel,
                    ChannelIdentityRow.external_id == external_id,
                )
                .values(unreachable_at=now)
            )

    async def idle_drafts(self, now: datetime, idle: timedelta, limit: int = 500) -> list[Any]:
        """Drafts untouched for ``idle`` with no reminder since their last change."""
        subject = literal(f"{Topic.DRAFT}:", String) + ApplicationRow.id.cast(String)
        reminded = exists().where(
            and_(_OUTBOX.c.subject == subject, _OUTBOX.c.created_at >= ApplicationRow.updated_at)
        )
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(
                    ApplicationRow.id,
                    ApplicationRow.person_id,
                    ApplicationRow.created_at,
                    ApplicationRow.updated_at,
                )
                .where(
                    ApplicationRow.state == "draft",
                    ApplicationRow.updated_at <= now - idle,
                    ~reminded,
                )
                .limit(limit)
            )
            return list(rows)

    async def report_broadcasts(self, now: datetime) -> int:
        """Tell each broadcast's creator how it went: once past halfway (if it is still going
        when counted), and a final report (sent, blocked, failed) when nothing of it is left to
        send. Counts every unreported broadcast's rows: the dispatcher calls it every
        ``REPORT_SECONDS``, not per batch. Returns the reports queued."""
        reported = 0
        async with self._engine.begin() as connection:
            broadcasts = await connection.execute(
                select(_BROADCASTS)
                .where(_BROADCASTS.c.reported_at.is_(None))
                .with_for_update(skip_locked=True)
            )
            for broadcast in list(broadcasts):
                counts: dict[str, int] = collections.Counter()
                rows = await connection.execute(
                    select(_OUTBOX.c.status, _OUTBOX.c.last_error, func.count())
                    .where(_OUTBOX.c.subject == str(Subject.broadcast(broadcast.id)))
                    .group_by(_OUTBOX.c.status, _OUTBOX.c.last_error)
                )
                for status, error, count in rows:
                    unreachable = status == "dead" and str(error or "").startswith(UNREACHABLE)
                    counts["blocked" if unreachable else status] += count
                left = sum(counts[s] for s in ("pending", "failed", "sending"))
                done = broadcast.total - left
                if broadcast.created_by is None:
                    continue
                if left and not broadcast.progress_sent and done * 2 >= broadcast.total:
                    progress = broadcast_progress(broadcast.id, done, broadcast.total, now)
                    await self._queue_notice(connection, broadcast.created_by, progress)
                    await connection.execute(
                        update(_BROADCASTS)
                        .where(_BROADCASTS.c.id == broadcast.id)
                        .values(progress_sent=True)
                    )
                if not left:
                    report = broadcast_report(
                        broadcast.id, total=broadcast.total, sent=counts["sent"],
                        blocked=counts["blocked"], failed=counts["dead"], at=now,
                    )  # fmt: skip
                    await self._queue_notice(connection, broadcast.created_by, report)
                    await connection.execute(
                        update(_BROADCASTS)
                        .where(_BROADCASTS.c.id == broadcast.id)
                        .values(reported_at=now)
                    )
                    reported += 1
        return reported

    async def _queue_notice(
        self, connection: AsyncConnection, person: int, planned: Planned
    ) -> None:
        insert = postgresql_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        await connection.execute(
            insert(_OUTBOX)
            .values(**_row(person, planned, planned.due_at))
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
