"""What every staff and assessor step shares: the role check with its audit row, the
application a step is about, its state, its transition and the candidate's notice."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.conversation import MENU, Context
from handlers.messages import Option, SendFile, Text
from handlers.ports import ApplicationRecord, DocumentRecord
from handlers.schedule import Planned
from scheme.impartiality import Capacity, Conflict, conflict
from scheme.lifecycle import APPLICATION, Actor, ApplicationState, TransitionError

QUEUE = "staff_queue"
REVIEW = "staff_review"
STAFF_ROLES = frozenset({"staff", "admin"})
PREFIX = "s:"
"""Option ids of privileged steps start so: pressed anywhere else they are forged."""


async def allowed(
    ctx: Context, action: str, target: str | None = None, roles: frozenset[str] = STAFF_ROLES
) -> bool:
    """Whether the person holds one of ``roles`` now; either way the attempt is in the audit
    log. A refusal says only "not available" and goes back to the menu."""
    ok = bool(await ctx.uow.roles.of(ctx.person.id) & roles)
    await ctx.uow.audit.record(ctx.person.id, ctx.channel, action, target, allowed=ok)
    if not ok:
        ctx.say(Text(ctx.t("staff.not_available")))
        ctx.goto(MENU)
    return ok


async def refuse_forged(ctx: Context, option_id: str) -> bool:
    """A staff option pressed where no staff step offered it: refused and logged."""
    if not option_id.startswith(PREFIX):
        return False
    await ctx.uow.audit.record(
        ctx.person.id, ctx.channel, "forged_option", option_id[:100], allowed=False
    )
    ctx.say(Text(ctx.t("staff.not_available")))
    return True


def application_id(ctx: Context) -> int:
    value = ctx.data.get("app")
    if not isinstance(value, int):
        raise LookupError("no application on this step")
    return value


async def in_state(ctx: Context, *states: str) -> ApplicationRecord | None:
    """The step's application, if it is still in one of ``states`` (else: handled already) and
    not the staff member's own (9.2.1)."""
    application = await ctx.uow.applications.get(application_id(ctx), lock=True)
    if application is None or application.state not in states:
        ctx.say(Text(ctx.t("staff.already_handled")))
        ctx.goto(QUEUE)
        return None
    if await refused_for_conflict(ctx, application, Capacity.STAFF):
        return None
    return application


def involved_in_decision(application: ApplicationRecord) -> frozenset[int]:
    """9.9.4: who took part in the decision under appeal — the case's assessor and the staff
    member who recorded the decision."""
    people = (application.assessment.get("assessor"), application.decision.get("by"))
    return frozenset(p for p in people if isinstance(p, int))


async def refused_for_conflict(
    ctx: Context,
    application: ApplicationRecord,
    capacity: Capacity,
    person_id: int | None = None,
    *,
    back: str = QUEUE,
) -> Conflict | None:
    """Refuses, explains with its clause and audits when ``person_id`` (the person pressing,
    by default) may not act in ``capacity`` on ``application``; None when they may."""
    who = ctx.person.id if person_id is None else person_id
    involved = involved_in_decision(application) if capacity == Capacity.PANEL else ()
    found = conflict(who, capacity, application.person_id, involved)
    if found is None:
        return None
    await ctx.uow.audit.record(
        ctx.person.id, ctx.channel, f"conflict_{capacity}_{found.kind}",
        f"application:{application.id}", allowed=False, details={"person": who},
    )  # fmt: skip
    ctx.say(Text(ctx.t(f"impartiality.{capacity}.{found.kind}", clause=found.clause)))
    ctx.goto(back, {"app": application.id} if back != QUEUE else None)
    return found


async def transition(
    ctx: Context, application: ApplicationRecord, action: str, actor: Actor = Actor.STAFF
) -> str | None:
    try:
        return str(APPLICATION.apply(ApplicationState(application.state), action, actor))
    except TransitionError:
        ctx.say(Text(ctx.t("staff.already_handled")))
        ctx.goto(QUEUE)
        return None


async def candidate_zone(ctx: Context, application: ApplicationRecord) -> str:
    """The candidate's own time zone: their reminders come at 09:00 there, their appeal window
    ends at midnight there."""
    person = await ctx.uow.people.get(application.person_id)
    return person.timezone if person is not None else ctx.services.scheme.rules.timezone


async def notify(ctx: Context, application: ApplicationRecord, planned: Planned) -> None:
    """The candidate's notice, queued in this same transaction."""
    notice = planned.notice
    await ctx.uow.outbox.schedule(
        application.person_id, notice.kind, notice.params, planned.due_at, planned.dedupe_key,
        subject=planned.subject, urgent=notice.urgent,
    )  # fmt: skip


def document_options(documents: Sequence[DocumentRecord]) -> list[Option]:
    """A button per document: it is sent as a file, to the people allowed to see it only."""
    return [
        Option(f"{PREFIX}doc:{d.id}", f"{'❗' if d.lost_at else '📄'} {d.file_name}")
        for d in documents
    ]


async def send_document(ctx: Context, application: ApplicationRecord, option_id: str) -> None:
    """The document of ``option_id`` as a file, when it belongs to ``application`` (whose access
    the caller checked); any other id is refused and logged."""
    document_id = option_id.removeprefix(f"{PREFIX}doc:")
    documents = await ctx.uow.applications.documents(application.id)
    document = next((d for d in documents if d.id == document_id), None)
    target = f"document:{document_id}"
    await ctx.uow.audit.record(
        ctx.person.id, ctx.channel, "open_document", target, allowed=document is not None
    )
    if document is None:
        ctx.say(Text(ctx.t("staff.not_available")))
        return
    ctx.say(
        SendFile(document.object_key, document.file_name, document.mime_type, document.file_name)
    )
