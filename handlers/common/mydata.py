"""``/data``: what the bot holds about the person, and deleting the personal data and documents
of a draft.  A submitted application keeps what the scheme requires (9.4.1 b: the record must
allow an appeal to be traced), and the bot says so."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.candidate.apl01 import FIELDS, shown_value
from handlers.candidate.application import current_application
from handlers.candidate.evidence import erase_objects, size_text
from handlers.common.zone import ZONE, zone_name
from handlers.conversation import MENU, Context, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text
from usecases import drafting
from usecases.access import Refused
from usecases.drafting import EDITABLE

MY_DATA = StepName("my_data")
CONFIRM = StepName("my_data_delete")


def masked(field: str, value: str) -> str:
    """A NIK is shown as its first four and last four digits."""
    if field == "id_number" and len(value) == 16:
        return f"{value[:4]}{'•' * 8}{value[-4:]}"
    return value


async def data_text(ctx: Context) -> str:
    identities = await ctx.uow.people.identities(ctx.person.id)
    lines = [
        ctx.t("data.title"),
        ctx.t("data.language", language=ctx.t(f"data.language.{ctx.locale}")),
        ctx.t("data.timezone", zone=zone_name(ctx, ctx.person.timezone)),
        ctx.t("data.channels", channels=", ".join(channel for channel, _ in identities)),
    ]
    application = await current_application(ctx)
    if application is None:
        lines.append(ctx.t("data.no_application"))
        return "\n".join(lines)
    lines.append(ctx.t("data.application", state=ctx.t(f"state.{application.state}")))
    lines += [
        f"• {ctx.t(f'apl01.label.{f}')}: {masked(f, shown_value(ctx, f, application.apl01[f]))}"
        for f in FIELDS
        if f in application.apl01
    ]
    documents = await ctx.uow.applications.documents(application.id)
    lines.append(ctx.t("data.documents", count=len(documents)))
    lines += [f"• {d.file_name} ({size_text(d.size)})" for d in documents]
    lines.append(ctx.t("data.apl02", count=len(application.apl02.answers)))
    return "\n".join(lines)


class MyDataStep:
    name = MY_DATA

    async def options(self, ctx: Context) -> Sequence[Option]:
        application = await current_application(ctx)
        options = [Option("zone", ctx.t("menu.zone")), Option("menu", ctx.t("common.menu"))]
        if application is not None and application.state in EDITABLE:
            options.insert(0, Option("delete", ctx.t("data.delete")))
        return options

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await current_application(ctx)
        lines = [await data_text(ctx)]
        if application is not None and application.state not in EDITABLE:
            lines.append(ctx.t("data.kept_by_scheme"))
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == "zone":
            ctx.call(ZONE)
        else:
            ctx.goto(CONFIRM if event.option_id == "delete" else MENU)


class DeleteConfirmStep:
    name = CONFIRM

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("yes", ctx.t("data.delete_yes")), Option("no", ctx.t("common.cancel"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("data.delete_confirm"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id != "yes":
            ctx.goto(MY_DATA)
            return
        deleted = await drafting.delete_draft(ctx.uow, ctx.services, ctx.caller)
        if isinstance(deleted, Refused):
            ctx.say(Text(ctx.t("data.kept_by_scheme")))
            ctx.goto(MENU)
            return
        keys = list(deleted.object_keys)
        if keys:
            await erase_objects(
                ctx,
                keys,
                lambda gone: ctx.t(
                    "data.deleted" if gone else "data.deleted_later", count=len(keys)
                ),
            )
        else:
            ctx.say(Text(ctx.t("data.deleted", count=0)))
        ctx.goto(MENU)


async def show_data(ctx: Context, command: CommandIn) -> None:
    ctx.goto(MY_DATA)
