"""Deadlines: appeal window (9.9.2), appeal decision in working days (9.9.6), validity (9.4.6),
renewal request (9.7.1), surveillance (9.6.2) — at leap days, year ends, holiday weeks and in
every Indonesian time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheme.deadlines import (
    add_working_days,
    appeal_deadline,
    appeal_decision_due,
    appeal_reminder_at,
    certificate_expiry,
    is_working_day,
    reminder_instant,
    renewal_reminders,
    renewal_request_deadline,
    surveillance_due_dates,
    working_days_between,
    zone_label,
)
from scheme.model import Rules

ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
RULES = Rules()
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


@pytest.mark.parametrize("zone", ZONES)
@given(decided=instants)
def test_appeal_deadline_properties(zone: str, decided: datetime) -> None:
    rules = Rules(timezone=zone)
    deadline = appeal_deadline(decided, rules)
    local = deadline.astimezone(ZoneInfo(zone))
    assert local.time() == time(23, 59, 59)
    assert local.date() == decided.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    assert timedelta(days=1) <= deadline - decided < timedelta(days=2)


def test_appeal_decision_skips_idul_fitri_week() -> None:
    # Received Thursday 27 March 2025: Nyepi (Sat 29), Idul Fitri (Mon 31 March, Tue 1 April)
    # and Good Friday (18 April) do not count: 20 working days end on 29 April.
    assert appeal_decision_due(wib(2025, 3, 27, 10), RULES) == date(2025, 4, 29)
    assert not is_working_day(date(2025, 3, 31), "ID")
    assert not is_working_day(date(2025, 4, 1), "ID")


def test_appeal_decision_across_the_year_end() -> None:
    # Received 24 Dec 2026: Christmas, New Year and Isra Mi'raj (Jan 2027) do not count.
    due = appeal_decision_due(wib(2026, 12, 24, 10), RULES)
    assert due == date(2027, 1, 26)
    assert working_days_between(date(2026, 12, 24), due, "ID") == 20


def test_receipt_day_does_not_count_and_weekend_receipt() -> None:
    # Received on Saturday 5 Dec 2026: Monday the 7th is the first working day.
    assert add_working_days(date(2026, 12, 5), 1, "ID") == date(2026, 12, 7)
    assert appeal_decision_due(wib(2026, 12, 5, 10), Rules(appeal_decision_working_days=1)) == date(
        2026, 12, 7
    )


@given(start=days, count=st.integers(min_value=1, max_value=40))
def test_working_day_arithmetic(start: date, count: int) -> None:
    due = add_working_days(start, count, "ID")
    assert is_working_day(due, "ID")
    assert working_days_between(start, due, "ID") == count
    assert working_days_between(due, start, "ID") == -count


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
