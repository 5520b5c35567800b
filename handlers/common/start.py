"""The first conversation: greeting, language, main menu, and the commands that work anywhere.

``/start`` greets (in Bahasa Indonesia for a new person) and offers the language and the main
menu; ``/help`` explains; ``/bahasa`` switches the language and returns to where the person was;
``/batal`` leaves the current step for the menu without touching anything already saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from domain.ports import LspContact
from handlers.candidate.application import STATUS, start_application
from handlers.common.guide import GUIDE
from handlers.common.questions import ASK
from handlers.common.zone import ZONE
from handlers.conversation import MENU, Context, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text
from scheme.apl01 import grouped_phone
from usecases.access import ADMIN_ROLES, ASSESSOR_ROLES, STAFF_ROLES

LANGUAGE = StepName("language")
LANGUAGES = {"id": "🇮🇩 Bahasa Indonesia", "en": "🇬🇧 English"}
"""Each language is named in itself, so a person who reads neither of the other finds theirs."""

CONTACT_FIELDS = tuple(field.name for field in fields(LspContact))
"""The LSP contact's parts, in the order /bantuan shows them (``help.contact.<field>``)."""
MENU_ITEMS = ("requirements", "apply", "status", "help", "language", "zone", "ask")


class LanguageStep:
    """Choose Bahasa Indonesia or English; then go back to where the person was."""

    name = LANGUAGE

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(code, label) for code, label in LANGUAGES.items()]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("language.prompt"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        await ctx.set_locale(event.option_id)
        ctx.say(Text(ctx.t("language.changed")))
        ctx.back()


class MenuStep:
    """The main menu: requirements, apply, my status, help, language."""

    name = MENU

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(item, ctx.t(f"menu.{item}")) for item in MENU_ITEMS]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("menu.prompt"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        item = event.option_id
        if item == "help":
            ctx.say(Text(ctx.t("help.body")))
            ctx.goto(MENU)
        elif item == "language":
            ctx.call(LANGUAGE)
        elif item == "zone":
            ctx.call(ZONE)
        elif item == "requirements":
            ctx.goto(GUIDE)
        elif item == "apply":
            await start_application(ctx)
        elif item == "status":
            ctx.goto(STATUS)
        elif item == "ask":
            ctx.call(ASK)


async def start(ctx: Context, command: CommandIn) -> None:
    """Greet; a person who has not chosen a language yet is asked first."""
    ctx.say(Text(ctx.t("start.greeting")))
    if ctx.person.locale_chosen:
        ctx.goto(MENU)
    else:
        ctx.call(LANGUAGE, then=MENU)


HELP_BY_ROLE = (
    (STAFF_ROLES, "help.staff"),
    (ASSESSOR_ROLES, "help.assessor"),
    (ADMIN_ROLES, "help.admin"),
)
"""The commands of each role, listed only to those who hold it (the server checks again)."""


async def show_help(ctx: Context, command: CommandIn) -> None:
    """Every command the person may use: everyone's, the candidate's and the holder's, and
    those of the roles they hold (issue 16: half of them were missing)."""
    roles = await ctx.uow.roles.of(ctx.person.id)
    blocks = ["help.body", "help.candidate"]
    blocks += [key for held, key in HELP_BY_ROLE if roles & held]
    said = [ctx.t(key) for key in blocks]
    ctx.say(Text("\n\n".join([*said, *contact_block(ctx)])))
    await ctx.show_current()


def contact_block(ctx: Context) -> list[str]:
    """The LSP's own ways to be reached (7.1.2), as its settings give them; none when unset."""
    contact = ctx.services.contact
    given = {field: getattr(contact, field) for field in CONTACT_FIELDS}
    if contact.phone:
        given["phone"] = grouped_phone(contact.phone)
    lines = [ctx.t(f"help.contact.{key}", value=value) for key, value in given.items() if value]
    return ["\n".join([ctx.t("help.contact.title"), *lines])] if lines else []


async def choose_language(ctx: Context, command: CommandIn) -> None:
    """Switch language, then come back to the step the person was on, with its answers."""
    if ctx.step == LANGUAGE:
        ctx.again()
    else:
        ctx.call(LANGUAGE)


async def cancel(ctx: Context, command: CommandIn) -> None:
    """Leave the current step; what was already saved stays saved."""
    ctx.say(Text(ctx.t("cancel.nothing" if ctx.step == MENU else "cancel.done")))
    ctx.goto(MENU)


async def menu(ctx: Context, command: CommandIn) -> None:
    ctx.goto(MENU)


async def apply(ctx: Context, command: CommandIn) -> None:
    await start_application(ctx)
