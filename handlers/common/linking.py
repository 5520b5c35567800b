"""One person on several messengers: the same verified phone number links them, once they agree.

A number counts only when the messenger vouches for it (WhatsApp's sender, a Telegram contact
the person shared of themselves): a typed number could be anybody's, and linking gives access
to an application. The person is asked first; both sides keep working until they say yes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from handlers.conversation import Context, StepData, StepName, choice
from handlers.messages import Option, OptionIn, Outbound, Text
from usecases import people

LINK = StepName("link")


class Linking(StepData):
    """The verified number another person of ours has too."""

    phone: str


async def offer_link(ctx: Context, phone: str) -> bool:
    """Store the verified number; when another person has it, ask to link (True)."""
    other = await people.give_phone(ctx.uow, ctx.services, ctx.caller, phone, verified=True)
    if other is None:
        return False
    ctx.call(LINK, Linking(phone=phone))
    return True


class LinkStep:
    """ "This number also reaches us on another messenger: is that you?" yes / no."""

    name = LINK

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("link", ctx.t("link.yes")), Option("separate", ctx.t("link.no"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [
            choice(ctx.t("link.prompt", phone=ctx.read(Linking).phone), await self.options(ctx))
        ]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == "link":
            into = await people.link(ctx.uow, ctx.services, ctx.caller, ctx.read(Linking).phone)
            if into is not None:
                ctx.person = dataclasses.replace(ctx.person, id=into)
                ctx.say(Text(ctx.t("link.done")))
            else:
                ctx.say(Text(ctx.t("link.both_applied")))
        else:
            ctx.say(Text(ctx.t("link.kept_apart")))
        ctx.back()
