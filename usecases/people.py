"""One person on several messengers: the same verified phone number links them, once they agree.

A number counts only when the messenger vouches for it (WhatsApp's sender, a Telegram contact
the person shared of themselves): a typed number could be anybody's, and linking gives access
to an application.
"""

from __future__ import annotations

from domain.ports import Services, UnitOfWork
from usecases.access import Caller


async def give_phone(
    uow: UnitOfWork, services: Services, caller: Caller, phone: str, *, verified: bool
) -> int | None:
    """Store the caller's number; a verified one that another person holds verified too
    gives that person's id, to offer linking the two."""
    if caller.person_id is None:
        return None
    await uow.people.set_phone(caller.person_id, phone, verified=verified)
    if not verified:
        return None
    return await uow.people.with_verified_phone(phone, other_than=caller.person_id)


async def link(uow: UnitOfWork, services: Services, caller: Caller, phone: str) -> int | None:
    """The caller agreed: their messenger accounts join the other person holding ``phone``
    verified (checked again now), whose id is returned; None when there is no such person any
    more, or both already have an application and they stay apart."""
    if caller.person_id is None:
        return None
    other = await uow.people.with_verified_phone(phone, other_than=caller.person_id)
    if other is None or not await uow.people.merge_into(caller.person_id, other):
        return None
    return other
