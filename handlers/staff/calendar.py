"""``/cutibersama``: staff keep each year's *cuti bersama* (9.9.6 working days) without a release.

The scheme file ships the years known when it was written; when the next year's joint decree
(SKB) appears, staff send its days here. A year set here replaces the file's list for that year.
Each press re-checks the role and the change is in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from domain.notices import format_day
from handlers.conversation import MENU, Context, StepData, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from handlers.staff.common import StaffOption, allowed, say_refused
from scheme.deadlines import WorkCalendar, local_date
from usecases import calendar as leave

LEAVE = StepName("staff_leave")
LEAVE_DAYS = StepName("staff_leave_days")
LEAVE_SOURCE = StepName("staff_leave_source")
LEAVE_CONFIRM = StepName("staff_leave_confirm")
MAX_DAYS = 20
"""No decree has set more than a dozen; more is a typing slip."""


class LeaveDays(StepData):
    """A year's cuti bersama as typed, before its source."""

    year: int
    days: tuple[date, ...]


class LeaveSourced(LeaveDays):
    """... and the decree they come from, to be confirmed."""

    source: str


_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")


async def work_calendar(ctx: Context) -> WorkCalendar:
    """The calendar every working-day count uses: the file's years, with the staff's on top."""
    return await leave.work_calendar(ctx.uow, ctx.services)


def unlisted_note(ctx: Context, calendar: WorkCalendar, start: date, end: date) -> str | None:
    """For staff: the years of a count whose cuti bersama are not known yet."""
    years = calendar.unlisted_years(start, end)
    if not years:
        return None
    return ctx.t("leave.unlisted", years=", ".join(map(str, years)))


def parse_days(typed: str) -> tuple[int, tuple[date, ...]] | str:
    """A year's days (dd-mm-yyyy or yyyy-mm-dd, separated by spaces or commas), or the year
    alone for a year without cuti bersama; else the locale key of what is wrong."""
    tokens = [t for t in re.split(r"[\s,;]+", typed.strip()) if t]
    if len(tokens) == 1 and re.fullmatch(r"\d{4}", tokens[0]):
        return int(tokens[0]), ()
    if not tokens or len(tokens) > MAX_DAYS:
        return "leave.bad_days"
    days: list[date] = []
    for token in tokens:
        match = _DATE.match(token)
        if match is None:
            return "leave.bad_days"
        d, m, y, iy, im, iday = match.groups()
        try:
            days.append(date(int(y), int(m), int(d)) if y else date(int(iy), int(im), int(iday)))
        except ValueError:
            return "leave.bad_days"
    if len({day.year for day in days}) != 1:
        return "leave.one_year"
    return days[0].year, tuple(sorted(set(days)))


async def open_leave(ctx: Context, command: CommandIn) -> None:
    if await allowed(ctx, "view_collective_leave"):
        ctx.goto(LEAVE)


class LeaveStep:
    """Every known year with its days and decree; this year and the next flagged when missing."""

    name = LEAVE

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            Option(StaffOption.LEAVE_SET, ctx.t("leave.set")),
            Option(StaffOption.MENU, ctx.t("common.menu")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        staff = {record.year: record for record in await ctx.uow.collective_leave.years()}
        calendar = WorkCalendar.of(ctx.services.scheme, {y: r.days for y, r in staff.items()})
        shipped = {entry.year: entry.source for entry in ctx.services.scheme.collective_leave}
        lines = [ctx.t("leave.title")]
        for year, days in sorted(calendar.collective_leave.items()):
            source = staff[year].source if year in staff else shipped.get(year, "")
            origin = ctx.t("leave.by_staff" if year in staff else "leave.from_file")
            listed = ", ".join(format_day(day, ctx.locale) for day in sorted(days)) or "—"
            lines.append(f"• {year}: {listed}\n  {source} ({origin})")
        today = local_date(ctx.now(), ZoneInfo(ctx.services.scheme.rules.timezone))
        end = date(today.year + 1, 12, 31)
        if note := unlisted_note(ctx, calendar, today, end):
            lines.append(note)
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.MENU:
            ctx.goto(MENU)
        elif await allowed(ctx, "view_collective_leave"):
            ctx.goto(LEAVE_DAYS)


class LeaveDaysStep:
    name = LEAVE_DAYS

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(StaffOption.BACK, ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("leave.ask_days", most=MAX_DAYS), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(LEAVE)

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        parsed = parse_days(event.text)
        if isinstance(parsed, str):
            ctx.say(Text(ctx.t(parsed)))
            await ctx.show_current()
            return
        year, days = parsed
        ctx.goto(LEAVE_SOURCE, LeaveDays(year=year, days=tuple(days)))


class LeaveSourceStep:
    """The decree the days come from: it is shown beside them and kept in the audit log."""

    name = LEAVE_SOURCE

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(StaffOption.BACK, ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [
            choice(
                ctx.t("leave.ask_source", year=ctx.read(LeaveDays).year), await self.options(ctx)
            )
        ]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(LEAVE_DAYS)

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        source = " ".join(event.text.split())
        if not 3 <= len(source) <= 300:
            ctx.say(Text(ctx.t("leave.bad_source")))
            await ctx.show_current()
            return
        typed = ctx.read(LeaveDays)
        ctx.goto(LEAVE_CONFIRM, LeaveSourced(year=typed.year, days=typed.days, source=source))


class LeaveConfirmStep:
    name = LEAVE_CONFIRM

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            Option(StaffOption.LEAVE_SAVE, ctx.t("leave.save")),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        typed = ctx.read(LeaveSourced)
        calendar = WorkCalendar(ctx.services.scheme.rules.holiday_country)
        lines = [ctx.t("leave.confirm", year=typed.year, source=typed.source)]
        for day in typed.days:
            line = f"• {ctx.t(f'weekday.{day.weekday()}')} {format_day(day, ctx.locale)}"
            if not calendar.is_working_day(day):  # a weekend or a national holiday: a slip?
                line += " " + ctx.t("leave.not_a_working_day")
            lines.append(line)
        if not typed.days:
            lines.append(ctx.t("leave.none"))
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        typed = ctx.read(LeaveSourced)
        if event.option_id == StaffOption.BACK:
            ctx.goto(LEAVE_SOURCE, LeaveDays(year=typed.year, days=typed.days))
            return
        year, source, days = typed.year, typed.source, typed.days
        refused = await leave.set_collective_leave(
            ctx.uow, ctx.services, ctx.caller, year, days=days, source=source
        )
        if refused is not None:
            await say_refused(ctx, refused)
            return
        ctx.say(Text(ctx.t("leave.saved", year=year, count=len(days))))
        ctx.goto(LEAVE)
