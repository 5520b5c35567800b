"""Staff's steps after acceptance: assign an assessor with a schedule and a TUK (9.2.2, 9.3.2),
record the technical team's decision (9.4) — which opens the appeal window (9.9.2) — issue the
certificate (9.4.6), and handle an appeal with a panel not involved in the case (9.9.4–9.9.7).

The rules live in :mod:`usecases.decisions`: each step parses what staff typed or pressed, calls
one verb there and renders its outcome.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.ports import ApplicationRecord
from handlers.candidate.application import local_time
from handlers.conversation import Context, StepName, choice
from handlers.messages import Option, OptionIn, Outbound, Text, TextIn
from handlers.staff.common import (
    QUEUE,
    REVIEW,
    OnApplication,
    Privileged,
    StaffOption,
    application_id,
    say_refused,
)
from scheme.apl01 import day_month_year
from scheme.lifecycle import ApplicationState
from usecases import decisions
from usecases.access import Refused

A = ApplicationState
ASSIGN = StepName("staff_assign")
PANEL = StepName("staff_panel")
INPUT = StepName("staff_input")


class Typed(StrEnum):
    """What staff type on the input step: the assessment's schedule and TUK (9.2.2, 9.3.2),
    the decision's meeting record (9.4), the certificate number (9.4.6), the panel's note on
    an appeal (9.9.5)."""

    STARTS_AT = "starts_at"
    PLACE = "place"
    DECIDE_COMPETENT = "decide_competent"
    DECIDE_NOT_YET = "decide_not_yet"
    ISSUE_CERTIFICATE = "issue_certificate"
    APPEAL_GRANTED = "appeal_granted"
    APPEAL_DISMISSED = "appeal_dismissed"


QUESTIONS = {
    Typed.STARTS_AT: "staff.ask_schedule",
    Typed.PLACE: "staff.ask_place",
    Typed.DECIDE_COMPETENT: "staff.ask_record",
    Typed.DECIDE_NOT_YET: "staff.ask_record",
    Typed.ISSUE_CERTIFICATE: "staff.ask_certificate",
    Typed.APPEAL_GRANTED: "staff.ask_appeal_note",
    Typed.APPEAL_DISMISSED: "staff.ask_appeal_note",
}


class Input(OnApplication):
    """What the input step asks for."""

    action: Typed


class Scheduling(Input):
    """The assessment's time, for the assessor chosen."""

    assessor: int


class Placing(Scheduling):
    """The TUK, for the assessor and the time chosen (all three checked again together)."""

    starts_at: datetime


def later_options(ctx: Context, application: ApplicationRecord) -> list[Option]:
    """What staff can do with an application past its review, by its state."""
    state = application.state
    if state == A.ACCEPTED:
        return [Option(StaffOption.ASSIGN, ctx.t("staff.assign"))]
    if state in {A.RECOMMENDED_K, A.RECOMMENDED_BK}:
        return [
            Option(ACTION.id(Typed.DECIDE_COMPETENT), ctx.t("staff.decide_competent")),
            Option(ACTION.id(Typed.DECIDE_NOT_YET), ctx.t("staff.decide_not_yet")),
        ]
    if state == A.DECIDED_COMPETENT:
        return [Option(ACTION.id(Typed.ISSUE_CERTIFICATE), ctx.t("staff.issue_certificate"))]
    if state == A.UNDER_APPEAL and application.appeal.panel is None:
        return [Option(StaffOption.PANEL, ctx.t("staff.assign_panel"))]
    if state == A.UNDER_APPEAL:
        return [
            Option(ACTION.id(Typed.APPEAL_GRANTED), ctx.t("staff.appeal_grant")),
            Option(ACTION.id(Typed.APPEAL_DISMISSED), ctx.t("staff.appeal_dismiss")),
        ]
    return []


