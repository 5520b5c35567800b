"""Proactive messages (not replies): status changes, deadlines, reminders, announcements.

A notice is a kind and its values, already worded for the person (dates in their time zone,
states in their language); each channel renders it as free text from ``notice.<kind>``, or, where
the platform demands pre-approved wording (WhatsApp outside its 24-hour window), as the template
of that kind with the values in the order given here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from handlers.ports import Translator

NOTICE_PARAMS: Mapping[str, tuple[str, ...]] = {
    "status_changed": ("reference", "status", "next_step"),
    "appeal_window": ("reference", "deadline"),
    "renewal_reminder": ("certificate", "deadline"),
    "surveillance_due": ("certificate", "due"),
    "announcement": ("text",),
}
"""Every kind of notice and its values, in the order a WhatsApp template takes them."""


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str
    params: Mapping[str, str]

    def __post_init__(self) -> None:
        expected = NOTICE_PARAMS.get(self.kind)
        if expected is None:
            raise ValueError(f"unknown notice kind {self.kind!r}")
        if set(self.params) != set(expected):
            raise ValueError(f"notice {self.kind!r} takes {expected}, got {sorted(self.params)}")

    def ordered(self) -> list[str]:
        return [self.params[name] for name in NOTICE_PARAMS[self.kind]]

    def text(self, translator: Translator, locale: str) -> str:
        return translator.translate(locale, f"notice.{self.kind}", **self.params)
