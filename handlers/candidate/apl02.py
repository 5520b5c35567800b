"""FR.APL.02 Asesmen Mandiri (9.1.3) as BNSP's form asks it: unit by unit, one question per
element ("Dapatkah saya ...?") with the element's KUK listed beneath, answered K or BK; the
relevant evidence is optional ("jika ada"). Every answer is stored at once, so the form resumes
where it was left; once complete it can be reopened and any element changed until submit.

Each K / BK button carries the element it was sent for: a button of an earlier message never
answers the element now on screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import apl02_answers
from domain.ports import ApplicationRecord, DocumentRecord
from handlers.candidate.application import (
    CHECKLIST,
    HUB,
    QUESTION,
    current_application,
    editable_application,
)
from handlers.conversation import Context, StepName, choice
from handlers.messages import Option, OptionIn, Outbound, Text
from scheme.apl02 import Question, Verdict, check, questionnaire
from usecases import drafting
from usecases.access import Refused

EVIDENCE = StepName("apl02_evidence")


def _editing(ctx: Context) -> str | None:
    editing = ctx.data.get("edit")
    return editing if isinstance(editing, str) else None


def _current(
    questions: Sequence[Question], application: ApplicationRecord, editing: str | None
) -> Question | None:
    """The element being changed, else the first unanswered one."""
    if editing is not None:
        found = next((q for q in questions if q.ref == editing), None)
        if found is not None:
            return found
    return next((q for q in questions if q.ref not in application.apl02.answers), None)


def question_text(ctx: Context, questions: Sequence[Question], question: Question) -> str:
    units = list(dict.fromkeys(q.unit_code for q in questions))
    lines = [
        ctx.t("apl02.progress", n=questions.index(question) + 1, total=len(questions)),
        ctx.t(
            "apl02.unit",
            n=units.index(question.unit_code) + 1,
            total=len(units),
            code=question.unit_code,
            title=question.unit_title.get(ctx.locale),
        ),
        ctx.t(
            "apl02.element",
            n=question.element_number,
            title=question.element_title.get(ctx.locale),
        ),
        ctx.t("apl02.can_i", what=question.ask.get(ctx.locale)),
    ]
    if question.shown_kuk:
        lines.append(ctx.t("apl02.kuk_title"))
        lines += [f"• {k.number} {k.text.get(ctx.locale)}" for k in question.shown_kuk]
    return "\n".join(lines)


def _documents_named(documents: Sequence[DocumentRecord], ids: Sequence[str]) -> str:
    names = {d.id: d.file_name for d in documents}
    return ", ".join(names[i] for i in ids if i in names)


def answer_lines(
    ctx: Context,
    application: ApplicationRecord,
    documents: Sequence[DocumentRecord],
    *,
    provenance: bool = False,
) -> list[str]:
    """The one shape of APL-02 everyone reads (candidate, receipt, staff, assessor): per unit
    the K / BK count, per element the answer and its evidence. ``provenance`` adds where each
    element's and KUK's text comes from, for staff and assessors."""
    questions = questionnaire(ctx.services.scheme)
    answers = apl02_answers(application, documents)
    result = check(questions, answers)
    lines: list[str] = []
    for unit in result.summary:
        lines.append(ctx.t("apl02.summary_unit", code=unit.unit_code, k=unit.k, bk=unit.bk))
        for question in (q for q in questions if q.unit_code == unit.unit_code):
            answer = answers.get(question.ref)
            verdict = answer.verdict.value if answer else "—"
            title = question.element_title.get(ctx.locale)
            line = f"  {verdict} · {question.element_number}. {title}"
            if answer and answer.evidence:
                line += f" ({_documents_named(documents, answer.evidence)})"
            lines.append(line)
            if provenance:
                lines.append(_provenance(ctx, question))
    if not result.complete:
        lines.append(ctx.t("apl02.unanswered", count=len(result.unanswered)))
    return lines


def _provenance(ctx: Context, question: Question) -> str:
    """Where the element's title and each KUK come from, and how sure the data is."""
    kuk = ", ".join(
        f"{k.number} {k.confidence}" + ("" if k.complete else f" {ctx.t('apl02.cut_off')}")
        for k in question.kuk
    )
    return "    " + ctx.t(
        "apl02.provenance",
        source=question.source,
        confidence=question.confidence,
        kuk=kuk or ctx.t("apl02.no_kuk"),
    )


async def summary_text(ctx: Context, application: ApplicationRecord) -> str:
    documents = await ctx.uow.applications.documents(application.id)
    return "\n".join([ctx.t("apl02.summary"), *answer_lines(ctx, application, documents)])


