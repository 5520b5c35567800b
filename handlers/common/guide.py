"""Learn about the certification without starting an application: units, routes and their
requirements, evidence, fees (8), rights and obligations (7.1, 7.2), the process (9.1–9.9),
appeals and the code of ethics (9.10). The scheme's own clauses are quoted from the data file."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.conversation import MENU, Context, StepName, choice
from handlers.messages import Option, OptionIn, Outbound, Text
from scheme.model import ClauseText, Evidence

GUIDE = StepName("guide")
TOPICS = ("about", "units", "routes", "evidence", "fees", "rights", "process", "appeal", "ethics")
PLAIN_TOPICS = ("about", "process", "appeal")
"""Topics that are one message of the catalogue; the others are built from the scheme file."""


def fees_text(ctx: Context) -> str:
    """8 / 9.1.1: the LSP's amount, or who sets it and where to ask; also shown before submit."""
    fees = ctx.services.scheme.fees
    if fees is None:
        return ctx.t("guide.fees_unknown")
    if fees.amount_idr is not None:
        amount = f"{fees.amount_idr:,}".replace(",", ".")
        return ctx.t("guide.fees_amount", clause=fees.clause, amount=amount)
    return ctx.t(
        "guide.fees_set_by",
        clause=fees.clause,
        set_by=fees.set_by.get(ctx.locale),
        where=fees.where_to_ask.get(ctx.locale),
    )


def _clauses(ctx: Context, title: str, items: Sequence[ClauseText]) -> list[str]:
    return [title, *(f"• {item.clause} {item.text.get(ctx.locale)}" for item in items)]


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
                lines.append(ctx.t("guide.fallback", clause=route.partial_fallback.clause))
        return "\n".join(lines)
    if topic == "evidence":
        lines = [ctx.t("guide.evidence"), ctx.t("evidence.vatm")]
        for route in scheme.routes:
            lines.append(f"\n{route.label.get(ctx.locale)}")
            lines += [_evidence_line(ctx, e) for e in route.evidence]
            if route.partial_fallback:
                lines.append(ctx.t("guide.fallback_evidence", clause=route.partial_fallback.clause))
        return "\n".join(lines)
    if topic == "fees":
        return fees_text(ctx)
    if topic == "rights":
        return "\n".join(
            _clauses(ctx, ctx.t("guide.rights_title"), scheme.applicant_rights)
            + _clauses(ctx, "\n" + ctx.t("guide.obligations_title"), scheme.holder_obligations)
            + _clauses(ctx, "\n" + ctx.t("guide.use_title"), scheme.certificate_use)
        )
    if topic == "ethics":
        return "\n".join(_clauses(ctx, ctx.t("guide.ethics"), scheme.code_of_ethics))
    assert topic in PLAIN_TOPICS, topic
    return ctx.t(f"guide.{topic}")


def _evidence_line(ctx: Context, item: Evidence) -> str:
    """One item with its count, its clause and, for an "atau" alternative, which one it is."""
    count = f"{item.min}" + (f"–{item.max}" if item.max > item.min else "")
    line = f"• {item.label.get(ctx.locale)} — {count} ({item.clause})"
    if item.alternative is not None:
        line += " " + ctx.t("guide.alternative", n=item.alternative, clause=", ".join(item.proves))
    return line


class GuideStep:
    name = GUIDE

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            *(Option(topic, ctx.t(f"guide.topic.{topic}")) for topic in TOPICS),
            Option("menu", ctx.t("common.menu")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("guide.prompt"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == "menu":
            ctx.goto(MENU)
            return
        ctx.say(Text(topic_text(ctx, event.option_id)))
        await ctx.show_current()
