"""Which proactive messages an event brings, and when each is due (all times from ``scheme/``).

Each function returns :class:`Planned` messages for the outbox: their dedupe keys make
scheduling the same event twice harmless, and their ``subject`` names what a later change can
make moot (filing an appeal cancels the "appeal closes soon" reminder; requesting renewal
cancels the remaining renewal reminders). Quiet hours are applied when a message is sent, in
the recipient's zone of that moment (:func:`after_quiet_hours`).

This module is the one place where dedupe keys (:data:`DedupeKey`) and subjects
(:class:`Subject`) are made: the outbox port takes only these types, so a key cannot be
spelled differently in two places.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NewType
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


DedupeKey = NewType("DedupeKey", str)
"""One message's identity in the outbox: scheduling it again is a no-op."""


class Topic(StrEnum):
    """What kind of thing a subject is: the first part of its name."""

    DRAFT = "draft"
    ASSESSMENT = "assessment"
    APPEAL_WINDOW = "appeal_window"
    APPEAL = "appeal"
    CERTIFICATE = "certificate"
    RENEWAL = "renewal"
    BROADCAST = "broadcast"


@dataclass(frozen=True, slots=True)
class Subject:
    """The thing a message is about, whose later change makes the message moot (stored as
    ``<topic>:<of>``)."""

    topic: Topic
    of: str

    def __str__(self) -> str:
        return f"{self.topic}:{self.of}"

    @classmethod
    def draft(cls, application_id: int) -> Subject:
        """Submitting or deleting the draft."""
        return cls(Topic.DRAFT, str(application_id))

    @classmethod
    def assessment(cls, reference: str) -> Subject:
        return cls(Topic.ASSESSMENT, reference)

    @classmethod
    def appeal_window(cls, reference: str) -> Subject:
        """Filing an appeal (9.9.2)."""
        return cls(Topic.APPEAL_WINDOW, reference)

    @classmethod
    def appeal(cls, reference: str) -> Subject:
        """The appeal's decision (9.9.6)."""
        return cls(Topic.APPEAL, reference)

    @classmethod
    def certificate(cls, number: str) -> Subject:
        """Revoking or replacing the certificate."""
        return cls(Topic.CERTIFICATE, number)

    @classmethod
    def renewal(cls, number: str) -> Subject:
        """Requesting renewal (9.7.1), or the certificate's end."""
        return cls(Topic.RENEWAL, number)

    @classmethod
    def broadcast(cls, broadcast_id: int) -> Subject:
        return cls(Topic.BROADCAST, str(broadcast_id))


@dataclass(frozen=True, slots=True)
class Planned:
    notice: Notice
    due_at: datetime
    dedupe_key: DedupeKey
    subject: Subject | None = None

    def to_each(self, person_id: int) -> Planned:
        """The same message to one of several people (each staff member): a key of its own."""
        return replace(self, dedupe_key=DedupeKey(f"{self.dedupe_key}:{person_id}"))

    def to_the_assessor(self) -> Planned:
        """The candidate's reminder, also to the assessor (9.3.2)."""
        return replace(self, dedupe_key=DedupeKey(f"assessor:{self.dedupe_key}"))


def _key(*parts: object) -> DedupeKey:
    return DedupeKey(":".join(str(part) for part in parts))


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
        _key("status", reference, state, at.isoformat()),
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
        _key("appeal_decided", reference, at.isoformat()),
    )


def fix_requested(reference: str, reasons: str, at: datetime) -> Planned:
    """Staff sent the application back (9.1.5): the reasons per evidence item."""
    return Planned(
        Notice(NoticeKind.FIX_REQUESTED, {"reference": reference, "reasons": reasons}),
        at,
        _key("fix_requested", reference, at.isoformat()),
    )


def draft_idle(application_id: int, started_on: date, updated_at: datetime) -> Planned:
    """A draft untouched for 3 days: one reminder per stretch of idleness."""
    return Planned(
        Notice(NoticeKind.DRAFT_IDLE, {"started_on": started_on.isoformat()}),
        updated_at + DRAFT_IDLE,
        _key("draft_idle", application_id, updated_at.isoformat()),
        subject=Subject.draft(application_id),
    )


def assessment(
    reference: str, starts_at: datetime, place: str, zone: str, now: datetime
) -> list[Planned]:
    """The schedule now (9.3.2), and a reminder at 09:00 local the day before."""
    params = {"reference": reference, "starts_at": starts_at.isoformat(), "place": place}
    day_before = starts_at.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    return [
        Planned(
            Notice(NoticeKind.ASSESSMENT_SCHEDULED, params),
            now,
            _key("assessment", reference, starts_at.isoformat()),
            subject=Subject.assessment(reference),
        ),
        Planned(
            Notice(NoticeKind.ASSESSMENT_TOMORROW, params),
            reminder_instant(day_before, zone),
            _key("assessment_tomorrow", reference, starts_at.isoformat()),
            subject=Subject.assessment(reference),
        ),
    ]


