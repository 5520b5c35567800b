"""The candidate's submission (9.1.4): after the declaration and consent to confidentiality (7.1.3),
a complete application is frozen for staff's review, gets its readable reference number and stops
the "finish your draft" and renewal reminders; a sent-back one goes back the same way (9.1.5)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.application import apl02_answers, flagged, plan_of, present
from domain.parts import Mark
from domain.ports import ApplicationRecord, Services, UnitOfWork
from domain.schedule import Subject
from scheme import apl01 as apl01_rules
from scheme.apl02 import check, questionnaire
from scheme.eligibility import assess
from scheme.evidence import Need, missing
from scheme.lifecycle import APPLICATION, Actor, ApplicationState
from usecases.access import Caller, Refusal, Refused
from usecases.decisions import Done, Outcome
from usecases.drafting import EDITABLE

A = ApplicationState


class Gap(StrEnum):
    """A part of the application that stops its submission."""

    ELIGIBILITY = "eligibility"
    APL01 = "apl01"
    APL01_INCONSISTENT = "apl01_inconsistent"
    EVIDENCE = "evidence"
    APL02 = "apl02"
    FLAGGED = "flagged"
    """An item staff sent back (9.1.5) and the candidate has not changed."""


@dataclass(frozen=True, slots=True)
class Problem:
    gap: Gap
    count: int = 0
    """Fields or questions still unanswered; files an evidence item has."""
    reason: str | None = None
    """Why APL-01's answers contradict each other (``scheme.apl01.inconsistency``)."""
    need: Need | None = None
    """The evidence item short of its count, or sent back."""
    mark: Mark | None = None
    """Staff's verdict on an item sent back (its ``reason`` theirs, when they gave one)."""


@dataclass(frozen=True, slots=True)
class Incomplete(Refused):
    """Not submitted: what is still missing, in the order the application asks for it."""

    problems: tuple[Problem, ...] = ()


def reference_number(application: ApplicationRecord, year: int) -> str:
    """Readable and unique: ``AK-2026-00042`` (the application's own number)."""
    return f"AK-{year}-{application.id:05d}"


async def problems(
    uow: UnitOfWork, services: Services, application: ApplicationRecord
) -> list[Problem]:
    """What still stops submission (9.1.2–9.1.4), part by part."""
    scheme = services.scheme
    found: list[Problem] = []
    if application.route is None or assess(scheme, application.eligibility).unanswered:
        found.append(Problem(Gap.ELIGIBILITY))
    unanswered = [f for f in apl01_rules.FIELDS if f not in application.apl01]
    if unanswered:
        found.append(Problem(Gap.APL01, count=len(unanswered)))
    if (reason := apl01_rules.inconsistency(application.apl01)) is not None:
        found.append(Problem(Gap.APL01_INCONSISTENT, reason=reason))
    documents = await uow.applications.documents(application.id)
    found += [
        Problem(Gap.EVIDENCE, count=have, need=need)
        for need, have in missing(plan_of(scheme, application), present(documents))
    ]
    result = check(questionnaire(scheme), apl02_answers(application, documents))
    if not result.complete:
        found.append(Problem(Gap.APL02, count=len(result.unanswered)))
    plan = {need.id: need for need in plan_of(scheme, application)}
    found += [
        Problem(Gap.FLAGGED, reason=verdict.reason, need=plan[item], mark=verdict.mark)
        for item, verdict in flagged(application).items()
        if item in plan
    ]  # a resubmission must change what was sent back (issue 16)
    return found


async def submit(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int
) -> Outcome:
    """Submit (or, once sent back, resubmit) the caller's own complete application."""
    application = await uow.applications.get(application_id, lock=True)
    if application is None or application.person_id != caller.person_id:
        return Refused(Refusal.NOT_ALLOWED)
    if application.state not in EDITABLE:
        return Refused(Refusal.ALREADY_HANDLED)
    found = await problems(uow, services, application)
    if found:
        return Incomplete(Refusal.INCOMPLETE, problems=tuple(found))
    action = "resubmit" if application.state == A.NEEDS_FIX else "submit"
    state = APPLICATION.apply(application.state, action, Actor.CANDIDATE)
    now = services.clock()
    submitted = await uow.applications.update(
        application.id,
        state=state,
        reference=application.reference or reference_number(application, now.year),
        submitted_at=now,
    )
    await uow.outbox.cancel(Subject.draft(application.id))  # no "finish your draft"
    if submitted.renews:  # the renewal request of 9.7.1 is made: no more reminders
        await uow.outbox.cancel(Subject.renewal(submitted.renews))
    return Done(submitted)
