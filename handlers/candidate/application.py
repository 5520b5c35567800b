"""The candidate's application: finding it, the hub that shows its progress, and shared helpers.

An application is edited while it is a draft (or sent back for fixes, 9.1.5); once submitted it is
frozen.  Answers are stored the moment they are given, so ``/batal``, a restart or a new channel
never lose them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.application import apl02_answers, evidence_counts, plan_of, still_to_do
from domain.notices import format_instant
from domain.parts import Mark
from domain.ports import ApplicationRecord, DocumentRecord
from handlers.conversation import MENU, Context, StepData, StepName, choice
from handlers.messages import Option, OptionIn, Outbound, Text
from scheme import apl01 as apl01_rules
from scheme.apl02 import check, questionnaire
from scheme.eligibility import assess
from usecases import drafting
from usecases.access import Refused
from usecases.drafting import EDITABLE

HUB = StepName("application")
ELIGIBILITY = StepName("eligibility")
APL01 = StepName("apl01")
CHECKLIST = StepName("evidence")
QUESTION = StepName("apl02")
DECLARATION = StepName("declaration")
STATUS = StepName("status")
EVIDENCE_ITEM = StepName("evidence_item")
APL01_REVIEW = StepName("apl01_review")
"""The candidate's steps, named here where the hub links them (their modules import this one)."""


class FieldAsked(StepData):
    """The APL-01 field asked; ``review`` when it is changed from the review of every answer
    (which it goes back to)."""

    field: str = apl01_rules.FIELDS[0]
    review: bool = False


class ItemAsked(StepData):
    """One piece of evidence; ``guided`` when the application leads there itself, and goes
    on to the next item missing once it has enough (issue 16)."""

    item: str
    guided: bool = False


Place = tuple[StepName, StepData | None]
"""A step and the data it opens with."""


def resume_apl01(application: ApplicationRecord) -> Place:
    """Where APL-01 resumes: the first field still to ask, the NIK when it disagrees with the
    birth date or sex, else the review of every answer."""
    missing = apl01_rules.to_ask(application.apl01)
    if missing:
        return APL01, FieldAsked(field=missing[0])
    if apl01_rules.inconsistency(application.apl01) is not None:
        return APL01, FieldAsked(field="id_number", review=True)
    return APL01_REVIEW, None


async def next_part(
    ctx: Context, application: ApplicationRecord, documents: Sequence[DocumentRecord] | None = None
) -> Place:
    """The one home of "what comes next" once a part is done (issue 16: a clean application
    in 40 messages): the eligibility check's next question, APL-01, then each piece of evidence
    still missing, then APL-02, then the declaration; the hub when a basic requirement is
    unmet."""
    scheme = ctx.services.scheme
    eligibility = assess(scheme, application.eligibility)
    if eligibility.unanswered:  # the check was left half-way (e.g. for the menu)
        return ELIGIBILITY, None
    if application.route is None or eligibility.missing:
        return HUB, None
    if apl01_rules.to_ask(application.apl01) or apl01_rules.inconsistency(application.apl01):
        return resume_apl01(application)
    plan = plan_of(scheme, application)
    if documents is None:
        documents = await ctx.uow.applications.documents(application.id)
    have = evidence_counts(plan, documents)
    missing = still_to_do(plan, have, application)
    if missing:
        return EVIDENCE_ITEM, ItemAsked(item=missing[0].id, guided=True)
    if not check(questionnaire(scheme), apl02_answers(application, documents)).complete:
        return QUESTION, None
    return DECLARATION, None


async def current_application(ctx: Context) -> ApplicationRecord | None:
    return await ctx.uow.applications.current(ctx.person.id)


async def editable_application(ctx: Context) -> ApplicationRecord | None:
    """The application if it may still be changed; otherwise say why and go to the menu."""
    application = await current_application(ctx)
    if application is None:
        ctx.say(Text(ctx.t("application.none")))
        ctx.goto(MENU)
        return None
    if application.state not in EDITABLE:
        ctx.say(Text(ctx.t("application.frozen", reference=application.reference or "-")))
        ctx.goto(MENU)
        return None
    return application


def staff_reason(ctx: Context, mark: Mark | None, reason: str | None) -> str:
    """Why staff sent an item back (9.1.5): their own words, else their verdict's name."""
    return reason or ctx.t(f"staff.mark.{mark}")


def local_time(ctx: Context, instant: datetime) -> str:
    """A stored UTC instant in the person's own zone and words, e.g. ``Rabu, 25 November 2026
    pukul 17.05 WIB`` (:func:`domain.notices.format_instant`, the one format)."""
    return format_instant(instant, ctx.locale, ctx.person.timezone)


