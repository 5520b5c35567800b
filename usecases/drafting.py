"""The candidate's draft (9.1): applying, the eligibility answers that choose the route (6.1, 6.2,
6.2.7), APL-01 answered field by field, the APL-02 self-assessment element by element (FR.APL.02),
removing a document and deleting the draft.

A draft is changed only by its owner and only while it is editable (a draft, or sent back for
fixes, 9.1.5); every answer is stored the moment it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.application import flagged, relevant_to
from domain.parts import Apl02
from domain.ports import ApplicationRecord, DocumentRecord, JSONValue, Services, UnitOfWork
from domain.schedule import Subject
from scheme import apl01
from scheme.apl01 import Invalid
from scheme.apl02 import Answer, Verdict, questionnaire
from scheme.eligibility import Eligibility, assess, next_question
from scheme.lifecycle import ApplicationState
from scheme.model import Scheme
from usecases.access import Caller, Refusal, Refused

A = ApplicationState
EDITABLE = frozenset({A.DRAFT, A.NEEDS_FIX})
"""The states in which the candidate still changes their application."""
RESTARTABLE = frozenset({A.REJECTED, A.WITHDRAWN})
"""After these, applying again starts a new draft."""


async def editable(
    uow: UnitOfWork, caller: Caller, application_id: int
) -> ApplicationRecord | Refused:
    """The caller's own application while they may still change it."""
    application = await uow.applications.get(application_id)
    if application is None or application.person_id != caller.person_id:
        return Refused(Refusal.NOT_ALLOWED)
    if application.state not in EDITABLE:
        return Refused(Refusal.ALREADY_HANDLED)
    return application


@dataclass(frozen=True, slots=True)
class Applied:
    application: ApplicationRecord
    new: bool
    """A new draft was started (else the current application is where the candidate is)."""


async def apply(uow: UnitOfWork, services: Services, caller: Caller) -> Applied | Refused:
    """A new draft, unless an application is under way (one at a time)."""
    if caller.person_id is None:
        return Refused(Refusal.NOT_ALLOWED)
    current = await uow.applications.current(caller.person_id)
    if current is not None and current.state not in RESTARTABLE:
        return Applied(current, new=False)
    created = await uow.applications.create(caller.person_id, services.scheme.code)
    return Applied(created, new=True)


async def restart_eligibility(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int
) -> ApplicationRecord | Refused:
    """The eligibility questions asked again from the first: the route is chosen anew."""
    application = await editable(uow, caller, application_id)
    if isinstance(application, Refused):
        return application
    return await uow.applications.update(application.id, eligibility={}, route=None, method=None)


@dataclass(frozen=True, slots=True)
class Answered:
    application: ApplicationRecord
    result: Eligibility | None
    """Once the last question is answered: the route, the method and each requirement."""


def route_facts(scheme: Scheme) -> set[str]:
    """The facts that decide the route: answering one asks the rest afresh."""
    return {fact for route in scheme.routes for fact in route.applies_when}


async def answer_eligibility(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    fact_id: str,
    value: int | str,
) -> Answered | Refused:
    """One eligibility answer; the last one decides the route and method (6.1, 6.2, 6.2.7)."""
    application = await editable(uow, caller, application_id)
    if isinstance(application, Refused):
        return application
    scheme = services.scheme
    if fact_id not in {fact.id for fact in scheme.facts}:
        return Refused(Refusal.ALREADY_HANDLED)
    answers: dict[str, JSONValue] = {**application.eligibility, fact_id: value}
    if fact_id in route_facts(scheme):  # the route decides which later questions matter
        answers = {fact_id: value}
    result = assess(scheme, answers)
    finished = next_question(scheme, answers) is None
    apl01_answers = dict(application.apl01)
    if finished:  # what the check asked is not asked again in APL-01 (issue 16)
        accepted = tuple(
            level.id
            for level in scheme.education_levels
            if scheme.education_rank(level.id) >= scheme.education_rank(scheme.min_education)
        )
        renewal = scheme.route(result.route).renewal
        apl01_answers |= apl01.carried_over(answers.get("education"), renewal, accepted)
    updated = await uow.applications.update(
        application.id,
        eligibility=answers,
        route=result.route if finished else None,
        method=result.method if finished else None,
        apl01=apl01_answers,
    )
    return Answered(updated, result if finished else None)


async def answer_apl01(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    field: str,
    given: str,
) -> ApplicationRecord | Invalid | Refused:
    """One APL-01 answer, checked against the others (the NIK against the birth date and sex)
    and stored as the check normalised it; a wrong one is the reason, nothing stored."""
    application = await editable(uow, caller, application_id)
    if isinstance(application, Refused):
        return application
    scheme = services.scheme
    if field == "education":
        levels = tuple(level.id for level in scheme.education_levels)
        result = apl01.education(given, levels, scheme.min_education)
    elif field in apl01.CHOICES:
        if given not in apl01.CHOICES[field]:
            return Refused(Refusal.ALREADY_HANDLED)
        result = apl01.Valid(given)
    elif field in apl01.FIELDS:
        result = apl01.validate(field, given, application.apl01, services.clock().date())
    else:
        return Refused(Refusal.ALREADY_HANDLED)
    if isinstance(result, Invalid):
        return result
    answers = {**application.apl01, field: result.value}
    if field == "id_number" and answers.get("nationality") != "WNA":
        # The NIK tells the date of birth and sex: not asked when not yet given (issue 16).
        told = apl01.from_nik(result.value, services.clock().date())
        answers = {**told, **answers}
    return await uow.applications.update(application.id, apl01=answers)


