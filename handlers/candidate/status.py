"""``/status``: where the application stands in its lifecycle, what to do next, and the
deadlines that apply — in the candidate's own time zone."""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import route_of
from domain.parts import Mark
from domain.ports import ApplicationRecord
from handlers.candidate.application import (
    STATUS,
    current_application,
    local_time,
    progress_lines,
    staff_reason,
)
from handlers.conversation import MENU, Context, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text
from usecases import questions
from usecases.drafting import EDITABLE


async def status_text(ctx: Context) -> str:
    application = await current_application(ctx)
    asked = await question_lines(ctx)
    if application is None:
        return "\n".join([ctx.t("status.none"), *asked])
    lines = [
        ctx.t("status.title", reference=application.reference or ctx.t("status.no_reference")),
        ctx.t("status.state", state=ctx.t(f"state.{application.state}")),
    ]
    if application.state == "needs_fix":
        lines.append(ctx.t("status.fix_reasons"))
        lines += fix_reasons(ctx, application)
    if application.state in EDITABLE:
        lines += await progress_lines(ctx, application)
        lines.append(ctx.t("status.draft_kept"))
    if application.submitted_at is not None:
        lines.append(ctx.t("status.submitted_at", when=local_time(ctx, application.submitted_at)))
    lines.append(ctx.t(f"next.{application.state}"))
    return "\n".join([*lines, *asked])


async def question_lines(ctx: Context) -> list[str]:
    """The person's questions to staff still waiting for an answer (7.1.2), each shown."""
    waiting = [q for q in await questions.mine(ctx.uow, ctx.caller) if q.open]
    if not waiting:
        return []
    return [
        ctx.t("status.questions", count=len(waiting)),
        *(f"• {local_time(ctx, q.asked_at)}: “{q.text[:80]}”" for q in waiting),
    ]


def fix_reasons(ctx: Context, application: ApplicationRecord) -> list[str]:
    """Staff's verdicts that need the candidate's attention, item by item (9.1.5)."""
    route = route_of(ctx.services.scheme, application)
    lines = []
    for evidence in route.evidence:
        verdict = application.review.get(evidence.id)
        if verdict is None or verdict.mark is Mark.OK:
            continue
        reason = staff_reason(ctx, verdict.mark, verdict.reason)
        lines.append(f"• {evidence.label.get(ctx.locale)}: {reason}")
    return lines


class StatusStep:
    name = STATUS

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("menu", ctx.t("common.menu"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(await status_text(ctx), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(MENU)


async def show_status(ctx: Context, command: CommandIn) -> None:
    """The status, then the step the person was on (once: on the status step it is the same)."""
    if ctx.step != STATUS:
        ctx.say(Text(await status_text(ctx)))
    await ctx.show_current()
