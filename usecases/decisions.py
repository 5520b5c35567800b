"""Staff's verbs after acceptance: assign an assessor with a schedule and a TUK (9.2.2, 9.3.2),
record the technical team's decision (9.4) — which opens the appeal window (9.9.2) — issue the
certificate (9.4.6, replacing a renewed one, 9.7.4), and decide an appeal by a panel not involved
in the case (9.9.4–9.9.7).

Each verb checks the caller's role now, locks the application and checks its state and the
impartiality rules, queues its notices in the same transaction and writes the audit row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from domain import schedule
from domain.parts import Assessment, Decision
from domain.ports import ApplicationRecord, Services, UnitOfWork
from domain.schedule import Subject
from scheme.deadlines import certificate_expiry, local_date
from scheme.impartiality import Capacity
from scheme.lifecycle import (
    APPEAL,
    APPLICATION,
    CERTIFICATE,
    Actor,
    AppealState,
    ApplicationState,
    TransitionError,
)
from usecases.access import (
    ASSESSOR_ROLES,
    Caller,
    Refusal,
    Refused,
    audit_done,
    authorize,
    impartiality,
    involved_in_decision,
    open_application,
    staff_open,
)

A = ApplicationState
RECOMMENDED = (A.RECOMMENDED_K, A.RECOMMENDED_BK)


@dataclass(frozen=True, slots=True)
class Done:
    application: ApplicationRecord
    """The application as the verb left it."""


Outcome = Done | Refused


def target(application_id: int) -> str:
    return f"application:{application_id}"


def next_state(
    application: ApplicationRecord, action: str, actor: Actor = Actor.STAFF
) -> ApplicationState | Refused:
    """The state ``action`` by ``actor`` leads to; moved on already (or not theirs to do):
    refused as handled."""
    try:
        return APPLICATION.apply(application.state, action, actor)
    except TransitionError:
        return Refused(Refusal.ALREADY_HANDLED)


async def person_zone(uow: UnitOfWork, services: Services, person_id: int) -> str:
    """A person's own time zone: their reminders come at 09:00 there, a candidate's appeal
    window ends at midnight there."""
    person = await uow.people.get(person_id)
    return person.timezone if person is not None else services.scheme.rules.timezone


async def assessors_for(uow: UnitOfWork, application_id: int) -> list[tuple[int, str]]:
    """The assessors who may be offered for the application: never its candidate (9.10.7)."""
    application = await uow.applications.get(application_id)
    candidate = application.person_id if application else None
    return [
        (pid, name) for pid, name in await uow.roles.people_with("assessor") if pid != candidate
    ]


async def panel_candidates(uow: UnitOfWork, application_id: int) -> dict[int, str]:
    """Staff and assessors who may sit on the appeal panel: nobody involved in the decision
    under appeal, nor the candidate (9.9.4)."""
    application = await uow.applications.get(application_id)
    excluded = involved_in_decision(application) | {application.person_id} if application else set()
    return {
        pid: name
        for role in ("staff", "assessor")
        for pid, name in await uow.roles.people_with(role)
        if pid not in excluded
    }


async def check_assignment(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    assessor: int,
    starts_at: datetime | None = None,
    action: str = "choose_assessor",
) -> Outcome:
    """Whether ``assessor`` (and, once known, ``starts_at``) may be assigned now; changes
    nothing. The chat asks it at each part of the assignment, :func:`assign_assessor` again."""
    if not await authorize(uow, caller, action, target(application_id)):
        return Refused(Refusal.NOT_ALLOWED)
    if not await uow.roles.of(assessor) & ASSESSOR_ROLES:
        return Refused(Refusal.NOT_AN_ASSESSOR)
    application = await open_application(uow, caller, application_id, A.ACCEPTED)
    if isinstance(application, Refused):
        return application
    refused = await impartiality(uow, caller, application, Capacity.ASSESSOR, assessor)
    if refused is not None:
        return refused
    if starts_at is not None and starts_at <= services.clock():
        return Refused(Refusal.BAD_SCHEDULE)
    return Done(application)


async def assign_assessor(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    assessor: int,
    starts_at: datetime,
    place: str,
) -> Outcome:
    """9.2.2, 9.3.2: the assessor, the schedule and the TUK; the assessor is told."""
    checked = await check_assignment(
        uow, services, caller, application_id,
        assessor=assessor, starts_at=starts_at, action="assign_assessor",
    )  # fmt: skip
    if isinstance(checked, Refused):
        return checked
    application = checked.application
    state = next_state(application, "assign_assessor")
    if isinstance(state, Refused):
        return state
    when = starts_at.isoformat()
    assessment = Assessment(assessor=assessor, starts_at=starts_at, place=place)
    updated = await uow.applications.update(application.id, state=state, assessment=assessment)
    candidate = await uow.applications.applicant_name(application.id) or "—"
    units = ", ".join(unit.code for unit in services.scheme.units)
    reference = application.reference or ""
    now = services.clock()
    await uow.outbox.schedule(
        assessor,
        schedule.assessor_assignment(
            reference, candidate=candidate, units=units, starts_at=when, place=place,
            assessor=assessor, now=now,
        ),
    )  # fmt: skip
    details = {"assessor": assessor, "starts_at": when}
    await audit_done(uow, caller, "assign_assessor", target(application.id), details)
    return Done(updated)


async def assign_panel(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int, member: int
) -> Outcome:
    """9.9.4: the appeal's panel member, never anyone involved in what is appealed."""
    application = await staff_open(uow, caller, "assign_panel", application_id, A.UNDER_APPEAL)
    if isinstance(application, Refused):
        return application
    refused = await impartiality(uow, caller, application, Capacity.PANEL, member)
    if refused is not None:
        return refused
    appeal_state = _appeal_moves(application, "assign_panel")
    if appeal_state is None:
        return Refused(Refusal.ALREADY_HANDLED)
    appeal = replace(application.appeal, panel=member, state=appeal_state)
    updated = await uow.applications.update(application.id, appeal=appeal)
    await audit_done(uow, caller, "assign_panel", target(application.id), {"member": member})
    return Done(updated)


