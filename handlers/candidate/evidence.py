"""Evidence uploads (9.1.2) against a live checklist: ✅ / ⏳ per item the candidate's answers
ask for, the files of one item, a request for more, and removal (so a file can be replaced).
What happens to a sent file — its checks, the store, a file sent twice — is
``usecases/uploads.py``'s; this module words it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.application import evidence_counts, flagged, plan_of, present
from domain.parts import ItemVerdict
from domain.ports import DocumentRecord
from handlers.candidate.application import (
    CHECKLIST,
    EVIDENCE_ITEM,
    HUB,
    ItemAsked,
    editable_application,
    next_part,
    staff_reason,
)
from handlers.conversation import Context, choice
from handlers.messages import FileIn, Option, OptionIn, Outbound, RequestFile, Text
from scheme.evidence import Basis, Need
from scheme.model import Evidence
from usecases import drafting, uploads
from usecases.access import Refused
from usecases.uploads import NotStored, NotStoredWhy, Upload

ITEM = EVIDENCE_ITEM
KIND_NAMES = {"pdf": "PDF", "jpeg": "JPG", "png": "PNG"}


async def erase_objects(
    ctx: Context, keys: Sequence[str], said: Callable[[bool], str] | None = None
) -> None:
    """The one way bytes leave the store: queued with this transaction, deleted once it is
    committed, retried by the worker while the store refuses; ``said`` words the reply from
    whether they are really gone, so the person is told the truth."""
    if not keys:
        return
    await uploads.request_erasure(ctx.uow, ctx.services, keys)
    eraser = ctx.services.eraser
    if said is None:

        async def erase() -> None:
            await eraser.erase(keys)

        ctx.after_commit.append(erase)
        return

    async def word() -> Outbound:
        return Text(said(await eraser.erase(keys)))

    ctx.say_after_commit(word)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def count_text(ctx: Context, need: Need, have: int) -> str:
    if need.min == 0:
        return ctx.t("evidence.count_optional", have=have)
    return ctx.t("evidence.count", have=have, need=need.min)


def basis_lines(ctx: Context, need: Need) -> list[str]:
    """Why the item takes the count it does, in the candidate's words, with its clause."""
    item = need.evidence
    lines: list[str] = []
    if need.basis == Basis.PARTIAL:
        key = "evidence.partial" if need.min else "evidence.partial_none"
        lines.append(ctx.t(key, clause=need.clause, need=need.min, full=item.min))
    if need.alternative is not None and need.alternatives > 1:
        lines.append(
            ctx.t(
                "evidence.alternative",
                n=need.alternative,
                total=need.alternatives,
                clause=", ".join(item.proves),
            )
        )
    if item.note is not None:
        lines.append(item.note.get(ctx.locale))
    return lines


