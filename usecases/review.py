"""Staff's review of a submitted application (9.1.5–9.1.6): a verdict per evidence item, then
accept, send back for fixes, or reject.

Each verb checks the caller's role now, locks the application, checks that it still waits for
review and is not the caller's own (9.2.1), and writes the audit row; the candidate's notice is
queued in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.application import evidence_counts, plan_of
from domain.parts import Decision, ItemVerdict, Mark
from domain.ports import ApplicationRecord, Services, UnitOfWork
from domain.schedule import fix_requested, status_changed
from scheme.evidence import Need
from scheme.lifecycle import ApplicationState
from scheme.model import Evidence
from usecases.access import Caller, Refusal, Refused, audit_done, staff_open
from usecases.decisions import Done, Outcome, next_state, target


@dataclass(frozen=True, slots=True)
class Problem:
    """An item that does not meet the requirement, and why (``reason`` None: it is missing)."""

    evidence: Evidence
    mark: Mark
    reason: str | None


def mark_of(application: ApplicationRecord, item: str) -> Mark | None:
    verdict = application.review.get(item)
    return verdict.mark if verdict is not None else None


async def to_review(
    uow: UnitOfWork, services: Services, application: ApplicationRecord
) -> list[Need]:
    """The planned items staff must judge: every item the plan needs, and any other that the
    candidate sent files for (9.1.5); an item that needs none and has none is not judged."""
    plan = plan_of(services.scheme, application)
    counts = evidence_counts(plan, await uow.applications.documents(application.id))
    return [n for n in plan if n.min > 0 or counts[n.id] > 0]


async def _submitted(
    uow: UnitOfWork, caller: Caller, application_id: int, action: str, what: str | None = None
) -> ApplicationRecord | Refused:
    return await staff_open(
        uow, caller, action, application_id, ApplicationState.SUBMITTED, target=what
    )


async def mark_item(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    item: str,
    mark: Mark,
    reason: str | None = None,
) -> Outcome:
    """The verdict on one evidence item; "does not meet" carries its reason (9.1.5)."""
    application = await _submitted(
        uow, caller, application_id, f"mark_{mark}", f"application:{application_id}:{item}"
    )
    if isinstance(application, Refused):
        return application
    if item not in {n.id for n in plan_of(services.scheme, application)}:
        return Refused(Refusal.ALREADY_HANDLED)  # not an item of this application (any more)
    verdict = ItemVerdict(mark, reason if mark is Mark.NOT_OK and reason else None)
    updated = await uow.applications.update(
        application.id, review={**application.review, item: verdict}
    )
    await audit_done(uow, caller, f"mark_{mark}", f"application:{application.id}:{item}")
    return Done(updated)


async def accept(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int
) -> Outcome:
    """9.1.6: accepted as a participant, once every item to review meets the requirement."""
    application = await _submitted(uow, caller, application_id, "accept")
    if isinstance(application, Refused):
        return application
    needs = await to_review(uow, services, application)
    if any(mark_of(application, n.id) is not Mark.OK for n in needs):
        return Refused(Refusal.NEEDS_ALL_OK)
    state = next_state(application, "accept")
    if isinstance(state, Refused):
        return state
    updated = await uow.applications.update(application.id, state=state)
    reference = application.reference or ""
    await uow.outbox.schedule(
        application.person_id, status_changed(reference, state, services.clock())
    )
    await audit_done(uow, caller, "accept", target(application.id))
    return Done(updated)


async def send_back(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    word: Callable[[Sequence[Problem]], str],
) -> Outcome:
    """9.1.5: back to the candidate with the reason for each item that does not meet the
    requirement or is missing; ``word`` words them for the candidate's notice."""
    application = await _submitted(uow, caller, application_id, "send_back")
    if isinstance(application, Refused):
        return application
    problems = []
    for need in await to_review(uow, services, application):
        mark = mark_of(application, need.id)
        if mark in {Mark.NOT_OK, Mark.MISSING}:
            verdict = application.review[need.id]
            problems.append(Problem(need.evidence, verdict.mark, verdict.reason))
    if not problems:
        return Refused(Refusal.NEEDS_A_PROBLEM)
    state = next_state(application, "request_fix")
    if isinstance(state, Refused):
        return state
    updated = await uow.applications.update(application.id, state=state)
    planned = fix_requested(application.reference or "", word(problems), services.clock())
    await uow.outbox.schedule(application.person_id, planned)
    items = [p.evidence.id for p in problems]
    await audit_done(uow, caller, "send_back", target(application.id), {"items": items})
    return Done(updated)


async def reject(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int, reason: str
) -> Outcome:
    """9.1.5: rejected, with the reason kept in the application's decision."""
    application = await _submitted(uow, caller, application_id, "reject")
    if isinstance(application, Refused):
        return application
    state = next_state(application, "reject")
    if isinstance(state, Refused):
        return state
    now = services.clock()
    decision = Decision(result=state, reason=reason, decided_at=now, by=caller.person_id)
    updated = await uow.applications.update(application.id, state=state, decision=decision)
    await uow.outbox.schedule(
        application.person_id, status_changed(application.reference or "", state, now)
    )
    await audit_done(uow, caller, "reject", target(application.id))
    return Done(updated)
