"""What every staff and assessor step shares: the audited role check of a screen, the forged
privileged option, the application a step is about and whether the person may act on it, a use
case's refusal in the person's words, and the documents as buttons and files."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from domain.ports import ApplicationRecord, DocumentRecord
from handlers.conversation import MENU, Context, StepData, StepName
from handlers.messages import Option, SendFile, Text
from scheme.impartiality import Capacity
from usecases.access import (
    STAFF_ROLES,
    Refusal,
    Refused,
    forged,
    impartiality,
    may_see,
    open_application,
)
from usecases.documents import open_document

QUEUE = StepName("staff_queue")
REVIEW = StepName("staff_review")
PREFIX = "s:"
"""Option ids of privileged steps start so: pressed anywhere else they are forged."""
T = TypeVar("T")


class StaffOption(StrEnum):
    """A privileged step's option that carries no value; its id on the wire is the member's
    value (one with a value is a :class:`Privileged`)."""

    BACK = f"{PREFIX}back"
    MENU = f"{PREFIX}menu"
    CANCEL = f"{PREFIX}cancel"
    QUEUE = f"{PREFIX}queue"
    ACCEPT = f"{PREFIX}accept"
    SEND_BACK = f"{PREFIX}send_back"
    REJECT = f"{PREFIX}reject"
    ASSIGN = f"{PREFIX}assign"
    PANEL = f"{PREFIX}panel"
    RECOMMEND = f"{PREFIX}recommend"
    NO_CONFLICT = f"{PREFIX}no_conflict"
    CONFLICT = f"{PREFIX}conflict"
    SEND = f"{PREFIX}send"
    LEAVE_SET = f"{PREFIX}leave:set"
    LEAVE_SAVE = f"{PREFIX}leave:save"


@dataclass(frozen=True, slots=True)
class Privileged(Generic[T]):
    """A privileged step's option carrying a value of type ``T``, ``s:<kind>:<value>`` on the
    wire: written and read only through here, so no step splits an option id by hand."""

    kind: str
    parse: Callable[[str], T]

    def id(self, value: T) -> str:
        return f"{PREFIX}{self.kind}:{value}"

    def read(self, option_id: str) -> T | None:
        """The value of an option of this kind; None for another kind or a value that does not
        read (the engine has checked the option was on the screen)."""
        head = f"{PREFIX}{self.kind}:"
        if not option_id.startswith(head):
            return None
        try:
            return self.parse(option_id[len(head) :])
        except ValueError:
            return None


def option_kind(option_id: str) -> str:
    """A privileged option's kind, as the audit log names what was pressed: ``accept`` of
    ``s:accept``, ``item`` of ``s:item:ktp``."""
    return option_id.removeprefix(PREFIX).split(":")[0]


APPLICATION = Privileged("app", int)
DOCUMENT = Privileged("doc", str)


async def allowed(
    ctx: Context, action: str, target: str | None = None, roles: frozenset[str] = STAFF_ROLES
) -> bool:
    """Whether the person holds one of ``roles`` now; either way the attempt is in the audit
    log. A refusal says only "not available" and goes back to the menu."""
    ok = await may_see(ctx.uow, ctx.caller, action, target, roles)
    if not ok:
        ctx.say(Text(ctx.t("staff.not_available")))
        ctx.goto(MENU)
    return ok


async def refuse_forged(ctx: Context, option_id: str) -> bool:
    """A staff option pressed where no staff step offered it: refused and logged."""
    if not option_id.startswith(PREFIX):
        return False
    await forged(ctx.uow, ctx.caller, option_id)
    ctx.say(Text(ctx.t("staff.not_available")))
    return True


class OnApplication(StepData):
    """A step about one application: the one on screen."""

    app: int


class Showing(StepData):
    """Whatever application a step shows, if it shows one (a refusal goes back to it)."""

    app: int | None = None


def application_id(ctx: Context) -> int:
    return ctx.read(OnApplication).app


async def in_state(ctx: Context, *states: str) -> ApplicationRecord | None:
    """The step's application, if it is still in one of ``states`` (else: handled already) and
    not the staff member's own (9.2.1)."""
    found = await open_application(ctx.uow, ctx.caller, application_id(ctx), *states)
    if isinstance(found, Refused):
        await say_refused(ctx, found)
        return None
    return found