async def decide(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    competent: bool,
    record: str,
) -> Outcome:
    """9.4: the technical team's decision with its meeting record; the candidate is told, with
    the end of the appeal window in their own zone (9.9.2)."""
    action = "decide_competent" if competent else "decide_not_yet"
    application = await staff_open(uow, caller, action, application_id, *RECOMMENDED)
    if isinstance(application, Refused):
        return application
    state = next_state(application, action)
    if isinstance(state, Refused):
        return state
    now = services.clock()
    zone = await person_zone(uow, services, application.person_id)
    planned = schedule.decision(
        application.reference or "", state, now, services.scheme.rules, zone
    )
    until = datetime.fromisoformat(str(planned[0].notice.params["appeal_until_at"]))
    decision = Decision(
        result=state, record=record, decided_at=now, appeal_until=until,
        by=caller.person_id,  # excluded from the appeal panel (9.9.4)
    )  # fmt: skip
    updated = await uow.applications.update(application.id, state=state, decision=decision)
    for item in planned:
        await uow.outbox.schedule(application.person_id, item)
    await audit_done(uow, caller, action, target(application.id))
    return Done(updated)


async def issue_certificate(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int, number: str
) -> Outcome:
    """9.4.6: the certificate, valid 3 years from today in the LSP's zone; its surveillance and
    renewal reminders are queued; a renewed certificate gives way to it (9.7.4)."""
    action = "issue_certificate"
    application = await staff_open(uow, caller, action, application_id, A.DECIDED_COMPETENT)
    if isinstance(application, Refused):
        return application
    state = next_state(application, action)
    if isinstance(state, Refused):
        return state
    rules = services.scheme.rules
    issued_on = local_date(services.clock(), ZoneInfo(rules.timezone))
    expires_on = certificate_expiry(issued_on, rules)
    if not await uow.certificates.issue(
        application.id, application.person_id, number, issued_on, expires_on
    ):
        return Refused(Refusal.CERTIFICATE_TAKEN)
    updated = await uow.applications.update(application.id, state=state)
    if application.renews:
        await _replace(uow, application.renews)
    zone = await person_zone(uow, services, application.person_id)
    for item in schedule.certificate(number, issued_on, zone, rules, services.clock()):
        await uow.outbox.schedule(application.person_id, item)
    await audit_done(uow, caller, action, target(application.id), {"certificate": number})
    return Done(updated)


def _appeal_moves(application: ApplicationRecord, action: str) -> AppealState | None:
    """Where ``action`` takes the application's appeal; None when it cannot (any more)."""
    state = application.appeal.state
    try:
        return APPEAL.apply(state, action, Actor.STAFF) if state is not None else None
    except TransitionError:
        return None


async def _replace(uow: UnitOfWork, number: str) -> None:
    """9.7.4: the renewed certificate gives way to the new one; its reminders stop."""
    renewed = await uow.certificates.get(number, lock=True)
    if renewed is None:
        return
    try:
        state = CERTIFICATE.apply(renewed.state, "renew", Actor.STAFF)
    except TransitionError:
        return  # frozen, revoked or expired meanwhile: it stays as it is
    await uow.certificates.update(number, state=state)
    await uow.outbox.cancel(Subject.certificate(number))
    await uow.outbox.cancel(Subject.renewal(number))


async def decide_appeal(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    granted: bool,
    note: str,
) -> Outcome:
    """9.9.7: the panel's binding decision, once a panel sits (9.9.4); granted means a new
    assessment. The candidate gets it with its reasons; staff's due-date warnings stop."""
    action = "appeal_granted" if granted else "appeal_dismissed"
    application = await staff_open(uow, caller, action, application_id, A.UNDER_APPEAL)
    if isinstance(application, Refused):
        return application
    appeal_state = _appeal_moves(application, "grant" if granted else "dismiss")
    if appeal_state is None:
        return Refused(Refusal.PANEL_FIRST)
    state = next_state(application, action)
    if isinstance(state, Refused):
        return state
    now = services.clock()
    appeal = replace(application.appeal, state=appeal_state, note=note, decided_at=now)
    updated = await uow.applications.update(application.id, state=state, appeal=appeal)
    reference = application.reference or ""
    await uow.outbox.cancel(Subject.appeal(reference))
    outcome = "granted" if granted else "dismissed"
    await uow.outbox.schedule(
        application.person_id, schedule.appeal_decided(reference, outcome, note, now)
    )
    await audit_done(uow, caller, action, target(application.id))
    return Done(updated)
