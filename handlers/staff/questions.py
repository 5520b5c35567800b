"""``/pertanyaan`` for staff: the questions people asked (7.1.2), the oldest first, each with
who asked, about which application and in what state it is; an answer typed here goes back
to the asker's chat. The use cases check the role and write the audit rows."""

from __future__ import annotations

from collections.abc import Sequence

from domain.notices import format_instant
from handlers.conversation import MENU, Context, StepData, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from handlers.staff.common import Privileged, StaffOption, allowed
from usecases import questions
from usecases.access import Refusal, Refused
from usecases.questions import Asked

QUESTIONS = StepName("staff_questions")
ANSWER = StepName("staff_answer")


class OnQuestion(StepData):
    """The question being answered."""

    question: int


QUESTION = Privileged("question", int)
SHOWN = 80
"""Characters of a question shown in the list (the whole of it where it is answered)."""


async def open_questions(ctx: Context, command: CommandIn) -> None:
    if await allowed(ctx, "list_questions"):
        ctx.goto(QUESTIONS)


def _context(ctx: Context, asked: Asked) -> str:
    """Who asked, when, about which application and in what state it is."""
    question, application = asked.question, asked.application
    name = application.apl01.get("full_name") if application else None
    return ctx.t(
        "staff.question.context",
        name=name if isinstance(name, str) else "-",
        reference=(application.reference or "-") if application else "-",
        state=ctx.t(f"state.{application.state}") if application else "-",
        at=format_instant(question.asked_at, ctx.locale, ctx.person.timezone),
        channel=question.asked_in,
    )


class QuestionsStep:
    """Every open question, one option each."""

    name = QUESTIONS

    async def _waiting(self, ctx: Context) -> Sequence[Asked]:
        found = await questions.waiting(ctx.uow, ctx.services, ctx.caller)
        return [] if isinstance(found, Refused) else found

    async def options(self, ctx: Context) -> Sequence[Option]:
        waiting = await self._waiting(ctx)
        return [
            *(
                Option(QUESTION.id(a.question.id), f"{n}. {a.question.text[:30]}")
                for n, a in enumerate(waiting, 1)
            ),
            Option(StaffOption.MENU, ctx.t("common.menu")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        waiting = await self._waiting(ctx)
        lines = [ctx.t("staff.questions.title", count=len(waiting))]
        for n, asked in enumerate(waiting, 1):
            text = asked.question.text
            shown = text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
            lines.append(f"{n}. {_context(ctx, asked)}\n   “{shown}”")
        if not waiting:
            lines.append(ctx.t("staff.questions.none"))
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        question_id = QUESTION.read(event.option_id)
        if question_id is None:
            ctx.goto(MENU)
        else:
            ctx.goto(ANSWER, OnQuestion(question=question_id))


class AnswerStep:
    """One question in full with its context; the answer is typed."""

    name = ANSWER

    def _id(self, ctx: Context) -> int:
        return ctx.read(OnQuestion).question

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(StaffOption.BACK, ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        asked = await questions.one(ctx.uow, ctx.services, ctx.caller, self._id(ctx))
        if isinstance(asked, Refused):
            return [choice(ctx.t("staff.already_handled"), await self.options(ctx))]
        body = "\n".join(
            [
                _context(ctx, asked),
                f"“{asked.question.text}”",
                ctx.t("staff.question.type_answer"),
            ]
        )
        return [choice(body, await self.options(ctx))]

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        answered = await questions.answer(
            ctx.uow, ctx.services, ctx.caller, self._id(ctx), event.text
        )
        if isinstance(answered, questions.TooShort):
            ctx.say(Text(ctx.t("question.too_short")))
            await ctx.show_current()
        elif isinstance(answered, Refused) and answered.reason is Refusal.NOT_ALLOWED:
            ctx.say(Text(ctx.t("staff.not_available")))
            ctx.goto(MENU)
        elif isinstance(answered, Refused):  # answered meanwhile, by a colleague
            ctx.say(Text(ctx.t("staff.already_handled")))
            ctx.goto(QUESTIONS)
        else:
            ctx.say(Text(ctx.t("staff.question.answered")))
            ctx.goto(QUESTIONS)

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(QUESTIONS)