async def progress_lines(
    ctx: Context, application: ApplicationRecord, documents: Sequence[DocumentRecord] | None = None
) -> list[str]:
    """One line per part of the application, ✅ when done."""
    scheme = ctx.services.scheme
    if documents is None:
        documents = await ctx.uow.applications.documents(application.id)
    eligibility = assess(scheme, application.eligibility)
    eligibility_done = application.route is not None and not eligibility.unanswered
    apl01_done = sum(1 for f in apl01_rules.FIELDS if f in application.apl01)
    if apl01_rules.inconsistency(application.apl01) is not None:
        apl01_done -= 1  # the NIK disagrees with the birth date or sex: not done
    plan = plan_of(scheme, application)
    have = evidence_counts(plan, documents)
    questions = questionnaire(scheme)
    apl02 = check(questions, apl02_answers(application, documents))
    answered = len(questions) - len(apl02.unanswered)
    apl02_ok = apl02.complete

    def mark(done: bool) -> str:
        return "✅" if done else "⏳"

    # Answered but a basic requirement unmet: not done, and not merely waiting (issue 16).
    checked = "❌" if eligibility_done and eligibility.missing else mark(eligibility_done)
    total = len(apl01_rules.FIELDS)
    missing = [n.evidence.label.get(ctx.locale) for n in still_to_do(plan, have, application)]
    done = len(plan) - len(missing)
    evidence = [f"{mark(not missing)} {ctx.t('hub.evidence', done=done, total=len(plan))}"]
    if missing:  # named, not only counted (issue 16: "7 of 8 complete" said not which)
        evidence.append(ctx.t("hub.evidence_missing", items="; ".join(missing)))
    return [
        f"{checked} {ctx.t('hub.eligibility')}",
        f"{mark(apl01_done == total)} {ctx.t('hub.apl01', done=apl01_done, total=total)}",
        *evidence,
        f"{mark(apl02_ok)} {ctx.t('hub.apl02', done=answered, total=len(questions))}",
    ]


class HubStep:
    """The application's home: progress of each part, and a way into each."""

    name = HUB
    ITEMS = ("eligibility", "apl01", "evidence", "apl02", "submit")

    async def options(self, ctx: Context) -> Sequence[Option]:
        return await self._options(ctx, await current_application(ctx))

    async def _options(
        self,
        ctx: Context,
        application: ApplicationRecord | None,
        documents: Sequence[DocumentRecord] | None = None,
    ) -> Sequence[Option]:
        """ "Continue" first, to the next part still to do (when a basic requirement is met),
        then every part by name."""
        onward = application is not None and (
            (await next_part(ctx, application, documents))[0] != HUB
        )
        go_on = [Option("continue", ctx.t("hub.continue"))] if onward else []
        return [
            *go_on,
            *(Option(item, ctx.t(f"hub.go.{item}")) for item in self.ITEMS),
            Option("menu", ctx.t("common.menu")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await current_application(ctx)
        if application is None or application.state not in EDITABLE:
            return [choice(ctx.t("hub.not_editable"), [Option("menu", ctx.t("common.menu"))])]
        documents = await ctx.uow.applications.documents(application.id)  # read once a screen
        lines = await progress_lines(ctx, application, documents)
        title = ctx.t("hub.title_fix" if application.state == "needs_fix" else "hub.title")
        options = await self._options(ctx, application, documents)
        return [choice("\n".join([title, *lines]), options)]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == "continue":
            application = await editable_application(ctx)
            if application is not None:
                ctx.goto(*await next_part(ctx, application))
            return
        target = {
            "eligibility": ELIGIBILITY,
            "apl01": APL01,
            "evidence": CHECKLIST,
            "apl02": QUESTION,
            "submit": DECLARATION,
            "menu": MENU,
        }[event.option_id]
        if target == ELIGIBILITY:
            application = await editable_application(ctx)
            if application is not None:
                await drafting.restart_eligibility(
                    ctx.uow, ctx.services, ctx.caller, application.id
                )
                ctx.goto(target)
            return
        if target == APL01:
            application = await editable_application(ctx)
            if application is not None:
                ctx.goto(*resume_apl01(application))
            return
        ctx.goto(target)


async def start_application(ctx: Context) -> None:
    """From the menu: a new draft starts with the eligibility questions; a draft resumes."""
    applied = await drafting.apply(ctx.uow, ctx.services, ctx.caller)
    if isinstance(applied, Refused):
        return
    if applied.new:
        ctx.say(Text(ctx.t("application.started")))
        ctx.goto(ELIGIBILITY)
    elif applied.application.state in EDITABLE:
        ctx.goto(HUB)
    else:
        ctx.goto(STATUS)
