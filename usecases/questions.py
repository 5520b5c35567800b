"""Questions to staff (7.1.2 "mendapatkan penjelasan"): a person asks from the chat — about
their application or anything else — staff see every open question with its context and
answer it, and the answer comes back in the asker's chat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain import schedule
from domain.ports import ApplicationRecord, QuestionRecord, Services, UnitOfWork
from usecases.access import Caller, Refusal, Refused, audit_done, authorize, may_see

QUESTION_LENGTH = 1000
ANSWER_LENGTH = 2000
OPEN_SHOWN = 20


@dataclass(frozen=True, slots=True)
class TooShort(Refused):
    """A question or an answer of less than two characters: nothing to send."""


def _cleaned(text: str, limit: int) -> str:
    return text.strip()[:limit]


async def ask(
    uow: UnitOfWork, services: Services, caller: Caller, text: str
) -> QuestionRecord | Refused:
    """The question, kept with the asker's current application; every staff member is told."""
    if caller.person_id is None:
        return Refused(Refusal.NOT_ALLOWED)
    question = _cleaned(text, QUESTION_LENGTH)
    if len(question) < 2:
        return TooShort(Refusal.ALREADY_HANDLED)
    application = await uow.applications.current(caller.person_id)
    now = services.clock()
    asked = await uow.questions.ask(
        caller.person_id, application.id if application else None, question, caller.channel, now
    )
    notice = schedule.question_asked(
        asked.id, asker=_name(application), reference=_reference(application), question=question,
        at=now,
    )  # fmt: skip
    for person, _ in await uow.roles.people_with("staff"):
        await uow.outbox.schedule(person, notice.to_each(person))
    return asked


def _name(application: ApplicationRecord | None) -> str:
    name = application.apl01.get("full_name") if application else None
    return name if isinstance(name, str) else "-"


def _reference(application: ApplicationRecord | None) -> str:
    return (application.reference or "-") if application else "-"


async def mine(uow: UnitOfWork, caller: Caller, limit: int = 5) -> Sequence[QuestionRecord]:
    """The caller's own latest questions (for /status)."""
    if caller.person_id is None:
        return ()
    return await uow.questions.of_person(caller.person_id, limit)


@dataclass(frozen=True, slots=True)
class Asked:
    """An open question with what staff need to answer it."""

    question: QuestionRecord
    application: ApplicationRecord | None


async def waiting(uow: UnitOfWork, services: Services, caller: Caller) -> Sequence[Asked] | Refused:
    """Staff's list of open questions, the oldest first, each with its application."""
    if not await may_see(uow, caller, "list_questions"):
        return Refused(Refusal.NOT_ALLOWED)
    return [
        Asked(q, await uow.applications.get(q.application_id) if q.application_id else None)
        for q in await uow.questions.open(OPEN_SHOWN)
    ]


async def one(
    uow: UnitOfWork, services: Services, caller: Caller, question_id: int
) -> Asked | Refused:
    """One question to answer, opened by staff (audited: it may carry personal data)."""
    if not await may_see(uow, caller, "open_question", f"question:{question_id}"):
        return Refused(Refusal.NOT_ALLOWED)
    question = await uow.questions.get(question_id)
    if question is None or not question.open:
        return Refused(Refusal.ALREADY_HANDLED)
    application_id = question.application_id
    return Asked(question, await uow.applications.get(application_id) if application_id else None)


async def answer(
    uow: UnitOfWork, services: Services, caller: Caller, question_id: int, text: str
) -> QuestionRecord | Refused:
    """Staff's answer, sent to the asker; a question answered already (by a colleague, or a
    second press) is refused, so it is never answered twice."""
    target = f"question:{question_id}"
    if not await authorize(uow, caller, "answer_question", target):
        return Refused(Refusal.NOT_ALLOWED)
    reply = _cleaned(text, ANSWER_LENGTH)
    if len(reply) < 2:
        return TooShort(Refusal.ALREADY_HANDLED)
    question = await uow.questions.get(question_id, lock=True)
    if question is None or not question.open:
        return Refused(Refusal.ALREADY_HANDLED)
    now = services.clock()
    answered = await uow.questions.answer(question_id, reply, by=caller.person_id, now=now)
    await uow.outbox.schedule(
        question.person_id,
        schedule.question_answered(question_id, question=question.text, answer=reply, at=now),
    )
    await audit_done(uow, caller, "answer_question", target)
    return answered
