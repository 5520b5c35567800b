"""The shape of a scheme data file, validated with pydantic, and its parser.

The parser takes text, not a path: reading the file is the caller's I/O.  A malformed file fails
with :class:`SchemeFileError`, whose message names the source, the line and the problem.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Annotated, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Clause = Annotated[str, Field(pattern=r"^\d+(\.\d+)*(\.[a-z])?$")]
FileKind = Literal["pdf", "jpeg", "png"]
FactKind = Literal["yes_no", "count", "education"]
Method = Literal["portfolio", "competency_test"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in Bahasa Indonesia and, where we have it, English."""

    id: str = Field(min_length=1)
    en: str | None = None

    def get(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.id


Confidence = Literal["high", "medium", "low"]
"""How sure the data is of a text: high, two sources agree (or an official form); medium, one
good source; low, a paraphrase, a cut-off text or an inference."""


class Kuk(_Strict):
    """A performance criterion (kriteria unjuk kerja), with where its text comes from."""

    number: str = Field(pattern=r"^\d+\.\d+$")
    text: Text
    source: str = Field(min_length=1)
    confidence: Confidence
    complete: bool = True
    """False: the text is cut off in every source; candidates are not shown it."""
    note: str | None = None


class Element(_Strict):
    """An element of a unit: FR.APL.02 asks "Dapatkah saya ...?" of each (9.1.3)."""

    number: int = Field(ge=1)
    title: Text
    ask: Text | None = None
    """What the question asks when the title does not read after "Dapatkah saya" / "Can I"."""
    source: str = Field(min_length=1)
    confidence: Confidence
    note: str | None = None
    kuk: tuple[Kuk, ...] = ()

    @model_validator(mode="after")
    def _kuk_belong_here(self) -> Self:
        numbers = [k.number for k in self.kuk]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"element {self.number} repeats a KUK number")
        for number in numbers:
            if number.split(".")[0] != str(self.number):
                raise ValueError(f"KUK {number} does not belong to element {self.number}")
        return self


class Unit(_Strict):
    code: str = Field(min_length=3)
    title: Text
    source: str | None = None
    elements: tuple[Element, ...] = Field(min_length=1)


class Source(_Strict):
    """Where unit texts were found (``source`` of elements and KUK names these ids)."""

    ref: str
    what: str


