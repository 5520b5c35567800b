"""Declaration (9.1.4), consent to confidentiality (7.1.3), and submission: the application is
frozen, gets a readable reference number, and the candidate gets a receipt."""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import apl02_answers, plan_of, present, route_of
from domain.ports import ApplicationRecord, DocumentRecord
from domain.schedule import draft_subject
from handlers.apl01 import FIELDS, shown_value
from handlers.apl02 import answer_lines
from handlers.application import HUB, editable_application, local_time
from handlers.conversation import MENU, Context, StepInput, choice
from handlers.guide import fees_text
from handlers.messages import Option, OptionIn, Outbound, Text
from scheme import apl01 as apl01_rules
from scheme.apl02 import check, questionnaire
from scheme.eligibility import assess
from scheme.evidence import missing
from scheme.lifecycle import APPLICATION, Actor, ApplicationState

DECLARATION = "declaration"


def reference_number(application: ApplicationRecord, year: int) -> str:
    """Readable and unique: ``AK-2026-00042`` (the application's own number)."""
    return f"AK-{year}-{application.id:05d}"


async def problems(ctx: Context, application: ApplicationRecord) -> list[str]:
    """What still stops submission, one line each, in the person's language."""
    scheme = ctx.services.scheme
    found: list[str] = []
    if application.route is None or assess(scheme, application.eligibility).unanswered:
        found.append(ctx.t("submit.missing.eligibility"))
    missing_fields = [f for f in FIELDS if f not in application.apl01]
    if missing_fields:
        found.append(ctx.t("submit.missing.apl01", count=len(missing_fields)))
    if (reason := apl01_rules.inconsistency(application.apl01)) is not None:
        found.append(ctx.t("submit.apl01_inconsistent", reason=ctx.t(f"apl01.error.{reason}")))
    documents = await ctx.uow.applications.documents(application.id)
    found += [
        ctx.t(
            "submit.missing.evidence",
            label=need.evidence.label.get(ctx.locale),
            have=have,
            need=need.min,
        )
        for need, have in missing(plan_of(scheme, application), present(documents))
    ]
    result = check(questionnaire(scheme), apl02_answers(application, documents))
    if not result.complete:
        found.append(ctx.t("submit.missing.apl02", count=len(result.unanswered)))
    return found


def receipt(
    ctx: Context, application: ApplicationRecord, documents: Sequence[DocumentRecord]
) -> str:
    scheme = ctx.services.scheme
    route = route_of(scheme, application)
    assert application.submitted_at is not None
    lines = [
        ctx.t(
            "submit.receipt",
            reference=application.reference,
            when=local_time(ctx, application.submitted_at),
            scheme=scheme.title.get(ctx.locale),
            route=route.label.get(ctx.locale),
        ),
        ctx.t(f"eligibility.method.{application.method}"),
        ctx.t("submit.receipt_apl01"),
        *(
            f"• {ctx.t(f'apl01.label.{f}')}: {shown_value(ctx, f, application.apl01[f])}"
            for f in FIELDS
        ),
        ctx.t("submit.receipt_documents"),
    ]
    for need in plan_of(scheme, application):
        mine = [d.file_name for d in documents if d.evidence_id == need.id]
        label = need.evidence.label.get(ctx.locale)
        lines.append(f"• {label} ({len(mine)}): {', '.join(mine) or '—'}")
    lines.append(ctx.t("submit.receipt_apl02"))
    lines += answer_lines(ctx, application, documents)
    lines.append(ctx.t("submit.next"))
    return "\n".join(lines)


class DeclarationStep:
    name = DECLARATION
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("agree", ctx.t("submit.agree")), Option("back", ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        text = f"{ctx.t('submit.declaration')}\n\n{fees_text(ctx)}"
        return [choice(text, await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assert isinstance(event, OptionIn)
        application = await editable_application(ctx)
        if application is None:
            return
        if event.option_id == "back":
            ctx.goto(HUB)
            return
        missing = await problems(ctx, application)
        if missing:
            ctx.say(Text("\n".join([ctx.t("submit.not_yet"), *(f"• {m}" for m in missing)])))
            ctx.goto(HUB)
            return
        action = "resubmit" if application.state == ApplicationState.NEEDS_FIX else "submit"
        state = APPLICATION.apply(ApplicationState(application.state), action, Actor.CANDIDATE)
        now = ctx.now()
        submitted = await ctx.uow.applications.update(
            application.id,
            state=str(state),
            reference=application.reference or reference_number(application, now.year),
            submitted_at=now,
        )
        await ctx.uow.outbox.cancel(draft_subject(application.id))  # no "finish your draft"
        if submitted.renews:  # the renewal request of 9.7.1 is made: no more reminders
            await ctx.uow.outbox.cancel(f"renewal:{submitted.renews}")
        documents = await ctx.uow.applications.documents(application.id)
        ctx.say(Text(receipt(ctx, submitted, documents)))
        ctx.goto(MENU)
