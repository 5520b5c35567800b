"""Staff broadcasts: who a broadcast reaches (everyone, by application state, by channel, by
language, holders whose certificate expires within N months or whose yearly surveillance, 9.6.2,
falls due within the next month) and queuing it, one outbox row per person, in both languages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.ports import Services, UnitOfWork
from scheme.lifecycle import ApplicationState
from usecases.access import Caller, Refusal, Refused, audit_done, authorize

SEGMENTS = (
    "all", "state", "channel:telegram", "channel:whatsapp", "lang:id", "lang:en", "expiring",
    "surveillance",
)  # fmt: skip
"""The segments staff choose from; ``state`` and ``expiring`` take a value next
(``state:submitted``, ``expiring:6``)."""
MAX_MONTHS = 36
TEXT_LENGTH = 3000


def valid_segment(segment: str) -> bool:
    """A segment the audience query knows, with a value it can use."""
    kind, _, value = segment.partition(":")
    if kind == "state":
        return value in set(ApplicationState)
    if kind == "expiring":
        return value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_MONTHS
    return segment in SEGMENTS and kind not in {"state", "expiring"}


@dataclass(frozen=True, slots=True)
class Queued:
    broadcast_id: int
    people: int


def target(broadcast_id: int) -> str:
    """The broadcast as the audit log names it."""
    return f"broadcast:{broadcast_id}"


async def send_broadcast(
    uow: UnitOfWork, services: Services, caller: Caller, segment: str, texts: Mapping[str, str]
) -> Queued | Refused:
    """Queue the broadcast (``texts``: ``text_id`` and ``text_en``) to everyone the segment
    reaches now; the worker sends it at the platforms' rates and reports to its author."""
    if caller.person_id is None or not await authorize(uow, caller, "send_broadcast", segment):
        return Refused(Refusal.NOT_ALLOWED)
    if not valid_segment(segment):
        return Refused(Refusal.ALREADY_HANDLED)
    clean = {key: texts[key].strip()[:TEXT_LENGTH] for key in ("text_id", "text_en")}
    broadcast_id, people = await uow.broadcasts.create(
        caller.person_id, segment, clean, services.clock(), services.scheme.rules
    )
    details = {"segment": segment, "people": people}
    await audit_done(uow, caller, "broadcast", target(broadcast_id), details)
    return Queued(broadcast_id, people)