class EducationLevel(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: Text


class Fact(_Strict):
    """Something the eligibility questions ask; a count (yes is 1), or an education level."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: FactKind
    clause: Clause
    question: Text


Condition = Mapping[str, int | str]
"""Fact id → the least value that meets it (an education level id for education facts)."""


class Requirement(_Strict):
    """A basic requirement (6.x.y): met when all of ``all_of``, or any one of ``any_of``, holds."""

    clause: Clause
    text: Text
    all_of: dict[str, int | str] | None = None
    any_of: tuple[dict[str, int | str], ...] | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> Self:
        if (self.all_of is None) == (self.any_of is None):
            raise ValueError(f"requirement {self.clause}: give exactly one of all_of, any_of")
        return self

    def alternatives(self) -> tuple[Condition, ...]:
        return (self.all_of,) if self.all_of is not None else tuple(self.any_of or ())


class Evidence(_Strict):
    """A document the route asks for (9.1.2), with how many the candidate must upload."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    clause: Clause
    label: Text
    kinds: tuple[FileKind, ...] = Field(min_length=1)
    min: int = Field(ge=0)
    max: int = Field(ge=1)
    proves: tuple[Clause, ...] = ()
    photo_3x4_red: bool = False
    alternative: int | None = Field(None, ge=1)
    """The ``any_of`` alternative (1-based) of the requirement it proves that asks for it: the
    item is asked only when the candidate's answers choose that alternative (6.2.2, 6.2.3)."""
    fact: str | None = None
    """The eligibility fact whose declared count this item backs: under 6.2.7 the candidate
    uploads what they declared, not the full count."""
    note: Text | None = None
    """Why the count is what it is, shown to the candidate (e.g. one digital photo)."""
    backs: tuple[str, ...] = ()
    """The units (codes) whose FR.APL.02 elements this item is relevant evidence for (9.1.3
    "bukti yang relevan"): APL-02 offers only these uploads, and "K for the whole unit"
    points to them."""

    @model_validator(mode="after")
    def _counts(self) -> Self:
        if self.max < self.min:
            raise ValueError(f"evidence {self.id}: max is below min")
        if self.alternative is not None and len(self.proves) != 1:
            raise ValueError(f"evidence {self.id}: an alternative proves exactly one requirement")
        return self


class PartialFallback(_Strict):
    """6.2.7: meeting only part of these requirements means the other method is used."""

    clause: Clause
    requirements: tuple[Clause, ...] = Field(min_length=1)
    method: Method


class Route(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    clause: Clause
    label: Text
    applies_when: dict[str, int | str]
    method: Method
    requirements: tuple[Requirement, ...] = Field(min_length=1)
    evidence: tuple[Evidence, ...] = Field(min_length=1)
    partial_fallback: PartialFallback | None = None
    renewal: bool = False
    """The route a certificate holder's renewal takes (9.7); its ``applies_when`` is pre-filled."""

    def requirement(self, clause: str) -> Requirement:
        return next(r for r in self.requirements if r.clause == clause)


class Rules(_Strict):
    """The scheme's time rules, each with its clause in the Asesor Kompetensi scheme."""

    certificate_validity_years: int = Field(3, ge=1)  # 9.4.6
    renewal_request_months_before_expiry: int = Field(3, ge=0)  # 9.7.1
    appeal_window_days: int = Field(1, ge=0)  # 9.9.2
    appeal_decision_working_days: int = Field(20, ge=1)  # 9.9.6
    surveillance_interval_months: int = Field(12, ge=1)  # 9.6.2
    holiday_country: str = "ID"
    timezone: str = "Asia/Jakarta"


class ClauseText(_Strict):
    """A clause of the scheme quoted in full: a right, an obligation, a point of the code."""

    clause: Clause
    text: Text


class Fees(_Strict):
    """8 / 9.1.1 "biaya sertifikasi": the LSP's amount when it has one, else who sets it and
    where the candidate asks."""

    clause: Clause
    amount_idr: int | None = Field(None, ge=0)
    set_by: Text
    """Who sets the amount (8: BNSP)."""
    where_to_ask: Text


class CollectiveLeaveYear(_Strict):
    """One year's *cuti bersama*, as its joint decree (SKB) of the Ministers of Religion,
    Manpower and PANRB sets them: working days that government bodies such as BNSP close."""

    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=1)
    days: tuple[date, ...]

    @model_validator(mode="after")
    def _in_year(self) -> Self:
        if any(day.year != self.year for day in self.days):
            raise ValueError(f"collective leave {self.year}: a day outside the year")
        return self


class Scheme(_Strict):
    code: str
    title: Text
    issuer: str
    rules: Rules = Rules()
    education_levels: tuple[EducationLevel, ...] = Field(min_length=1)
    min_education: str
    units: tuple[Unit, ...] = Field(min_length=1)
    unit_sources: dict[str, Source] = Field(default_factory=dict)
    facts: tuple[Fact, ...]
    routes: tuple[Route, ...] = Field(min_length=1)
    surveillance_evidence: Evidence | None = None
    """What a certificate holder uploads when surveillance is due (9.6.3)."""
    fees: Fees | None = None
    applicant_rights: tuple[ClauseText, ...] = ()
    """7.1, in full."""
    holder_obligations: tuple[ClauseText, ...] = ()
    """7.2, in full."""
    certificate_use: tuple[ClauseText, ...] = ()
    """9.8: what the holder signs to agree to when the certificate is issued."""
    code_of_ethics: tuple[ClauseText, ...] = ()
    """9.10, every point."""
    collective_leave: tuple[CollectiveLeaveYear, ...] = ()
    """Cuti bersama per year, not working days for 9.9.6; staff may add years in the chat."""

    def route(self, route_id: str) -> Route:
        return next(r for r in self.routes if r.id == route_id)

    def education_rank(self, level_id: str) -> int:
        return [level.id for level in self.education_levels].index(level_id)

    def kuk_refs(self) -> Iterator[tuple[Unit, Element, Kuk]]:
        for unit in self.units:
            for element in unit.elements:
                for kuk in element.kuk:
                    yield unit, element, kuk


Loc = tuple[int | str, ...]


def reference_problems(scheme: Scheme) -> Iterator[tuple[Loc, str]]:
    """Every name a rule uses must exist: a typo in the file must not pass silently."""
    levels = [level.id for level in scheme.education_levels]
    if scheme.min_education not in levels:
        yield ("min_education",), f"{scheme.min_education!r} is not an education level"
    facts = {fact.id: fact for fact in scheme.facts}
    units = [unit.code for unit in scheme.units]
    for index, code in enumerate(units):
        if code in units[:index]:
            yield ("units", index, "code"), f"unit {code} is repeated"
    for r, route in enumerate(scheme.routes):
        yield from _route_problems(route, ("routes", r), facts, levels)
        for e, evidence in enumerate(route.evidence):
            for code in evidence.backs:
                if code not in units:
                    yield ("routes", r, "evidence", e, "backs"), f"backs unknown unit {code}"
    if scheme.routes[-1].applies_when:
        yield ("routes", len(scheme.routes) - 1), "the last route must apply to everyone"


def _route_problems(
    route: Route, here: Loc, facts: Mapping[str, Fact], levels: list[str]
) -> Iterator[tuple[Loc, str]]:
    clauses = {q.clause for q in route.requirements}
    conditions: list[tuple[Loc, Condition]] = [((*here, "applies_when"), route.applies_when)]
    for q, requirement in enumerate(route.requirements):
        conditions.extend(
            ((*here, "requirements", q), alternative) for alternative in requirement.alternatives()
        )
    for loc, condition in conditions:
        for problem in _condition_problems(condition, facts, levels):
            yield loc, problem
    for e, evidence in enumerate(route.evidence):
        for clause in evidence.proves:
            if clause not in clauses:
                yield (*here, "evidence", e, "proves"), f"proves unknown requirement {clause}"
        yield from (
            ((*here, "evidence", e), problem) for problem in _evidence_problems(route, evidence)
        )
    for clause in route.partial_fallback.requirements if route.partial_fallback else ():
        if clause not in clauses:
            yield (*here, "partial_fallback"), f"names unknown requirement {clause}"


def _evidence_problems(route: Route, evidence: Evidence) -> Iterator[str]:
    """An item's alternative must exist, and its fact must be one that alternative counts."""
    proved = [q for q in route.requirements if q.clause in evidence.proves]
    alternatives = [alt for q in proved for alt in q.alternatives()]
    if evidence.alternative is not None:
        options = proved[0].any_of if proved else None
        if options is None or evidence.alternative > len(options):
            yield f"alternative {evidence.alternative} is not an any_of of {evidence.proves}"
            return
        alternatives = [options[evidence.alternative - 1]]
    if evidence.fact is not None and not any(evidence.fact in alt for alt in alternatives):
        yield f"fact {evidence.fact!r} is not counted by the requirement it proves"


def _condition_problems(
    condition: Condition, facts: Mapping[str, Fact], levels: list[str]
) -> Iterator[str]:
    for fact_id, least in condition.items():
        fact = facts.get(fact_id)
        if fact is None:
            yield f"unknown fact {fact_id!r}"
        elif (fact.kind == "education") != isinstance(least, str):
            yield f"{fact_id} needs a {fact.kind} value, not {least!r}"
        elif isinstance(least, str) and least not in levels:
            yield f"unknown education level {least!r}"


class SchemeFileError(ValueError):
    """A scheme file that cannot be used; the message names source, line and problem."""


def parse_scheme(text: str, source: str) -> Scheme:
    """Parse and validate a scheme file's text (``source`` names it in errors)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        raise SchemeFileError(f"{source}:{line}: {error.problem or error}") from None
    if not isinstance(data, dict):
        raise SchemeFileError(f"{source}:1: a scheme file is a mapping")
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as failure:
        first = failure.errors()[0]
        raise _error(source, root, tuple(first["loc"]), first["msg"]) from None
    for loc, problem in reference_problems(scheme):
        raise _error(source, root, loc, problem)
    return scheme


def _error(source: str, root: yaml.Node | None, loc: Loc, problem: str) -> SchemeFileError:
    where = ".".join(str(part) for part in loc) or "file"
    return SchemeFileError(f"{source}:{_line_of(root, loc)}: {where}: {problem}")


def _line_of(node: yaml.Node | None, loc: Loc) -> int:
    """The 1-based line of the deepest YAML node that ``loc`` reaches."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