class Apl02Step:
    """The current element's question; once every element is answered, the summary with a way
    to change any of them."""

    name = QUESTION

    async def options(self, ctx: Context) -> Sequence[Option]:
        application = await current_application(ctx)
        if application is None:
            return [Option("back", ctx.t("common.back"))]
        questions = questionnaire(ctx.services.scheme)
        question = _current(questions, application, _editing(ctx))
        if question is None:
            return [
                *(
                    Option(
                        f"edit:{q.ref}",
                        f"✏️ {q.unit_code} · {q.element_number}. {q.element_title.get(ctx.locale)}",
                    )
                    for q in questions
                ),
                Option("back", ctx.t("apl02.to_hub")),
            ]
        return [
            Option(f"K:{question.ref}", ctx.t("apl02.k")),
            Option(f"BK:{question.ref}", ctx.t("apl02.bk")),
            Option("back", ctx.t("apl02.pause")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await current_application(ctx)
        if application is None:
            return [Text(ctx.t("application.none"))]
        questions = questionnaire(ctx.services.scheme)
        question = _current(questions, application, _editing(ctx))
        if question is None:
            text = await summary_text(ctx, application) + "\n" + ctx.t("apl02.change_hint")
            return [choice(text, await self.options(ctx))]
        shown = []
        if application.apl02.migrated:
            shown.append(Text(ctx.t("apl02.migrated")))
        return [*shown, choice(question_text(ctx, questions, question), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        application = await editable_application(ctx)
        if application is None:
            return
        if event.option_id == "back":
            ctx.goto(HUB)
            return
        questions = questionnaire(ctx.services.scheme)
        if event.option_id.startswith("edit:"):
            ctx.goto(QUESTION, {"edit": event.option_id.removeprefix("edit:")})
            return
        verdict, _, ref = event.option_id.partition(":")
        question = _current(questions, application, _editing(ctx))
        if question is None or ref != question.ref:
            ctx.say(Text(ctx.t("apl02.old_button")))  # never answers what is on screen now
            await ctx.show_current()
            return
        if verdict == Verdict.K:
            ctx.goto(EVIDENCE, {"ref": question.ref, "chosen": []})
            return
        await save(ctx, application, question.ref, Verdict.BK, [])


async def save(
    ctx: Context, application: ApplicationRecord, ref: str, verdict: Verdict, evidence: list[str]
) -> None:
    updated = await drafting.answer_apl02(
        ctx.uow, ctx.services, ctx.caller, application.id,
        ref=ref, verdict=verdict, evidence=evidence,
    )  # fmt: skip
    if isinstance(updated, Refused):
        ctx.say(Text(ctx.t("apl02.old_button")))
        await ctx.show_current()
        return
    if _current(questionnaire(ctx.services.scheme), updated, None) is None:
        ctx.say(Text(await summary_text(ctx, updated)))
        ctx.goto(HUB)
    else:
        ctx.goto(QUESTION)


class Apl02EvidenceStep:
    """For a K answer: tick the uploaded documents that are relevant, or none (9.1.3 "jika
    ada"), then done."""

    name = EVIDENCE

    def _chosen(self, ctx: Context) -> list[str]:
        chosen = ctx.data.get("chosen", [])
        return [c for c in chosen if isinstance(c, str)] if isinstance(chosen, list) else []

    async def _documents(self, ctx: Context) -> Sequence[DocumentRecord]:
        """What can back a competence: evidence that proves a requirement (not the KTP or the
        photo)."""
        application = await current_application(ctx)
        if application is None:
            return []
        proving = {e.id for r in ctx.services.scheme.routes for e in r.evidence if e.proves}
        documents = await ctx.uow.applications.documents(application.id)
        return [d for d in documents if d.evidence_id in proving]

    async def options(self, ctx: Context) -> Sequence[Option]:
        documents = await self._documents(ctx)
        chosen = self._chosen(ctx)
        labels = {
            e.id: e.label.get(ctx.locale) for r in ctx.services.scheme.routes for e in r.evidence
        }
        return [
            *(
                Option(
                    f"doc:{d.id}",
                    f"{'☑' if d.id in chosen else '☐'} {d.file_name}",
                    labels.get(d.evidence_id),
                )
                for d in documents
            ),
            Option("done", ctx.t("apl02.done_choosing" if chosen else "apl02.no_evidence")),
            Option("upload", ctx.t("apl02.go_upload")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("apl02.choose_evidence"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        application = await editable_application(ctx)
        if application is None:
            return
        ref = str(ctx.data.get("ref", ""))
        chosen = self._chosen(ctx)
        if event.option_id == "upload":
            ctx.goto(CHECKLIST)
        elif event.option_id.startswith("doc:"):
            document = event.option_id[4:]
            chosen = (
                [c for c in chosen if c != document] if document in chosen else [*chosen, document]
            )
            ctx.data["chosen"] = chosen
            await ctx.show_current()
        else:
            await save(ctx, application, ref, Verdict.K, chosen)