async def refused_for_conflict(
    ctx: Context,
    application: ApplicationRecord,
    capacity: Capacity,
    person_id: int | None = None,
    *,
    back: StepName = QUEUE,
) -> Refused | None:
    """Refuses, explains with its clause and audits when ``person_id`` (the person pressing,
    by default) may not act in ``capacity`` on ``application``; None when they may."""
    refused = await impartiality(ctx.uow, ctx.caller, application, capacity, person_id)
    if refused is not None:
        await say_refused(ctx, refused, back=back)
    return refused


REFUSALS: Mapping[Refusal, str] = {
    Refusal.NOT_AN_ASSESSOR: "staff.not_an_assessor",
    Refusal.BAD_SCHEDULE: "staff.bad_schedule",
    Refusal.CERTIFICATE_TAKEN: "staff.certificate_taken",
    Refusal.NEEDS_ALL_OK: "staff.accept_needs_all_ok",
    Refusal.NEEDS_A_PROBLEM: "staff.send_back_needs_a_problem",
    Refusal.NOT_YOURSELF: "roles.not_yourself",
    Refusal.UNKNOWN_ACCOUNT: "roles.unknown_account",
}
"""The refusals answered on the same step, shown again: a value to correct."""


async def say_refused(
    ctx: Context, refused: Refused, *, back: StepName = QUEUE, **params: str
) -> None:
    """A use case's refusal in the person's words, and where they go from it: the menu when the
    role is gone, the queue when the case moved on, ``back`` after a conflict of a chosen
    person, the same step for a wrong value."""
    app = ctx.read(Showing).app
    found = refused.conflict
    if refused.reason is Refusal.NOT_ALLOWED:
        ctx.say(Text(ctx.t("staff.not_available")))
        ctx.goto(MENU)
    elif refused.reason is Refusal.ALREADY_HANDLED:
        ctx.say(Text(ctx.t("staff.already_handled")))
        ctx.goto(QUEUE)
    elif found is not None:
        ctx.say(Text(ctx.t(f"impartiality.{found.capacity}.{found.kind}", clause=found.clause)))
        if back == QUEUE or found.capacity == Capacity.STAFF or app is None:
            ctx.goto(QUEUE)
        else:
            ctx.goto(back, OnApplication(app=app))
    elif refused.reason is Refusal.PANEL_FIRST:
        ctx.say(Text(ctx.t("staff.panel_first")))
        ctx.goto(REVIEW, OnApplication(app=application_id(ctx)))
    else:
        ctx.say(Text(ctx.t(REFUSALS[refused.reason], **params)))
        await ctx.show_current()


def document_options(documents: Sequence[DocumentRecord]) -> list[Option]:
    """A button per document: it is sent as a file, to the people allowed to see it only."""
    return [
        Option(DOCUMENT.id(d.id), f"{'❗' if d.lost_at else '📄'} {d.file_name}") for d in documents
    ]


async def send_document(ctx: Context, application: ApplicationRecord, option_id: str) -> None:
    """The document of ``option_id`` as a file, when it belongs to ``application`` and the
    person may read it (:func:`usecases.documents.open_document`); else "not available"."""
    document_id = DOCUMENT.read(option_id) or ""
    document = await open_document(ctx.uow, ctx.caller, application.id, document_id)
    if isinstance(document, Refused):
        ctx.say(Text(ctx.t("staff.not_available")))
        return
    ctx.say(
        SendFile(document.object_key, document.file_name, document.mime_type, document.file_name)
    )
