"""Who may not act on an application, each rule with its clause.

- Nobody acts as staff on their own application (9.2.1 "secara obyektif"), is its assessor
  (9.10.7: a relationship with the assessed, here the closest one) or sits on its appeal panel.
- The appeal panel is made of people not involved in what is appealed (9.9.4): the assessor
  of the case and the staff member who recorded the decision are excluded.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum


class Capacity(StrEnum):
    """In what capacity a person acts on someone's application."""

    STAFF = "staff"
    ASSESSOR = "assessor"
    PANEL = "panel"


class ConflictKind(StrEnum):
    OWN_APPLICATION = "own_application"
    INVOLVED = "involved"


@dataclass(frozen=True, slots=True)
class Conflict:
    kind: ConflictKind
    capacity: Capacity
    clause: str


OWN_CLAUSE = {Capacity.STAFF: "9.2.1", Capacity.ASSESSOR: "9.10.7", Capacity.PANEL: "9.9.4"}


def conflict(
    person_id: int, capacity: Capacity, candidate_id: int, involved: Collection[int] = ()
) -> Conflict | None:
    """Why ``person_id`` may not act in ``capacity`` on the application of ``candidate_id``
    (``involved``: who took part in the decision under appeal), or None."""
    if person_id == candidate_id:
        return Conflict(ConflictKind.OWN_APPLICATION, capacity, OWN_CLAUSE[capacity])
    if capacity == Capacity.PANEL and person_id in involved:
        return Conflict(ConflictKind.INVOLVED, capacity, "9.9.4")
    return None