class ChecklistStep:
    """✅ done / ⏳ missing for every piece of evidence the candidate's answers ask for."""

    name = CHECKLIST

    async def _state(
        self, ctx: Context
    ) -> tuple[tuple[Need, ...], dict[str, int], dict[str, ItemVerdict]]:
        application = await ctx.uow.applications.current(ctx.person.id)
        if application is None:
            return (), {}, {}
        plan = plan_of(ctx.services.scheme, application)
        documents = await ctx.uow.applications.documents(application.id)
        return plan, evidence_counts(plan, documents), flagged(application)

    @staticmethod
    def _mark(need: Need, have: dict[str, int], sent_back: dict[str, ItemVerdict]) -> str:
        """❌ sent back and not yet changed (issue 16: it still showed ✅), ✅ enough, ⏳ not."""
        if need.id in sent_back:
            return "❌"
        return "✅" if need.done(have[need.id]) else "⏳"

    async def options(self, ctx: Context) -> Sequence[Option]:
        plan, have, sent_back = await self._state(ctx)
        return [
            *(
                Option(
                    need.id,
                    f"{self._mark(need, have, sent_back)} " + need.evidence.label.get(ctx.locale),
                    count_text(ctx, need, have[need.id]),
                )
                for need in plan
            ),
            Option("back", ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        plan, have, sent_back = await self._state(ctx)
        max_mb = ctx.services.max_upload_bytes // (1024 * 1024)
        lines = [ctx.t("evidence.title", max_mb=max_mb), ctx.t("evidence.vatm")]
        for need in plan:
            lines.append(
                f"{self._mark(need, have, sent_back)} {need.evidence.label.get(ctx.locale)}: "
                + count_text(ctx, need, have[need.id])
                + f" ({need.clause})"
            )
            if need.id in sent_back:
                verdict = sent_back[need.id]
                reason = staff_reason(ctx, verdict.mark, verdict.reason)
                lines.append("   " + ctx.t("evidence.sent_back", reason=reason))
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        if event.option_id == "back":
            ctx.goto(HUB)
        else:
            ctx.goto(ITEM, ItemAsked(item=event.option_id))


class EvidenceItemStep:
    """One piece of evidence: what has been sent, a request for more, and removal."""

    name = ITEM

    async def _context(
        self, ctx: Context
    ) -> tuple[Need | None, list[DocumentRecord], Sequence[DocumentRecord]]:
        """The planned item, its documents, and every document of the application."""
        application = await ctx.uow.applications.current(ctx.person.id)
        if application is None:
            return None, [], []
        plan = plan_of(ctx.services.scheme, application)
        item = ctx.read(ItemAsked).item
        need = next((n for n in plan if n.id == item), None)
        every = await ctx.uow.applications.documents(application.id)
        mine = [d for d in every if need is not None and d.evidence_id == need.id]
        return need, mine, every

    async def options(self, ctx: Context) -> Sequence[Option]:
        _, documents, _ = await self._context(ctx)
        return [
            *(
                Option(f"rm:{d.id}", ctx.t("evidence.remove", n=n, name=d.file_name))
                for n, d in enumerate(documents, 1)
            ),
            Option("back", ctx.t("evidence.back_to_checklist")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        need, documents, _ = await self._context(ctx)
        if need is None:
            return [Text(ctx.t("evidence.unknown_item"))]
        item = need.evidence
        kept = len(present(documents))  # a lost one is to be replaced
        kinds = "/".join(KIND_NAMES[k] for k in item.kinds)
        max_bytes = ctx.services.max_upload_bytes
        guided = [ctx.t("evidence.guided")] if ctx.read(ItemAsked).guided else []
        lines = [
            *guided,
            f"{item.label.get(ctx.locale)} ({item.clause})",
            *basis_lines(ctx, need),
            count_text(ctx, need, kept)
            + (ctx.t("evidence.max", max=item.max) if item.max > need.min else ""),
            *(
                f"{n}. {d.file_name} ({size_text(d.size)})"
                + (f" — ❗ {ctx.t('evidence.lost')}" if d.lost_at else "")
                for n, d in enumerate(documents, 1)
            ),
        ]
        messages: list[Outbound] = [choice("\n".join(lines), await self.options(ctx))]
        if kept < item.max:
            hint = ctx.t("evidence.send", kinds=kinds, max_mb=max_bytes // (1024 * 1024))
            if item.photo_3x4_red:
                hint += "\n" + ctx.t("evidence.photo_hint")
            messages.append(RequestFile(hint, accept=tuple(item.kinds), max_bytes=max_bytes))
        else:
            messages.append(Text(ctx.t("evidence.full", max=item.max)))
        return messages

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        application = await editable_application(ctx)
        need, _, _ = await self._context(ctx)
        if application is None:
            return
        if need is None:
            ctx.goto(CHECKLIST)
            return
        if event.option_id == "back":
            ctx.goto(CHECKLIST)
            return
        removed = await drafting.remove_document(
            ctx.uow, ctx.services, ctx.caller, application.id, event.option_id[3:]
        )
        if not isinstance(removed, Refused):
            name = removed.file_name
            await erase_objects(
                ctx,
                [removed.object_key],
                lambda gone: ctx.t(
                    "evidence.removed" if gone else "evidence.removed_later", name=name
                ),
            )
        await ctx.show_current()

    async def on_file(self, ctx: Context, event: FileIn) -> None:
        application = await editable_application(ctx)
        need, _, every = await self._context(ctx)
        if application is None:
            return
        if need is None:
            ctx.goto(CHECKLIST)
            return
        stored = await receive_document(ctx, application.id, need.evidence, event, every)
        kept = len(present([d for d in every if d.evidence_id == need.id])) + 1
        if stored is not None and ctx.read(ItemAsked).guided and need.done(kept):
            # enough for this item: straight on to the next one missing (issue 16)
            updated = await ctx.uow.applications.current(ctx.person.id)
            if updated is not None:
                ctx.goto(*await next_part(ctx, updated))
                return
        await ctx.show_current()


async def receive_document(
    ctx: Context,
    application_id: int,
    item: Evidence,
    event: FileIn,
    documents: Sequence[DocumentRecord] | None = None,
) -> DocumentRecord | None:
    """Store a sent file as a document of the application under ``item`` and say what became
    of it (None: refused, and why has been said)."""
    upload = Upload(event.open, event.file_name, event.size)
    stored = await uploads.store_document(
        ctx.uow, ctx.services, application_id, item, upload,
        on_rollback=ctx.on_rollback, documents=documents,
    )  # fmt: skip
    if isinstance(stored, NotStored):
        ctx.say(Text(_not_stored(ctx, stored, item)))
        return None
    ctx.say(Text(ctx.t("evidence.received", name=stored.file_name, size=size_text(stored.size))))
    for warning in stored.warnings:
        ctx.say(Text(ctx.t(warning)))
    if event.is_photo:
        ctx.say(Text(ctx.t("evidence.compressed_photo")))
    return stored


def _not_stored(ctx: Context, refused: NotStored, item: Evidence) -> str:
    max_mb = ctx.services.max_upload_bytes // (1024 * 1024)
    if refused.why is NotStoredWhy.REJECTED:
        kinds = "/".join(KIND_NAMES[k] for k in item.kinds)
        return ctx.t(refused.detail, max_mb=max_mb, kinds=kinds)
    if refused.why is NotStoredWhy.DUPLICATE:
        return ctx.t("evidence.duplicate", name=refused.detail)
    if refused.why is NotStoredWhy.FULL:
        return ctx.t("evidence.full", max=item.max)
    if refused.why is NotStoredWhy.TOO_LARGE:
        return ctx.t("file.too_large", max_mb=max_mb)
    return ctx.t("store.unavailable")
