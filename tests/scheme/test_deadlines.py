"""Deadlines: appeal window (9.9.2), appeal decision in working days (9.9.6), validity (9.4.6),
renewal request (9.7.1), surveillance (9.6.2) — at leap days, year ends, holiday weeks and in
every Indonesian time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.schemes import load_scheme
from scheme.deadlines import (
    WorkCalendar,
    appeal_deadline,
    appeal_decision_due,
    appeal_reminder_at,
    certificate_expiry,
    reminder_instant,
    renewal_reminders,
    renewal_request_deadline,
    surveillance_due_dates,
    surveillance_issue_ranges,
    zone_label,
)
from scheme.model import Rules

ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
RULES = Rules()
NATIONAL = WorkCalendar("ID")
"""National holidays only: a year whose cuti bersama are not listed."""
CALENDAR = WorkCalendar.of(load_scheme())
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_appeal_window_ends_with_the_day_after_the_decision() -> None:
    deadline = appeal_deadline(wib(2026, 11, 25, 10, 0), RULES)
    assert deadline.tzinfo is not None
    assert deadline.astimezone(ZoneInfo("Asia/Jakarta")) == wib(2026, 11, 26, 23, 59, 59)
    # A decision late in the evening, WIB: the day after is still the 26th.
    assert appeal_deadline(wib(2026, 11, 25, 23, 30), RULES) == deadline
    # Year end and leap day.
    assert appeal_deadline(wib(2026, 12, 31, 9), RULES) == wib(2027, 1, 1, 23, 59, 59)
    assert appeal_deadline(wib(2028, 2, 28, 9), RULES) == wib(2028, 2, 29, 23, 59, 59)
    assert appeal_reminder_at(deadline) == deadline - timedelta(hours=6)


def test_appeal_window_in_the_schemes_own_zone() -> None:
    decided = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)  # 23:30 WIB, 00:30 on the 26th WIT
    assert appeal_deadline(decided, RULES).astimezone(ZoneInfo("Asia/Jakarta")).date() == date(
        2026, 11, 26
    )
    wit = Rules(timezone="Asia/Jayapura")
    assert appeal_deadline(decided, wit).astimezone(ZoneInfo("Asia/Jayapura")) == datetime(
        2026, 11, 27, 23, 59, 59, tzinfo=ZoneInfo("Asia/Jayapura")
    )


def test_the_appeal_window_ends_at_midnight_in_the_candidates_own_zone() -> None:
    """A decision at 23:59 WIT leaves the candidate in Jayapura the whole next day (9.9.2), not
    until 01:59 WIT as the end of the day in WIB would."""
    jayapura = ZoneInfo("Asia/Jayapura")
    decided = datetime(2026, 11, 25, 23, 59, tzinfo=jayapura)
    deadline = appeal_deadline(decided, RULES, "Asia/Jayapura")
    assert deadline.astimezone(jayapura) == datetime(2026, 11, 26, 23, 59, 59, tzinfo=jayapura)
    wib_deadline = appeal_deadline(decided, RULES)
    assert wib_deadline.astimezone(jayapura).time() == time(1, 59, 59)


@pytest.mark.parametrize("zone", ZONES)
@given(decided=instants)
def test_appeal_deadline_properties(zone: str, decided: datetime) -> None:
    rules = Rules(timezone=zone)
    deadline = appeal_deadline(decided, rules)
    local = deadline.astimezone(ZoneInfo(zone))
    assert local.time() == time(23, 59, 59)
    assert local.date() == decided.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    # The window ends at 23:59:59 local: a decision in the day's last second still gets a day.
    assert timedelta(days=1, seconds=-1) <= deadline - decided < timedelta(days=2)


def test_appeal_decision_skips_idul_fitri_week() -> None:
    # Received Thursday 27 March 2025 (a year not listed: national holidays only): Nyepi
    # (Sat 29), Idul Fitri (Mon 31 March, Tue 1 April) and Good Friday (18 April) do not count.
    assert appeal_decision_due(wib(2025, 3, 27, 10), RULES, CALENDAR) == date(2025, 4, 29)
    assert not NATIONAL.is_working_day(date(2025, 3, 31))
    assert not NATIONAL.is_working_day(date(2025, 4, 1))
    assert CALENDAR.unlisted_years(date(2025, 3, 27), date(2025, 4, 29)) == (2025,)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Fri 13 Mar 2026: cuti bersama 18, 20, 23, 24 Mar (Nyepi and Idul Fitri), Nyepi 19 Mar
        # and Good Friday 3 Apr do not count (SKB 2026). National holidays alone: 14 Apr.
        (wib(2026, 3, 13, 10), date(2026, 4, 20)),
        # Wed 2 Dec 2026: cuti bersama 24 Dec, Christmas and New Year: 4 Jan 2027, not 31 Dec.
        (wib(2026, 12, 2, 10), date(2027, 1, 4)),
        # Wed 13 May 2026: Ascension 14 May, cuti bersama 15 and 28 May, Idul Adha 27 May,
        # Pancasila 1 June, Islamic New Year 16 June (national holidays alone: 15 June).
        (wib(2026, 5, 13, 10), date(2026, 6, 18)),
        # Mon 9 Feb 2026: cuti bersama 16 Feb beside Imlek on the 17th (alone: 10 March).
        (wib(2026, 2, 9, 10), date(2026, 3, 11)),
    ],
)
def test_appeal_decision_counts_the_2026_cuti_bersama(received: datetime, due: date) -> None:
    assert appeal_decision_due(received, RULES, CALENDAR) == due
    assert CALENDAR.working_days_between(received.date(), due) == 20


def test_without_the_years_list_only_national_holidays_count() -> None:
    assert appeal_decision_due(wib(2026, 3, 13, 10), RULES, NATIONAL) == date(2026, 4, 14)
    assert appeal_decision_due(wib(2026, 12, 2, 10), RULES, NATIONAL) == date(2026, 12, 31)
    assert NATIONAL.unlisted_years(date(2026, 12, 2), date(2027, 1, 4)) == (2026, 2027)
    assert CALENDAR.unlisted_years(date(2026, 12, 2), date(2027, 1, 4)) == (2027,)


def test_staff_years_replace_the_files_list() -> None:
    scheme = load_scheme()
    calendar = WorkCalendar.of(scheme, {2026: [date(2026, 12, 2)], 2027: []})
    assert not calendar.is_working_day(date(2026, 12, 2))
    assert calendar.is_working_day(date(2026, 12, 24) - timedelta(days=1))
    assert calendar.is_working_day(date(2026, 12, 24))  # no longer in the 2026 list
    assert calendar.unlisted_years(date(2026, 1, 1), date(2027, 12, 31)) == ()


def test_the_2026_list_agrees_with_the_holidays_packages_government_days() -> None:
    """Two independent sources: the SKB as our data file has it, and ``holidays``' own list of
    Indonesian joint holidays (``government`` category)."""
    import holidays

    package = holidays.country_holidays("ID", years=2026, categories=("government",))
    assert CALENDAR.collective_leave[2026] == frozenset(package)


def test_appeal_decision_across_the_year_end() -> None:
    # Received 24 Dec 2026: Christmas, New Year and Isra Mi'raj (Jan 2027) do not count.
    due = appeal_decision_due(wib(2026, 12, 24, 10), RULES, CALENDAR)
    assert due == date(2027, 1, 26)
    assert CALENDAR.working_days_between(date(2026, 12, 24), due) == 20


def test_receipt_day_does_not_count_and_weekend_receipt() -> None:
    # Received on Saturday 5 Dec 2026: Monday the 7th is the first working day.
    assert CALENDAR.add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)
    one_day = Rules(appeal_decision_working_days=1)
    assert appeal_decision_due(wib(2026, 12, 5, 10), one_day, CALENDAR) == date(2026, 12, 7)


@given(start=days, count=st.integers(min_value=1, max_value=40))
def test_working_day_arithmetic(start: date, count: int) -> None:
    due = CALENDAR.add_working_days(start, count)
    assert CALENDAR.is_working_day(due)
    assert CALENDAR.working_days_between(start, due) == count
    assert CALENDAR.working_days_between(due, start) == -count
    assert NATIONAL.add_working_days(start, count) <= due  # cuti bersama only add days


@given(issued=days)
def test_certificate_validity_renewal_and_surveillance(issued: date) -> None:
    expiry = certificate_expiry(issued, RULES)
    assert expiry.year == issued.year + 3
    if (issued.month, issued.day) == (2, 29):
        assert (expiry.month, expiry.day) == (2, 28)
    else:
        assert (expiry.month, expiry.day) == (issued.month, issued.day)
    deadline = renewal_request_deadline(expiry, RULES)
    assert 89 <= (expiry - deadline).days <= 92
    surveillance = surveillance_due_dates(issued, RULES)
    assert len(surveillance) == 2
    assert list(surveillance) == sorted(surveillance)
    assert all(issued < due < expiry for due in surveillance)
    reminders = renewal_reminders(expiry, RULES)
    assert [r.kind for r in reminders] == [
        "renewal_6m",
        "renewal_4m",
        "renewal_3_5m",
        "renewal_last_day",
    ]
    assert [r.on for r in reminders] == sorted(r.on for r in reminders)
    assert reminders[-1].on == deadline


def test_leap_day_certificate() -> None:
    assert certificate_expiry(date(2024, 2, 29), RULES) == date(2027, 2, 28)
    assert renewal_request_deadline(date(2027, 5, 31), RULES) == date(2027, 2, 28)
    assert surveillance_due_dates(date(2024, 2, 29), RULES) == (
        date(2025, 2, 28),
        date(2026, 2, 28),
    )


@pytest.mark.parametrize(("zone", "label"), [*zip(ZONES, ["WIB", "WITA", "WIT"], strict=True)])
@given(day=days)
def test_reminders_at_nine_in_every_zone(zone: str, label: str, day: date) -> None:
    instant = reminder_instant(day, zone)
    assert instant.tzinfo == UTC
    local = instant.astimezone(ZoneInfo(zone))
    assert (local.date(), local.hour) == (day, 9)
    assert zone_label(zone) == label


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        appeal_deadline(datetime(2026, 1, 1, 10), RULES)


def test_made_up_scheme_rules(barista) -> None:  # type: ignore[no-untyped-def]
    rules = barista.rules
    assert certificate_expiry(date(2026, 1, 31), rules) == date(2028, 1, 31)
    assert renewal_request_deadline(date(2028, 1, 31), rules) == date(2027, 12, 31)
    assert len(surveillance_due_dates(date(2026, 1, 31), rules)) == 3  # every 6 months
    decided = datetime(2026, 11, 25, 2, tzinfo=UTC)  # 10:00 WITA
    assert appeal_deadline(decided, rules).astimezone(ZoneInfo("Asia/Makassar")) == datetime(
        2026, 11, 28, 23, 59, 59, tzinfo=ZoneInfo("Asia/Makassar")
    )


@given(
    issued=days,
    start=days,
    ahead=st.integers(0, 60),
    interval=st.sampled_from([1, 3, 6, 12, 18]),
    years=st.integers(1, 4),
)
def test_surveillance_issue_ranges_agree_with_the_due_dates(
    issued: date, start: date, ahead: int, interval: int, years: int
) -> None:
    """The query's ranges hold exactly the certificates one of whose due dates falls in the
    window, whatever the interval and validity the scheme sets."""
    rules = Rules(surveillance_interval_months=interval, certificate_validity_years=years)
    end = start + timedelta(days=ahead)
    due = any(start <= d <= end for d in surveillance_due_dates(issued, rules))
    ranges = surveillance_issue_ranges(start, end, rules)
    assert due == any(first <= issued <= last for first, last in ranges)


def test_surveillance_issue_ranges_at_month_ends() -> None:
    """Due on 28 February 2025: a certificate of 28 or 29 February 2024 (the first surveillance)
    and of 28 February 2023 (the second); a monthly one of 29, 30 or 31 January too."""
    assert surveillance_issue_ranges(date(2025, 2, 28), date(2025, 2, 28), Rules()) == (
        (date(2024, 2, 28), date(2024, 2, 29)),
        (date(2023, 2, 28), date(2023, 2, 28)),
    )
    monthly = Rules(surveillance_interval_months=1, certificate_validity_years=1)
    assert surveillance_issue_ranges(date(2025, 2, 28), date(2025, 2, 28), monthly)[0] == (
        date(2025, 1, 28), date(2025, 1, 31),
    )  # fmt: skip
