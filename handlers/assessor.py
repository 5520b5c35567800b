"""The assessor's side: assignments (9.2.2), the declaration of any relationship with the
candidate before accepting (code of ethics 9.10.7), and the recommendation per unit, K or BK,
with a note (9.3.4–9.3.5).

An assessor reaches only the candidates assigned to them: every step checks the role and that
the application's assessor is this person, on the server, and writes the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain import schedule
from domain.ports import ApplicationRecord, JSONValue
from handlers.apl02 import answer_lines
from handlers.application import local_time
from handlers.conversation import MENU, Context, StepInput, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from handlers.staff_common import (
    PREFIX,
    allowed,
    candidate_zone,
    document_options,
    notify,
    send_document,
    transition,
)
from scheme.lifecycle import Actor, ApplicationState

A = ApplicationState
ASSIGNMENTS = "assessor_assignments"
ASSIGNMENT = "assessor_assignment"
UNIT = "assessor_unit"
NOTE = "assessor_note"
ASSESSOR = frozenset({"assessor"})
OPEN = (A.ASSESSOR_ASSIGNED, A.SCHEDULED)


async def open_assignments(ctx: Context, command: CommandIn) -> None:
    """``/tugas``: the assessor's assignments."""
    if await allowed(ctx, "view_assignments", roles=ASSESSOR):
        ctx.goto(ASSIGNMENTS)


async def _mine(ctx: Context, action: str, *states: str) -> ApplicationRecord | None:
    """The step's application, if this person is its assessor and it is in ``states``;
    anything else is refused and logged like a missing role."""
    app_id = ctx.data.get("app")
    target = f"application:{app_id}"
    if not await allowed(ctx, action, target, roles=ASSESSOR):
        return None
    application = await ctx.uow.applications.get(int(str(app_id)), lock=True)
    if application is None or application.assessment.get("assessor") != ctx.person.id:
        await ctx.uow.audit.record(
            ctx.person.id, ctx.channel, f"{action}_not_assigned", target, allowed=False
        )
        ctx.say(Text(ctx.t("staff.not_available")))
        ctx.goto(MENU)
        return None
    if application.state not in states:
        ctx.say(Text(ctx.t("staff.already_handled")))
        ctx.goto(ASSIGNMENTS)
        return None
    return application


