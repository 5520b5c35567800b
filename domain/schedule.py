"""Which proactive messages an event brings, and when each is due (all times from ``scheme/``).

Each function returns :class:`Planned` messages for the outbox: their dedupe keys make
scheduling the same event twice harmless, and their ``subject`` names what a later change can
make moot (filing an appeal cancels the "appeal closes soon" reminder; requesting renewal
cancels the remaining renewal reminders). Quiet hours are applied when a message is sent, in
the recipient's zone of that moment (:func:`after_quiet_hours`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.notices import Notice, NoticeKind
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
)
from scheme.model import Rules

QUIET_START = time(21, 0)
QUIET_END = time(7, 0)
DRAFT_IDLE = timedelta(days=3)
STAFF_APPEAL_WARNING_WORKING_DAYS = 3


@dataclass(frozen=True, slots=True)
class Planned:
    notice: Notice
    due_at: datetime
    dedupe_key: str
    subject: str | None = None


def in_quiet_hours(
    instant: datetime, zone: str, start: time = QUIET_START, end: time = QUIET_END
) -> bool:
    local = instant.astimezone(ZoneInfo(zone)).time()
    return local >= start or local < end if start > end else start <= local < end


def after_quiet_hours(
    instant: datetime, zone: str, start: time = QUIET_START, end: time = QUIET_END
) -> datetime:
    """``instant``, or the end of the quiet hours it falls in (the recipient's local morning)."""
    if not in_quiet_hours(instant, zone, start, end):
        return instant
    tz = ZoneInfo(zone)
    local = instant.astimezone(tz)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)


def status_changed(reference: str, state: str, at: datetime) -> Planned:
    return Planned(
        Notice(NoticeKind.STATUS_CHANGED, {"reference": reference, "state": state, "next": state}),
        at,
        f"status:{reference}:{state}:{at.isoformat()}",
    )


APPEAL_OUTCOMES = ("granted", "dismissed")


def appeal_decided(reference: str, outcome: str, reasons: str, at: datetime) -> Planned:
    """9.9.7: the panel's binding decision (one of ``APPEAL_OUTCOMES``) and its reasons, to the
    candidate."""
    return Planned(
        Notice(
            NoticeKind.APPEAL_DECIDED,
            {"reference": reference, "appeal_outcome": outcome, "reasons": reasons},
        ),
        at,
        f"appeal_decided:{reference}:{at.isoformat()}",
    )


def fix_requested(reference: str, reasons: str, at: datetime) -> Planned:
    """Staff sent the application back (9.1.5): the reasons per evidence item."""
    return Planned(
        Notice(NoticeKind.FIX_REQUESTED, {"reference": reference, "reasons": reasons}),
        at,
        f"fix_requested:{reference}:{at.isoformat()}",
    )


def draft_subject(application_id: int) -> str:
    """What submitting or deleting the draft makes moot."""
    return f"draft:{application_id}"


def draft_idle(application_id: int, started_on: date, updated_at: datetime) -> Planned:
    """A draft untouched for 3 days: one reminder per stretch of idleness."""
    return Planned(
        Notice(NoticeKind.DRAFT_IDLE, {"started_on": started_on.isoformat()}),
        updated_at + DRAFT_IDLE,
        f"draft_idle:{application_id}:{updated_at.isoformat()}",
        subject=draft_subject(application_id),
    )


def assessment(
    reference: str, starts_at: datetime, place: str, zone: str, now: datetime
) -> list[Planned]:
    """The schedule now (9.3.2), and a reminder at 09:00 local the day before."""
    params = {"reference": reference, "starts_at": starts_at.isoformat(), "place": place}
    day_before = starts_at.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    key = f"{reference}:{starts_at.isoformat()}"
    return [
        Planned(
            Notice(NoticeKind.ASSESSMENT_SCHEDULED, params),
            now,
            f"assessment:{key}",
            subject=f"assessment:{reference}",
        ),
        Planned(
            Notice(NoticeKind.ASSESSMENT_TOMORROW, params),
            reminder_instant(day_before, zone),
            f"assessment_tomorrow:{key}",
            subject=f"assessment:{reference}",
        ),
    ]


def role_changed(person_id: int, role: str, *, granted: bool, at: datetime) -> Planned:
    """The person is told a role was granted or taken away (by an admin or on the server)."""
    kind = NoticeKind.ROLE_GRANTED if granted else NoticeKind.ROLE_REVOKED
    return Planned(Notice(kind, {"role": role}), at, f"{kind}:{person_id}:{role}:{at.isoformat()}")


