"""Staff broadcasts: choose who, write the message in Bahasa Indonesia and English, see how many
it reaches and a preview, confirm. Messages go through the outbox at the platforms' rates; the
staff member gets a progress message halfway and a final report (sent, blocked, failed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from handlers.conversation import MENU, Context, StepData, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from handlers.staff.common import Privileged, StaffOption, allowed, say_refused
from scheme.lifecycle import ApplicationState
from usecases.access import Refused
from usecases.broadcasts import MAX_MONTHS, SEGMENTS, TEXT_LENGTH, send_broadcast

SEGMENT = StepName("broadcast_segment")
STATE = StepName("broadcast_state")
WRITE = StepName("broadcast_write")
CONFIRM = StepName("broadcast_confirm")
MONTHS = StepName("broadcast_months")
TEMPLATES = ("surveillance", "renewal", "unfinished", "schedule")
"""Ready texts (``broadcast.template.<name>``, in both catalogues) staff can send as they are."""
SEGMENT_OPTION = Privileged("seg", str)
STATE_OPTION = Privileged("state", ApplicationState)
TEMPLATE = Privileged("tpl", str)


class Draft(StepData):
    """A broadcast being written: to whom, and in which language now (Bahasa Indonesia
    first, then English)."""

    segment: str
    lang: Literal["id", "en"] = "id"
    text_id: str = ""


class Ready(Draft):
    """A broadcast written in both languages, to be confirmed."""

    text_en: str


async def open_broadcast(ctx: Context, command: CommandIn) -> None:
    """``/siaran``."""
    if await allowed(ctx, "open_broadcast"):
        ctx.goto(SEGMENT)


def segment_label(ctx: Context, segment: str) -> str:
    kind, _, value = segment.partition(":")
    if kind == "state" and value:
        return ctx.t("broadcast.segment.state_of", state=ctx.t(f"state.{value}"))
    if kind == "expiring" and value:
        return ctx.t("broadcast.segment.expiring_of", months=value)
    return ctx.t(f"broadcast.segment.{segment.replace(':', '_')}")


class SegmentStep:
    name = SEGMENT

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            *(Option(SEGMENT_OPTION.id(s), segment_label(ctx, s)) for s in SEGMENTS),
            Option(StaffOption.MENU, ctx.t("common.menu")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("broadcast.choose_segment"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        segment = SEGMENT_OPTION.read(event.option_id)
        if segment is None:
            ctx.goto(MENU)
        elif not await allowed(ctx, "choose_segment", segment):
            return
        elif segment == "state":
            ctx.goto(STATE)
        elif segment == "expiring":
            ctx.goto(MONTHS)
        else:
            ctx.goto(WRITE, Draft(segment=segment))


class StateStep:
    name = STATE

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            *(Option(STATE_OPTION.id(s), ctx.t(f"state.{s}")) for s in ApplicationState),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("broadcast.choose_state"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.BACK:
            ctx.goto(SEGMENT)
            return
        state = STATE_OPTION.read(event.option_id)
        if state is not None and await allowed(ctx, "choose_segment", f"state:{state}"):
            ctx.goto(WRITE, Draft(segment=f"state:{state}"))


class MonthsStep:
    """Certificates expiring within how many months (9.7.1 asks for renewal 3 months ahead)."""

    name = MONTHS

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(StaffOption.BACK, ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("broadcast.ask_months", max=MAX_MONTHS), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(SEGMENT)

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        typed = event.text.strip()
        if not (typed.isascii() and typed.isdigit() and 1 <= int(typed) <= MAX_MONTHS):
            ctx.say(Text(ctx.t("broadcast.bad_months", max=MAX_MONTHS)))
            await ctx.show_current()
            return
        segment = f"expiring:{int(typed)}"
        if await allowed(ctx, "choose_segment", segment):
            ctx.goto(WRITE, Draft(segment=segment))


class WriteStep:
    """The message, first in Bahasa Indonesia, then in English."""

    name = WRITE

    async def options(self, ctx: Context) -> Sequence[Option]:
        templates = (
            [Option(TEMPLATE.id(t), ctx.t(f"broadcast.template_label.{t}")) for t in TEMPLATES]
            if ctx.read(Draft).lang == "id"
            else []
        )
        return [*templates, Option(StaffOption.CANCEL, ctx.t("common.cancel"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        key = "broadcast.write_id" if ctx.read(Draft).lang == "id" else "broadcast.write_en"
        return [choice(ctx.t(key), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if (template := TEMPLATE.read(event.option_id)) is not None:
            key = f"broadcast.template.{template}"
            text_id, text_en = (ctx.translator.translate(lang, key) for lang in ("id", "en"))
            segment = ctx.read(Draft).segment
            ctx.goto(CONFIRM, Ready(segment=segment, text_id=text_id, text_en=text_en))
        else:
            ctx.goto(MENU)

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        text = event.text.strip()[:TEXT_LENGTH]
        draft = ctx.read(Draft)
        if draft.lang == "id":
            ctx.goto(WRITE, Draft(segment=draft.segment, lang="en", text_id=text))
        else:
            ctx.goto(CONFIRM, Ready(segment=draft.segment, text_id=draft.text_id, text_en=text))


class ConfirmStep:
    """How many it reaches and what they will read; then send or cancel."""

    name = CONFIRM

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            Option(StaffOption.SEND, ctx.t("broadcast.send")),
            Option(StaffOption.CANCEL, ctx.t("common.cancel")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        ready = ctx.read(Ready)
        reach = await ctx.uow.broadcasts.reach(ready.segment, ctx.now(), ctx.services.scheme.rules)
        preview = ctx.t(
            "broadcast.preview",
            segment=segment_label(ctx, ready.segment),
            count=reach,
            text_id=ready.text_id,
            text_en=ready.text_en,
        )
        return [choice(preview, await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id != StaffOption.SEND:
            ctx.say(Text(ctx.t("broadcast.cancelled")))
            ctx.goto(MENU)
            return
        ready = ctx.read(Ready)
        texts = {"text_id": ready.text_id, "text_en": ready.text_en}
        queued = await send_broadcast(ctx.uow, ctx.services, ctx.caller, ready.segment, texts)
        if isinstance(queued, Refused):
            await say_refused(ctx, queued)
            return
        ctx.say(Text(ctx.t("broadcast.queued", count=queued.people)))
        ctx.goto(MENU)
