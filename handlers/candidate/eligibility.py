"""Check eligibility (6.1, 6.2, 6.2.7): a few questions decide the route and say what is missing."""

from __future__ import annotations

from collections.abc import Sequence

from domain.ports import ApplicationRecord
from handlers.candidate.application import ELIGIBILITY, HUB, editable_application, resume_apl01
from handlers.conversation import Context, choice, number_in, option_by_word
from handlers.messages import Option, OptionIn, Outbound, Text, TextIn
from scheme.eligibility import Eligibility, next_question
from scheme.model import Fact, Scheme
from usecases import drafting
from usecases.access import Refused

MAX_COUNT = 999


def _fact(scheme: Scheme, fact_id: str) -> Fact:
    return next(f for f in scheme.facts if f.id == fact_id)


def explain(ctx: Context, result: Eligibility) -> str:
    """The outcome in plain words, each requirement with its clause."""
    scheme = ctx.services.scheme
    route = scheme.route(result.route)
    lines = [
        ctx.t("eligibility.route", route=route.label.get(ctx.locale), clause=result.route_clause),
        ctx.t(f"eligibility.method.{result.method}"),
    ]
    if result.fallback_clause:
        lines.append(ctx.t("eligibility.fallback", clause=result.fallback_clause))
    for outcome in result.requirements:
        text = route.requirement(outcome.clause).text.get(ctx.locale)
        mark = "✅" if outcome.met else ("➖" if outcome.clause in result.waived else "❌")
        lines.append(f"{mark} {outcome.clause} {text}")
    if result.missing:
        lines.append(ctx.t("eligibility.missing", clauses=", ".join(result.missing)))
    else:
        lines.append(ctx.t("eligibility.ok"))
    return "\n".join(lines)


class EligibilityStep:
    """Asks the next undecided fact; when none is left, explains the outcome."""

    name = ELIGIBILITY

    async def _question(self, ctx: Context) -> Fact | None:
        application = await ctx.uow.applications.current(ctx.person.id)
        if application is None:
            return None
        fact_id = next_question(ctx.services.scheme, application.eligibility)
        return _fact(ctx.services.scheme, fact_id) if fact_id else None

    async def options(self, ctx: Context) -> Sequence[Option]:
        fact = await self._question(ctx)
        if fact is None:
            return []
        if fact.kind == "yes_no":
            return [Option("1", ctx.t("common.yes")), Option("0", ctx.t("common.no"))]
        if fact.kind == "education":
            return [
                Option(level.id, level.label.get(ctx.locale))
                for level in ctx.services.scheme.education_levels
            ]
        return []

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        fact = await self._question(ctx)
        if fact is None:
            return [Text(ctx.t("eligibility.done"))]
        question = f"{ctx.t('eligibility.title')}\n{fact.question.get(ctx.locale)} ({fact.clause})"
        if fact.kind == "count":
            return [Text(f"{question}\n{ctx.t('eligibility.count_hint')}")]
        return [choice(question, await self.options(ctx))]

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        asked = await self._asked(ctx)
        if asked is None:
            return
        application, fact = asked
        if fact.kind != "count":  # a choice: its number as a word ("dua"), or not one of them
            options = await self.options(ctx)
            chosen = option_by_word(event.text, options)
            if chosen is not None:
                await self.on_option(ctx, OptionIn(chosen.id))
                return
            ctx.say(Text(ctx.t("input.choose_option", count=len(options))))
            await ctx.show_current()
        elif (count := number_in(event.text)) is None or count > MAX_COUNT:
            ctx.say(Text(ctx.t("eligibility.count_invalid", max=MAX_COUNT)))
            await ctx.show_current()
        else:  # "2" or "dua" (issue 16)
            await self._answer(ctx, application, fact, count)

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        asked = await self._asked(ctx)
        if asked is not None:
            application, fact = asked
            value = int(event.option_id) if fact.kind == "yes_no" else event.option_id
            await self._answer(ctx, application, fact, value)

    async def _asked(self, ctx: Context) -> tuple[ApplicationRecord, Fact] | None:
        """The draft and the question on screen; None (and why, when it matters) otherwise."""
        application = await editable_application(ctx)
        fact = await self._question(ctx)
        return (application, fact) if application is not None and fact is not None else None

    async def _answer(
        self, ctx: Context, application: ApplicationRecord, fact: Fact, value: int | str
    ) -> None:
        answered = await drafting.answer_eligibility(
            ctx.uow, ctx.services, ctx.caller, application.id, fact_id=fact.id, value=value
        )
        if isinstance(answered, Refused):
            await ctx.show_current()
        elif answered.result is not None:
            ctx.say(Text(explain(ctx, answered.result)))
            if answered.result.missing:
                ctx.goto(HUB)
            else:  # eligible: on to APL-01 (its review, when a renewal brought it filled in)
                ctx.goto(*resume_apl01(answered.application))
        else:
            await ctx.show_current()