def role_changed(person_id: int, role: str, *, granted: bool, at: datetime) -> Planned:
    """The person is told a role was granted or taken away (by an admin or on the server)."""
    kind = NoticeKind.ROLE_GRANTED if granted else NoticeKind.ROLE_REVOKED
    return Planned(Notice(kind, {"role": role}), at, _key(kind, person_id, role, at.isoformat()))


def question_asked(
    question_id: int, *, asker: str, reference: str, question: str, at: datetime
) -> Planned:
    """A question to staff (7.1.2), with who asks and about which application; to each staff
    member (:meth:`Planned.to_each`)."""
    params = {"asker": asker, "reference": reference, "question": question}
    return Planned(Notice(NoticeKind.QUESTION_ASKED, params), at, _key("question", question_id))


def question_answered(question_id: int, *, question: str, answer: str, at: datetime) -> Planned:
    """Staff's answer, back in the asker's chat; one per question."""
    params = {"question": question, "answer": answer}
    return Planned(Notice(NoticeKind.QUESTION_ANSWERED, params), at, _key("answer", question_id))


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
        _key("assessor_assignment", reference, assessor, starts_at),
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
            _key("decision", reference, decided_at.isoformat()),
        ),
        Planned(
            Notice(NoticeKind.APPEAL_CLOSING, params),
            appeal_reminder_at(deadline),
            _key("appeal_closing", reference, deadline.isoformat()),
            subject=Subject.appeal_window(reference),
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
        _key("appeal_received", reference, received_at.isoformat()),
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
            _key("appeal_due_staff", reference, day.isoformat()),
            subject=Subject.appeal(reference),
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
            _key("certificate_issued", number),
        )
    ]
    planned += [
        Planned(
            Notice(NoticeKind.SURVEILLANCE_DUE, {"certificate": number, "due_on": due.isoformat()}),
            reminder_instant(due, zone),
            _key("surveillance", number, due.isoformat()),
            subject=Subject.certificate(number),
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
                _key(reminder.kind, number),
                subject=Subject.renewal(number),
            )
        )
    planned.append(
        Planned(
            Notice(
                NoticeKind.CERTIFICATE_EXPIRED,
                {"certificate": number, "expired_on": expiry.isoformat()},
            ),
            reminder_instant(expiry, zone),
            _key("certificate_expired", number),
            subject=Subject.certificate(number),
        )
    )
    return planned


def certificate_changed(
    kind: NoticeKind, number: str, at: datetime, reason: str | None = None
) -> Planned:
    """Frozen, unfrozen or revoked (9.5): to the holder, with staff's reason."""
    params = {"certificate": number} | ({} if reason is None else {"reason": reason})
    return Planned(Notice(kind, params), at, _key(kind, number, at.isoformat()))


def surveillance_received(number: str, evidence_id: str, at: datetime) -> Planned:
    """9.6.3: the holder's surveillance evidence arrived (to each staff member: ``to_each``)."""
    return Planned(
        Notice(NoticeKind.SURVEILLANCE_RECEIVED, {"certificate": number}),
        at,
        _key("surveillance_received", number, evidence_id),
    )


def surveillance_recorded(number: str, outcome: str, note: str, nth: int, at: datetime) -> Planned:
    """9.6.4: the ``nth`` surveillance result, to the holder."""
    return Planned(
        Notice(
            NoticeKind.SURVEILLANCE_RECORDED,
            {"certificate": number, "outcome": outcome, "note": note},
        ),
        at,
        _key("surveillance_recorded", number, nth),
    )


def broadcast_rows(broadcast_id: int) -> tuple[Subject, str]:
    """A broadcast's rows, made in the database one per person: their subject, and their dedupe
    keys' prefix (the person's id follows it)."""
    subject = Subject.broadcast(broadcast_id)
    return subject, f"{subject}:"


def broadcast_progress(broadcast_id: int, done: int, total: int, at: datetime) -> Planned:
    """To the staff member who sent it, once past halfway."""
    return Planned(
        Notice(NoticeKind.BROADCAST_PROGRESS, {"done": str(done), "total": str(total)}),
        at,
        _key("broadcast_progress", broadcast_id),
    )


def broadcast_report(
    broadcast_id: int, *, total: int, sent: int, blocked: int, failed: int, at: datetime
) -> Planned:
    """To the staff member who sent it, when nothing of it is left to send."""
    counts = {"total": total, "sent": sent, "blocked": blocked, "failed": failed}
    params = {name: str(count) for name, count in counts.items()}
    return Planned(
        Notice(NoticeKind.BROADCAST_REPORT, params), at, _key("broadcast_report", broadcast_id)
    )
