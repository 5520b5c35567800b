"""Ask staff a question (7.1.2 "mendapatkan penjelasan"), from the menu, with /tanya, or by
typing one where the bot expects no text: the message goes to staff with the application's
context and their answer comes back in this chat; /status lists the open ones."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.conversation import Context, StepData, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from usecases import questions
from usecases.access import Refused

ASK = StepName("ask")
ASK_CONFIRM = StepName("ask_confirm")


class Asking(StepData):
    """Text typed where none was expected, kept word for word to be sent as a question."""

    text: str


QUESTION_WORDS = 4
"""Typed where no text is expected, a message with a "?" or at least this many words is
offered as a question (a "ok" or a typo is not)."""


def looks_like_a_question(text: str) -> bool:
    return "?" in text or len(text.split()) >= QUESTION_WORDS


async def offer_to_ask(ctx: Context, text: str) -> bool:
    """The engine's hook for text no step takes: a question is offered to be sent to staff,
    kept word for word; anything else is left to the usual "not expected" reply."""
    if not looks_like_a_question(text):
        return False
    ctx.call(ASK_CONFIRM, Asking(text=text[: questions.QUESTION_LENGTH]))
    return True


async def open_ask(ctx: Context, command: CommandIn) -> None:
    ctx.call(ASK)


async def _send(ctx: Context, text: str) -> None:
    asked = await questions.ask(ctx.uow, ctx.services, ctx.caller, text)
    if isinstance(asked, questions.TooShort):
        ctx.say(Text(ctx.t("question.too_short")))
        await ctx.show_current()
        return
    if isinstance(asked, Refused):
        ctx.back()
        return
    ctx.say(Text(ctx.t("question.sent")))
    ctx.back()


class AskStep:
    """The question, typed; sent to staff as it is."""

    name = ASK

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("back", ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("question.prompt"), await self.options(ctx))]

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        await _send(ctx, event.text)

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.back()


class AskConfirmStep:
    """Text typed where none was expected: send it to staff as a question?"""

    name = ASK_CONFIRM

    def _text(self, ctx: Context) -> str:
        return ctx.read(Asking).text

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("send", ctx.t("question.send")), Option("back", ctx.t("question.keep"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        body = ctx.t("question.confirm", text=self._text(ctx))
        return [choice(body, await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == "send":
            await _send(ctx, self._text(ctx))
        else:
            ctx.back()
