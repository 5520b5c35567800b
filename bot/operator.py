"""What the operator does on the server (``asesorbot roles``), through the same use cases as the
chat: the account is named by its channel and id, and the operator holds every right there."""

from __future__ import annotations

from bot.factory import App
from domain.ports import NewPerson
from usecases.access import Caller, Refused, Role
from usecases.roles import RoleChange
from usecases.roles import change_role as change


async def change_role(
    app: App, channel: str, external_id: str, role: Role, *, grant: bool, by: str
) -> RoleChange | Refused:
    """Grant or revoke ``role`` of the account, in one transaction. An account granted a role
    before it ever wrote to the bot is created, so that staff can be set up first."""
    async with app.uow_factory() as uow:
        if grant:
            new = NewPerson(locale="id", timezone=app.settings.app.default_timezone)
            opened = await uow.conversations.open_locked(channel, external_id, new_person=new)
            person: int | None = opened.person.id
        else:
            person = await uow.people.by_identity(channel, external_id)
        done = await change(
            uow, app.services, Caller.operator(by), person, role, grant=grant,
            account=f"{channel}:{external_id}",
        )  # fmt: skip
        await uow.commit()
    return done
