"""Deadlines and the calendar of the scheme (9.4.6, 9.6.2, 9.7.1, 9.9.2, 9.9.6).

Dates are calendar dates in the scheme's time zone; instants are aware datetimes in UTC (what
the database stores) that the conversation shows in each person's own zone (WIB, WITA, WIT).
Working days are Monday–Friday minus the national public holidays of the ``holidays`` package and
the year's cuti bersama (:class:`WorkCalendar`).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from scheme.model import Rules, Scheme

INDONESIAN_ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
REMINDER_HOUR = 9
"""Reminders about a day arrive at 09:00 in the person's own time zone."""
APPEAL_REMINDER_BEFORE = timedelta(hours=6)
"""A person who has not appealed is reminded this long before the window closes."""
RENEWAL_REMINDERS = (("renewal_6m", 6, 0), ("renewal_4m", 4, 0), ("renewal_3_5m", 3, 15))
"""Renewal reminders: (kind, months, days) before expiry, while a request is still on time."""


def zone_label(zone: str) -> str:
    """WIB, WITA or WIT for Indonesian zones; the zone's own name elsewhere."""
    return INDONESIAN_ZONES.get(zone, zone)


def add_months(day: date, months: int) -> date:
    """Calendar months later (or earlier, when negative); the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """29 February plus whole years in a common year is 28 February."""
    return add_months(day, 12 * years)


@lru_cache(maxsize=16)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working days (9.9.6 "hari kerja"): Monday–Friday, minus the national public holidays of
    the ``holidays`` package and the year's *cuti bersama*, set each year by joint decree (SKB)
    and not in that package. A year whose list is not known yet counts national holidays only."""

    country: str
    collective_leave: Mapping[int, frozenset[date]] = field(default_factory=dict)
    """Year → its cuti bersama; a year that is a key is listed (perhaps with no days)."""

    @classmethod
    def of(
        cls, scheme: Scheme, overrides: Mapping[int, Iterable[date]] | None = None
    ) -> WorkCalendar:
        """The scheme file's lists, with the years staff set in the chat taking precedence."""
        years = {entry.year: frozenset(entry.days) for entry in scheme.collective_leave}
        years.update({year: frozenset(days) for year, days in (overrides or {}).items()})
        return cls(scheme.rules.holiday_country, years)

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and day not in _holidays(self.country, day.year)
            and day not in self.collective_leave.get(day.year, frozenset())
        )

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself never counts)."""
        day = start
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is
        earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            self.is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1)
        )

    def unlisted_years(self, start: date, end: date) -> tuple[int, ...]:
        """Years from ``start`` to ``end`` whose cuti bersama are not known: counted on national
        holidays alone, which staff must be told."""
        first, last = sorted((start.year, end.year))
        return tuple(y for y in range(first, last + 1) if y not in self.collective_leave)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The last second of ``day`` in ``zone``, as an aware UTC datetime."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: store and pass aware UTC instants")
    return instant.astimezone(zone).date()


def appeal_deadline(decided_at: datetime, rules: Rules, zone_name: str | None = None) -> datetime:
    """9.9.2 "maksimal 1 hari sejak keputusan": until the end of the calendar day after the
    decision, in the candidate's own zone (the scheme's when not given): a decision at 23:59 WIT
    leaves the whole next day in Jayapura, not until 01:59."""
    zone = ZoneInfo(zone_name or rules.timezone)
    last_day = local_date(decided_at, zone) + timedelta(days=rules.appeal_window_days)
    return end_of_day(last_day, zone)


def appeal_reminder_at(deadline: datetime) -> datetime:
    return deadline - APPEAL_REMINDER_BEFORE


def appeal_decision_due(received_at: datetime, rules: Rules, calendar: WorkCalendar) -> date:
    """9.9.6: 20 working days after the appeal is received; the day of receipt does not count."""
    received = local_date(received_at, ZoneInfo(rules.timezone))
    return calendar.add_working_days(received, rules.appeal_decision_working_days)


def certificate_expiry(issued: date, rules: Rules) -> date:
    """9.4.6: valid 3 years from the issue date."""
    return add_years(issued, rules.certificate_validity_years)


def renewal_request_deadline(expiry: date, rules: Rules) -> date:
    """9.7.1 "minimal 3 bulan sebelum": the last day to request renewal."""
    return add_months(expiry, -rules.renewal_request_months_before_expiry)


def surveillance_due_dates(issued: date, rules: Rules) -> tuple[date, ...]:
    """9.6.2 "minimal sekali dalam satu tahun": each anniversary of issue while still valid."""
    expiry = certificate_expiry(issued, rules)
    dates: list[date] = []
    n = 1
    while (due := add_months(issued, n * rules.surveillance_interval_months)) < expiry:
        dates.append(due)
        n += 1
    return tuple(dates)


def surveillance_issue_ranges(
    start: date, end: date, rules: Rules
) -> tuple[tuple[date, date], ...]:
    """The issue dates whose surveillance (9.6.2) falls due from ``start`` to ``end``, both
    included, as one range per surveillance (the first anniversary, the second…): what a query
    filters certificates on, instead of computing every certificate's dates. Agrees with
    :func:`surveillance_due_dates` day for day (the 31st and 29 February included)."""
    ranges: list[tuple[date, date]] = []
    step, validity = rules.surveillance_interval_months, 12 * rules.certificate_validity_years
    for months in range(step, validity, step):  # a due date on the expiry is none (9.4.6)
        first = add_months(start, -months) - timedelta(days=4)
        while add_months(first, months) < start:  # add_months never goes down: the first day
            first += timedelta(days=1)
        last = add_months(end, -months) + timedelta(days=4)
        while add_months(last, months) > end:
            last -= timedelta(days=1)
        if first <= last:
            ranges.append((first, last))
    return tuple(ranges)


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: str
    on: date


def renewal_reminders(expiry: date, rules: Rules) -> tuple[Reminder, ...]:
    """Reminders before the last day to request renewal, and on it (9.7.1)."""
    deadline = renewal_request_deadline(expiry, rules)
    early = (
        Reminder(kind, add_months(expiry, -months) - timedelta(days=days))
        for kind, months, days in RENEWAL_REMINDERS
    )
    return (
        *sorted((r for r in early if r.on < deadline), key=lambda r: r.on),
        Reminder("renewal_last_day", deadline),
    )


def reminder_instant(day: date, zone: str) -> datetime:
    """When a reminder about ``day`` is sent: 09:00 in the person's zone, in UTC."""
    return datetime.combine(day, time(REMINDER_HOUR), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def reminder_instants(days: Iterable[Reminder], zone: str) -> tuple[tuple[str, datetime], ...]:
    return tuple((r.kind, reminder_instant(r.on, zone)) for r in days)
