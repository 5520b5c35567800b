"""Who acts, whether they may, and the audit row that says so either way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.ports import ApplicationRecord, JSONValue, UnitOfWork
from scheme.impartiality import Capacity, Conflict, conflict

STAFF_ROLES = frozenset({"staff", "admin"})
ADMIN_ROLES = frozenset({"admin"})
ASSESSOR_ROLES = frozenset({"assessor"})


class Role(StrEnum):
    """The roles an admin grants (``/peran``, ``asesorbot roles``)."""

    ASSESSOR = "assessor"
    STAFF = "staff"
    ADMIN = "admin"


OPERATOR_CHANNEL = "cli"


@dataclass(frozen=True, slots=True)
class Caller:
    """The person a use case acts for, and where they asked (the audit log names both).

    ``person_id`` None is the operator at the server's shell (``asesorbot …``), who holds every
    right there; ``name`` is their login, kept in the audit row."""

    person_id: int | None
    channel: str
    name: str | None = None

    @classmethod
    def operator(cls, name: str) -> Caller:
        return cls(None, OPERATOR_CHANNEL, name)


class Refusal(StrEnum):
    """Why a use case did nothing; the interface words it."""

    NOT_ALLOWED = "not_allowed"
    """The caller does not hold the role now (checked at every call, never remembered)."""
    ALREADY_HANDLED = "already_handled"
    """The application is gone or has moved on (another staff member, another tab)."""
    CONFLICT = "conflict"
    """An impartiality rule forbids it (9.2.1, 9.9.4, 9.10.7); see ``Refused.conflict``."""
    NOT_AN_ASSESSOR = "not_an_assessor"
    BAD_SCHEDULE = "bad_schedule"
    CERTIFICATE_TAKEN = "certificate_taken"
    PANEL_FIRST = "panel_first"
    NEEDS_ALL_OK = "needs_all_ok"
    """Accepting before every item to review meets the requirement (9.1.6)."""
    NEEDS_A_PROBLEM = "needs_a_problem"
    """Sending back with no item marked as not meeting the requirement or missing (9.1.5)."""
    NOTHING_TO_APPEAL = "nothing_to_appeal"
    """No decision of "not yet competent" stands to be appealed (9.9.1)."""
    WINDOW_CLOSED = "window_closed"
    """The appeal window has ended (9.9.2)."""
    IN_PROGRESS = "in_progress"
    """Another application of the person's is still under way: one at a time."""
    INCOMPLETE = "incomplete"
    """Submitting an application still missing a part (9.1.2–9.1.4)."""
    TOO_EARLY = "too_early"
    """Results recorded before the assessment's scheduled time (9.3.4)."""
    UNITS_MISSING = "units_missing"
    """A recommendation before every unit has its K or BK (9.3.5)."""
    UNKNOWN_ACCOUNT = "unknown_account"
    """No such messenger account has written to the bot."""
    NOT_YOURSELF = "not_yourself"
    """An admin taking away their own admin role."""


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Refusal
    conflict: Conflict | None = None


async def authorize(
    uow: UnitOfWork,
    caller: Caller,
    action: str,
    target: str | None = None,
    roles: frozenset[str] = STAFF_ROLES,
) -> bool:
    """Whether the caller holds one of ``roles`` now (the operator always does); a refusal is
    audited here, a success by the verb once it is done (:func:`audit_done`)."""
    ok = await _holds(uow, caller, roles)
    if not ok:
        await uow.audit.record(caller.person_id, caller.channel, action, target, allowed=False)
    return ok


async def _holds(uow: UnitOfWork, caller: Caller, roles: frozenset[str]) -> bool:
    return caller.person_id is None or bool(await uow.roles.of(caller.person_id) & roles)


async def may_see(
    uow: UnitOfWork,
    caller: Caller,
    action: str,
    target: str | None = None,
    roles: frozenset[str] = STAFF_ROLES,
) -> bool:
    """Whether the caller holds one of ``roles`` now, to open a screen of other people's data;
    audited either way (who looked at what is kept, as for documents)."""
    ok = await _holds(uow, caller, roles)
    await uow.audit.record(caller.person_id, caller.channel, action, target, allowed=ok)
    return ok


async def forged(uow: UnitOfWork, caller: Caller, option_id: str) -> None:
    """A privileged option pressed where no step offered it: refused, and kept in the log."""
    await uow.audit.record(
        caller.person_id, caller.channel, "forged_option", option_id[:100], allowed=False
    )


async def audit_done(
    uow: UnitOfWork,
    caller: Caller,
    action: str,
    target: str | None,
    details: Mapping[str, JSONValue] | None = None,
) -> None:
    if caller.name is not None:
        details = {**(details or {}), "by": caller.name}
    await uow.audit.record(
        caller.person_id, caller.channel, action, target, allowed=True, details=details
    )


def involved_in_decision(application: ApplicationRecord) -> frozenset[int]:
    """9.9.4: who took part in the decision under appeal — the case's assessor and the staff
    member who recorded the decision."""
    people = (application.assessment.assessor, application.decision.by)
    return frozenset(p for p in people if p is not None)


async def impartiality(
    uow: UnitOfWork,
    caller: Caller,
    application: ApplicationRecord,
    capacity: Capacity,
    person_id: int | None = None,
) -> Refused | None:
    """Refused (and audited with its clause) when ``person_id`` — the caller by default — may
    not act in ``capacity`` on ``application``; None when they may."""
    who = caller.person_id if person_id is None else person_id
    if who is None:
        return None  # the operator, acting on nobody's behalf
    involved = involved_in_decision(application) if capacity == Capacity.PANEL else ()
    found = conflict(who, capacity, application.person_id, involved)
    if found is None:
        return None
    await uow.audit.record(
        caller.person_id, caller.channel, f"conflict_{capacity}_{found.kind}",
        f"application:{application.id}", allowed=False, details={"person": who},
    )  # fmt: skip
    return Refused(Refusal.CONFLICT, found)


async def open_application(
    uow: UnitOfWork, caller: Caller, application_id: int, *states: str
) -> ApplicationRecord | Refused:
    """The application, locked, when it is in one of ``states`` and not the caller's own
    (9.2.1); otherwise why not."""
    application = await uow.applications.get(application_id, lock=True)
    if application is None or application.state not in states:
        return Refused(Refusal.ALREADY_HANDLED)
    refused = await impartiality(uow, caller, application, Capacity.STAFF)
    return application if refused is None else refused


async def staff_open(
    uow: UnitOfWork,
    caller: Caller,
    action: str,
    application_id: int,
    *states: str,
    target: str | None = None,
) -> ApplicationRecord | Refused:
    """What every staff verb starts with: the role now, then the application as
    :func:`open_application` gives it."""
    if not await authorize(uow, caller, action, target or f"application:{application_id}"):
        return Refused(Refusal.NOT_ALLOWED)
    return await open_application(uow, caller, application_id, *states)
