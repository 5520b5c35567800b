"""The candidate's appeal (9.9.1–9.9.3): filed while the window after a "not yet competent"
decision is open, with its reasons and any supporting documents; the candidate gets the decision
due date (20 working days, 9.9.6) and staff a warning before it and another when it is overdue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain import schedule
from domain.parts import Appeal
from domain.ports import ApplicationRecord, Services, UnitOfWork
from domain.schedule import Subject
from scheme.deadlines import appeal_decision_due
from scheme.lifecycle import APPLICATION, Actor, AppealState, ApplicationState, TransitionError
from usecases.access import Caller, Refusal, Refused
from usecases.calendar import work_calendar

REASONS_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class WindowClosed(Refused):
    """9.9.2: the window ended at ``deadline``."""

    deadline: datetime | None = None


@dataclass(frozen=True, slots=True)
class Filed:
    application: ApplicationRecord
    decision_due_on: date
    """9.9.6: the panel decides by this working day."""


def appeal_until(application: ApplicationRecord) -> datetime | None:
    """The end of the application's appeal window, once a decision opened one."""
    return application.decision.appeal_until


async def open_window(
    uow: UnitOfWork, services: Services, caller: Caller
) -> ApplicationRecord | Refused:
    """The caller's application whose appeal window is open now, locked (the worker closing a
    lapsed window waits, or is waited for); otherwise why not."""
    if caller.person_id is None:
        return Refused(Refusal.NOT_ALLOWED)
    current = await uow.applications.current(caller.person_id)
    application = await uow.applications.get(current.id, lock=True) if current else None
    if application is None or application.state != ApplicationState.DECIDED_NOT_YET:
        return Refused(Refusal.NOTHING_TO_APPEAL)
    deadline = appeal_until(application)
    if deadline is None or services.clock() > deadline:
        return WindowClosed(Refusal.WINDOW_CLOSED, deadline=deadline)
    return application


async def file_appeal(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    *,
    reasons: str,
    documents: Sequence[str] = (),
) -> Filed | Refused:
    """File the appeal on the caller's open window: ``documents`` are the ids of the files the
    candidate added to it (9.9.3); the "appeal closes soon" reminder stops."""
    application = await open_window(uow, services, caller)
    if isinstance(application, Refused):
        return application
    try:
        state = APPLICATION.apply(application.state, "appeal", Actor.CANDIDATE)
    except TransitionError:
        return Refused(Refusal.ALREADY_HANDLED)
    now, rules = services.clock(), services.scheme.rules
    calendar = await work_calendar(uow, services)
    due = appeal_decision_due(now, rules, calendar)
    reference = application.reference or ""
    appeal = Appeal(
        AppealState.FILED, reasons.strip()[:REASONS_LENGTH], filed_at=now, due_on=due,
        documents=tuple(documents),
    )  # fmt: skip
    updated = await uow.applications.update(application.id, state=state, appeal=appeal)
    await uow.outbox.cancel(Subject.appeal_window(reference))
    await uow.outbox.schedule(
        application.person_id, schedule.appeal_received(reference, now, rules, calendar)
    )
    staff = [person for person, _ in await uow.roles.people_with("staff")]
    for warning in schedule.appeal_staff_warnings(reference, now, rules, calendar):
        for person in staff:
            await uow.outbox.schedule(person, warning.to_each(person))
    return Filed(updated, due)


async def forget_documents(
    uow: UnitOfWork, services: Services, caller: Caller, document_ids: Sequence[str]
) -> tuple[str, ...]:
    """An appeal not filed leaves none of its documents behind: they are taken out of the
    caller's application; their stored bytes are for the caller to erase once committed."""
    if caller.person_id is None:
        return ()
    application = await uow.applications.current(caller.person_id)
    if application is None:
        return ()
    keys = []
    for document_id in document_ids:
        removed = await uow.applications.remove_document(application.id, document_id)
        if removed is not None:
            keys.append(removed.object_key)
    return tuple(keys)
