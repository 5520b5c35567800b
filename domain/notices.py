"""Proactive messages (not replies): status changes, deadlines, reminders, announcements.

A notice is a kind and its raw values (references, ISO instants and dates, state codes). It is
worded only when it is sent — in the recipient's language and time zone of that moment — as free
text from ``notice.<kind>``, or, where the platform demands pre-approved wording (WhatsApp outside
its 24-hour window), as the template of that kind with the worded values in the order given here.

How a value is worded follows its name: ``…_at`` an instant (date, time and WIB/WITA/WIT),
``…_on`` a date, ``state`` and ``next`` an application state's label and what to do next,
``result`` a certification decision, ``outcome`` a surveillance result, ``role`` a role,
``text`` an announcement in the recipient's language (from ``text_id`` / ``text_en``);
anything else as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.ports import Translator
from scheme.deadlines import zone_label


class NoticeKind(StrEnum):
    """Every kind of proactive message: a typo is a type error, not a dead outbox row."""

    STATUS_CHANGED = "status_changed"
    FIX_REQUESTED = "fix_requested"
    DRAFT_IDLE = "draft_idle"
    ASSESSMENT_SCHEDULED = "assessment_scheduled"
    ASSESSMENT_TOMORROW = "assessment_tomorrow"
    DECISION = "decision"
    APPEAL_CLOSING = "appeal_closing"
    APPEAL_RECEIVED = "appeal_received"
    APPEAL_DUE_STAFF = "appeal_due_staff"
    APPEAL_DECIDED = "appeal_decided"
    CERTIFICATE_ISSUED = "certificate_issued"
    SURVEILLANCE_DUE = "surveillance_due"
    RENEWAL_REMINDER = "renewal_reminder"
    RENEWAL_LAST_DAY = "renewal_last_day"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_FROZEN = "certificate_frozen"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_UNFROZEN = "certificate_unfrozen"
    SURVEILLANCE_RECEIVED = "surveillance_received"
    SURVEILLANCE_RECORDED = "surveillance_recorded"
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"
    ASSESSOR_ASSIGNMENT = "assessor_assignment"
    ANNOUNCEMENT = "announcement"
    BROADCAST_PROGRESS = "broadcast_progress"
    BROADCAST_REPORT = "broadcast_report"
    QUESTION_ASKED = "question_asked"
    QUESTION_ANSWERED = "question_answered"


NOTICE_PARAMS: Mapping[NoticeKind, tuple[str, ...]] = {
    NoticeKind.STATUS_CHANGED: ("reference", "state", "next"),
    NoticeKind.FIX_REQUESTED: ("reference", "reasons"),
    NoticeKind.DRAFT_IDLE: ("started_on",),
    NoticeKind.ASSESSMENT_SCHEDULED: ("reference", "starts_at", "place"),
    NoticeKind.ASSESSMENT_TOMORROW: ("reference", "starts_at", "place"),
    NoticeKind.DECISION: ("reference", "result", "appeal_until_at"),
    NoticeKind.APPEAL_CLOSING: ("reference", "appeal_until_at"),
    NoticeKind.APPEAL_RECEIVED: ("reference", "decision_due_on"),
    NoticeKind.APPEAL_DUE_STAFF: ("reference", "decision_due_on"),
    NoticeKind.APPEAL_DECIDED: ("reference", "appeal_outcome", "reasons"),
    NoticeKind.CERTIFICATE_ISSUED: ("certificate", "expires_on"),
    NoticeKind.SURVEILLANCE_DUE: ("certificate", "due_on"),
    NoticeKind.RENEWAL_REMINDER: ("certificate", "request_by_on"),
    NoticeKind.RENEWAL_LAST_DAY: ("certificate", "request_by_on"),
    NoticeKind.CERTIFICATE_EXPIRED: ("certificate", "expired_on"),
    NoticeKind.CERTIFICATE_FROZEN: ("certificate", "reason"),
    NoticeKind.CERTIFICATE_REVOKED: ("certificate", "reason"),
    NoticeKind.CERTIFICATE_UNFROZEN: ("certificate",),
    NoticeKind.SURVEILLANCE_RECEIVED: ("certificate",),
    NoticeKind.SURVEILLANCE_RECORDED: ("certificate", "outcome", "note"),
    NoticeKind.ROLE_GRANTED: ("role",),
    NoticeKind.ROLE_REVOKED: ("role",),
    NoticeKind.ASSESSOR_ASSIGNMENT: ("reference", "candidate", "units", "starts_at", "place"),
    NoticeKind.ANNOUNCEMENT: ("text",),
    NoticeKind.BROADCAST_PROGRESS: ("done", "total"),
    NoticeKind.BROADCAST_REPORT: ("total", "sent", "blocked", "failed"),
    NoticeKind.QUESTION_ASKED: ("asker", "reference", "question"),
    NoticeKind.QUESTION_ANSWERED: ("question", "answer"),
}
"""Every kind of notice and its values, in the order a WhatsApp template takes them."""

URGENT = frozenset({NoticeKind.DECISION, NoticeKind.APPEAL_CLOSING})
"""Kinds about the appeal deadline (9.9.2): sent in quiet hours too."""

TRANSLATED_VALUES = {
    "state": "state", "next": "next", "result": "state", "outcome": "cert.outcome", "role": "role",
    "appeal_outcome": "appeal.outcome",
}  # fmt: skip
"""Value name → the message-key prefix its code is worded with."""

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip


def raw_names(kind: NoticeKind) -> frozenset[str]:
    """The values a notice of ``kind`` is stored with (an announcement carries both texts)."""
    names = set(NOTICE_PARAMS[kind])
    if "text" in names:
        names = (names - {"text"}) | {"text_id", "text_en"}
    return frozenset(names)


def format_day(day: date, locale: str, *, short: bool = False) -> str:
    """A day as people read it, "25 November 2026"; ``short`` for a button: "25 Nov 2026"."""
    month = MONTHS.get(locale, MONTHS["en"])[day.month - 1]
    return f"{day.day} {month[:3] if short else month} {day.year}"


WEEKDAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def format_instant(instant: datetime, locale: str, zone: str) -> str:
    """The one way an instant is shown (issue 16: "02-12-2026 04:23" in one place, "2 Desember
    2026 23.59" in another): "Rabu, 2 Desember 2026 pukul 23.59 WIB", "Wednesday, 2 December
    2026 at 23:59 WIB", in the person's own zone."""
    local = instant.astimezone(ZoneInfo(zone))
    weekday = WEEKDAYS.get(locale, WEEKDAYS["en"])[local.weekday()]
    day = format_day(local.date(), locale)
    if locale == "id":
        return f"{weekday}, {day} pukul {local.hour:02d}.{local.minute:02d} {zone_label(zone)}"
    return f"{weekday}, {day} at {local.hour:02d}:{local.minute:02d} {zone_label(zone)}"


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    params: Mapping[str, str]

    def __post_init__(self) -> None:
        if self.kind not in NOTICE_PARAMS:
            raise ValueError(f"unknown notice kind {self.kind!r}")
        if set(self.params) != raw_names(self.kind):
            raise ValueError(
                f"notice {self.kind!r} takes {sorted(raw_names(self.kind))}, "
                f"got {sorted(self.params)}"
            )

    @property
    def urgent(self) -> bool:
        return self.kind in URGENT

    def worded(self, translator: Translator, locale: str, zone: str) -> dict[str, str]:
        """Every value as the recipient reads it, by name."""
        worded: dict[str, str] = {}
        for name in NOTICE_PARAMS[self.kind]:
            if name == "text":
                worded[name] = self.params.get(f"text_{locale}") or self.params["text_id"]
                continue
            raw = self.params[name]
            if name in TRANSLATED_VALUES:
                worded[name] = translator.translate(locale, f"{TRANSLATED_VALUES[name]}.{raw}")
            elif name.endswith("_at"):
                worded[name] = format_instant(datetime.fromisoformat(raw), locale, zone)
            elif name.endswith("_on"):
                worded[name] = format_day(date.fromisoformat(raw), locale)
            else:
                worded[name] = raw
        return worded

    def ordered(self, translator: Translator, locale: str, zone: str) -> list[str]:
        """The worded values in the template's order."""
        worded = self.worded(translator, locale, zone)
        return [worded[name] for name in NOTICE_PARAMS[self.kind]]

    def text(self, translator: Translator, locale: str, zone: str) -> str:
        return translator.translate(
            locale, f"notice.{self.kind}", **self.worded(translator, locale, zone)
        )
