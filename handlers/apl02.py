"""FR.APL.02 Asesmen Mandiri (9.1.3): unit by unit, element by element, each KUK answered K or
BK; a K names the uploaded evidence that supports it.  Every answer is stored at once, so the
questionnaire resumes where it was left."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.application import (
    HUB,
    apl02_answers,
    current_application,
    editable_application,
)
from handlers.conversation import Context, StepInput, choice
from handlers.evidence import CHECKLIST
from handlers.messages import Option, OptionIn, Outbound, Text
from handlers.ports import ApplicationRecord, JSONValue
from scheme.apl02 import Question, check, questionnaire

QUESTION = "apl02"
EVIDENCE = "apl02_evidence"


def _next_question(
    questions: Sequence[Question], application: ApplicationRecord
) -> Question | None:
    return next((q for q in questions if q.ref not in application.apl02), None)


def _heading(ctx: Context, questions: Sequence[Question], question: Question) -> str:
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
        f"KUK {question.kuk_number}: {question.text.get(ctx.locale)}",
    ]
    if not question.verified:
        lines.append(ctx.t("apl02.unverified"))
    return "\n".join(lines)


async def _summary(ctx: Context, application: ApplicationRecord) -> str:
    questions = questionnaire(ctx.services.scheme)
    documents = await ctx.uow.applications.documents(application.id)
    result = check(questions, apl02_answers(application), {d.id for d in documents})
    lines = [ctx.t("apl02.summary")]
    lines += [ctx.t("apl02.summary_unit", code=s.unit_code, k=s.k, bk=s.bk) for s in result.summary]
    if not result.complete:
        lines.append(ctx.t("apl02.problems", count=len(result.problems)))
    return "\n".join(lines)


class Apl02Step:
    """Asks the first KUK not yet answered."""

    name = QUESTION
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [
            Option("K", ctx.t("apl02.k")),
            Option("BK", ctx.t("apl02.bk")),
            Option("back", ctx.t("apl02.pause")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await current_application(ctx)
        if application is None:
            return [Text(ctx.t("application.none"))]
        questions = questionnaire(ctx.services.scheme)
        question = _next_question(questions, application)
        if question is None:
            return [Text(await _summary(ctx, application))]
        return [choice(_heading(ctx, questions, question), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assert isinstance(event, OptionIn)
        application = await editable_application(ctx)
        if application is None:
            return
        if event.option_id == "back":
            ctx.goto(HUB)
            return
        question = _next_question(questionnaire(ctx.services.scheme), application)
        if question is None:
            ctx.goto(HUB)
            return
        if event.option_id == "K":
            ctx.goto(EVIDENCE, {"ref": question.ref, "chosen": []})
            return
        await save(ctx, application, question.ref, "BK", [])


async def save(
    ctx: Context, application: ApplicationRecord, ref: str, verdict: str, evidence: list[str]
) -> None:
    answers: dict[str, JSONValue] = {
        **application.apl02,
        ref: {"verdict": verdict, "evidence": evidence},
    }
    updated = await ctx.uow.applications.update(application.id, apl02=answers)
    if _next_question(questionnaire(ctx.services.scheme), updated) is None:
        ctx.say(Text(await _summary(ctx, updated)))
        ctx.goto(HUB)
    else:
        ctx.goto(QUESTION)


class Apl02EvidenceStep:
    """For a K answer: tick the uploaded documents that support it, then done."""

    name = EVIDENCE
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    def _chosen(self, ctx: Context) -> list[str]:
        chosen = ctx.data.get("chosen", [])
        return [c for c in chosen if isinstance(c, str)] if isinstance(chosen, list) else []

    async def options(self, ctx: Context) -> Sequence[Option]:
        application = await current_application(ctx)
        documents = await ctx.uow.applications.documents(application.id) if application else []
        chosen = self._chosen(ctx)
        labels = {
            e.id: e.label.get(ctx.locale) for r in ctx.services.scheme.routes for e in r.evidence
        }
        if not documents:
            return [
                Option("upload", ctx.t("apl02.go_upload")),
                Option("bk", ctx.t("apl02.bk")),
            ]
        return [
            *(
                Option(
                    f"doc:{d.id}",
                    f"{'☑' if d.id in chosen else '☐'} {d.file_name}",
                    labels.get(d.evidence_id),
                )
                for d in documents
            ),
            Option("done", ctx.t("apl02.done_choosing")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        options = await self.options(ctx)
        key = "apl02.no_documents" if options[0].id == "upload" else "apl02.choose_evidence"
        return [choice(ctx.t(key, ref=str(ctx.data.get("ref", ""))), options)]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assert isinstance(event, OptionIn)
        application = await editable_application(ctx)
        if application is None:
            return
        ref = str(ctx.data.get("ref", ""))
        chosen = self._chosen(ctx)
        if event.option_id == "upload":
            ctx.goto(CHECKLIST)
        elif event.option_id == "bk":
            await save(ctx, application, ref, "BK", [])
        elif event.option_id.startswith("doc:"):
            document = event.option_id[4:]
            chosen = (
                [c for c in chosen if c != document] if document in chosen else [*chosen, document]
            )
            ctx.data["chosen"] = chosen
            await ctx.show_current()
        elif not chosen:
            ctx.say(Text(ctx.t("apl02.pick_one")))
            await ctx.show_current()
        else:
            await save(ctx, application, ref, "K", chosen)
