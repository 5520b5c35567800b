"""Kept replies (issue 14, item 4): a reply is saved in the update's transaction under the
name of the process that will send it and a lease that process renews while the reply waits
in its queue. Should the process die, the lease runs out and another process claims the reply
and sends it. Leases run on the wall clock (not the bot's clock, which tests may stop)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ports import KeptReply
from storage.models import KeptReplyRow

LEASE = timedelta(seconds=30)
"""A kept reply whose process has not renewed it for this long is another's to send."""

KEPT = cast(Table, KeptReplyRow.__table__)
_KEEP = insert(KEPT).returning(KEPT.c.id)


def _now() -> datetime:
    return datetime.now(UTC)


def kept_values(document: Mapping[str, Any], holder: str) -> dict[str, Any]:
    """A kept reply's columns but its account: the body, under ``holder``'s lease from now."""
    now = _now()
    return {"body": dict(document), "created_at": now, "holder": holder, "held_until": now + LEASE}


class SqlKeptReplies:
    def __init__(self, session: AsyncSession, holder: str) -> None:
        self._session = session
        self._holder = holder

    async def keep(self, channel: str, external_id: str, document: Mapping[str, Any]) -> int:
        row = {
            "channel": channel,
            "external_id": external_id,
            **kept_values(document, self._holder),
        }
        # a statement, not an ORM object: no unit-of-work flush on every update's reply
        return int((await self._session.execute(_KEEP, row)).scalar_one())

    async def done(self, ids: Sequence[int]) -> None:
        if ids:
            await self._session.execute(delete(KEPT).where(KEPT.c.id.in_(ids)))

    async def renew(self, ids: Sequence[int]) -> set[int]:
        if not ids:
            return set()
        result = await self._session.execute(
            update(KEPT)
            .where(KEPT.c.id.in_(ids), KEPT.c.holder == self._holder)
            .values(held_until=_now() + LEASE)
            .returning(KEPT.c.id)
        )
        return set(result.scalars())

    async def claim(self, channel: str, limit: int) -> list[KeptReply]:
        now = _now()
        query = (
            select(KEPT.c.id)
            .where(KEPT.c.channel == channel, KEPT.c.held_until < now)
            .order_by(KEPT.c.id)
            .limit(limit)
        )
        if self._session.bind is not None and self._session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list((await self._session.execute(query)).scalars())
        if not ids:
            return []
        result = await self._session.execute(
            update(KEPT)
            .where(KEPT.c.id.in_(ids), KEPT.c.held_until < now)
            .values(holder=self._holder, held_until=now + LEASE)
            .returning(KEPT.c.id, KEPT.c.external_id, KEPT.c.body)
        )
        return sorted(
            (KeptReply(row.id, row.external_id, row.body) for row in result), key=lambda r: r.id
        )
