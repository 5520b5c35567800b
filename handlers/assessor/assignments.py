"""The assessor's side: assignments (9.2.2), the declaration of any relationship with the
candidate before accepting (code of ethics 9.10.7), and the recommendation per unit, K or BK,
with a note (9.3.4–9.3.5).

An assessor reaches only the candidates assigned to them: every step checks the role and that
the application's assessor is this person, on the server, and writes the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from domain.ports import ApplicationRecord
from handlers.candidate.apl02 import answer_lines
from handlers.candidate.application import local_time
from handlers.conversation import MENU, Context, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from handlers.staff.common import (
    APPLICATION,
    DOCUMENT,
    OnApplication,
    Privileged,
    Showing,
    StaffOption,
    document_options,
    send_document,
)
from scheme.apl02 import Verdict
from scheme.lifecycle import ApplicationState
from usecases import assessment
from usecases.access import Refusal, Refused
from usecases.assessment import OPEN, TooEarly, UnitsMissing
from usecases.decisions import Outcome

A = ApplicationState
ASSIGNMENTS = StepName("assessor_assignments")
ASSIGNMENT = StepName("assessor_assignment")
UNIT = StepName("assessor_unit")
NOTE = StepName("assessor_note")
UNIT_OPTION = Privileged("unit", str)
VERDICT = Privileged("verdict", Verdict)


class OnUnit(OnApplication):
    """One unit of the assignment on screen, to give its verdict."""

    unit: str


class NoteFor(StrEnum):
    CONFLICT = "conflict"
    """What the relationship with the candidate is (9.10.7)."""
    UNIT = "unit"
    """Why a unit's verdict is what it is (9.3.4)."""


class Noting(OnApplication):
    action: NoteFor


class UnitNote(Noting):
    unit: str
    verdict: Verdict


async def open_assignments(ctx: Context, command: CommandIn) -> None:
    """``/tugas``: the assessor's assignments."""
    found = await assessment.assignments(ctx.uow, ctx.caller)
    if isinstance(found, Refused):
        await _say(ctx, found)
    else:
        ctx.goto(ASSIGNMENTS)


async def _say(ctx: Context, refused: Refused) -> None:
    """An assessor verb's refusal in the person's words, and where they go from it."""
    app = ctx.read(Showing).app
    if refused.reason is Refusal.NOT_ALLOWED:
        ctx.say(Text(ctx.t("staff.not_available")))
        ctx.goto(MENU)
    elif isinstance(refused, TooEarly) and refused.starts_at is not None and app is not None:
        ctx.say(Text(ctx.t("assessor.too_early", when=local_time(ctx, refused.starts_at))))
        ctx.goto(ASSIGNMENT, OnApplication(app=app))
    elif isinstance(refused, UnitsMissing):
        ctx.say(Text(ctx.t("assessor.units_missing", units=", ".join(refused.units))))
        await ctx.show_current()
    else:
        ctx.say(Text(ctx.t("staff.already_handled")))
        ctx.goto(ASSIGNMENTS)


async def _done(ctx: Context, outcome: Outcome) -> ApplicationRecord | None:
    if isinstance(outcome, Refused):
        await _say(ctx, outcome)
        return None
    return outcome.application


