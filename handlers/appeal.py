"""The candidate's appeal (9.9.1–9.9.3): ``/banding`` while the window after a "not yet
competent" decision is open takes the reasons as the appeal form and confirms receipt with the
decision due date (20 working days, 9.9.6); after the window the bot says so, and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handlers import schedule
from handlers.application import current_application, local_time
from handlers.conversation import MENU, Context, StepInput, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from handlers.notices import format_day
from handlers.ports import ApplicationRecord
from handlers.staff_common import notify, transition
from scheme.deadlines import appeal_decision_due
from scheme.lifecycle import Actor, ApplicationState

APPEAL = "appeal"


async def _open_window(ctx: Context) -> ApplicationRecord | None:
    """The application whose appeal window is open now, or None (and why)."""
    current = await current_application(ctx)
    # locked: the worker closing a lapsed window (handlers/lapses.py) waits, or is waited for
    application = await ctx.uow.applications.get(current.id, lock=True) if current else None
    if application is None or application.state != ApplicationState.DECIDED_NOT_YET:
        ctx.say(Text(ctx.t("appeal.nothing")))
        return None
    deadline = datetime.fromisoformat(str(application.decision["appeal_until"]))
    if ctx.now() > deadline:
        ctx.say(Text(ctx.t("appeal.closed", deadline=local_time(ctx, deadline))))
        return None
    return application


async def start_appeal(ctx: Context, command: CommandIn) -> None:
    """``/banding``."""
    if await _open_window(ctx) is not None:
        ctx.goto(APPEAL)
    else:
        await ctx.show_current()


class AppealStep:
    """The reasons of the appeal, in the candidate's words."""

    name = APPEAL
    accepts: frozenset[type[StepInput]] = frozenset({TextIn, OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("cancel", ctx.t("common.cancel"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await current_application(ctx)
        deadline = (
            datetime.fromisoformat(str(application.decision["appeal_until"]))
            if application is not None and application.decision.get("appeal_until")
            else ctx.now()
        )
        return [
            choice(ctx.t("appeal.ask", deadline=local_time(ctx, deadline)), await self.options(ctx))
        ]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        if isinstance(event, OptionIn):
            ctx.goto(MENU)
            return
        assert isinstance(event, TextIn)
        application = await _open_window(ctx)
        if application is None:
            ctx.goto(MENU)
            return
        state = await transition(ctx, application, "appeal", Actor.CANDIDATE)
        if state is None:
            return
        now = ctx.now()
        rules = ctx.services.scheme.rules
        due = appeal_decision_due(now, rules)
        reference = application.reference or ""
        appeal = {
            "state": "filed", "reasons": event.text.strip()[:2000], "filed_at": now.isoformat(),
            "due_on": due.isoformat(),
        }  # fmt: skip
        await ctx.uow.applications.update(application.id, state=state, appeal=appeal)
        await ctx.uow.outbox.cancel(f"appeal_window:{reference}")  # no "appeal closes soon"
        await notify(ctx, application, schedule.appeal_received(reference, now, rules))
        for warning in schedule.appeal_staff_warnings(reference, now, rules):
            for staff, _ in await ctx.uow.roles.people_with("staff"):
                notice = warning.notice
                await ctx.uow.outbox.schedule(
                    staff, notice.kind, notice.params, warning.due_at,
                    f"{warning.dedupe_key}:{staff}", subject=warning.subject,
                )  # fmt: skip
        ctx.say(Text(ctx.t("appeal.received", due=format_day(due, ctx.locale))))
        ctx.goto(MENU)
