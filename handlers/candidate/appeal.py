"""The candidate's appeal (9.9.1–9.9.3): ``/banding`` while the window after a "not yet
competent" decision is open takes the reasons as the appeal form, then supporting documents if
the candidate has any, and on "send" files it and confirms receipt with the decision due date
(20 working days, 9.9.6); after the window the bot says so, and why.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.notices import format_day
from domain.ports import ApplicationRecord
from handlers.candidate.application import current_application, local_time
from handlers.candidate.evidence import erase_objects, receive_document
from handlers.conversation import MENU, Context, StepData, StepName, choice
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
from scheme.model import Evidence
from usecases import appeals
from usecases.access import Refused
from usecases.appeals import WindowClosed

APPEAL = StepName("appeal")
APPEAL_FILES = StepName("appeal_files")


class AppealDraft(StepData):
    """An appeal not yet filed: its reasons and the documents sent with it so far (9.9.3)."""

    reasons: str
    docs: tuple[str, ...] = ()


async def _open_window(ctx: Context) -> ApplicationRecord | None:
    """The application whose appeal window is open now, or None (and why)."""
    found = await appeals.open_window(ctx.uow, ctx.services, ctx.caller)
    if not isinstance(found, Refused):
        return found
    _say_why(ctx, found)
    return None


def _say_why(ctx: Context, refused: Refused) -> None:
    """Why there is no appeal to make: the window's end (9.9.2), or no decision to appeal."""
    if isinstance(refused, WindowClosed) and refused.deadline is not None:
        ctx.say(Text(ctx.t("appeal.closed", deadline=local_time(ctx, refused.deadline))))
    else:
        ctx.say(Text(ctx.t("appeal.nothing")))


async def start_appeal(ctx: Context, command: CommandIn) -> None:
    """``/banding``."""
    if await _open_window(ctx) is not None:
        ctx.goto(APPEAL)
    else:
        await ctx.show_current()


class AppealStep:
    """The reasons of the appeal, in the candidate's words."""

    name = APPEAL

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("cancel", ctx.t("common.cancel"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await current_application(ctx)
        deadline = (application and appeals.appeal_until(application)) or ctx.now()
        return [
            choice(ctx.t("appeal.ask", deadline=local_time(ctx, deadline)), await self.options(ctx))
        ]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(MENU)

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        if await _open_window(ctx) is None:
            ctx.goto(MENU)
            return
        reasons = event.text.strip()[: appeals.REASONS_LENGTH]
        ctx.goto(APPEAL_FILES, AppealDraft(reasons=reasons))


class AppealFilesStep:
    """Supporting documents, if any (9.9.3), then "send": the appeal is filed only now, and
    only while the window is still open."""

    name = APPEAL_FILES

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

    async def _still_open(self, ctx: Context) -> ApplicationRecord | None:
        application = await _open_window(ctx)
        if application is None:  # the window closed meanwhile: nothing of it stays
            await _forget_documents(ctx)
            ctx.goto(MENU)
        return application

    async def on_file(self, ctx: Context, event: FileIn) -> None:
        application = await self._still_open(ctx)
        if application is None:
            return
        stored = await receive_document(ctx, application.id, appeal_evidence(ctx), event)
        if stored is not None:
            draft = ctx.read(AppealDraft)
            ctx.keep(AppealDraft(reasons=draft.reasons, docs=(*draft.docs, stored.id)))
        await ctx.show_current()

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == "cancel":
            if await self._still_open(ctx) is None:
                return
            await _forget_documents(ctx)
            ctx.say(Text(ctx.t("cancel.done")))
            ctx.goto(MENU)
            return
        filed = await appeals.file_appeal(
            ctx.uow, ctx.services, ctx.caller,
            reasons=ctx.read(AppealDraft).reasons, documents=_draft_documents(ctx),
        )  # fmt: skip
        if isinstance(filed, Refused):  # the window closed meanwhile: nothing of it stays
            _say_why(ctx, filed)
            await _forget_documents(ctx)
        else:
            ctx.say(
                Text(ctx.t("appeal.received", due=format_day(filed.decision_due_on, ctx.locale)))
            )
        ctx.goto(MENU)


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
    return list(ctx.read(AppealDraft).docs)


async def _forget_documents(ctx: Context) -> None:
    """An appeal not filed leaves none of its documents behind."""
    keys = await appeals.forget_documents(ctx.uow, ctx.services, ctx.caller, _draft_documents(ctx))
    await erase_objects(ctx, list(keys))