def assessor_assignment(
    reference: str,
    *,
    candidate: str,
    units: str,
    starts_at: str,
    place: str,
    assessor: int,
    now: datetime,
) -> Planned:
    """To the assessor (9.2.2): whom, which units, when and where; one per schedule."""
    params = {
        "reference": reference, "candidate": candidate, "units": units,
        "starts_at": starts_at, "place": place,
    }  # fmt: skip
    return Planned(
        Notice(NoticeKind.ASSESSOR_ASSIGNMENT, params),
        now,
        f"assessor_assignment:{reference}:{assessor}:{starts_at}",
    )


def decision(
    reference: str, result: str, decided_at: datetime, rules: Rules, zone: str | None = None
) -> list[Planned]:
    """The decision with the appeal deadline (9.9.2: the end of the day after, in the
    candidate's ``zone``), and a reminder hours before it closes; filing an appeal cancels the
    reminder (subject ``appeal_window:<reference>``)."""
    deadline = appeal_deadline(decided_at, rules, zone)
    params = {"reference": reference, "appeal_until_at": deadline.isoformat()}
    return [
        Planned(
            Notice(NoticeKind.DECISION, {**params, "result": result}),
            decided_at,
            f"decision:{reference}:{decided_at.isoformat()}",
        ),
        Planned(
            Notice(NoticeKind.APPEAL_CLOSING, params),
            appeal_reminder_at(deadline),
            f"appeal_closing:{reference}:{deadline.isoformat()}",
            subject=f"appeal_window:{reference}",
        ),
    ]


def appeal_received(
    reference: str, received_at: datetime, rules: Rules, calendar: WorkCalendar
) -> Planned:
    due = appeal_decision_due(received_at, rules, calendar)
    return Planned(
        Notice(
            NoticeKind.APPEAL_RECEIVED, {"reference": reference, "decision_due_on": due.isoformat()}
        ),
        received_at,
        f"appeal_received:{reference}:{received_at.isoformat()}",
    )


def appeal_staff_warnings(
    reference: str, received_at: datetime, rules: Rules, calendar: WorkCalendar
) -> list[Planned]:
    """To staff: 3 working days before the appeal decision is due, and the day after it when
    still open (overdue); the decision cancels both (subject ``appeal:<reference>``)."""
    due = appeal_decision_due(received_at, rules, calendar)
    received = received_at.astimezone(ZoneInfo(rules.timezone)).date()
    warn_on = max(_working_days_before(due, STAFF_APPEAL_WARNING_WORKING_DAYS, calendar), received)
    overdue_on = calendar.add_working_days(due, 1)
    params = {"reference": reference, "decision_due_on": due.isoformat()}
    return [
        Planned(
            Notice(NoticeKind.APPEAL_DUE_STAFF, params),
            reminder_instant(day, rules.timezone),
            f"appeal_due_staff:{reference}:{day.isoformat()}",
            subject=f"appeal:{reference}",
        )
        for day in (warn_on, overdue_on)
    ]


def _working_days_before(day: date, count: int, calendar: WorkCalendar) -> date:
    candidate = day
    while calendar.add_working_days(candidate, count) > day:
        candidate -= timedelta(days=1)
    return candidate


def certificate(
    number: str, issued_on: date, zone: str, rules: Rules, now: datetime
) -> list[Planned]:
    """Issued (with its expiry, 9.4.6), each yearly surveillance (9.6.2), the renewal reminders
    and the last day to request renewal (9.7.1), and the expiry; reminders at 09:00 local."""
    expiry = certificate_expiry(issued_on, rules)
    request_by = renewal_request_deadline(expiry, rules)
    planned = [
        Planned(
            Notice(
                NoticeKind.CERTIFICATE_ISSUED,
                {"certificate": number, "expires_on": expiry.isoformat()},
            ),
            now,
            f"certificate_issued:{number}",
        )
    ]
    planned += [
        Planned(
            Notice(NoticeKind.SURVEILLANCE_DUE, {"certificate": number, "due_on": due.isoformat()}),
            reminder_instant(due, zone),
            f"surveillance:{number}:{due.isoformat()}",
            subject=f"certificate:{number}",
        )
        for due in surveillance_due_dates(issued_on, rules)
    ]
    for reminder in renewal_reminders(expiry, rules):
        kind = (
            NoticeKind.RENEWAL_LAST_DAY
            if reminder.kind == "renewal_last_day"
            else NoticeKind.RENEWAL_REMINDER
        )
        planned.append(
            Planned(
                Notice(kind, {"certificate": number, "request_by_on": request_by.isoformat()}),
                reminder_instant(reminder.on, zone),
                f"{reminder.kind}:{number}",
                subject=f"renewal:{number}",
            )
        )
    planned.append(
        Planned(
            Notice(
                NoticeKind.CERTIFICATE_EXPIRED,
                {"certificate": number, "expired_on": expiry.isoformat()},
            ),
            reminder_instant(expiry, zone),
            f"certificate_expired:{number}",
            subject=f"certificate:{number}",
        )
    )
    return planned
