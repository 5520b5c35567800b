"""``/stats`` for staff: applications in each state, appeals open and overdue (9.9.6),
certificates expiring within 30, 60 and 90 days."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from handlers.conversation import Context
from handlers.messages import CommandIn, Text
from handlers.staff.common import allowed
from scheme.deadlines import local_date
from scheme.lifecycle import ApplicationState

WINDOWS = (30, 60, 90)


async def show_stats(ctx: Context, command: CommandIn) -> None:
    if not await allowed(ctx, "view_stats"):
        return
    counts = await ctx.uow.applications.count_by_state()
    lines = [ctx.t("stats.title")]
    lines += [
        f"• {ctx.t(f'state.{state}')}: {counts[state]}"
        for state in ApplicationState
        if counts.get(state)
    ] or [ctx.t("stats.none")]
    today = local_date(ctx.now(), ZoneInfo(ctx.services.scheme.rules.timezone))
    appeals = await ctx.uow.applications.appeal_counts(today)
    lines.append(ctx.t("stats.appeals", open=appeals.open, overdue=appeals.overdue))
    for days in WINDOWS:
        expiring = await ctx.uow.certificates.expiring(today, today + timedelta(days=days))
        lines.append(ctx.t("stats.expiring", days=days, count=expiring))
    ctx.say(Text("\n".join(lines)))
    await ctx.show_current()
