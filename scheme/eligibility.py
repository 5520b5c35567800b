"""Route and eligibility (6.1, 6.2, 6.2.7) from the candidate's answers.

The result says which route applies, which method assesses the candidate, and for every basic
requirement whether it is met, with its clause: the conversation turns that into plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scheme.model import Condition, Method, Requirement, Route, Scheme

Answers = Mapping[str, int | str]
"""Fact id → the candidate's answer: a count (yes = 1, no = 0) or an education level id."""


@dataclass(frozen=True, slots=True)
class RequirementResult:
    clause: str
    met: bool
    unanswered: tuple[str, ...] = ()
    """Facts still to ask before this requirement can be decided."""


@dataclass(frozen=True, slots=True)
class Eligibility:
    route: str
    route_clause: str
    method: Method
    requirements: tuple[RequirementResult, ...]
    fallback_clause: str | None = None
    """Set when 6.2.7 applies: the candidate is assessed with the new-candidate method."""
    waived: frozenset[str] = frozenset()
    """Requirements that 6.2.7 turns from a condition into a choice of method."""

    @property
    def missing(self) -> tuple[str, ...]:
        """Clauses not met that stop the application (a fallback requirement does not)."""
        return tuple(
            r.clause for r in self.requirements if not r.met and r.clause not in self.waived
        )

    @property
    def eligible(self) -> bool:
        return not self.missing and not self.unanswered

    @property
    def unanswered(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for result in self.requirements:
            seen.update(dict.fromkeys(result.unanswered))
        return tuple(seen)


def holds(scheme: Scheme, condition: Condition, answers: Answers) -> bool:
    """Every fact of ``condition`` answered with at least its least value."""
    for fact_id, least in condition.items():
        answer = answers.get(fact_id)
        if answer is None:
            return False
        if isinstance(least, str):
            if not isinstance(answer, str) or scheme.education_rank(answer) < scheme.education_rank(
                least
            ):
                return False
        elif not isinstance(answer, int) or answer < least:
            return False
    return True


def _unanswered(scheme: Scheme, requirement: Requirement, answers: Answers) -> tuple[str, ...]:
    """Facts still worth asking: none once an alternative holds; of the others, only those of
    alternatives that no answer has already ruled out."""
    alternatives = requirement.alternatives()
    if any(holds(scheme, alternative, answers) for alternative in alternatives):
        return ()
    pending: dict[str, None] = {}
    for alternative in alternatives:
        ruled_out = any(
            fact in answers and not holds(scheme, {fact: least}, answers)
            for fact, least in alternative.items()
        )
        if not ruled_out:
            pending.update(dict.fromkeys(f for f in alternative if f not in answers))
    return tuple(pending)


def next_question(scheme: Scheme, answers: Answers) -> str | None:
    """The next fact to ask: what decides the route first, then what decides each requirement."""
    for route in scheme.routes[:-1]:
        for fact in route.applies_when:
            if fact not in answers:
                return fact
    unanswered = assess(scheme, answers).unanswered
    return unanswered[0] if unanswered else None


def choose_route(scheme: Scheme, answers: Answers) -> Route:
    """The first route whose ``applies_when`` holds (6.2 for certificate holders, else 6.1)."""
    return next(r for r in scheme.routes if holds(scheme, r.applies_when, answers))


def assess(scheme: Scheme, answers: Answers) -> Eligibility:
    """Decide route, method and each requirement from the answers given so far."""
    route = choose_route(scheme, answers)
    results = tuple(
        RequirementResult(
            clause=requirement.clause,
            met=any(holds(scheme, alt, answers) for alt in requirement.alternatives()),
            unanswered=_unanswered(scheme, requirement, answers),
        )
        for requirement in route.requirements
    )
    method: Method = route.method
    fallback = route.partial_fallback
    fallback_clause = None
    waived: frozenset[str] = frozenset()
    if fallback is not None:
        group = [r for r in results if r.clause in fallback.requirements]
        # 6.2.7: "only part" of the group met (none counts as part, see docs/clauses.md).
        if not any(r.unanswered for r in group) and not all(r.met for r in group):
            method = fallback.method
            fallback_clause = fallback.clause
            waived = frozenset(fallback.requirements)
    return Eligibility(
        route=route.id,
        route_clause=route.clause,
        method=method,
        requirements=results,
        fallback_clause=fallback_clause,
        waived=waived,
    )
