"""The parts of an application, typed: the candidate's eligibility answers (6.1, 6.2) and APL-01,
their self-assessment (FR.APL.02, 9.1.3), staff's
verdict per evidence item (9.1.5), the assessment (9.2.2–9.3.5), the decision (9.1.6, 9.4) and
the appeal (9.9); and of a certificate, the holder's agreement (9.8) and the surveillance results
(9.6.4).

Each is kept as one JSON object whose keys are these fields' names (storage and the queries on
them read the same keys). ``read`` takes what the database holds: a value that does not read — a
row older than a field, or edited by hand — becomes the field's default, never a crash;
``to_json`` writes it back. The mappers are unit-tested both ways (``tests/domain``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from scheme.apl02 import Answer, Verdict, answers_from, pointing_at
from scheme.lifecycle import AppealState, ApplicationState

E = TypeVar("E", bound=StrEnum)


class Mark(StrEnum):
    """9.1.5: ada – memenuhi syarat; ada – tidak memenuhi syarat; tidak ada."""

    OK = "ok"
    NOT_OK = "not_ok"
    MISSING = "missing"


def _enum(kind: type[E], value: object) -> E | None:
    try:
        return kind(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _instant(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _object(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _set(**values: object) -> dict[str, Any]:
    """The JSON object of the fields that have a value (an unset field is left out, as the rows
    written before the types had them)."""
    return {
        name: value.isoformat() if isinstance(value, date | datetime) else value
        for name, value in values.items()
        if value is not None
    }


def read_eligibility(raw: object) -> dict[str, int | str]:
    """The eligibility answers: a number or a choice per fact (``scheme.eligibility.Answers``)."""
    return {
        fact: value
        for fact, value in _object(raw).items()
        if isinstance(value, int | str) and not isinstance(value, bool)
    }


def read_apl01(raw: object) -> dict[str, str]:
    """FR.APL.01's answers, each as its check normalised it (``scheme.apl01``)."""
    return {name: value for name, value in _object(raw).items() if isinstance(value, str)}


MIGRATED = "_from_kuk"
"""Stored beside the answers of an APL-02 converted from the old per-KUK form (migration 0011)."""


@dataclass(frozen=True, slots=True)
class Apl02:
    """FR.APL.02 as answered: K or BK per element, K with the documents the candidate points to
    (9.1.3, "jika ada")."""

    answers: Mapping[str, Answer] = field(default_factory=dict)
    migrated: bool = False
    """Converted from the per-KUK form: the candidate is asked to confirm each element again."""

    @classmethod
    def read(cls, raw: object) -> Apl02:
        data = _object(raw)
        return cls(answers_from(data), migrated=data.get(MIGRATED) is True)

    def to_json(self) -> dict[str, Any]:
        answers: dict[str, Any] = {
            ref: {"verdict": str(answer.verdict), "evidence": list(answer.evidence)}
            for ref, answer in self.answers.items()
        }
        return {**answers, MIGRATED: True} if self.migrated else answers

    def pointing_at(self, uploaded: Collection[str]) -> dict[str, Answer]:
        return pointing_at(self.answers, uploaded)


@dataclass(frozen=True, slots=True)
class ItemVerdict:
    """Staff's verdict on one evidence item; "does not meet" carries its reason (9.1.5)."""

    mark: Mark
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _set(mark=str(self.mark), reason=self.reason)


Review = Mapping[str, ItemVerdict]
"""Evidence item id → staff's verdict on it."""


def read_review(raw: object) -> dict[str, ItemVerdict]:
    """The verdicts that read; an item with no readable mark has none."""
    verdicts = {}
    for item, value in _object(raw).items():
        verdict = _object(value)
        mark = _enum(Mark, verdict.get("mark"))
        if mark is not None:
            verdicts[item] = ItemVerdict(mark, _text(verdict.get("reason")))
    return verdicts


def review_json(review: Review) -> dict[str, Any]:
    return {item: verdict.to_json() for item, verdict in review.items()}


@dataclass(frozen=True, slots=True)
class UnitResult:
    """The assessor's K or BK for one unit, with their note (9.3.4)."""

    verdict: Verdict
    note: str = ""


@dataclass(frozen=True, slots=True)
class Assessment:
    """Who assesses, when and at which TUK (9.2.2, 9.3.2); the assessor's declaration of no
    relationship with the candidate (``accepted_at``) or of one (``conflict``, 9.10.7); the
    results per unit (9.3.4)."""

    assessor: int | None = None
    starts_at: datetime | None = None
    place: str = ""
    units: Mapping[str, UnitResult] = field(default_factory=dict)
    accepted_at: datetime | None = None
    """No relationship declared: the assignment stands."""
    declined_by: int | None = None
    conflict: str | None = None

    @classmethod
    def read(cls, raw: object) -> Assessment:
        data = _object(raw)
        units = {}
        for code, value in _object(data.get("units")).items():
            result = _object(value)
            verdict = _enum(Verdict, result.get("verdict"))
            if verdict is not None:
                units[code] = UnitResult(verdict, _text(result.get("note")) or "")
        return cls(
            assessor=_int(data.get("assessor")),
            starts_at=_instant(data.get("starts_at")),
            place=_text(data.get("place")) or "",
            units=units,
            accepted_at=_instant(data.get("accepted_at")),
            declined_by=_int(data.get("declined_by")),
            conflict=_text(data.get("conflict")),
        )

    def to_json(self) -> dict[str, Any]:
        units = {
            code: {"verdict": str(result.verdict), "note": result.note}
            for code, result in self.units.items()
        }
        return _set(
            assessor=self.assessor, starts_at=self.starts_at, place=self.place or None,
            units=units if self.assessor is not None or units else None,
            declared="none" if self.accepted_at is not None else None,
            accepted_at=self.accepted_at, declined_by=self.declined_by, conflict=self.conflict,
        )  # fmt: skip

    def verdicts(self) -> dict[str, Verdict]:
        """The verdict recorded per unit code so far."""
        return {code: result.verdict for code, result in self.units.items()}


