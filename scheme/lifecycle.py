"""The lifecycle of an application, a certificate and an appeal (9.1–9.9) as state machines.

Each machine is a table: (state, action) → (next state, the actors who may do it, clause).
:func:`Machine.apply` is the only way to change state; an action not allowed from the state, or
by that actor, raises a typed error and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar


class Actor(StrEnum):
    CANDIDATE = "candidate"
    STAFF = "staff"
    ASSESSOR = "assessor"
    SYSTEM = "system"


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_FIX = "needs_fix"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"  # peserta sertifikasi (9.1.6)
    ASSESSOR_ASSIGNED = "assessor_assigned"  # 9.2.2
    SCHEDULED = "scheduled"  # at a TUK (9.3.2)
    RECOMMENDED_K = "recommended_k"  # 9.3.4–9.3.5
    RECOMMENDED_BK = "recommended_bk"
    DECIDED_COMPETENT = "decided_competent"  # 9.4
    DECIDED_NOT_YET = "decided_not_yet"  # the appeal window runs (9.9.2)
    UNDER_APPEAL = "under_appeal"  # 9.9
    CERTIFIED = "certified"  # 9.4.6–9.4.7
    NOT_YET_COMPETENT = "not_yet_competent"


class CertificateState(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"  # 9.5
    REVOKED = "revoked"  # 9.5
    RENEWED = "renewed"  # replaced by the certificate of a re-certification (9.7)
    EXPIRED = "expired"


class AppealState(StrEnum):
    FILED = "filed"  # 9.9.2–9.9.3
    UNDER_REVIEW = "under_review"  # by a panel not involved in the case (9.9.4)
    GRANTED = "granted"  # 9.9.7, binding
    DISMISSED = "dismissed"  # 9.9.7, binding
    WITHDRAWN = "withdrawn"


class TransitionError(Exception):
    """Base of the lifecycle's errors."""


class IllegalTransition(TransitionError):
    def __init__(self, machine: str, state: str, action: str) -> None:
        super().__init__(f"{machine}: '{action}' is not possible from '{state}'")
        self.machine, self.state, self.action = machine, state, action


class ActorNotAllowed(TransitionError):
    def __init__(self, machine: str, action: str, actor: Actor) -> None:
        super().__init__(f"{machine}: {actor} may not '{action}'")
        self.machine, self.action, self.actor = machine, action, actor