def details(ctx: Context, application: ApplicationRecord) -> list[str]:
    """Assessment, recommendation, decision and appeal, as far as they go."""
    lines: list[str] = []
    assessment = application.assessment
    if assessment.starts_at is not None:
        lines.append(
            ctx.t(
                "staff.detail_assessment",
                when=local_time(ctx, assessment.starts_at),
                place=assessment.place,
            )
        )
    for code, result in assessment.units.items():
        lines.append(f"• {code}: {result.verdict} — {result.note}")
    if assessment.conflict:
        lines.append(ctx.t("staff.detail_conflict", note=assessment.conflict))
    if application.decision.record:
        lines.append(ctx.t("staff.detail_decision", record=application.decision.record))
    if application.appeal.reasons:
        lines.append(ctx.t("staff.detail_appeal", reasons=application.appeal.reasons))
    return lines


ACTION = Privileged("do", Typed)
"""A decision, a certificate or an appeal's outcome, asked for on the review screen."""
STATE_OF_ACTION: dict[str, tuple[ApplicationState, ...]] = {
    "assign": (A.ACCEPTED,),
    "panel": (A.UNDER_APPEAL,),
    Typed.DECIDE_COMPETENT: (A.RECOMMENDED_K, A.RECOMMENDED_BK),
    Typed.DECIDE_NOT_YET: (A.RECOMMENDED_K, A.RECOMMENDED_BK),
    Typed.ISSUE_CERTIFICATE: (A.DECIDED_COMPETENT,),
    Typed.APPEAL_GRANTED: (A.UNDER_APPEAL,),
    Typed.APPEAL_DISMISSED: (A.UNDER_APPEAL,),
}


async def start(ctx: Context, application: ApplicationRecord, option_id: str) -> None:
    """A later-stage choice on the review screen (role and state already checked)."""
    if option_id == StaffOption.ASSIGN:
        ctx.goto(ASSIGN, OnApplication(app=application.id))
    elif option_id == StaffOption.PANEL:
        ctx.goto(PANEL, OnApplication(app=application.id))
    elif (action := ACTION.read(option_id)) is not None:
        ctx.goto(INPUT, Input(app=application.id, action=action))


ASSESSOR = Privileged("assessor", int)
MEMBER = Privileged("member", int)


async def _picked_person(ctx: Context, event: OptionIn, kind: Privileged[int]) -> int | None:
    """The person chosen on a "pick someone" step; None after "back"."""
    if event.option_id == StaffOption.BACK:
        ctx.goto(REVIEW, OnApplication(app=application_id(ctx)))
        return None
    return kind.read(event.option_id)


