"""Learn about the certification without starting an application: units, routes and their
requirements, evidence, rights and obligations (7.1, 7.2), the process (9.1–9.9), appeals and
the code of ethics (9.10)."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.conversation import MENU, Context, StepInput, choice
from handlers.messages import Option, OptionIn, Outbound, Text

GUIDE = "guide"
TOPICS = ("about", "units", "routes", "evidence", "rights", "process", "appeal", "ethics")


def topic_text(ctx: Context, topic: str) -> str:
    scheme = ctx.services.scheme
    if topic == "units":
        return "\n".join(
            [ctx.t("guide.units")]
            + [f"{n}. {u.code} — {u.title.get(ctx.locale)}" for n, u in enumerate(scheme.units, 1)]
        )
    if topic == "routes":
        lines = [ctx.t("guide.routes")]
        for route in scheme.routes:
            lines.append(f"\n{route.label.get(ctx.locale)} ({route.clause})")
            lines += [f"• {r.clause} {r.text.get(ctx.locale)}" for r in route.requirements]
            if route.partial_fallback:
                lines.append(ctx.t("eligibility.fallback", clause=route.partial_fallback.clause))
        return "\n".join(lines)
    if topic == "evidence":
        lines = [ctx.t("guide.evidence")]
        for route in scheme.routes:
            lines.append(f"\n{route.label.get(ctx.locale)}")
            lines += [
                f"• {e.label.get(ctx.locale)} — {e.min}" + (f"–{e.max}" if e.max > e.min else "")
                for e in route.evidence
            ]
        return "\n".join(lines)
    return ctx.t(f"guide.{topic}")


class GuideStep:
    name = GUIDE
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            *(Option(topic, ctx.t(f"guide.topic.{topic}")) for topic in TOPICS),
            Option("menu", ctx.t("common.menu")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("guide.prompt"), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assert isinstance(event, OptionIn)
        if event.option_id == "menu":
            ctx.goto(MENU)
            return
        ctx.say(Text(topic_text(ctx, event.option_id)))
        await ctx.show_current()
