"""Which evidence a candidate must upload, and how many of each (9.1.2, 6.2.2, 6.2.3, 6.2.7).

The data file lists every item a route can ask for; the candidate's eligibility answers decide
which of them apply and how many files each takes:

- an item of an ``any_of`` alternative (9.1.2.2 d and e: "2 SPT ... atau 2 SPT ... dan 1
  rekaman") is asked only when that alternative is the one the answers choose;
- under 6.2.7 (9.1.2.2 i) the items of the partly met requirements take what the candidate
  declared they have, up to the full count, instead of the full count;
- every other item takes its ``min``.

The result is the one home of "is the evidence complete": the checklist, the hub, submission and
the staff review all read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from scheme.eligibility import Answers, Eligibility, holds
from scheme.model import Evidence, Requirement, Route, Scheme


class Basis(StrEnum):
    """Why an item takes the count it does; each names the clause it applies."""

    REQUIRED = "required"
    """The item's own count (9.1.2.1, 9.1.2.2)."""
    ALTERNATIVE = "alternative"
    """An item of the alternative the answers chose (6.2.2 / 6.2.3, "atau")."""
    PARTIAL = "partial"
    """6.2.7: what the candidate declared, for a requirement met only in part."""


@dataclass(frozen=True, slots=True)
class Need:
    evidence: Evidence
    min: int
    """Files needed for the item to be complete (0: nothing is needed, files are welcome)."""
    basis: Basis
    clause: str
    """The clause that decides ``min``: the item's own, or 6.2.7."""
    alternative: int | None = None
    """The chosen alternative (1-based) and how many there are, for ``ALTERNATIVE`` items."""
    alternatives: int = 1

    @property
    def id(self) -> str:
        return self.evidence.id

    @property
    def max(self) -> int:
        return self.evidence.max

    def done(self, have: int) -> bool:
        return have >= self.min


def chosen_alternative(scheme: Scheme, requirement: Requirement, answers: Answers) -> int:
    """The first alternative that holds; when none does (6.2.7, or not yet answered), the one
    the candidate is closest to, the first on a tie (1-based)."""
    options = requirement.alternatives()
    for index, alternative in enumerate(options, 1):
        if holds(scheme, alternative, answers):
            return index

    def progress(condition: Mapping[str, int | str]) -> float:
        wanted = [least for least in condition.values() if isinstance(least, int)]
        got = [
            min(answer, least) if isinstance(answer := answers.get(fact), int) else 0
            for fact, least in condition.items()
            if isinstance(least, int)
        ]
        return sum(got) / sum(wanted) if sum(wanted) else 0.0

    best = max(range(len(options)), key=lambda i: (progress(options[i]), -i))
    return best + 1


def evidence_plan(
    scheme: Scheme, route: Route, answers: Answers, eligibility: Eligibility
) -> tuple[Need, ...]:
    """The items the candidate must upload, in the data file's order, each with its count."""
    requirements = {q.clause: q for q in route.requirements}
    waived = eligibility.waived if eligibility.route == route.id else frozenset()
    partly_met = {r.clause for r in eligibility.requirements if r.clause in waived and not r.met}
    plan: list[Need] = []
    for item in route.evidence:
        proved = [requirements[c] for c in item.proves if c in requirements]
        alternative = None
        count = 1
        if item.alternative is not None:
            requirement = proved[0]
            count = len(requirement.alternatives())
            alternative = chosen_alternative(scheme, requirement, answers)
            if alternative != item.alternative:
                continue
        if any(q.clause in partly_met for q in proved) and item.fact is not None:
            declared = answers.get(item.fact, 0)
            have = declared if isinstance(declared, int) else 0
            clause = eligibility.fallback_clause or item.clause
            plan.append(Need(item, min(have, item.min), Basis.PARTIAL, clause, alternative, count))
        elif alternative is not None:
            plan.append(Need(item, item.min, Basis.ALTERNATIVE, item.clause, alternative, count))
        else:
            plan.append(Need(item, item.min, Basis.REQUIRED, item.clause))
    return tuple(plan)


def counts(plan: tuple[Need, ...], evidence_ids: list[str]) -> dict[str, int]:
    """Files per planned item; files of items the plan does not ask for are not counted."""
    tally = dict.fromkeys((need.id for need in plan), 0)
    for evidence_id in evidence_ids:
        if evidence_id in tally:
            tally[evidence_id] += 1
    return tally


def missing(plan: tuple[Need, ...], evidence_ids: list[str]) -> tuple[tuple[Need, int], ...]:
    """The items still short of their count, with how many files they have."""
    have = counts(plan, evidence_ids)
    return tuple((need, have[need.id]) for need in plan if not need.done(have[need.id]))
