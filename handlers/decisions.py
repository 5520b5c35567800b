"""Staff's steps after acceptance: assign an assessor with a schedule and a TUK (9.2.2, 9.3.2),
record the technical team's decision (9.4) — which opens the appeal window (9.9.2) — issue the
certificate (9.4.6), and handle an appeal with a panel not involved in the case (9.9.4–9.9.7).

Each step re-checks the role and the application's state on the server, and writes the audit
log; each notice is queued in the transaction of the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers import schedule
from handlers.application import local_time
from handlers.conversation import Context, StepInput, choice
from handlers.messages import Option, OptionIn, Outbound, Text, TextIn
from handlers.ports import ApplicationRecord
from handlers.staff_common import (
    PREFIX,
    QUEUE,
    REVIEW,
    allowed,
    application_id,
    candidate_zone,
    in_state,
    involved_in_decision,
    notify,
    refused_for_conflict,
    transition,
)
from scheme.deadlines import certificate_expiry, local_date
from scheme.impartiality import Capacity
from scheme.lifecycle import (
    APPEAL,
    CERTIFICATE,
    Actor,
    AppealState,
    ApplicationState,
    CertificateState,
    TransitionError,
)

A = ApplicationState
ASSIGN = "staff_assign"
PANEL = "staff_panel"
INPUT = "staff_input"
QUESTIONS = {
    "starts_at": "staff.ask_schedule",
    "place": "staff.ask_place",
    "decide_competent": "staff.ask_record",
    "decide_not_yet": "staff.ask_record",
    "issue_certificate": "staff.ask_certificate",
    "appeal_granted": "staff.ask_appeal_note",
    "appeal_dismissed": "staff.ask_appeal_note",
}


def later_options(ctx: Context, application: ApplicationRecord) -> list[Option]:
    """What staff can do with an application past its review, by its state."""
    state = application.state
    if state == A.ACCEPTED:
        return [Option(f"{PREFIX}assign", ctx.t("staff.assign"))]
    if state in {A.RECOMMENDED_K, A.RECOMMENDED_BK}:
        return [
            Option(f"{PREFIX}do:decide_competent", ctx.t("staff.decide_competent")),
            Option(f"{PREFIX}do:decide_not_yet", ctx.t("staff.decide_not_yet")),
        ]
    if state == A.DECIDED_COMPETENT:
        return [Option(f"{PREFIX}do:issue_certificate", ctx.t("staff.issue_certificate"))]
    if state == A.UNDER_APPEAL and not application.appeal.get("panel"):
        return [Option(f"{PREFIX}panel", ctx.t("staff.assign_panel"))]
    if state == A.UNDER_APPEAL:
        return [
            Option(f"{PREFIX}do:appeal_granted", ctx.t("staff.appeal_grant")),
            Option(f"{PREFIX}do:appeal_dismissed", ctx.t("staff.appeal_dismiss")),
        ]
    return []


def details(ctx: Context, application: ApplicationRecord) -> list[str]:
    """Assessment, recommendation, decision and appeal, as far as they go."""
    lines: list[str] = []
    assessment = application.assessment
    if assessment.get("starts_at"):
        starts_at = datetime.fromisoformat(str(assessment["starts_at"]))
        lines.append(
            ctx.t(
                "staff.detail_assessment",
                when=local_time(ctx, starts_at),
                place=assessment.get("place", ""),
            )
        )
    units = assessment.get("units")
    if isinstance(units, dict):
        for code, verdict in units.items():
            if isinstance(verdict, dict):
                lines.append(f"• {code}: {verdict.get('verdict')} — {verdict.get('note', '')}")
    if assessment.get("conflict"):
        lines.append(ctx.t("staff.detail_conflict", note=assessment["conflict"]))
    if application.decision.get("record"):
        lines.append(ctx.t("staff.detail_decision", record=application.decision["record"]))
    if application.appeal.get("reasons"):
        lines.append(ctx.t("staff.detail_appeal", reasons=application.appeal["reasons"]))
    return lines


STATE_OF_ACTION = {
    "assign": (A.ACCEPTED,),
    "panel": (A.UNDER_APPEAL,),
    "decide_competent": (A.RECOMMENDED_K, A.RECOMMENDED_BK),
    "decide_not_yet": (A.RECOMMENDED_K, A.RECOMMENDED_BK),
    "issue_certificate": (A.DECIDED_COMPETENT,),
    "appeal_granted": (A.UNDER_APPEAL,),
    "appeal_dismissed": (A.UNDER_APPEAL,),
}


async def start(ctx: Context, application: ApplicationRecord, choice_id: str) -> None:
    """A later-stage choice on the review screen (role and state already checked)."""
    if choice_id == "assign":
        ctx.goto(ASSIGN, {"app": application.id})
    elif choice_id == "panel":
        ctx.goto(PANEL, {"app": application.id})
    elif choice_id.startswith("do:"):
        ctx.goto(INPUT, {"app": application.id, "action": choice_id.removeprefix("do:")})


async def _picked_person(ctx: Context, event: StepInput, kind: str, action: str) -> int | None:
    """The person chosen on a "pick someone" step, once the role is checked; None after "back"
    or a refusal (both already answered)."""
    assert isinstance(event, OptionIn)
    app_id = application_id(ctx)
    if event.option_id == f"{PREFIX}back":
        ctx.goto(REVIEW, {"app": app_id})
        return None
    person = int(event.option_id.removeprefix(f"{PREFIX}{kind}:"))
    if not await allowed(ctx, action, f"application:{app_id}"):
        return None
    return person


class AssignStep:
    """Choose the assessor (9.2.2); the schedule and the TUK are asked next."""

    name = ASSIGN
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        application = await ctx.uow.applications.get(application_id(ctx))
        candidate = application.person_id if application else None
        assessors = await ctx.uow.roles.people_with("assessor")
        return [
            *(
                Option(f"{PREFIX}assessor:{pid}", name)
                for pid, name in assessors
                if pid != candidate  # never their own assessor (9.10.7)
            ),
            Option(f"{PREFIX}back", ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("staff.choose_assessor"), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assessor = await _picked_person(ctx, event, "assessor", "choose_assessor")
        if assessor is None:
            return
        app_id = application_id(ctx)
        if "assessor" not in await ctx.uow.roles.of(assessor):
            ctx.say(Text(ctx.t("staff.not_an_assessor")))
            await ctx.show_current()
            return
        application = await in_state(ctx, A.ACCEPTED)
        if application is None:
            return
        if await refused_for_conflict(ctx, application, Capacity.ASSESSOR, assessor, back=ASSIGN):
            return
        ctx.goto(INPUT, {"app": app_id, "action": "starts_at", "assessor": assessor})


class PanelStep:
    """The appeal's panel member: anyone of staff or the assessors not involved in what is
    appealed — never the candidate, the case's assessor or who recorded the decision (9.9.4)."""

    name = PANEL
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        application = await ctx.uow.applications.get(application_id(ctx))
        excluded = (
            involved_in_decision(application) | {application.person_id} if application else set()
        )
        people = {
            pid: name
            for role in ("staff", "assessor")
            for pid, name in await ctx.uow.roles.people_with(role)
            if pid not in excluded
        }
        return [
            *(Option(f"{PREFIX}member:{pid}", name) for pid, name in people.items()),
            Option(f"{PREFIX}back", ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("staff.choose_panel"), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        member = await _picked_person(ctx, event, "member", "assign_panel")
        if member is None:
            return
        app_id = application_id(ctx)
        application = await in_state(ctx, A.UNDER_APPEAL)
        if application is None:
            return
        if await refused_for_conflict(ctx, application, Capacity.PANEL, member, back=PANEL):
            return
        state = APPEAL.apply(
            AppealState(str(application.appeal["state"])), "assign_panel", Actor.STAFF
        )
        await ctx.uow.applications.update(
            app_id, appeal={**application.appeal, "panel": member, "state": str(state)}
        )
        ctx.say(Text(ctx.t("staff.panel_assigned")))
        ctx.goto(REVIEW, {"app": app_id})


class StaffInputStep:
    """The typed part of a staff action: schedule, TUK, meeting record, certificate number,
    the appeal panel's note."""

    name = INPUT
    accepts: frozenset[type[StepInput]] = frozenset({TextIn, OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(f"{PREFIX}back", ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t(QUESTIONS[str(ctx.data["action"])]), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        app_id = application_id(ctx)
        if isinstance(event, OptionIn):
            ctx.goto(REVIEW, {"app": app_id})
            return
        assert isinstance(event, TextIn)
        typed = event.text.strip()[:200]
        action = str(ctx.data["action"])
        if not await allowed(ctx, action, f"application:{app_id}"):
            return
        states = STATE_OF_ACTION.get(action, (A.ACCEPTED,))
        application = await in_state(ctx, *states)
        if application is None:
            return
        if action == "starts_at":
            starts_at = _parse_local(typed, ctx.person.timezone)
            if starts_at is None or starts_at <= ctx.now():
                ctx.say(Text(ctx.t("staff.bad_schedule")))
                await ctx.show_current()
                return
            ctx.goto(INPUT, {**ctx.data, "action": "place", "starts_at": starts_at.isoformat()})
        elif action == "place":
            await _assign(ctx, application, typed)
        elif action in {"decide_competent", "decide_not_yet"}:
            await _decide(ctx, application, action, typed)
        elif action == "issue_certificate":
            await _certify(ctx, application, typed)
        else:
            await _appeal_decision(ctx, application, action, typed)


def _parse_local(typed: str, zone: str) -> datetime | None:
    """``DD-MM-YYYY HH:MM`` in the staff member's zone, as UTC."""
    try:
        local = datetime.strptime(typed, "%d-%m-%Y %H:%M")  # noqa: DTZ007  (zone added below)
    except ValueError:
        return None
    return local.replace(tzinfo=ZoneInfo(zone))


async def _done(ctx: Context, application: ApplicationRecord, action: str, key: str) -> None:
    await ctx.uow.audit.record(
        ctx.person.id, ctx.channel, action, f"application:{application.id}", allowed=True
    )
    ctx.say(Text(ctx.t(key, reference=application.reference)))
    ctx.goto(QUEUE)


async def _assign(ctx: Context, application: ApplicationRecord, place: str) -> None:
    state = await transition(ctx, application, "assign_assessor")
    if state is None:
        return
    assessor = int(str(ctx.data["assessor"]))
    starts_at = str(ctx.data["starts_at"])
    assessment = {"assessor": assessor, "starts_at": starts_at, "place": place, "units": {}}
    await ctx.uow.applications.update(application.id, state=state, assessment=assessment)
    reference = application.reference or ""
    params = {
        "reference": reference,
        "candidate": await ctx.uow.applications.applicant_name(application.id) or "—",
        "units": ", ".join(unit.code for unit in ctx.services.scheme.units),
        "starts_at": starts_at,
        "place": place,
    }
    await ctx.uow.outbox.schedule(
        assessor, "assessor_assignment", params, ctx.now(),
        f"assessor_assignment:{reference}:{assessor}:{starts_at}",
    )  # fmt: skip
    await _done(ctx, application, "assign_assessor", "staff.assigned")


async def _decide(ctx: Context, application: ApplicationRecord, action: str, record: str) -> None:
    state = await transition(ctx, application, action)
    if state is None:
        return
    now = ctx.now()
    rules = ctx.services.scheme.rules
    zone = await candidate_zone(ctx, application)
    planned = schedule.decision(application.reference or "", state, now, rules, zone)
    deadline = planned[0].notice.params["appeal_until_at"]
    decision = {
        "result": state,
        "record": record,
        "decided_at": now.isoformat(),
        "appeal_until": deadline,
        "by": ctx.person.id,  # excluded from the appeal panel (9.9.4)
    }
    await ctx.uow.applications.update(application.id, state=state, decision=decision)
    for item in planned:
        await notify(ctx, application, item)
    await _done(ctx, application, action, "staff.decided")


async def _certify(ctx: Context, application: ApplicationRecord, number: str) -> None:
    rules = ctx.services.scheme.rules
    issued_on = local_date(ctx.now(), ZoneInfo(rules.timezone))
    expires_on = certificate_expiry(issued_on, rules)
    if not await ctx.uow.certificates.issue(
        application.id, application.person_id, number, issued_on, expires_on
    ):
        ctx.say(Text(ctx.t("staff.certificate_taken", number=number)))
        await ctx.show_current()
        return
    state = await transition(ctx, application, "issue_certificate")
    if state is None:
        return
    await ctx.uow.applications.update(application.id, state=state)
    if application.renews:
        await _replace(ctx, application.renews)
    zone = await candidate_zone(ctx, application)
    for item in schedule.certificate(number, issued_on, zone, rules, ctx.now()):
        await notify(ctx, application, item)
    await _done(ctx, application, "issue_certificate", "staff.certified")


async def _replace(ctx: Context, number: str) -> None:
    """9.7.4: the renewed certificate gives way to the new one; its reminders stop."""
    renewed = await ctx.uow.certificates.get(number, lock=True)
    if renewed is None:
        return
    try:
        state = CERTIFICATE.apply(CertificateState(renewed.state), "renew", Actor.STAFF)
    except TransitionError:
        return  # frozen, revoked or expired meanwhile: it stays as it is
    await ctx.uow.certificates.update(number, state=str(state))
    await ctx.uow.outbox.cancel(f"certificate:{number}")
    await ctx.uow.outbox.cancel(f"renewal:{number}")


async def _appeal_decision(
    ctx: Context, application: ApplicationRecord, action: str, note: str
) -> None:
    """9.9.7: the panel's decision is binding; granted means a new assessment."""
    try:
        appeal_state = APPEAL.apply(
            AppealState(str(application.appeal.get("state"))),
            "grant" if action == "appeal_granted" else "dismiss",
            Actor.STAFF,
        )
    except (TransitionError, ValueError):
        ctx.say(Text(ctx.t("staff.panel_first")))
        ctx.goto(REVIEW, {"app": application.id})
        return
    state = await transition(ctx, application, action)
    if state is None:
        return
    appeal = {
        **application.appeal, "state": str(appeal_state), "note": note,
        "decided_at": ctx.now().isoformat(),
    }  # fmt: skip
    await ctx.uow.applications.update(application.id, state=state, appeal=appeal)
    await ctx.uow.outbox.cancel(f"appeal:{application.reference}")
    outcome = "granted" if action == "appeal_granted" else "dismissed"
    await notify(
        ctx,
        application,
        schedule.appeal_decided(application.reference or "", outcome, note, ctx.now()),
    )
    await _done(ctx, application, action, "staff.appeal_decided")
