"""Which proactive messages an event brings and when (from ``scheme/``), quiet hours in every
Indonesian zone, and the outbox's scheduling rules (dedupe, cancellation) in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from domain import schedule
from domain.notices import Notice, format_instant
from domain.ports import NewPerson
from locales import GettextTranslator
from scheme.deadlines import WorkCalendar, appeal_deadline
from scheme.model import Rules

RULES = Rules()
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


@given(instants, st.sampled_from(ZONES))
def test_after_quiet_hours_is_never_in_them_and_waits_at_most_ten_hours(
    instant: datetime, zone: str
) -> None:
    sent = schedule.after_quiet_hours(instant, zone)
    local = sent.astimezone(ZoneInfo(zone)).time()
    assert time(7, 0) <= local < time(21, 0)
    assert instant <= sent <= instant + timedelta(hours=10)
    if not schedule.in_quiet_hours(instant, zone):
        assert sent == instant


def test_quiet_hours_are_the_recipients_own() -> None:
    # 14:30 UTC: 21:30 WIB (quiet), 22:30 WITA (quiet), 23:30 WIT (quiet); 23:30 UTC: 06:30 WIB
    evening = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    assert schedule.after_quiet_hours(evening, "Asia/Jakarta") == datetime(
        2026, 11, 26, 0, 0, tzinfo=UTC
    )  # 07:00 WIB
    assert schedule.after_quiet_hours(evening, "Asia/Jayapura") == datetime(
        2026, 11, 25, 22, 0, tzinfo=UTC
    )  # 07:00 WIT
    afternoon = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 15:00 WIB, 17:00 WIT
    assert all(schedule.after_quiet_hours(afternoon, z) == afternoon for z in ZONES)


@given(instants, st.sampled_from(("decided_competent", "decided_not_yet")))
def test_a_decision_brings_its_notice_and_a_reminder_before_the_appeal_closes(
    decided_at: datetime, result: str
) -> None:
    notice, reminder = schedule.decision("AK-2026-00001", result, decided_at, RULES)
    deadline = appeal_deadline(decided_at, RULES)
    assert notice.notice.kind == "decision"
    assert notice.due_at == decided_at
    assert notice.notice.urgent  # sent in quiet hours too (9.9.2)
    assert reminder.notice.kind == "appeal_closing"
    assert reminder.notice.urgent
    assert decided_at < reminder.due_at < deadline
    assert deadline - reminder.due_at == timedelta(hours=6)
    assert str(reminder.subject) == "appeal_window:AK-2026-00001"  # an appeal filed cancels it


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2032, 12, 31)), st.sampled_from(ZONES))
def test_a_certificate_brings_surveillance_renewal_and_expiry(issued: date, zone: str) -> None:
    planned = schedule.certificate("BNSP-1", issued, zone, RULES, NOW)
    kinds = [p.notice.kind for p in planned]
    assert kinds[0] == "certificate_issued"
    assert kinds.count("surveillance_due") == 2  # years 1 and 2 of a 3-year certificate
    assert kinds.count("renewal_last_day") == 1
    assert kinds.count("renewal_reminder") >= 1
    assert kinds[-1] == "certificate_expired"
    last_day = next(p for p in planned if p.notice.kind == "renewal_last_day")
    for reminder in (p for p in planned if p.notice.kind == "renewal_reminder"):
        assert reminder.due_at < last_day.due_at
        assert str(reminder.subject) == "renewal:BNSP-1"  # a renewal request cancels them
    for p in planned[1:]:
        local = p.due_at.astimezone(ZoneInfo(zone))
        assert local.time() == time(9, 0)  # reminders at 09:00 in the holder's zone
    assert len({p.dedupe_key for p in planned}) == len(planned)


def test_appeal_staff_warnings_come_before_the_due_date_and_when_overdue() -> None:
    received = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    warning, overdue = schedule.appeal_staff_warnings(
        "AK-2026-00001", received, RULES, WorkCalendar("ID")
    )
    due = date.fromisoformat(warning.notice.params["decision_due_on"])
    assert warning.due_at.date() < due < overdue.due_at.date()
    assert warning.subject == overdue.subject == schedule.Subject.appeal("AK-2026-00001")
    assert str(warning.subject) == "appeal:AK-2026-00001"


def test_notices_are_worded_in_the_recipients_language_and_zone() -> None:
    translator = GettextTranslator()
    [notice, _] = schedule.decision(
        "AK-2026-00001", "decided_competent", datetime(2026, 11, 25, 3, tzinfo=UTC), RULES
    )
    in_jakarta = notice.notice.text(translator, "id", "Asia/Jakarta")
    in_jayapura = notice.notice.text(translator, "en", "Asia/Jayapura")
    assert "Kamis, 26 November 2026 pukul 23.59 WIB" in in_jakarta
    assert "Diputuskan Kompeten" in in_jakarta
    assert "Friday, 27 November 2026 at 01:59 WIT" in in_jayapura  # the same instant, east
    in_makassar = format_instant(NOW, "en", "Asia/Makassar")
    assert in_makassar == "Wednesday, 25 November 2026 at 11:00 WITA"


def test_a_jayapura_candidates_appeal_window_ends_at_midnight_wit() -> None:
    """Decided at 23:59 WIT: the notice says the window closes at the end of the next day in
    Jayapura (9.9.2), and the reminder comes six hours before that."""
    translator = GettextTranslator()
    decided = datetime(2026, 11, 25, 14, 59, tzinfo=UTC)  # 23:59 WIT
    notice, reminder = schedule.decision(
        "AK-2026-00001", "decided_not_yet", decided, RULES, "Asia/Jayapura"
    )
    in_jayapura = notice.notice.text(translator, "id", "Asia/Jayapura")
    assert "Kamis, 26 November 2026 pukul 23.59 WIT" in in_jayapura
    assert reminder.due_at == datetime(2026, 11, 26, 8, 59, 59, tzinfo=UTC)  # 17:59:59 WIT


def test_a_notice_refuses_values_it_does_not_take() -> None:
    with pytest.raises(ValueError, match="takes"):
        Notice("certificate_issued", {"certificate": "X"})
    with pytest.raises(ValueError, match="unknown"):
        Notice("lottery_win", {})


async def test_scheduling_twice_is_one_row_and_cancel_takes_only_unsent(make_app, engine) -> None:
    app = await make_app()
    async with app.uow_factory() as uow:
        state = await uow.conversations.open_locked(
            "test", "u1", new_person=NewPerson("id", "Asia/Jakarta")
        )
        person = state.person.id
        planned = schedule.certificate("BNSP-1", date(2026, 11, 25), "Asia/Jakarta", RULES, NOW)
        for _ in range(2):
            for p in planned:
                await uow.outbox.schedule(person, p)
        await uow.commit()
    async with engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
        assert count == len(planned)
        await connection.execute(
            text("UPDATE outbox SET status = 'sent' WHERE dedupe_key = 'renewal_6m:BNSP-1'")
        )
        await connection.commit()
    async with app.uow_factory() as uow:
        cancelled = await uow.outbox.cancel(schedule.Subject.renewal("BNSP-1"))
        await uow.commit()
    renewal = [p for p in planned if str(p.subject) == "renewal:BNSP-1"]
    assert cancelled == len(renewal) - 1  # the one already sent stays sent
    async with engine.connect() as connection:
        statuses = dict(
            (await connection.execute(text("SELECT dedupe_key, status FROM outbox"))).all()
        )
    assert statuses["renewal_6m:BNSP-1"] == "sent"
    assert statuses["renewal_last_day:BNSP-1"] == "cancelled"
    assert statuses["certificate_expired:BNSP-1"] == "pending"


async def test_deleting_a_draft_cancels_its_pending_reminder(make_app, engine) -> None:
    from tests.handlers.candidate import Candidate

    app = await make_app()
    siti = Candidate(app)
    await siti.command("start")
    await siti.option("id")
    await siti.command("daftar")
    async with engine.connect() as connection:
        [(application, person)] = (
            await connection.execute(text("SELECT id, person_id FROM applications"))
        ).all()
    planned = schedule.draft_idle(application, NOW.date(), NOW)
    async with app.uow_factory() as uow:
        await uow.outbox.schedule(person, planned)
        await uow.commit()
    await siti.command("data")
    await siti.option("delete")
    await siti.option("yes")
    async with engine.connect() as connection:
        status = (await connection.execute(text("SELECT status FROM outbox"))).scalar_one()
    assert status == "cancelled"