St = TypeVar("St", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Transition:
    source: StrEnum
    action: str
    target: StrEnum
    actors: frozenset[Actor]
    clause: str


@dataclass(frozen=True, slots=True)
class Machine(Generic[St]):
    name: str
    states: type[St]
    initial: St
    finals: frozenset[St]
    table: Mapping[tuple[St, str], Transition]

    def apply(self, state: St, action: str, actor: Actor) -> St:
        """The state after ``actor`` does ``action``; raises, changing nothing, when not allowed."""
        transition = self.table.get((state, action))
        if transition is None:
            raise IllegalTransition(self.name, state, action)
        if actor not in transition.actors:
            raise ActorNotAllowed(self.name, action, actor)
        return self.states(transition.target)

    def actions(self, state: St, actor: Actor | None = None) -> tuple[str, ...]:
        """What can be done from ``state`` (by ``actor``, when given)."""
        return tuple(
            t.action
            for (source, _), t in self.table.items()
            if source == state and (actor is None or actor in t.actors)
        )

    def transitions(self) -> Iterator[Transition]:
        yield from self.table.values()


def _machine(
    name: str,
    states: type[St],
    initial: St,
    finals: set[St],
    rows: list[tuple[St | tuple[St, ...], str, St, set[Actor], str]],
) -> Machine[St]:
    table: dict[tuple[St, str], Transition] = {}
    for sources, action, target, actors, clause in rows:
        for source in sources if isinstance(sources, tuple) else (sources,):
            if (source, action) in table:
                raise ValueError(f"{name}: {source}/{action} defined twice")
            table[(source, action)] = Transition(source, action, target, frozenset(actors), clause)
    return Machine(name, states, initial, frozenset(finals), table)


A = ApplicationState
C, S, AS, SYS = Actor.CANDIDATE, Actor.STAFF, Actor.ASSESSOR, Actor.SYSTEM

APPLICATION = _machine(
    "application",
    ApplicationState,
    A.DRAFT,
    {A.REJECTED, A.WITHDRAWN, A.CERTIFIED, A.NOT_YET_COMPETENT},
    [
        (A.DRAFT, "submit", A.SUBMITTED, {C}, "9.1.2–9.1.4"),
        ((A.DRAFT, A.SUBMITTED, A.NEEDS_FIX), "withdraw", A.WITHDRAWN, {C}, "7.1"),
        (A.SUBMITTED, "request_fix", A.NEEDS_FIX, {S}, "9.1.5"),
        (A.NEEDS_FIX, "resubmit", A.SUBMITTED, {C}, "9.1.5"),
        (A.SUBMITTED, "accept", A.ACCEPTED, {S}, "9.1.6"),
        (A.SUBMITTED, "reject", A.REJECTED, {S}, "9.1.5"),
        (A.ACCEPTED, "assign_assessor", A.ASSESSOR_ASSIGNED, {S}, "9.2.2"),
        (
            (A.ASSESSOR_ASSIGNED, A.SCHEDULED),
            "reassign_assessor",
            A.ASSESSOR_ASSIGNED,
            {S},
            "9.2.2",
        ),
        (A.ASSESSOR_ASSIGNED, "schedule", A.SCHEDULED, {S, AS}, "9.3.2"),
        (A.ASSESSOR_ASSIGNED, "decline_assignment", A.ACCEPTED, {AS}, "9.10.7"),
        (A.SCHEDULED, "recommend_competent", A.RECOMMENDED_K, {AS}, "9.3.4–9.3.5"),
        (A.SCHEDULED, "recommend_not_yet", A.RECOMMENDED_BK, {AS}, "9.3.4–9.3.5"),
        (
            (A.RECOMMENDED_K, A.RECOMMENDED_BK),
            "decide_competent",
            A.DECIDED_COMPETENT,
            {S},
            "9.4.2–9.4.4",
        ),
        (
            (A.RECOMMENDED_K, A.RECOMMENDED_BK),
            "decide_not_yet",
            A.DECIDED_NOT_YET,
            {S},
            "9.4.2–9.4.4",
        ),
        (A.DECIDED_COMPETENT, "issue_certificate", A.CERTIFIED, {S}, "9.4.6–9.4.7"),
        (A.DECIDED_NOT_YET, "appeal", A.UNDER_APPEAL, {C}, "9.9.1–9.9.2"),
        (A.DECIDED_NOT_YET, "close_appeal_window", A.NOT_YET_COMPETENT, {SYS}, "9.9.2"),
        (A.UNDER_APPEAL, "appeal_granted", A.ACCEPTED, {S}, "9.9.7"),
        (A.UNDER_APPEAL, "appeal_dismissed", A.NOT_YET_COMPETENT, {S}, "9.9.7"),
    ],
)

CS = CertificateState
CERTIFICATE = _machine(
    "certificate",
    CertificateState,
    CS.ACTIVE,
    {CS.REVOKED, CS.RENEWED, CS.EXPIRED},
    [
        (CS.ACTIVE, "freeze", CS.FROZEN, {S}, "9.5.1–9.5.2"),
        (CS.FROZEN, "unfreeze", CS.ACTIVE, {S}, "9.5.2"),
        ((CS.ACTIVE, CS.FROZEN), "revoke", CS.REVOKED, {S}, "9.5.1–9.5.2"),
        (CS.ACTIVE, "record_surveillance", CS.ACTIVE, {S}, "9.6.4"),
        (CS.ACTIVE, "renew", CS.RENEWED, {S}, "9.7.4"),
        ((CS.ACTIVE, CS.FROZEN), "expire", CS.EXPIRED, {SYS}, "9.4.6"),
    ],
)

P = AppealState
APPEAL = _machine(
    "appeal",
    AppealState,
    P.FILED,
    {P.GRANTED, P.DISMISSED, P.WITHDRAWN},
    [
        (P.FILED, "assign_panel", P.UNDER_REVIEW, {S}, "9.9.4"),
        (P.UNDER_REVIEW, "grant", P.GRANTED, {S}, "9.9.5–9.9.7"),
        (P.UNDER_REVIEW, "dismiss", P.DISMISSED, {S}, "9.9.5–9.9.7"),
        ((P.FILED, P.UNDER_REVIEW), "withdraw", P.WITHDRAWN, {C}, "9.9"),
    ],
)

MACHINES = (APPLICATION, CERTIFICATE, APPEAL)
