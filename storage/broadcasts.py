"""Broadcasts in SQL: who a segment reaches, and the outbox rows of a broadcast in one insert."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Select,
    String,
    Table,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from domain.notices import NoticeKind
from domain.schedule import broadcast_rows
from scheme.deadlines import add_months, local_date, surveillance_issue_ranges
from scheme.model import Rules
from storage.models import (
    ApplicationRow,
    BroadcastRow,
    CertificateRow,
    ChannelIdentityRow,
    OutboxRow,
    PersonRow,
    RoleRow,
    UTCDateTime,
    utcnow,
)

SURVEILLANCE_AHEAD = timedelta(days=30)


class SqlBroadcasts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reach(self, segment: str, now: datetime, rules: Rules) -> int:
        audience = (await self._audience(segment, now, rules)).subquery()
        return int(
            (await self._session.execute(select(func.count()).select_from(audience))).scalar_one()
        )

    async def _audience(self, segment: str, now: datetime, rules: Rules) -> Select[int]:
        """Everyone the segment reaches, as a query (the database builds the list: 100,000
        people are never loaded into the bot): people with a channel, never staff or
        assessors."""
        kind, _, value = segment.partition(":")
        today = local_date(now, ZoneInfo(rules.timezone))
        has_channel = exists().where(ChannelIdentityRow.person_id == PersonRow.id)
        has_role = exists().where(RoleRow.person_id == PersonRow.id)
        query = select(PersonRow.id).where(has_channel, ~has_role)
        if kind == "state":
            query = query.where(
                exists().where(
                    ApplicationRow.person_id == PersonRow.id, ApplicationRow.state == value
                )
            )
        elif kind == "channel":
            query = query.where(
                exists().where(
                    ChannelIdentityRow.person_id == PersonRow.id,
                    ChannelIdentityRow.channel == value,
                    ChannelIdentityRow.unreachable_at.is_(None),
                )
            )
        elif kind == "lang":
            query = query.where(PersonRow.locale == value)
        elif kind == "expiring":
            query = query.where(
                exists().where(
                    CertificateRow.person_id == PersonRow.id,
                    CertificateRow.state == "active",
                    CertificateRow.expires_on >= today,
                    CertificateRow.expires_on <= add_months(today, int(value)),
                )
            )
        elif kind == "surveillance":  # 9.6.2, at the scheme's interval
            ranges = surveillance_issue_ranges(today, today + SURVEILLANCE_AHEAD, rules)
            query = query.where(
                exists().where(
                    CertificateRow.person_id == PersonRow.id,
                    CertificateRow.state == "active",
                    or_(false(), *(CertificateRow.issued_on.between(a, b) for a, b in ranges)),
                )
            )
        return query

    async def create(
        self, created_by: int, segment: str, texts: Mapping[str, str], now: datetime, rules: Rules
    ) -> tuple[int, int]:
        """The broadcast and one outbox row per person reached, in the caller's transaction:
        one ``INSERT … SELECT``, the audience never leaving the database."""
        row = BroadcastRow(
            created_by=created_by, segment=segment, text_id=texts["text_id"],
            text_en=texts["text_en"], total=0, created_at=now, progress_sent=False,
        )  # fmt: skip
        self._session.add(row)
        await self._session.flush()
        people = (await self._audience(segment, now, rules)).subquery()
        person = people.c.id
        subject, key_prefix = broadcast_rows(row.id)
        rows = select(
            person,
            literal(None, String()),
            literal(str(NoticeKind.ANNOUNCEMENT)),
            literal(dict(texts), JSON()),
            false(),
            literal(now, UTCDateTime()),
            literal(key_prefix) + sql_cast(person, String()),
            literal(str(subject)),
            literal("pending"),
            literal(0),
            literal(utcnow(), UTCDateTime()),
        )
        columns = [
            "person_id", "channel", "kind", "params", "urgent", "due_at", "dedupe_key",
            "subject", "status", "attempts", "created_at",
        ]  # fmt: skip
        inserted = await self._session.execute(
            insert(cast(Table, OutboxRow.__table__)).from_select(columns, rows)
        )
        total = int(getattr(inserted, "rowcount", 0) or 0)
        row.total = total
        await self._session.flush()
        return row.id, total
