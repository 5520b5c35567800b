"""The working-day calendar every 9.9.6 count uses, and staff keeping each year's *cuti bersama*
without a release: a year set here replaces the scheme file's list for that year."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.ports import Services, UnitOfWork
from scheme.deadlines import WorkCalendar
from usecases.access import Caller, Refusal, Refused, audit_done, authorize


async def work_calendar(uow: UnitOfWork, services: Services) -> WorkCalendar:
    """The file's years, with the staff's on top."""
    staff_years = {record.year: record.days for record in await uow.collective_leave.years()}
    return WorkCalendar.of(services.scheme, staff_years)


async def set_collective_leave(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    year: int,
    *,
    days: Sequence[date],
    source: str,
) -> Refused | None:
    """A year's cuti bersama from the decree ``source`` (SKB); None when saved."""
    if not await authorize(uow, caller, "set_collective_leave", str(year)):
        return Refused(Refusal.NOT_ALLOWED)
    days = tuple(sorted(set(days)))
    await uow.collective_leave.set_year(
        year, days, source, by=caller.person_id, now=services.clock()
    )
    details = {"days": [day.isoformat() for day in days], "source": source}
    await audit_done(uow, caller, "collective_leave_saved", str(year), details)
    return None
