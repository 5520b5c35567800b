"""Granting and taking away the assessor, staff and admin roles: by an admin in the chat
(``/peran``) or by the operator on the server (``asesorbot roles``), with the same checks, the same
audit row and the same notice to the person concerned.

An admin cannot take away their own admin role (another admin or the server can), so that an LSP
is never left without one by a slip of the thumb.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import schedule
from domain.ports import Services, UnitOfWork
from usecases.access import ADMIN_ROLES, Caller, Refusal, Refused, Role, audit_done, authorize


@dataclass(frozen=True, slots=True)
class RoleChange:
    changed: bool
    """False when the person already held (or did not hold) the role: nothing to tell them."""


async def change_role(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    person_id: int | None,
    role: Role,
    *,
    grant: bool,
    account: str,
) -> RoleChange | Refused:
    """Grant (``grant``) or revoke ``role`` of ``person_id`` (None: the account named is not
    known); ``account`` is how the caller named the person (``telegram:888001``), for the audit
    log."""
    action = f"{'grant' if grant else 'revoke'}_role_{role}"
    if not await authorize(uow, caller, action, account[:100], roles=ADMIN_ROLES):
        return Refused(Refusal.NOT_ALLOWED)
    if person_id is None:
        return Refused(Refusal.UNKNOWN_ACCOUNT)
    if not grant and role is Role.ADMIN and person_id == caller.person_id:
        return Refused(Refusal.NOT_YOURSELF)
    by = f"person:{caller.person_id}" if caller.person_id is not None else str(caller.name)
    if grant:
        changed = await uow.roles.grant(person_id, role, by=by)
    else:
        changed = await uow.roles.revoke(person_id, role)
    if changed:
        planned = schedule.role_changed(person_id, role, granted=grant, at=services.clock())
        await uow.outbox.schedule(person_id, planned)
    details = {"person": person_id, "changed": changed}
    await audit_done(uow, caller, action, account[:100], details)
    return RoleChange(changed)