class AssignmentsStep:
    name = ASSIGNMENTS

    async def options(self, ctx: Context) -> Sequence[Option]:
        mine = await ctx.uow.applications.assigned_to(ctx.person.id, OPEN)
        options = [
            Option(APPLICATION.id(a.id), f"{a.reference} · {a.apl01.get('full_name') or '—'}")
            for a in mine
        ]
        return [*options, Option(StaffOption.MENU, ctx.t("common.menu"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        options = await self.options(ctx)
        return [choice(ctx.t("assessor.assignments", count=len(options) - 1), options)]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.MENU:
            ctx.goto(MENU)
            return
        app_id = APPLICATION.read(event.option_id)
        if app_id is None:
            return
        ctx.keep(OnApplication(app=app_id))
        found = await assessment.assigned(ctx.uow, ctx.caller, "view_assignment", app_id, *OPEN)
        if isinstance(found, Refused):
            await _say(ctx, found)
        else:
            ctx.goto(ASSIGNMENT, OnApplication(app=app_id))


def _app(ctx: Context) -> int:
    return ctx.read(OnApplication).app


class AssignmentStep:
    """One assignment: the candidate, the units, when and where; declare and accept, or
    record the recommendation unit by unit."""

    name = ASSIGNMENT

    async def options(self, ctx: Context) -> Sequence[Option]:
        application = await ctx.uow.applications.get(_app(ctx))
        back = Option(StaffOption.BACK, ctx.t("common.back"))
        if application is None:
            return [back]
        if application.state == A.ASSESSOR_ASSIGNED:
            return [
                Option(StaffOption.NO_CONFLICT, ctx.t("assessor.no_conflict")),
                Option(StaffOption.CONFLICT, ctx.t("assessor.conflict")),
                back,
            ]
        units = application.assessment.verdicts()
        documents = await ctx.uow.applications.documents(application.id)
        return [
            *(
                Option(
                    UNIT_OPTION.id(unit.code),
                    f"{ICONS[units[unit.code]] if unit.code in units else '⏳'} {unit.code} "
                    + unit.title.get(ctx.locale),
                )
                for unit in ctx.services.scheme.units
            ),
            Option(StaffOption.RECOMMEND, ctx.t("assessor.recommend")),
            *document_options(documents),  # after the units: a long list pages on Telegram
            back,
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await ctx.uow.applications.get(_app(ctx))
        if application is None:
            return [choice(ctx.t("staff.already_handled"), await self.options(ctx))]
        lines = [
            ctx.t(
                "assessor.assignment",
                reference=application.reference,
                name=await ctx.uow.applications.applicant_name(application.id) or "—",
                when=local_time(ctx, assessment.starts_at(application)),
                place=application.assessment.place,
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

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.BACK:
            ctx.goto(ASSIGNMENTS)
        elif event.option_id in {StaffOption.NO_CONFLICT, StaffOption.CONFLICT}:
            await _declare(ctx, StaffOption(event.option_id))
        elif DOCUMENT.read(event.option_id) is not None:
            found = await assessment.assigned(
                ctx.uow, ctx.caller, "open_document", _app(ctx), A.SCHEDULED
            )
            if isinstance(found, Refused):
                await _say(ctx, found)
            else:
                await send_document(ctx, found, event.option_id)
                await ctx.show_current()
        else:
            await _record(ctx, event.option_id)


async def _declare(ctx: Context, declared: StaffOption) -> None:
    """9.10.7: no relationship with the candidate accepts at once; one asks what it is."""
    app_id, who = _app(ctx), ctx.caller
    if declared is StaffOption.NO_CONFLICT:
        accepted = await assessment.accept_assignment(ctx.uow, ctx.services, who, app_id)
        if await _done(ctx, accepted) is not None:
            ctx.say(Text(ctx.t("assessor.accepted")))
            ctx.goto(ASSIGNMENT, OnApplication(app=app_id))
        return
    found = await assessment.assigned(ctx.uow, who, "conflict", app_id, A.ASSESSOR_ASSIGNED)
    if isinstance(found, Refused):
        await _say(ctx, found)
    else:
        ctx.goto(NOTE, Noting(app=app_id, action=NoteFor.CONFLICT))


async def _record(ctx: Context, option_id: str) -> None:
    """A unit to give its verdict, or the recommendation once every unit has one."""
    app_id, who = _app(ctx), ctx.caller
    if option_id == StaffOption.RECOMMEND:
        if await _done(ctx, await assessment.recommend(ctx.uow, ctx.services, who, app_id)):
            ctx.say(Text(ctx.t("assessor.recommended")))
            ctx.goto(ASSIGNMENTS)
    elif (unit := UNIT_OPTION.read(option_id)) is not None:
        checked = await assessment.check_recording(ctx.uow, ctx.services, who, app_id)
        if await _done(ctx, checked) is not None:
            ctx.goto(UNIT, OnUnit(app=app_id, unit=unit))


ICONS = {Verdict.K: "✅ K", Verdict.BK: "❌ BK"}
"""A unit's verdict on the assignment's buttons; one not yet recorded shows ⏳."""


class UnitStep:
    """K or BK for one unit; a note follows."""

    name = UNIT

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            Option(VERDICT.id(Verdict.K), ctx.t("assessor.k")),
            Option(VERDICT.id(Verdict.BK), ctx.t("assessor.bk")),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("assessor.unit", unit=ctx.read(OnUnit).unit), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        verdict, on = VERDICT.read(event.option_id), ctx.read(OnUnit)
        if verdict is None:  # back
            ctx.goto(ASSIGNMENT, OnApplication(app=on.app))
            return
        ctx.goto(NOTE, UnitNote(app=on.app, action=NoteFor.UNIT, unit=on.unit, verdict=verdict))


class NoteStep:
    """The note with a unit's recommendation, or what the relationship with the candidate is."""

    name = NOTE

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(StaffOption.BACK, ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        conflict = ctx.read(Noting).action is NoteFor.CONFLICT
        key = "assessor.conflict_note" if conflict else "assessor.unit_note"
        return [choice(ctx.t(key), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        app_id = _app(ctx)
        ctx.goto(ASSIGNMENT, OnApplication(app=app_id))

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        app_id = _app(ctx)
        who = ctx.caller
        if ctx.read(Noting).action is NoteFor.CONFLICT:
            declared = assessment.declare_conflict(ctx.uow, ctx.services, who, app_id, event.text)
            if await _done(ctx, await declared) is not None:
                ctx.say(Text(ctx.t("assessor.conflict_sent")))
                ctx.goto(ASSIGNMENTS)
            return
        noted = ctx.read(UnitNote)
        recorded = assessment.record_unit(
            ctx.uow, ctx.services, who, app_id,
            unit=noted.unit, verdict=noted.verdict, note=event.text,
        )  # fmt: skip
        if await _done(ctx, await recorded) is not None:
            ctx.goto(ASSIGNMENT, OnApplication(app=app_id))
