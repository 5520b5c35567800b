"""The rate budget's schedule on PostgreSQL: one row per platform account holding its next free
send slot, booked in one statement with the database's clock, so that every process sending for
the account (the bot, any number of workers, on any machine) shares one budget and nobody's
clock needs to agree with anybody else's (issue 14, item 3; the pacing: ``bot/channels/pacing``).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import ColumnElement, Double, Table, Update, bindparam, func, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import RateScheduleRow

_SCHEDULE = cast(Table, RateScheduleRow.__table__)


def _now() -> ColumnElement[float]:
    return sql_cast(func.extract("epoch", func.clock_timestamp()), Double)


def _booking() -> Update:
    """Book ``span`` seconds from the later of the next free slot and now; the first slot
    booked and the database's now come back."""
    column, span = _SCHEDULE.c.next_slot, bindparam("b_span", type_=Double)
    return (
        update(_SCHEDULE)
        .where(_SCHEDULE.c.account == bindparam("b_account"))
        .values(next_slot=func.greatest(column, _now()) + span)
        .returning(column - span, _now())
    )


_BOOK_REPLY = _booking()
"""A reply's booking: always granted (replies come first)."""
_BOOK_WITHIN = _booking().where(
    _SCHEDULE.c.next_slot <= _now() + bindparam("b_horizon", type_=Double)
)
"""Anything else's: only while the schedule is booked less than ``horizon`` ahead."""


class SqlSchedule:
    """``book`` and ``hold`` as one ``UPDATE … RETURNING`` each; the row's lock orders the
    bookings of every process."""

    def __init__(self, engine: AsyncEngine) -> None:
        # Each statement commits alone: one round trip a booking, not BEGIN, UPDATE, COMMIT
        # (a booking comes before every reply's message).
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._known: set[str] = set()

    async def _ensure(self, account: str) -> None:
        if account in self._known:
            return
        async with self._engine.connect() as connection:
            await connection.execute(
                insert(_SCHEDULE)
                .values(account=account, next_slot=0.0)
                .on_conflict_do_nothing(index_elements=["account"])
            )
        self._known.add(account)

    async def book(
        self, account: str, slots: float, spacing: float, *, reply: bool, horizon: float
    ) -> tuple[float, float] | None:
        """The first slot booked and the moment of booking, by the database's clock."""
        await self._ensure(account)
        statement, values = _BOOK_REPLY, {"b_account": account, "b_span": slots * spacing}
        if not reply:
            statement, values = _BOOK_WITHIN, {**values, "b_horizon": horizon}
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement, values)).one_or_none()
        return None if row is None else (float(row[0]), float(row[1]))

    async def hold(self, account: str, seconds: float) -> None:
        await self._ensure(account)
        column = _SCHEDULE.c.next_slot
        async with self._engine.connect() as connection:
            await connection.execute(
                update(_SCHEDULE)
                .where(_SCHEDULE.c.account == account)
                .values(next_slot=func.greatest(column, _now() + seconds))
            )