@dataclass(frozen=True, slots=True)
class Decision:
    """Staff's rejection with its reason (9.1.6), or the technical team's decision with its
    meeting record (9.4) — which opens the appeal window until ``appeal_until`` (9.9.2)."""

    result: ApplicationState | None = None
    decided_at: datetime | None = None
    by: int | None = None
    """Who decided: never on the appeal's panel (9.9.4)."""
    record: str | None = None
    reason: str | None = None
    appeal_until: datetime | None = None

    @classmethod
    def read(cls, raw: object) -> Decision:
        data = _object(raw)
        return cls(
            result=_enum(ApplicationState, data.get("result")),
            decided_at=_instant(data.get("decided_at")),
            by=_int(data.get("by")),
            record=_text(data.get("record")),
            reason=_text(data.get("reason")),
            appeal_until=_instant(data.get("appeal_until")),
        )

    def to_json(self) -> dict[str, Any]:
        return _set(
            result=str(self.result) if self.result else None, decided_at=self.decided_at,
            by=self.by, record=self.record, reason=self.reason, appeal_until=self.appeal_until,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Appeal:
    """An appeal filed on the LSP's form (9.9.2–9.9.3), decided by ``due_on`` (9.9.6) by a panel
    member not involved in the case (9.9.4); the decision binds (9.9.7)."""

    state: AppealState | None = None
    reasons: str = ""
    filed_at: datetime | None = None
    due_on: date | None = None
    documents: tuple[str, ...] = ()
    panel: int | None = None
    note: str | None = None
    decided_at: datetime | None = None

    @classmethod
    def read(cls, raw: object) -> Appeal:
        data = _object(raw)
        documents = data.get("documents")
        return cls(
            state=_enum(AppealState, data.get("state")),
            reasons=_text(data.get("reasons")) or "",
            filed_at=_instant(data.get("filed_at")),
            due_on=_day(data.get("due_on")),
            documents=tuple(d for d in documents if isinstance(d, str))
            if isinstance(documents, list)
            else (),
            panel=_int(data.get("panel")),
            note=_text(data.get("note")),
            decided_at=_instant(data.get("decided_at")),
        )

    def to_json(self) -> dict[str, Any]:
        return _set(
            state=str(self.state) if self.state else None, reasons=self.reasons or None,
            filed_at=self.filed_at, due_on=self.due_on,
            documents=list(self.documents) if self.filed_at is not None else None,
            panel=self.panel, note=self.note, decided_at=self.decided_at,
        )  # fmt: skip


class SurveillanceOutcome(StrEnum):
    """9.6.4: what a surveillance found."""

    MAINTAINED = "maintained"
    NOT_MAINTAINED = "not_maintained"


@dataclass(frozen=True, slots=True)
class SurveillanceRecord:
    """One surveillance's result in the holder's record (9.6.4), on the LSP's calendar day."""

    on: date
    outcome: SurveillanceOutcome
    note: str = ""
    by: int | None = None

    @classmethod
    def read(cls, raw: object) -> SurveillanceRecord | None:
        data = _object(raw)
        on, outcome = _day(data.get("on")), _enum(SurveillanceOutcome, data.get("outcome"))
        if on is None or outcome is None:
            return None
        return cls(on, outcome, _text(data.get("note")) or "", _int(data.get("by")))

    def to_json(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "outcome": str(self.outcome), "note": self.note,
                "by": self.by}  # fmt: skip


def read_surveillance(raw: object) -> tuple[SurveillanceRecord, ...]:
    records = (SurveillanceRecord.read(r) for r in raw) if isinstance(raw, list) else ()
    return tuple(r for r in records if r is not None)


@dataclass(frozen=True, slots=True)
class Agreement:
    """9.8: the holder agreed to the rules of using the certificate, at ``at``, to the wording
    ``version`` in ``locale``, through ``channel``."""

    at: datetime
    locale: str
    version: str
    channel: str

    @classmethod
    def read(cls, raw: object) -> Agreement | None:
        data = _object(raw)
        at = _instant(data.get("at"))
        if at is None:
            return None
        text = {name: _text(data.get(name)) or "" for name in ("locale", "version", "channel")}
        return cls(at, **text)

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "locale": self.locale, "version": self.version,
                "channel": self.channel}  # fmt: skip
