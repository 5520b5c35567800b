"""``/peran``: an admin grants and revokes the assessor, staff and admin roles in the chat, as
``asesorbot roles`` does on the server. Each press re-checks that the person is an admin now,
each change is in the audit log, and the person concerned is told.

The person must have written to the bot once (so that their account is known). The rules —
who may, not one's own admin role, the notice — are :mod:`usecases.roles`, which
``asesorbot roles`` calls too.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.conversation import MENU, Context, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from handlers.staff.common import Privileged, StaffOption, allowed, say_refused
from usecases.access import ADMIN_ROLES, Refused, Role
from usecases.roles import change_role

ROLES = StepName("admin_roles")
PICK = StepName("admin_role_pick")
WHO = StepName("admin_role_who")
GRANTABLE = tuple(Role)
VERB = Privileged("roles", str)
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
            Option(VERB.id("grant"), ctx.t("roles.grant")),
            Option(VERB.id("revoke"), ctx.t("roles.revoke")),
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
        elif await allowed(ctx, "view_roles", roles=ADMIN):
            ctx.goto(PICK, {"verb": VERB.read(event.option_id)})


class PickRoleStep:
    name = PICK

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            *(Option(ROLE.id(role), ctx.t(f"role.{role}")) for role in GRANTABLE),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t(f"roles.pick.{ctx.data.get('verb')}"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.BACK:
            ctx.goto(ROLES)
        else:
            ctx.goto(WHO, {**ctx.data, "role": ROLE.read(event.option_id)})


class WhoStep:
    """Granting: the Telegram user id or WhatsApp number typed; revoking: one of the holders."""

    name = WHO

    async def options(self, ctx: Context) -> Sequence[Option]:
        holders: Sequence[tuple[int, str]] = []
        if ctx.data.get("verb") == "revoke":
            holders = await ctx.uow.roles.people_with(str(ctx.data.get("role")))
        return [
            *(Option(PERSON.id(pid), name) for pid, name in holders),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        role = ctx.t(f"role.{ctx.data.get('role')}")
        return [
            choice(ctx.t(f"roles.who.{ctx.data.get('verb')}", role=role), await self.options(ctx))
        ]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.BACK:
            ctx.goto(PICK, {"verb": str(ctx.data.get("verb"))})
            return
        person = PERSON.read(event.option_id)
        await self._change(ctx, person, f"person:{person}")

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        account = event.text.strip()
        await self._change(ctx, await _person_of(ctx, account), account)

    async def _change(self, ctx: Context, person: int | None, account: str) -> None:
        verb, role = str(ctx.data.get("verb")), Role(str(ctx.data.get("role")))
        done = await change_role(
            ctx.uow, ctx.services, ctx.caller, person, role, grant=verb == "grant",
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
