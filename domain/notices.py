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
from zoneinfo import ZoneInfo

from domain.ports import Translator
from scheme.deadlines import zone_label

NOTICE_PARAMS: Mapping[str, tuple[str, ...]] = {
    "status_changed": ("reference", "state", "next"),
    "fix_requested": ("reference", "reasons"),
    "draft_idle": ("started_on",),
    "assessment_scheduled": ("reference", "starts_at", "place"),
    "assessment_tomorrow": ("reference", "starts_at", "place"),
    "decision": ("reference", "result", "appeal_until_at"),
    "appeal_closing": ("reference", "appeal_until_at"),
    "appeal_received": ("reference", "decision_due_on"),
    "appeal_due_staff": ("reference", "decision_due_on"),
    "appeal_decided": ("reference", "appeal_outcome", "reasons"),
    "certificate_issued": ("certificate", "expires_on"),
    "surveillance_due": ("certificate", "due_on"),
    "renewal_reminder": ("certificate", "request_by_on"),
    "renewal_last_day": ("certificate", "request_by_on"),
    "certificate_expired": ("certificate", "expired_on"),
    "certificate_frozen": ("certificate", "reason"),
    "certificate_revoked": ("certificate", "reason"),
    "certificate_unfrozen": ("certificate",),
    "surveillance_received": ("certificate",),
    "surveillance_recorded": ("certificate", "outcome", "note"),
    "role_granted": ("role",),
    "role_revoked": ("role",),
    "assessor_assignment": ("reference", "candidate", "units", "starts_at", "place"),
    "announcement": ("text",),
    "broadcast_progress": ("done", "total"),
    "broadcast_report": ("total", "sent", "blocked", "failed"),
}
"""Every kind of notice and its values, in the order a WhatsApp template takes them."""

URGENT = frozenset({"decision", "appeal_closing"})
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


def raw_names(kind: str) -> frozenset[str]:
    """The values a notice of ``kind`` is stored with (an announcement carries both texts)."""
    names = set(NOTICE_PARAMS[kind])
    if "text" in names:
        names = (names - {"text"}) | {"text_id", "text_en"}
    return frozenset(names)


def format_day(day: date, locale: str) -> str:
    return f"{day.day} {MONTHS.get(locale, MONTHS['en'])[day.month - 1]} {day.year}"


def format_instant(instant: datetime, locale: str, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    separator = "." if locale == "id" else ":"
    return (
        f"{format_day(local.date(), locale)} "
        f"{local.hour:02d}{separator}{local.minute:02d} {zone_label(zone)}"
    )


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str
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
