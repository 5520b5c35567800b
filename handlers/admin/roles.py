"""``/peran``: an admin grants and revokes the assessor, staff and admin roles in the chat, as
``asesorbot roles`` does on the server. Each press re-checks that the person is an admin now,
each change is in the audit log, and the person concerned is told.

The person must have written to the bot once (so that their account is known). The rules —
who may, not one's own admin role, the notice — are :mod:`usecases.roles`, which
``asesorbot roles`` calls too.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from handlers.conversation import MENU, Context, StepData, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from handlers.staff.common import Privileged, StaffOption, allowed, say_refused
from usecases.access import ADMIN_ROLES, Refused, Role
from usecases.roles import change_role

ROLES = StepName("admin_roles")
PICK = StepName("admin_role_pick")
WHO = StepName("admin_role_who")
GRANTABLE = tuple(Role)


class Verb(StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"


class Changing(StepData):
    """Granting or revoking, chosen first."""

    verb: Verb


class ChangingRole(Changing):
    """... which role, chosen next; the person last."""

    role: Role


VERB = Privileged("roles", Verb)
ROLE = Privileged("role", Role)
PERSON = Privileged("person", int)
ADMIN = ADMIN_ROLES


async def open_roles(ctx: Context, command: CommandIn) -> None:
    if await allowed(ctx, "view_roles", roles=ADMIN):
        ctx.goto(ROLES)


class RolesStep:
    """Who holds which role; grant or revoke."""

    name = ROLES

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            Option(VERB.id(Verb.GRANT), ctx.t("roles.grant")),
            Option(VERB.id(Verb.REVOKE), ctx.t("roles.revoke")),
            Option(StaffOption.MENU, ctx.t("common.menu")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        lines = [ctx.t("roles.title")]
        for role in GRANTABLE:
            people = await ctx.uow.roles.people_with(role)
            names = ", ".join(name for _, name in people) or "—"
            lines.append(f"• {ctx.t(f'role.{role}')}: {names}")
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.MENU:
            ctx.goto(MENU)
        elif (verb := VERB.read(event.option_id)) and await allowed(ctx, "view_roles", roles=ADMIN):
            ctx.goto(PICK, Changing(verb=verb))


class PickRoleStep:
    name = PICK

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            *(Option(ROLE.id(role), ctx.t(f"role.{role}")) for role in GRANTABLE),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t(f"roles.pick.{ctx.read(Changing).verb}"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        role = ROLE.read(event.option_id)
        if role is None:  # back
            ctx.goto(ROLES)
        else:
            ctx.goto(WHO, ChangingRole(verb=ctx.read(Changing).verb, role=role))


class WhoStep:
    """Granting: the Telegram user id or WhatsApp number typed; revoking: one of the holders."""

    name = WHO

    async def options(self, ctx: Context) -> Sequence[Option]:
        holders: Sequence[tuple[int, str]] = []
        changing = ctx.read(ChangingRole)
        if changing.verb is Verb.REVOKE:
            holders = await ctx.uow.roles.people_with(changing.role)
        return [
            *(Option(PERSON.id(pid), name) for pid, name in holders),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        changing = ctx.read(ChangingRole)
        role = ctx.t(f"role.{changing.role}")
        return [choice(ctx.t(f"roles.who.{changing.verb}", role=role), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.BACK:
            ctx.goto(PICK, Changing(verb=ctx.read(Changing).verb))
            return
        person = PERSON.read(event.option_id)
        await self._change(ctx, person, f"person:{person}")

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        account = event.text.strip()
        await self._change(ctx, await _person_of(ctx, account), account)

    async def _change(self, ctx: Context, person: int | None, account: str) -> None:
        changing = ctx.read(ChangingRole)
        verb, role = changing.verb, changing.role
        done = await change_role(
            ctx.uow, ctx.services, ctx.caller, person, role, grant=verb is Verb.GRANT,
            account=account,
        )  # fmt: skip
        if isinstance(done, Refused):
            await say_refused(ctx, done)
        else:
            key = f"roles.done.{verb}" if done.changed else f"roles.nothing.{verb}"
            ctx.say(Text(ctx.t(key, role=ctx.t(f"role.{role}"))))
            ctx.goto(ROLES)


async def _person_of(ctx: Context, typed: str) -> int | None:
    """The person of the account typed, in the first channel's format it reads as (a Telegram
    user id, a WhatsApp number in any usual writing)."""
    for account in ctx.services.accounts:
        external_id = account.read(typed)
        found = (
            await ctx.uow.people.by_identity(account.channel, external_id) if external_id else None
        )
        if found is not None:
            return found
    return None
