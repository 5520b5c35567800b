"""The candidate's appeal (9.9.1–9.9.3): ``/banding`` while the window after a "not yet
competent" decision is open takes the reasons as the appeal form, then supporting documents if
the candidate has any, and on "send" files it and confirms receipt with the decision due date
(20 working days, 9.9.6); after the window the bot says so, and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain import schedule
from domain.notices import format_day
from domain.ports import ApplicationRecord
from handlers.application import current_application, local_time
from handlers.calendar import work_calendar
from handlers.conversation import MENU, Context, StepInput, choice
from handlers.evidence import erase_objects, receive_document
from handlers.messages import (
    CommandIn,
    FileIn,
    Option,
    OptionIn,
    Outbound,
    RequestFile,
    Text,
    TextIn,
)
from handlers.staff_common import notify, transition
from scheme.deadlines import appeal_decision_due
from scheme.lifecycle import Actor, ApplicationState
from scheme.model import Evidence

APPEAL = "appeal"
APPEAL_FILES = "appeal_files"


async def _open_window(ctx: Context) -> ApplicationRecord | None:
    """The application whose appeal window is open now, or None (and why)."""
    current = await current_application(ctx)
    # locked: the worker closing a lapsed window (handlers/lapses.py) waits, or is waited for
    application = await ctx.uow.applications.get(current.id, lock=True) if current else None
    if application is None or application.state != ApplicationState.DECIDED_NOT_YET:
        ctx.say(Text(ctx.t("appeal.nothing")))
        return None
    deadline = datetime.fromisoformat(str(application.decision["appeal_until"]))
    if ctx.now() > deadline:
        ctx.say(Text(ctx.t("appeal.closed", deadline=local_time(ctx, deadline))))
        return None
    return application


async def start_appeal(ctx: Context, command: CommandIn) -> None:
    """``/banding``."""
    if await _open_window(ctx) is not None:
        ctx.goto(APPEAL)
    else:
        await ctx.show_current()


class AppealStep:
    """The reasons of the appeal, in the candidate's words."""

    name = APPEAL
    accepts: frozenset[type[StepInput]] = frozenset({TextIn, OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("cancel", ctx.t("common.cancel"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await current_application(ctx)
        deadline = (
            datetime.fromisoformat(str(application.decision["appeal_until"]))
            if application is not None and application.decision.get("appeal_until")
            else ctx.now()
        )
        return [
            choice(ctx.t("appeal.ask", deadline=local_time(ctx, deadline)), await self.options(ctx))
        ]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        if isinstance(event, OptionIn):
            ctx.goto(MENU)
            return
        assert isinstance(event, TextIn)
        if await _open_window(ctx) is None:
            ctx.goto(MENU)
            return
        ctx.goto(APPEAL_FILES, {"reasons": event.text.strip()[:2000], "docs": []})


class AppealFilesStep:
    """Supporting documents, if any (9.9.3), then "send": the appeal is filed only now, and
    only while the window is still open."""

    name = APPEAL_FILES
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn, FileIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            Option("send", ctx.t("appeal.send")),
            Option("cancel", ctx.t("common.cancel")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        max_bytes = ctx.services.max_upload_bytes
        item = appeal_evidence(ctx)
        return [
            choice(
                ctx.t("appeal.files", count=len(_draft_documents(ctx)), max=item.max),
                await self.options(ctx),
            ),
            RequestFile(
                ctx.t("evidence.send", kinds="PDF/JPG/PNG", max_mb=max_bytes // (1024 * 1024)),
                accept=tuple(item.kinds),
                max_bytes=max_bytes,
            ),
        ]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        application = await _open_window(ctx)
        if application is None:  # the window closed meanwhile: nothing of it stays
            await _forget_documents(ctx, await current_application(ctx))
            ctx.goto(MENU)
            return
        if isinstance(event, FileIn):
            every = await ctx.uow.applications.documents(application.id)
            stored = await receive_document(ctx, application.id, appeal_evidence(ctx), every, event)
            if stored is not None:
                ctx.data["docs"] = [*_draft_documents(ctx), stored.id]
            await ctx.show_current()
            return
        assert isinstance(event, OptionIn)
        if event.option_id == "cancel":
            await _forget_documents(ctx, application)
            ctx.say(Text(ctx.t("cancel.done")))
            ctx.goto(MENU)
            return
        await _file(ctx, application)


def appeal_evidence(ctx: Context) -> Evidence:
    """What an appeal may carry (9.9.3): up to five documents of the usual kinds."""
    label = {
        locale: ctx.translator.translate(locale, "appeal.documents") for locale in ("id", "en")
    }
    return Evidence.model_validate(
        {"id": "appeal", "clause": "9.9.3", "kinds": ["pdf", "jpeg", "png"], "min": 0, "max": 5,
         "label": label}
    )  # fmt: skip


def _draft_documents(ctx: Context) -> list[str]:
    docs = ctx.data.get("docs")
    return [str(d) for d in docs] if isinstance(docs, list) else []


async def _forget_documents(ctx: Context, application: ApplicationRecord | None) -> None:
    """An appeal not filed leaves none of its documents behind."""
    if application is None:
        return
    keys = []
    for document_id in _draft_documents(ctx):
        removed = await ctx.uow.applications.remove_document(application.id, document_id)
        if removed is not None:
            keys.append(removed.object_key)
    await erase_objects(ctx, keys)


async def _file(ctx: Context, application: ApplicationRecord) -> None:
    state = await transition(ctx, application, "appeal", Actor.CANDIDATE)
    if state is None:
        return
    now = ctx.now()
    rules = ctx.services.scheme.rules
    calendar = await work_calendar(ctx)
    due = appeal_decision_due(now, rules, calendar)
    reference = application.reference or ""
    appeal = {
        "state": "filed", "reasons": str(ctx.data.get("reasons", "")), "filed_at": now.isoformat(),
        "due_on": due.isoformat(), "documents": _draft_documents(ctx),
    }  # fmt: skip
    await ctx.uow.applications.update(application.id, state=state, appeal=appeal)
    await ctx.uow.outbox.cancel(f"appeal_window:{reference}")  # no "appeal closes soon"
    await notify(ctx, application, schedule.appeal_received(reference, now, rules, calendar))
    for warning in schedule.appeal_staff_warnings(reference, now, rules, calendar):
        for staff, _ in await ctx.uow.roles.people_with("staff"):
            notice = warning.notice
            await ctx.uow.outbox.schedule(
                staff, notice.kind, notice.params, warning.due_at,
                f"{warning.dedupe_key}:{staff}", subject=warning.subject,
            )  # fmt: skip
    ctx.say(Text(ctx.t("appeal.received", due=format_day(due, ctx.locale))))
    ctx.goto(MENU)