class AssignStep:
    """Choose the assessor (9.2.2); the schedule and the TUK are asked next."""

    name = ASSIGN

    async def options(self, ctx: Context) -> Sequence[Option]:
        assessors = await decisions.assessors_for(ctx.uow, application_id(ctx))
        return [
            *(Option(ASSESSOR.id(pid), name) for pid, name in assessors),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("staff.choose_assessor"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        assessor = await _picked_person(ctx, event, ASSESSOR)
        if assessor is None:
            return
        app_id = application_id(ctx)
        checked = await decisions.check_assignment(
            ctx.uow, ctx.services, ctx.caller, app_id, assessor=assessor
        )
        if isinstance(checked, Refused):
            await say_refused(ctx, checked, back=ASSIGN)
            return
        ctx.goto(INPUT, Scheduling(app=app_id, action=Typed.STARTS_AT, assessor=assessor))


class PanelStep:
    """The appeal's panel member: anyone of staff or the assessors not involved in what is
    appealed — never the candidate, the case's assessor or who recorded the decision (9.9.4)."""

    name = PANEL

    async def options(self, ctx: Context) -> Sequence[Option]:
        people = await decisions.panel_candidates(ctx.uow, application_id(ctx))
        return [
            *(Option(MEMBER.id(pid), name) for pid, name in people.items()),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("staff.choose_panel"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        member = await _picked_person(ctx, event, MEMBER)
        if member is None:
            return
        app_id = application_id(ctx)
        done = await decisions.assign_panel(ctx.uow, ctx.services, ctx.caller, app_id, member)
        if isinstance(done, Refused):
            await say_refused(ctx, done, back=PANEL)
            return
        ctx.say(Text(ctx.t("staff.panel_assigned")))
        ctx.goto(REVIEW, OnApplication(app=app_id))


class StaffInputStep:
    """The typed part of a staff action: schedule, TUK, meeting record, certificate number,
    the appeal panel's note."""

    name = INPUT

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(StaffOption.BACK, ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t(QUESTIONS[ctx.read(Input).action]), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        app_id = application_id(ctx)
        ctx.goto(REVIEW, OnApplication(app=app_id))

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        data = ctx.read(Input)
        app_id, action = data.app, data.action
        typed = event.text.strip()[:200]
        uow, services, who = ctx.uow, ctx.services, ctx.caller
        done: decisions.Outcome
        if action is Typed.STARTS_AT:
            await _schedule(ctx, ctx.read(Scheduling), typed)
            return
        if action is Typed.PLACE:
            placing = ctx.read(Placing)
            done = await decisions.assign_assessor(
                uow, services, who, app_id,
                assessor=placing.assessor, starts_at=placing.starts_at, place=typed,
            )  # fmt: skip
            key = "staff.assigned"
        elif action in {Typed.DECIDE_COMPETENT, Typed.DECIDE_NOT_YET}:
            competent = action is Typed.DECIDE_COMPETENT
            done = await decisions.decide(
                uow, services, who, app_id, competent=competent, record=typed
            )
            key = "staff.decided"
        elif action is Typed.ISSUE_CERTIFICATE:
            done = await decisions.issue_certificate(uow, services, who, app_id, typed)
            key = "staff.certified"
        else:
            granted = action is Typed.APPEAL_GRANTED
            done = await decisions.decide_appeal(
                uow, services, who, app_id, granted=granted, note=typed
            )
            key = "staff.appeal_decided"
        if isinstance(done, Refused):
            await say_refused(ctx, done, number=typed)
            return
        ctx.say(Text(ctx.t(key, reference=done.application.reference)))
        ctx.goto(QUEUE)


async def _schedule(ctx: Context, data: Scheduling, typed: str) -> None:
    """The assessment's time, checked with the assessor chosen; the TUK is asked next."""
    starts_at = parse_schedule(typed, ctx.person.timezone)
    if starts_at is None:
        ctx.say(Text(ctx.t("staff.bad_schedule")))
        await ctx.show_current()
        return
    checked = await decisions.check_assignment(
        ctx.uow, ctx.services, ctx.caller, data.app,
        assessor=data.assessor, starts_at=starts_at, action="choose_schedule",
    )  # fmt: skip
    if isinstance(checked, Refused):
        await say_refused(ctx, checked, back=ASSIGN)
        return
    placing = Placing(app=data.app, action=Typed.PLACE, assessor=data.assessor, starts_at=starts_at)
    ctx.goto(INPUT, placing)


AT_TIME = re.compile(r"(.+?)[ ,]+(?:pukul |jam |at )?(\d{1,2})[:.](\d{2})", re.IGNORECASE)
"""A day, then the time: "25-11-2026 10:00", "25 Nov 2026 pukul 10.00", "25/11/2026 jam 9.30"."""


def parse_schedule(typed: str, zone: str) -> datetime | None:
    """A day and a time as people write them (issue 16: only ``DD-MM-YYYY HH:MM`` was taken),
    in the staff member's zone."""
    match = AT_TIME.fullmatch(" ".join(typed.split()))
    found = day_month_year(match.group(1)) if match else None
    if match is None or found is None:
        return None
    day, month, year = found
    hour, minute = int(match.group(2)), int(match.group(3))
    try:
        return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))
    except ValueError:  # no such day or hour
        return None
