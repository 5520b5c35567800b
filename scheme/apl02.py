"""FR.APL.02 Asesmen Mandiri (9.1.3), as BNSP's form asks it: per element.

For each element of each unit the candidate answers "Dapatkah saya ...?" K (kompeten) or BK
(belum kompeten), with the element's KUK listed beneath the question; "bukti yang relevan" are
optional (9.1.3 "jika ada"). An element whose KUK are not all known is still asked: the question
is the element, the KUK are its guide.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from scheme.model import Kuk, Scheme, Text


class Verdict(StrEnum):
    K = "K"
    BK = "BK"


@dataclass(frozen=True, slots=True)
class Question:
    ref: str
    """``<unit code>/<element number>``, stable while the data file keeps the numbering."""
    unit_code: str
    unit_title: Text
    element_number: int
    element_title: Text
    ask: Text
    """What follows "Dapatkah saya" / "Can I": the element's title, first letter lowered."""
    kuk: tuple[Kuk, ...]
    """Every KUK the data holds, for staff; :attr:`shown_kuk` is what candidates read."""
    source: str
    """Where the element's title comes from, and how sure the data is (for staff)."""
    confidence: str

    @property
    def shown_kuk(self) -> tuple[Kuk, ...]:
        """KUK whose text is whole: a text cut off in every source is not put to candidates."""
        return tuple(k for k in self.kuk if k.complete)


@dataclass(frozen=True, slots=True)
class Answer:
    verdict: Verdict
    evidence: tuple[str, ...] = ()
    """Ids of uploaded documents the candidate points to as relevant (optional)."""


@dataclass(frozen=True, slots=True)
class UnitSummary:
    unit_code: str
    k: int = 0
    bk: int = 0
    unanswered: int = 0


@dataclass(frozen=True, slots=True)
class Apl02Check:
    unanswered: tuple[str, ...]
    summary: tuple[UnitSummary, ...] = field(default_factory=tuple)

    @property
    def complete(self) -> bool:
        return not self.unanswered


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def questionnaire(scheme: Scheme) -> tuple[Question, ...]:
    """Every element of every unit, in the order of the data file."""
    return tuple(
        Question(
            ref=f"{unit.code}/{element.number}",
            unit_code=unit.code,
            unit_title=unit.title,
            element_number=element.number,
            element_title=element.title,
            ask=element.ask
            or Text(
                id=_lower_first(element.title.id),
                en=_lower_first(element.title.en) if element.title.en else None,
            ),
            kuk=element.kuk,
            source=element.source,
            confidence=element.confidence,
        )
        for unit in scheme.units
        for element in unit.elements
    )


def answers_from(
    raw: Mapping[str, object], uploaded: Collection[str] | None = None
) -> dict[str, Answer]:
    """Stored answers as typed ones; evidence no longer ``uploaded`` (a removed document) drops
    out and the element stays answered. Unreadable entries are left out (asked again)."""
    answers: dict[str, Answer] = {}
    for ref, value in raw.items():
        if not isinstance(value, Mapping) or value.get("verdict") not in set(Verdict):
            continue
        evidence = value.get("evidence")
        kept = tuple(
            e for e in (evidence if isinstance(evidence, list) else []) if isinstance(e, str)
        )
        answers[ref] = Answer(Verdict(str(value["verdict"])), kept)
    return answers if uploaded is None else pointing_at(answers, uploaded)


def pointing_at(answers: Mapping[str, Answer], uploaded: Collection[str]) -> dict[str, Answer]:
    """The answers with only the documents still uploaded: a removed one drops out and the
    element stays answered."""
    return {
        ref: Answer(answer.verdict, tuple(e for e in answer.evidence if e in uploaded))
        for ref, answer in answers.items()
    }


def check(questions: Sequence[Question], answers: Mapping[str, Answer]) -> Apl02Check:
    """Every element answered, and the K / BK count per unit (answers to elements the data no
    longer has are ignored)."""
    counts: dict[str, list[int]] = {}
    unanswered: list[str] = []
    for question in questions:
        tally = counts.setdefault(question.unit_code, [0, 0, 0])
        answer = answers.get(question.ref)
        if answer is None:
            unanswered.append(question.ref)
            tally[2] += 1
        else:
            tally[0 if answer.verdict == Verdict.K else 1] += 1
    summary = tuple(UnitSummary(code, *tally) for code, tally in counts.items())
    return Apl02Check(unanswered=tuple(unanswered), summary=summary)


def backing(scheme: Scheme, unit_code: str) -> frozenset[str]:
    """The evidence items (of every route) relevant to the unit's elements (9.1.3 "bukti yang
    relevan"), as the scheme's ``backs`` name them."""
    return frozenset(
        item.id for route in scheme.routes for item in route.evidence if unit_code in item.backs
    )
