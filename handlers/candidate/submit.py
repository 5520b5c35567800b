"""Declaration (9.1.4), consent to confidentiality (7.1.3), and submission: the application is
frozen, gets a readable reference number, and the candidate gets a receipt."""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import plan_of, route_of
from domain.ports import ApplicationRecord, DocumentRecord
from handlers.candidate.apl01 import FIELDS, shown_value
from handlers.candidate.apl02 import answer_lines
from handlers.candidate.application import (
    DECLARATION,
    HUB,
    current_application,
    editable_application,
    local_time,
    staff_reason,
)
from handlers.common.guide import fees_text
from handlers.conversation import MENU, Context, choice
from handlers.messages import Option, OptionIn, Outbound, Text
from usecases import submission
from usecases.access import Refused
from usecases.submission import Gap, Incomplete, Problem


def problem_lines(ctx: Context, found: Sequence[Problem]) -> list[str]:
    """What still stops submission, one line each, in the person's language."""
    return [_line(ctx, problem) for problem in found]


def _line(ctx: Context, problem: Problem) -> str:
    if problem.gap is Gap.APL01_INCONSISTENT:
        reason = ctx.t(f"apl01.error.{problem.reason}")
        return ctx.t("submit.apl01_inconsistent", reason=reason)
    if problem.gap is Gap.FLAGGED and problem.need is not None:
        label = problem.need.evidence.label.get(ctx.locale)
        reason = staff_reason(ctx, problem.mark, problem.reason)
        return ctx.t("submit.flagged", label=label, reason=reason)
    if problem.need is not None:
        label = problem.need.evidence.label.get(ctx.locale)
        return ctx.t(
            "submit.missing.evidence", label=label, have=problem.count, need=problem.need.min
        )
    return ctx.t(GAPS[problem.gap], count=problem.count)


GAPS = {
    Gap.ELIGIBILITY: "submit.missing.eligibility",
    Gap.APL01: "submit.missing.apl01",
    Gap.APL02: "submit.missing.apl02",
}


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
    """The declaration is offered only to an application that can be sent: what is missing
    is said first (issue 16: agreeing, then hearing it could not be sent)."""

    name = DECLARATION

    async def _problems(self, ctx: Context) -> list[Problem]:
        application = await current_application(ctx)
        if application is None:
            return []
        return await submission.problems(ctx.uow, ctx.services, application)

    @staticmethod
    def _options(ctx: Context, found: Sequence[Problem]) -> list[Option]:
        back = Option("back", ctx.t("common.back"))
        return [back] if found else [Option("agree", ctx.t("submit.agree")), back]

    async def options(self, ctx: Context) -> Sequence[Option]:
        return self._options(ctx, await self._problems(ctx))

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        found = await self._problems(ctx)  # once for the text and the options
        if found:
            lines = [ctx.t("submit.not_yet"), *(f"• {m}" for m in problem_lines(ctx, found))]
            text = "\n".join(lines)
        else:
            text = f"{ctx.t('submit.declaration')}\n\n{fees_text(ctx)}"
        return [choice(text, self._options(ctx, found))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        application = await editable_application(ctx)
        if application is None:
            return
        if event.option_id == "back":
            ctx.goto(HUB)
            return
        outcome = await submission.submit(ctx.uow, ctx.services, ctx.caller, application.id)
        if isinstance(outcome, Incomplete):
            lines = [
                ctx.t("submit.not_yet"),
                *(f"• {m}" for m in problem_lines(ctx, outcome.problems)),
            ]
            ctx.say(Text("\n".join(lines)))
            ctx.goto(HUB)
            return
        if isinstance(outcome, Refused):  # frozen meanwhile, by staff's hand
            reference = application.reference or "-"
            ctx.say(Text(ctx.t("application.frozen", reference=reference)))
            ctx.goto(MENU)
            return
        submitted = outcome.application
        documents = await ctx.uow.applications.documents(application.id)
        ctx.say(Text(receipt(ctx, submitted, documents)))
        ctx.goto(MENU)
