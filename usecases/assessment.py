"""The assessor's verbs: accept an assignment after declaring no relationship with the candidate,
or decline it declaring one (code of ethics 9.10.7); record each unit's K or BK with a note from
the assessment's scheduled time on (9.3.4–9.3.5); send the recommendation once every unit has one.

An assessor reaches only the applications assigned to them: every verb checks the role now and
that the application's assessor is the caller, on the server, and writes the audit row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain import schedule
from domain.parts import Assessment, UnitResult
from domain.ports import ApplicationRecord, Services, UnitOfWork
from scheme.apl02 import Verdict
from scheme.lifecycle import Actor, ApplicationState
from usecases.access import ASSESSOR_ROLES, Caller, Refusal, Refused, audit_done, authorize
from usecases.decisions import Done, Outcome, next_state, person_zone, target

A = ApplicationState
OPEN = (A.ASSESSOR_ASSIGNED, A.SCHEDULED)
"""An assignment the assessor still works on: to accept, or to record."""
NOTE_LENGTH = 300


@dataclass(frozen=True, slots=True)
class TooEarly(Refused):
    """9.3.4: results come from the assessment; it starts at ``starts_at``."""

    starts_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UnitsMissing(Refused):
    """The recommendation waits for a K or BK on every unit; these have none."""

    units: tuple[str, ...] = ()


def starts_at(application: ApplicationRecord) -> datetime:
    """When the assigned assessment starts (set with the assignment, 9.3.2)."""
    when = application.assessment.starts_at
    if when is None:
        raise LookupError(f"application {application.id} has no assessment scheduled")
    return when


async def assignments(uow: UnitOfWork, caller: Caller) -> list[ApplicationRecord] | Refused:
    """The caller's open assignments (9.2.2), oldest first."""
    if caller.person_id is None or not await authorize(
        uow, caller, "view_assignments", roles=ASSESSOR_ROLES
    ):
        return Refused(Refusal.NOT_ALLOWED)
    return list(await uow.applications.assigned_to(caller.person_id, OPEN))


async def assigned(
    uow: UnitOfWork, caller: Caller, action: str, application_id: int, *states: str
) -> ApplicationRecord | Refused:
    """The application, locked, when the caller is its assessor now and it is in ``states``.
    Not theirs is refused and audited like a missing role: the case is not shown to exist."""
    where = target(application_id)
    if not await authorize(uow, caller, action, where, roles=ASSESSOR_ROLES):
        return Refused(Refusal.NOT_ALLOWED)
    application = await uow.applications.get(application_id, lock=True)
    if application is None or application.assessment.assessor != caller.person_id:
        await uow.audit.record(
            caller.person_id, caller.channel, f"{action}_not_assigned", where, allowed=False
        )
        return Refused(Refusal.NOT_ALLOWED)
    if application.state not in states:
        return Refused(Refusal.ALREADY_HANDLED)
    return application


async def accept_assignment(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int
) -> Outcome:
    """No relationship declared (9.10.7): the assignment stands; the candidate is told when and
    where, and both get a reminder the day before, at 09:00 in their own zone."""
    application = await assigned(uow, caller, "no_conflict", application_id, A.ASSESSOR_ASSIGNED)
    if isinstance(application, Refused):
        return application
    state = next_state(application, "schedule", Actor.ASSESSOR)
    if isinstance(state, Refused):
        return state
    now = services.clock()
    assessment = replace(application.assessment, accepted_at=now)
    updated = await uow.applications.update(application.id, state=state, assessment=assessment)
    when, place = starts_at(application), assessment.place
    reference = application.reference or ""
    zone = await person_zone(uow, services, application.person_id)
    for planned in schedule.assessment(reference, when, place, zone, now):
        await uow.outbox.schedule(application.person_id, planned)
    if caller.person_id is not None:
        assessor_zone = await person_zone(uow, services, caller.person_id)
        reminder = schedule.assessment(reference, when, place, assessor_zone, now)[1]
        await uow.outbox.schedule(caller.person_id, reminder.to_the_assessor())
    details = {"declared": "none"}
    await audit_done(uow, caller, "accept_assignment", target(application.id), details)
    return Done(updated)


async def declare_conflict(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int, note: str
) -> Outcome:
    """A relationship with the candidate declared (9.10.7): the assessor steps aside and the
    application goes back to staff for another one."""
    action = "declare_conflict"
    application = await assigned(uow, caller, action, application_id, A.ASSESSOR_ASSIGNED)
    if isinstance(application, Refused):
        return application
    state = next_state(application, "decline_assignment", Actor.ASSESSOR)
    if isinstance(state, Refused):
        return state
    note = note.strip()[:NOTE_LENGTH]
    assessment = Assessment(declined_by=caller.person_id, conflict=note)
    updated = await uow.applications.update(application.id, state=state, assessment=assessment)
    await audit_done(uow, caller, action, target(application.id), {"note": note})
    return Done(updated)


async def _after_start(
    uow: UnitOfWork, services: Services, caller: Caller, application: ApplicationRecord
) -> TooEarly | None:
    """Refused, explained and audited before the assessment's scheduled time (9.3.4–9.3.5)."""
    when = starts_at(application)
    if services.clock() >= when:
        return None
    await uow.audit.record(
        caller.person_id, caller.channel, "record_unit_before_assessment",
        target(application.id), allowed=False,
    )  # fmt: skip
    return TooEarly(Refusal.TOO_EARLY, starts_at=when)


async def check_recording(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int
) -> Outcome:
    """Whether the caller may record results on the application now; changes nothing. The
    chat asks it before asking for a verdict, :func:`record_unit` again."""
    application = await assigned(uow, caller, "record_unit", application_id, A.SCHEDULED)
    if isinstance(application, Refused):
        return application
    return await _after_start(uow, services, caller, application) or Done(application)


async def record_unit(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    unit: str,
    verdict: Verdict,
    note: str,
) -> Outcome:
    """One unit's K or BK, with the assessor's note (9.3.4); recorded again, it replaces."""
    checked = await check_recording(uow, services, caller, application_id)
    if isinstance(checked, Refused):
        return checked
    application = checked.application
    if unit not in {u.code for u in services.scheme.units}:
        return Refused(Refusal.ALREADY_HANDLED)  # no such unit (any longer) in the scheme
    units = {
        **application.assessment.units,
        unit: UnitResult(verdict, note.strip()[:NOTE_LENGTH]),
    }
    updated = await uow.applications.update(
        application.id, assessment=replace(application.assessment, units=units)
    )
    details = {"verdict": str(verdict)}
    await audit_done(uow, caller, "record_unit", f"{target(application.id)}:{unit}", details)
    return Done(updated)


async def recommend(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int
) -> Outcome:
    """9.3.5: the recommendation — Kompeten when every unit is K, else Belum Kompeten — for the
    technical team's decision; only once every unit has a verdict."""
    checked = await check_recording(uow, services, caller, application_id)
    if isinstance(checked, Refused):
        return checked
    application = checked.application
    units = application.assessment.verdicts()
    missing = tuple(u.code for u in services.scheme.units if u.code not in units)
    if missing:
        return UnitsMissing(Refusal.UNITS_MISSING, units=missing)
    all_k = all(verdict is Verdict.K for verdict in units.values())
    action = "recommend_competent" if all_k else "recommend_not_yet"
    state = next_state(application, action, Actor.ASSESSOR)
    if isinstance(state, Refused):
        return state
    updated = await uow.applications.update(application.id, state=state)
    await audit_done(uow, caller, action, target(application.id))
    return Done(updated)