class AssignmentsStep:
    name = ASSIGNMENTS
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        mine = await ctx.uow.applications.assigned_to(ctx.person.id, OPEN)
        options = [
            Option(f"{PREFIX}app:{a.id}", f"{a.reference} · {a.apl01.get('full_name') or '—'}")
            for a in mine
        ]
        return [*options, Option(f"{PREFIX}menu", ctx.t("common.menu"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        options = await self.options(ctx)
        return [choice(ctx.t("assessor.assignments", count=len(options) - 1), options)]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assert isinstance(event, OptionIn)
        if event.option_id == f"{PREFIX}menu":
            ctx.goto(MENU)
            return
        ctx.data["app"] = int(event.option_id.removeprefix(f"{PREFIX}app:"))
        if await _mine(ctx, "view_assignment", *OPEN) is not None:
            ctx.goto(ASSIGNMENT, {"app": ctx.data["app"]})


class AssignmentStep:
    """One assignment: the candidate, the units, when and where; declare and accept, or
    record the recommendation unit by unit."""

    name = ASSIGNMENT
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        application = await ctx.uow.applications.get(int(str(ctx.data["app"])))
        back = Option(f"{PREFIX}back", ctx.t("common.back"))
        if application is None:
            return [back]
        if application.state == A.ASSESSOR_ASSIGNED:
            return [
                Option(f"{PREFIX}no_conflict", ctx.t("assessor.no_conflict")),
                Option(f"{PREFIX}conflict", ctx.t("assessor.conflict")),
                back,
            ]
        units = _units(application)
        documents = await ctx.uow.applications.documents(application.id)
        return [
            *(
                Option(
                    f"{PREFIX}unit:{unit.code}",
                    f"{_verdict_icon(units.get(unit.code))} {unit.code} "
                    + unit.title.get(ctx.locale),
                )
                for unit in ctx.services.scheme.units
            ),
            Option(f"{PREFIX}recommend", ctx.t("assessor.recommend")),
            *document_options(documents),  # after the units: a long list pages on Telegram
            back,
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await ctx.uow.applications.get(int(str(ctx.data["app"])))
        if application is None:
            return [choice(ctx.t("staff.already_handled"), await self.options(ctx))]
        assessment = application.assessment
        starts_at = datetime.fromisoformat(str(assessment["starts_at"]))
        lines = [
            ctx.t(
                "assessor.assignment",
                reference=application.reference,
                name=await ctx.uow.applications.applicant_name(application.id) or "—",
                when=local_time(ctx, starts_at),
                place=assessment.get("place", ""),
            ),
            *(f"• {u.code} {u.title.get(ctx.locale)}" for u in ctx.services.scheme.units),
            ctx.t("staff.review_apl02"),  # 9.2.5: the assessor weighs the APL-02 and its evidence
            *answer_lines(
                ctx,
                application,
                await ctx.uow.applications.documents(application.id),
                provenance=True,
            ),
            ctx.t(
                "assessor.declare"
                if application.state == A.ASSESSOR_ASSIGNED
                else "assessor.record_units"
            ),
        ]
        return [choice("\n".join(lines), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assert isinstance(event, OptionIn)
        picked = event.option_id.removeprefix(PREFIX)
        if picked == "back":
            ctx.goto(ASSIGNMENTS)
            return
        if picked in {"no_conflict", "conflict"}:
            application = await _mine(ctx, picked, A.ASSESSOR_ASSIGNED)
            if application is None:
                return
            if picked == "conflict":
                ctx.goto(NOTE, {"app": application.id, "action": "conflict"})
            else:
                await _accept(ctx, application)
            return
        if picked.startswith("doc:"):
            application = await _mine(ctx, "open_document", A.SCHEDULED)
            if application is not None:
                await send_document(ctx, application, event.option_id)
                await ctx.show_current()
            return
        application = await _mine(ctx, "record_unit", A.SCHEDULED)
        if application is None or await _before_the_assessment(ctx, application):
            return
        if picked.startswith("unit:"):
            ctx.goto(UNIT, {"app": application.id, "unit": picked.removeprefix("unit:")})
        elif picked == "recommend":
            await _recommend(ctx, application)


async def _before_the_assessment(ctx: Context, application: ApplicationRecord) -> bool:
    """9.3.4–9.3.5: results come from the assessment, so they are recorded from its scheduled
    time on; earlier is refused, explained and audited."""
    starts_at = datetime.fromisoformat(str(application.assessment["starts_at"]))
    if ctx.now() >= starts_at:
        return False
    await ctx.uow.audit.record(
        ctx.person.id, ctx.channel, "record_unit_before_assessment",
        f"application:{application.id}", allowed=False,
    )  # fmt: skip
    ctx.say(Text(ctx.t("assessor.too_early", when=local_time(ctx, starts_at))))
    ctx.goto(ASSIGNMENT, {"app": application.id})
    return True


def _units(application: ApplicationRecord) -> dict[str, JSONValue]:
    units = application.assessment.get("units")
    return dict(units) if isinstance(units, dict) else {}


def _verdict_icon(verdict: JSONValue) -> str:
    if isinstance(verdict, dict):
        return "✅ K" if verdict.get("verdict") == "K" else "❌ BK"
    return "⏳"


async def _accept(ctx: Context, application: ApplicationRecord) -> None:
    """No relationship declared (9.10.7): the assignment stands and the candidate is told when
    and where; both get a reminder the day before."""
    state = await transition(ctx, application, "schedule", Actor.ASSESSOR)
    if state is None:
        return
    assessment = {
        **application.assessment,
        "declared": "none",
        "accepted_at": ctx.now().isoformat(),
    }
    await ctx.uow.applications.update(application.id, state=state, assessment=assessment)
    starts_at = datetime.fromisoformat(str(assessment["starts_at"]))
    place = str(assessment.get("place", ""))
    reference = application.reference or ""
    zone = await candidate_zone(ctx, application)  # the candidate's reminder at 09:00 theirs
    for planned in schedule.assessment(reference, starts_at, place, zone, ctx.now()):
        await notify(ctx, application, planned)
    own = ctx.person.timezone
    reminder = schedule.assessment(reference, starts_at, place, own, ctx.now())[1]
    await ctx.uow.outbox.schedule(
        ctx.person.id, reminder.notice.kind, reminder.notice.params, reminder.due_at,
        f"assessor:{reminder.dedupe_key}", subject=reminder.subject,
    )  # fmt: skip
    await ctx.uow.audit.record(
        ctx.person.id, ctx.channel, "accept_assignment", f"application:{application.id}",
        allowed=True, details={"declared": "none"},
    )  # fmt: skip
    ctx.say(Text(ctx.t("assessor.accepted")))
    ctx.goto(ASSIGNMENT, {"app": application.id})


async def _recommend(ctx: Context, application: ApplicationRecord) -> None:
    units = _units(application)
    missing = [u.code for u in ctx.services.scheme.units if u.code not in units]
    if missing:
        ctx.say(Text(ctx.t("assessor.units_missing", units=", ".join(missing))))
        await ctx.show_current()
        return
    all_k = all(isinstance(v, dict) and v.get("verdict") == "K" for v in units.values())
    action = "recommend_competent" if all_k else "recommend_not_yet"
    state = await transition(ctx, application, action, Actor.ASSESSOR)
    if state is None:
        return
    await ctx.uow.applications.update(application.id, state=state)
    await ctx.uow.audit.record(
        ctx.person.id, ctx.channel, action, f"application:{application.id}", allowed=True
    )
    ctx.say(Text(ctx.t("assessor.recommended")))
    ctx.goto(ASSIGNMENTS)


class UnitStep:
    """K or BK for one unit; a note follows."""

    name = UNIT
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            Option(f"{PREFIX}K", ctx.t("assessor.k")),
            Option(f"{PREFIX}BK", ctx.t("assessor.bk")),
            Option(f"{PREFIX}back", ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("assessor.unit", unit=str(ctx.data["unit"])), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assert isinstance(event, OptionIn)
        verdict = event.option_id.removeprefix(PREFIX)
        if verdict == "back":
            ctx.goto(ASSIGNMENT, {"app": ctx.data["app"]})
            return
        ctx.goto(NOTE, {**ctx.data, "action": "unit", "verdict": verdict})


class NoteStep:
    """The note with a unit's recommendation, or what the relationship with the candidate is."""

    name = NOTE
    accepts: frozenset[type[StepInput]] = frozenset({TextIn, OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(f"{PREFIX}back", ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        key = (
            "assessor.conflict_note"
            if ctx.data.get("action") == "conflict"
            else "assessor.unit_note"
        )
        return [choice(ctx.t(key), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        if isinstance(event, OptionIn):
            ctx.goto(ASSIGNMENT, {"app": ctx.data["app"]})
            return
        assert isinstance(event, TextIn)
        note = event.text.strip()[:300]
        if ctx.data.get("action") == "conflict":
            application = await _mine(ctx, "declare_conflict", A.ASSESSOR_ASSIGNED)
            if application is None:
                return
            state = await transition(ctx, application, "decline_assignment", Actor.ASSESSOR)
            if state is None:
                return
            assessment = {"declined_by": ctx.person.id, "conflict": note}
            await ctx.uow.applications.update(application.id, state=state, assessment=assessment)
            await ctx.uow.audit.record(
                ctx.person.id, ctx.channel, "declare_conflict", f"application:{application.id}",
                allowed=True, details={"note": note},
            )  # fmt: skip
            ctx.say(Text(ctx.t("assessor.conflict_sent")))
            ctx.goto(ASSIGNMENTS)
            return
        application = await _mine(ctx, "record_unit", A.SCHEDULED)
        if application is None or await _before_the_assessment(ctx, application):
            return
        unit = str(ctx.data["unit"])
        units = {**_units(application), unit: {"verdict": str(ctx.data["verdict"]), "note": note}}
        await ctx.uow.applications.update(
            application.id, assessment={**application.assessment, "units": units}
        )
        await ctx.uow.audit.record(
            ctx.person.id, ctx.channel, "record_unit", f"application:{application.id}:{unit}",
            allowed=True, details={"verdict": str(ctx.data["verdict"])},
        )  # fmt: skip
        ctx.goto(ASSIGNMENT, {"app": application.id})