async def answer_apl02(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    application_id: int,
    *,
    ref: str,
    verdict: Verdict,
    evidence: Sequence[str] = (),
) -> ApplicationRecord | Refused:
    """FR.APL.02: K or BK for one element, K with the uploaded documents that show it (9.1.3,
    "jika ada"); documents not of this application are left out."""
    application = await editable(uow, caller, application_id)
    if isinstance(application, Refused):
        return application
    return await _answer_apl02(uow, services, application, {ref: (verdict, evidence)})


async def answer_apl02_unit(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int, *, unit_code: str
) -> ApplicationRecord | Refused:
    """FR.APL.02 "K for every element of this unit" (issue 16), each pointing to the unit's
    relevant uploads (:func:`domain.application.relevant_to`); a unit already begun is
    refused, so an old button never overwrites answers given one by one."""
    application = await editable(uow, caller, application_id)
    if isinstance(application, Refused):
        return application
    refs = [q.ref for q in questionnaire(services.scheme) if q.unit_code == unit_code]
    if not refs or any(ref in application.apl02.answers for ref in refs):
        return Refused(Refusal.ALREADY_HANDLED)
    documents = await uow.applications.documents(application.id)
    relevant = [d.id for d in relevant_to(services.scheme, documents, unit_code)]
    given = dict.fromkeys(refs, (Verdict.K, relevant))
    return await _answer_apl02(uow, services, application, given, documents)


async def _answer_apl02(
    uow: UnitOfWork,
    services: Services,
    application: ApplicationRecord,
    given: Mapping[str, tuple[Verdict, Sequence[str]]],
    documents: Sequence[DocumentRecord] | None = None,
) -> ApplicationRecord | Refused:
    """The answers ``given`` (ref → verdict and the documents pointed to) stored in one go."""
    questions = questionnaire(services.scheme)
    if not set(given) <= {q.ref for q in questions}:
        return Refused(Refusal.ALREADY_HANDLED)
    if documents is None:
        documents = await uow.applications.documents(application.id)
    uploaded = {d.id for d in documents}
    answers = dict(application.apl02.answers)
    for ref, (verdict, evidence) in given.items():
        kept = tuple(d for d in evidence if d in uploaded) if verdict is Verdict.K else ()
        answers[ref] = Answer(verdict, kept)
    # every element answered or confirmed in the new form: no longer a converted one
    migrated = application.apl02.migrated and not all(q.ref in answers for q in questions)
    return await uow.applications.update(application.id, apl02=Apl02(answers, migrated))


async def item_changed(uow: UnitOfWork, application_id: int, item_id: str) -> None:
    """A file of a sent-back item added or removed: its old verdict no longer applies (issue
    16: staff saw the old ❌ beside the replacement), and staff review it again."""
    application = await uow.applications.get(application_id)
    if application is not None and item_id in flagged(application):
        review = {item: v for item, v in application.review.items() if item != item_id}
        await uow.applications.update(application_id, review=review)


async def remove_document(
    uow: UnitOfWork, services: Services, caller: Caller, application_id: int, document_id: str
) -> DocumentRecord | Refused:
    """A document taken out of the draft; its bytes are for the caller to erase once this
    transaction is committed."""
    application = await editable(uow, caller, application_id)
    if isinstance(application, Refused):
        return application
    removed = await uow.applications.remove_document(application.id, document_id)
    if removed is None:
        return Refused(Refusal.ALREADY_HANDLED)
    await item_changed(uow, application.id, removed.evidence_id)
    return removed


@dataclass(frozen=True, slots=True)
class Deleted:
    object_keys: tuple[str, ...]
    """The stored bytes of its documents, for the caller to erase once committed."""


async def delete_draft(uow: UnitOfWork, services: Services, caller: Caller) -> Deleted | Refused:
    """The candidate's right to erasure (UU PDP): the draft, its documents and their personal
    data go; a submitted application is kept as the scheme requires (it may be appealed)."""
    if caller.person_id is None:
        return Refused(Refusal.NOT_ALLOWED)
    application = await uow.applications.current(caller.person_id)
    if application is None or application.state not in EDITABLE:
        return Refused(Refusal.ALREADY_HANDLED)
    documents = await uow.applications.documents(application.id)
    await uow.applications.delete(application.id)
    await uow.outbox.cancel(Subject.draft(application.id))
    await uow.people.forget(caller.person_id)
    return Deleted(tuple(d.object_key for d in documents))
