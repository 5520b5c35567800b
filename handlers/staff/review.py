"""Staff's review of submitted applications (9.1.5–9.1.6): the queue, one application at a
time, a verdict per evidence item, then accept, send back for fixes, or reject.

Every step checks the person's role on the server each time (a role revoked mid-review stops
the next press) and writes the audit log, refused attempts included. Option ids of staff steps
start with ``s:`` so that a forged staff button pressed anywhere else is recognised, refused
with "not available" and logged (see :func:`refuse_forged`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.application import evidence_counts, plan_of, route_of
from domain.notices import format_day
from domain.parts import Mark
from domain.ports import ApplicationRecord, QueueEntry
from handlers.candidate.apl02 import answer_lines
from handlers.candidate.application import local_time
from handlers.conversation import MENU, Context, StepData, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text, TextIn
from handlers.staff import decisions
from handlers.staff.calendar import unlisted_note, work_calendar
from handlers.staff.common import (
    APPLICATION,
    DOCUMENT,
    QUEUE,
    REVIEW,
    OnApplication,
    Privileged,
    StaffOption,
    allowed,
    application_id,
    document_options,
    in_state,
    option_kind,
    refused_for_conflict,
    say_refused,
    send_document,
)
from scheme.deadlines import WorkCalendar, local_date
from scheme.impartiality import Capacity
from scheme.lifecycle import ApplicationState
from usecases import review
from usecases.access import Refused
from usecases.decisions import Outcome

A = ApplicationState
WAITING_FOR_STAFF = (
    A.SUBMITTED, A.ACCEPTED, A.RECOMMENDED_K, A.RECOMMENDED_BK, A.DECIDED_COMPETENT,
    A.UNDER_APPEAL,
)  # fmt: skip
"""States in which an application waits for staff, in the order of the lifecycle."""

FILTERS: dict[str, tuple[str, ...]] = {
    "all": WAITING_FOR_STAFF,
    "new": (A.SUBMITTED,),
    "accepted": (A.ACCEPTED,),
    "recommended": (A.RECOMMENDED_K, A.RECOMMENDED_BK),
    "decided": (A.DECIDED_COMPETENT,),
    "appeals": (A.UNDER_APPEAL,),
}
"""The queue's filters: what waits for staff at each stage (9.1.5, 9.2.2, 9.4, 9.4.6, 9.9)."""

ITEM = StepName("staff_item")
REASON = StepName("staff_reason")
QUEUE_SIZE = 30
FILTER = Privileged("filter", str)
EVIDENCE = Privileged("item", str)
MARK = Privileged("mark", Mark)
MARKS = tuple(Mark)
"""9.1.5: ada – memenuhi syarat; ada – tidak memenuhi syarat; tidak ada."""
ICONS = {Mark.OK: "✅", Mark.NOT_OK: "❌", Mark.MISSING: "⛔", None: "⏳"}


class Stage(StepData):
    """The queue's filter: one of :data:`FILTERS`."""

    stage: str = "all"


class OnItem(OnApplication):
    """One evidence item of the application on screen."""

    item: str


class ReasonFor(StrEnum):
    """What a typed reason is for: an item that does not meet its requirement, or a
    rejection (9.1.6)."""

    NOT_OK = "not_ok"
    REJECT = "reject"


class Reasoning(OnApplication):
    action: ReasonFor
    item: str = ""


async def open_queue(ctx: Context, command: CommandIn) -> None:
    """``/antrian``: the queue of submitted applications (staff only)."""
    if await allowed(ctx, "view_queue"):
        ctx.goto(QUEUE)


@dataclass(frozen=True, slots=True)
class _QueueView:
    """What one render of the queue shows, read once (issue 15: the lines, their names, the
    counts and the appeals used to be read two or three times, one query per name)."""

    chosen: str
    entries: Sequence[QueueEntry]
    counts: Mapping[str, int]
    appeals: Sequence[QueueEntry]


