"""FR.APL.02 Asesmen Mandiri (9.1.3): the self-assessment generated from the scheme's units.

Per unit, per element, each KUK is answered K (kompeten) or BK (belum kompeten); a K answer names
at least one uploaded piece of evidence that supports it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from scheme.model import Scheme, Text

Verdict = Literal["K", "BK"]


@dataclass(frozen=True, slots=True)
class Question:
    ref: str
    """``<unit code>/<KUK number>``, stable while the data file keeps the numbering."""
    unit_code: str
    unit_title: Text
    element_number: int
    element_title: Text
    kuk_number: str
    text: Text
    verified: bool


@dataclass(frozen=True, slots=True)
class Answer:
    verdict: Verdict
    evidence: tuple[str, ...] = ()
    """Ids of uploaded documents that support a K answer."""


@dataclass(frozen=True, slots=True)
class Problem:
    code: Literal["unanswered", "k_without_evidence", "unknown_evidence", "unknown_kuk"]
    ref: str


@dataclass(frozen=True, slots=True)
class UnitSummary:
    unit_code: str
    k: int = 0
    bk: int = 0
    unanswered: int = 0


@dataclass(frozen=True, slots=True)
class Apl02Check:
    problems: tuple[Problem, ...]
    summary: tuple[UnitSummary, ...] = field(default_factory=tuple)

    @property
    def complete(self) -> bool:
        return not self.problems


def questionnaire(scheme: Scheme) -> tuple[Question, ...]:
    """Every KUK of every element of every unit, in the order of the data file."""
    return tuple(
        Question(
            ref=f"{unit.code}/{kuk.number}",
            unit_code=unit.code,
            unit_title=unit.title,
            element_number=element.number,
            element_title=element.title,
            kuk_number=kuk.number,
            text=kuk.text,
            verified=kuk.verified and element.verified,
        )
        for unit, element, kuk in scheme.kuk_refs()
    )


def check(
    questions: Sequence[Question],
    answers: Mapping[str, Answer],
    uploaded: Collection[str],
) -> Apl02Check:
    """Completeness: every KUK answered, a K names evidence, and that evidence was uploaded."""
    problems: list[Problem] = []
    known = {q.ref for q in questions}
    problems.extend(Problem("unknown_kuk", ref) for ref in answers if ref not in known)
    counts: dict[str, list[int]] = {}
    for question in questions:
        tally = counts.setdefault(question.unit_code, [0, 0, 0])
        answer = answers.get(question.ref)
        if answer is None:
            problems.append(Problem("unanswered", question.ref))
            tally[2] += 1
            continue
        tally[0 if answer.verdict == "K" else 1] += 1
        if answer.verdict == "K" and not answer.evidence:
            problems.append(Problem("k_without_evidence", question.ref))
        if any(document not in uploaded for document in answer.evidence):
            problems.append(Problem("unknown_evidence", question.ref))
    summary = tuple(UnitSummary(code, *tally) for code, tally in counts.items())
    return Apl02Check(problems=tuple(problems), summary=summary)