class QueueStep:
    """Applications waiting for staff, the longest waiting first, filtered by stage; appeals
    show their decision due date and the working days left (9.9.6)."""

    name = QUEUE

    def _filter(self, ctx: Context) -> str:
        chosen = ctx.read(Stage).stage
        return chosen if chosen in FILTERS else "all"

    async def _view(self, ctx: Context) -> _QueueView:
        chosen = self._filter(ctx)
        applications = ctx.uow.applications
        entries = await applications.queue(FILTERS[chosen], QUEUE_SIZE)
        appeals: Sequence[QueueEntry] = ()
        if chosen == "appeals":
            appeals = entries
        elif chosen == "all":
            appeals = await applications.queue((A.UNDER_APPEAL,), QUEUE_SIZE)
        counts = await applications.count_by_state(WAITING_FOR_STAFF)
        return _QueueView(chosen, entries, counts, appeals)

    def _options(self, ctx: Context, view: _QueueView) -> list[Option]:
        options = []
        for entry in view.entries:
            # a button's label: the short day, the month in words (one reading everywhere)
            if entry.state == A.UNDER_APPEAL and entry.appeal_due_on is not None:
                when = "⏳ " + format_day(entry.appeal_due_on, ctx.locale, short=True)
            elif entry.submitted_at is not None:
                local = entry.submitted_at.astimezone(ZoneInfo(ctx.person.timezone)).date()
                when = format_day(local, ctx.locale, short=True)
            else:
                when = ""
            label = f"{entry.reference} · {entry.applicant_name or '—'} · {when}"
            options.append(Option(APPLICATION.id(entry.id), label))
        filters = [
            Option(
                FILTER.id(key),
                ctx.t(f"staff.filter.{key}", count=sum(view.counts.get(s, 0) for s in states)),
            )
            for key, states in FILTERS.items()
            if key != view.chosen
        ]
        return [*options, *filters, Option(StaffOption.MENU, ctx.t("common.menu"))]

    async def options(self, ctx: Context) -> Sequence[Option]:
        return self._options(ctx, await self._view(ctx))

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        view = await self._view(ctx)
        title = ctx.t(f"staff.filter.{view.chosen}", count=len(view.entries))
        lines = [ctx.t("staff.queue" if view.entries else "staff.queue_empty", filter=title)]
        if view.appeals:
            calendar = await work_calendar(ctx)  # once for every appeal listed
            lines += [f"• {a.reference}: {_appeal_due(ctx, a, calendar)}" for a in view.appeals]
        return [choice("\n".join(lines), self._options(ctx, view))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.MENU:
            ctx.goto(MENU)
            return
        if (chosen := FILTER.read(event.option_id)) is not None:
            ctx.goto(QUEUE, Stage(stage=chosen))
            return
        target = APPLICATION.read(event.option_id)
        if target is None or not await allowed(ctx, "view_application", f"application:{target}"):
            return
        application = await ctx.uow.applications.get(target)
        if application is not None and await refused_for_conflict(ctx, application, Capacity.STAFF):
            return
        ctx.goto(REVIEW, OnApplication(app=target))


def _appeal_due(ctx: Context, entry: QueueEntry, calendar: WorkCalendar) -> str:
    """The appeal's decision due date (9.9.6) and how many working days are left, with a
    warning when a year of the count has no cuti bersama list yet."""
    due = entry.appeal_due_on
    if due is None:
        return ""
    rules = ctx.services.scheme.rules
    today = local_date(ctx.now(), ZoneInfo(rules.timezone))
    left = calendar.working_days_between(today, due)
    key = "staff.appeal_due" if left >= 0 else "staff.appeal_overdue"
    line = ctx.t(key, due=format_day(due, ctx.locale), days=abs(left))
    filed = entry.appeal_filed_at
    start = local_date(filed, ZoneInfo(rules.timezone)) if filed else today
    note = unlisted_note(ctx, calendar, start, due)
    return f"{line}\n{note}" if note else line


class ReviewStep:
    """One application: APL-01, APL-02 and the evidence items with their verdicts."""

    name = REVIEW

    async def options(self, ctx: Context) -> Sequence[Option]:
        application = await ctx.uow.applications.get(application_id(ctx))
        back = Option(StaffOption.QUEUE, ctx.t("staff.back_to_queue"))
        if application is None:
            return [back]
        if application.state != A.SUBMITTED:
            appeal_documents = [
                d for d in await ctx.uow.applications.documents(application.id)
                if d.evidence_id == "appeal" and application.state == A.UNDER_APPEAL
            ]  # fmt: skip
            return [
                *document_options(appeal_documents),
                *decisions.later_options(ctx, application),
                back,
            ]
        plan = plan_of(ctx.services.scheme, application)
        counts = evidence_counts(plan, await ctx.uow.applications.documents(application.id))
        items = [
            Option(
                EVIDENCE.id(n.id),
                f"{ICONS[review.mark_of(application, n.id)]} {n.evidence.label.get(ctx.locale)}"
                f" ({counts[n.id]})",
            )
            for n in plan
        ]
        return [
            *items,
            Option(StaffOption.ACCEPT, ctx.t("staff.accept")),
            Option(StaffOption.SEND_BACK, ctx.t("staff.send_back")),
            Option(StaffOption.REJECT, ctx.t("staff.reject")),
            back,
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await ctx.uow.applications.get(application_id(ctx))
        if application is None:
            return [choice(ctx.t("staff.already_handled"), await self.options(ctx))]
        return [choice(await summary(ctx, application), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == StaffOption.QUEUE:
            ctx.goto(QUEUE)
            return
        if event.option_id in {StaffOption.ACCEPT, StaffOption.SEND_BACK}:
            await _verdict(ctx, StaffOption(event.option_id))  # the verb checks it all
            return
        target = f"application:{application_id(ctx)}"
        kind = option_kind(event.option_id)
        if not await allowed(ctx, f"review_{kind}", target):
            return
        if DOCUMENT.read(event.option_id) is not None:  # a document of the appeal (9.9.3)
            application = await ctx.uow.applications.get(application_id(ctx))
            if application is not None:
                await send_document(ctx, application, event.option_id)
            await ctx.show_current()
            return
        later = decisions.STATE_OF_ACTION.get(decisions.ACTION.read(event.option_id) or kind)
        application = await in_state(ctx, *(later or (A.SUBMITTED,)))
        if application is None:
            return
        if later is not None:
            await decisions.start(ctx, application, event.option_id)
        elif (item := EVIDENCE.read(event.option_id)) is not None:
            ctx.goto(ITEM, OnItem(app=application.id, item=item))
        elif event.option_id == StaffOption.REJECT:
            ctx.goto(REASON, Reasoning(app=application.id, action=ReasonFor.REJECT))


async def summary(ctx: Context, application: ApplicationRecord) -> str:
    """What staff read before deciding: who, which route, APL-01, and APL-02 per element with
    where each element's text comes from."""
    apl01 = application.apl01
    documents = await ctx.uow.applications.documents(application.id)
    lines = [
        ctx.t("staff.review_title", reference=application.reference or "—"),
        ctx.t(
            "staff.review_who", name=apl01.get("full_name", "—"), nik=apl01.get("id_number", "—")
        ),
        ctx.t(
            "staff.review_route",
            route=route_of(ctx.services.scheme, application).label.get(ctx.locale),
        ),
        ctx.t("staff.review_apl02"),
        *answer_lines(ctx, application, documents, provenance=True),
    ]
    if application.submitted_at is not None:
        lines.append(ctx.t("status.submitted_at", when=local_time(ctx, application.submitted_at)))
    lines.append(ctx.t("status.state", state=ctx.t(f"state.{application.state}")))
    lines += decisions.details(ctx, application)
    if application.state == A.SUBMITTED:
        lines.append(ctx.t("staff.review_hint"))
    return "\n".join(lines)


async def _verdict(ctx: Context, verdict: StaffOption) -> None:
    """Accept (9.1.6) or send back (9.1.5) the application on screen."""
    app_id = application_id(ctx)
    if verdict is StaffOption.ACCEPT:
        done = await review.accept(ctx.uow, ctx.services, ctx.caller, app_id)
        await _reviewed(ctx, done, "staff.accepted")
        return
    done = await review.send_back(
        ctx.uow, ctx.services, ctx.caller, app_id, word=lambda problems: _reasons(ctx, problems)
    )
    await _reviewed(ctx, done, "staff.sent_back")


async def _reviewed(ctx: Context, done: Outcome, key: str) -> None:
    """A review verb's outcome: back to the queue once done, else why not."""
    if isinstance(done, Refused):
        await say_refused(ctx, done)
        return
    ctx.say(Text(ctx.t(key, reference=done.application.reference)))
    ctx.goto(QUEUE)


def _reasons(ctx: Context, problems: Sequence[review.Problem]) -> str:
    """The items sent back and why, for the candidate's notice."""
    return "\n".join(
        f"• {p.evidence.label.get(ctx.locale)}: "
        + (p.reason if p.mark is Mark.NOT_OK and p.reason else ctx.t(f"staff.mark.{p.mark}"))
        for p in problems
    )


class ItemStep:
    """One evidence item: its documents and the verdict of 9.1.5."""

    name = ITEM

    async def options(self, ctx: Context) -> Sequence[Option]:
        item = ctx.read(OnItem).item
        documents = [
            d for d in await ctx.uow.applications.documents(application_id(ctx))
            if d.evidence_id == item
        ]  # fmt: skip
        return [
            *document_options(documents),
            *(Option(MARK.id(mark), ctx.t(f"staff.mark.{mark}")) for mark in MARKS),
            Option(StaffOption.BACK, ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await ctx.uow.applications.get(application_id(ctx))
        item_id = ctx.read(OnItem).item
        if application is None:
            return [choice(ctx.t("staff.already_handled"), await self.options(ctx))]
        need = next((n for n in plan_of(ctx.services.scheme, application) if n.id == item_id), None)
        if need is None:
            return [choice(ctx.t("staff.already_handled"), await self.options(ctx))]
        evidence = need.evidence
        documents = [
            d for d in await ctx.uow.applications.documents(application.id)
            if d.evidence_id == item_id
        ]  # fmt: skip
        lines = [ctx.t("staff.item_title", item=evidence.label.get(ctx.locale), need=need.min)]
        lines += [
            f"{n}. {d.file_name} ({d.mime_type}, {d.size // 1024} KB)"
            + (f" ⚠️ {', '.join(ctx.t(w) for w in d.warnings)}" if d.warnings else "")
            for n, d in enumerate(documents, 1)
        ] or [ctx.t("staff.item_none")]
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        app_id = application_id(ctx)
        if event.option_id == StaffOption.BACK:
            ctx.goto(REVIEW, OnApplication(app=app_id))
            return
        if DOCUMENT.read(event.option_id) is not None:
            if not await allowed(ctx, "open_document", f"application:{app_id}"):
                return
            application = await ctx.uow.applications.get(app_id)
            if application is not None:
                await send_document(ctx, application, event.option_id)
            await ctx.show_current()
            return
        mark = MARK.read(event.option_id)
        if mark is None:
            return
        item = ctx.read(OnItem).item
        if mark is Mark.NOT_OK:  # the reason first (the verb checks everything again with it)
            if await allowed(ctx, "mark_not_ok", f"application:{app_id}:{item}"):
                ctx.goto(REASON, Reasoning(app=app_id, item=item, action=ReasonFor.NOT_OK))
            return
        done = await review.mark_item(
            ctx.uow, ctx.services, ctx.caller, app_id, item=item, mark=mark
        )
        if isinstance(done, Refused):
            await say_refused(ctx, done)
            return
        ctx.goto(REVIEW, OnApplication(app=app_id))


class ReasonStep:
    """The reason for a "does not meet the requirement" verdict, or for a rejection."""

    name = REASON

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(StaffOption.BACK, ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        rejecting = ctx.read(Reasoning).action is ReasonFor.REJECT
        key = "staff.reject_reason" if rejecting else "staff.item_reason"
        return [choice(ctx.t(key), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        app_id = application_id(ctx)
        ctx.goto(REVIEW, OnApplication(app=app_id))

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        app_id = application_id(ctx)
        reason = event.text.strip()[:300]
        uow, services, who = ctx.uow, ctx.services, ctx.caller
        data = ctx.read(Reasoning)
        if data.action is ReasonFor.NOT_OK:
            item = data.item
            done = await review.mark_item(
                uow, services, who, app_id, item=item, mark=Mark.NOT_OK, reason=reason
            )
            if isinstance(done, Refused):
                await say_refused(ctx, done)
                return
            ctx.goto(REVIEW, OnApplication(app=app_id))
            return
        await _reviewed(
            ctx, await review.reject(uow, services, who, app_id, reason), "staff.rejected"
        )
