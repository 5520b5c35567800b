"""FR.APL.02 Asesmen Mandiri (9.1.3) as BNSP's form asks it: unit by unit, one question per
element ("Dapatkah saya ...?") with the element's KUK listed beneath, answered K or BK; the
relevant evidence is optional ("jika ada"). Every answer is stored at once, so the form resumes
where it was left; once complete it can be reopened and any element changed until submit.

Each K / BK button carries the element it was sent for: a button of an earlier message never
answers the element now on screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import apl02_answers, relevant_to
from domain.ports import ApplicationRecord, DocumentRecord
from handlers.candidate.application import (
    CHECKLIST,
    HUB,
    QUESTION,
    current_application,
    editable_application,
    next_part,
)
from handlers.conversation import Context, StepData, StepName, choice
from handlers.messages import Option, OptionIn, Outbound, Text
from scheme.apl02 import Question, Verdict, check, questionnaire
from usecases import drafting
from usecases.access import Refused

EVIDENCE = StepName("apl02_evidence")


class Answering(StepData):
    """Which element is asked: the one being changed (``edit``), else the first unanswered;
    ``one_by_one``: the unit the candidate chose to answer element by element."""

    edit: str | None = None
    one_by_one: str | None = None


class Backing(StepData):
    """The documents ticked so far as evidence of a K answer to element ``ref``."""

    ref: str
    chosen: tuple[str, ...] = ()


def _editing(ctx: Context) -> str | None:
    return ctx.read(Answering).edit


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


def _unit_questions(questions: Sequence[Question], unit_code: str) -> list[Question]:
    return [q for q in questions if q.unit_code == unit_code]


def _whole_unit(
    ctx: Context, questions: Sequence[Question], application: ApplicationRecord
) -> str | None:
    """The unit to show whole, with "K for every element" (issue 16): the one the current
    element opens when none of its elements is answered yet and the candidate did not choose
    to answer it element by element."""
    if _editing(ctx) is not None:
        return None
    question = _current(questions, application, None)
    if question is None or ctx.read(Answering).one_by_one == question.unit_code:
        return None
    unit = _unit_questions(questions, question.unit_code)
    begun = any(q.ref in application.apl02.answers for q in unit)
    return None if begun else question.unit_code


async def unit_text(
    ctx: Context, questions: Sequence[Question], application: ApplicationRecord, unit_code: str
) -> str:
    """A unit as FR.APL.02 prints it: every element's question with its KUK beneath, and the
    relevant uploads a K for the whole unit points to."""
    unit = _unit_questions(questions, unit_code)
    units = list(dict.fromkeys(q.unit_code for q in questions))
    first = unit[0]
    lines = [
        ctx.t("apl02.title"),
        ctx.t(
            "apl02.unit",
            n=units.index(unit_code) + 1,
            total=len(units),
            code=unit_code,
            title=first.unit_title.get(ctx.locale),
        ),
    ]
    for question in unit:
        what = ctx.t("apl02.can_i", what=question.ask.get(ctx.locale))
        lines.append(f"\n{question.element_number}. {what}")
        lines += [f"   • {k.number} {k.text.get(ctx.locale)}" for k in question.shown_kuk]
    documents = await ctx.uow.applications.documents(application.id)
    names = ", ".join(d.file_name for d in relevant_to(ctx.services.scheme, documents, unit_code))
    lines.append("")
    lines.append(
        ctx.t("apl02.unit_evidence", names=names) if names else ctx.t("apl02.unit_no_evidence")
    )
    lines.append(ctx.t("apl02.unit_hint", n=len(unit)))
    return "\n".join(lines)


class Apl02Step:
    """A unit whole, to answer K for all its elements at once or element by element; the
    current element's question; once every element is answered, the summary with a way to
    change any of them."""

    name = QUESTION

    async def options(self, ctx: Context) -> Sequence[Option]:
        application = await current_application(ctx)
        if application is None:
            return [Option("back", ctx.t("common.back"))]
        questions = questionnaire(ctx.services.scheme)
        whole = _whole_unit(ctx, questions, application)
        if whole is not None:
            count = len(_unit_questions(questions, whole))
            return [
                Option(f"unitK:{whole}", ctx.t("apl02.k_unit", n=count)),
                Option(f"each:{whole}", ctx.t("apl02.one_by_one")),
                Option("back", ctx.t("apl02.pause")),
            ]
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
        shown = []
        if application.apl02.migrated:
            shown.append(Text(ctx.t("apl02.migrated")))
        whole = _whole_unit(ctx, questions, application)
        if whole is not None:
            text = await unit_text(ctx, questions, application, whole)
            return [*shown, choice(text, await self.options(ctx))]
        question = _current(questions, application, _editing(ctx))
        if question is None:
            text = await summary_text(ctx, application) + "\n" + ctx.t("apl02.change_hint")
            return [choice(text, await self.options(ctx))]
        return [*shown, choice(question_text(ctx, questions, question), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        application = await editable_application(ctx)
        if application is None:
            return
        if event.option_id == "back":
            ctx.goto(HUB)
            return
        questions = questionnaire(ctx.services.scheme)
        kind, _, ref = event.option_id.partition(":")
        if kind == "edit":
            ctx.goto(QUESTION, Answering(edit=ref))
        elif kind == "each":
            ctx.goto(QUESTION, Answering(one_by_one=ref))
        elif kind == "unitK":
            await self._whole_unit_k(ctx, application, ref)
        else:
            question = _current(questions, application, _editing(ctx))
            if question is None or ref != question.ref:
                ctx.say(Text(ctx.t("apl02.old_button")))  # never answers what is on screen now
                await ctx.show_current()
            elif kind == Verdict.K:
                ctx.goto(EVIDENCE, Backing(ref=question.ref))
            else:
                await save(ctx, application, question.ref, Verdict.BK, [])

    async def _whole_unit_k(
        self, ctx: Context, application: ApplicationRecord, unit_code: str
    ) -> None:
        updated = await drafting.answer_apl02_unit(
            ctx.uow, ctx.services, ctx.caller, application.id, unit_code=unit_code
        )
        if isinstance(updated, Refused):  # a unit already begun: an old button
            ctx.say(Text(ctx.t("apl02.old_button")))
            await ctx.show_current()
            return
        count = len(_unit_questions(questionnaire(ctx.services.scheme), unit_code))
        ctx.say(Text(ctx.t("apl02.unit_saved", code=unit_code, n=count)))
        await _after_answer(ctx, updated)


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
    await _after_answer(ctx, updated)


async def _after_answer(ctx: Context, updated: ApplicationRecord) -> None:
    """The next element or unit; once every element is answered, the summary and on to what
    the application still needs (the declaration when nothing)."""
    if _current(questionnaire(ctx.services.scheme), updated, None) is None:
        ctx.say(Text(await summary_text(ctx, updated)))
        ctx.goto(*await next_part(ctx, updated))
    else:
        ctx.goto(QUESTION)


class Apl02EvidenceStep:
    """For a K answer: tick the uploaded documents that are relevant, or none (9.1.3 "jika
    ada"), then done."""

    name = EVIDENCE

    async def _documents(self, ctx: Context) -> Sequence[DocumentRecord]:
        """What can back this element: the uploads relevant to its unit (issue 16: not the KTP
        or the photo, nor the records of another unit); every proving upload when none is."""
        application = await current_application(ctx)
        if application is None:
            return []
        ref = ctx.read(Backing).ref
        documents = await ctx.uow.applications.documents(application.id)
        relevant = relevant_to(ctx.services.scheme, documents, ref.partition("/")[0])
        if relevant:
            return relevant
        proving = {e.id for r in ctx.services.scheme.routes for e in r.evidence if e.proves}
        return [d for d in documents if d.evidence_id in proving]

    async def _previous(self, ctx: Context) -> tuple[str, ...]:
        """The documents the element before this one (in its unit) points to, if it was K."""
        application = await current_application(ctx)
        ref = ctx.read(Backing).ref
        questions = questionnaire(ctx.services.scheme)
        refs = [q.ref for q in questions]
        if application is None or ref not in refs or refs.index(ref) == 0:
            return ()
        before = questions[refs.index(ref) - 1]
        answer = application.apl02.answers.get(before.ref)
        if before.unit_code != ref.partition("/")[0] or answer is None:
            return ()
        return answer.evidence if answer.verdict is Verdict.K else ()

    async def options(self, ctx: Context) -> Sequence[Option]:
        documents = await self._documents(ctx)
        chosen = ctx.read(Backing).chosen
        labels = {
            e.id: e.label.get(ctx.locale) for r in ctx.services.scheme.routes for e in r.evidence
        }
        previous = await self._previous(ctx)  # the same options at every tick: edited in place
        same = (
            [Option("same", ctx.t("apl02.same_as_previous", n=len(previous)))] if previous else []
        )
        every = (
            [Option("all", ctx.t("apl02.all_relevant", n=len(documents)))]
            if len(documents) > 1
            else []
        )
        return [
            *same,
            *every,
            *(
                Option(
                    f"doc:{d.id}",
                    f"{'☑' if d.id in chosen else '☐'} {d.file_name}",
                    labels.get(d.evidence_id),
                )
                for d in documents
            ),
            Option(
                "done",
                ctx.t("apl02.done_choosing" if chosen else "apl02.no_evidence"),
                pinned=True,
            ),
            Option("upload", ctx.t("apl02.go_upload"), pinned=True),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("apl02.choose_evidence"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        application = await editable_application(ctx)
        if application is None:
            return
        backing = ctx.read(Backing)
        ref, chosen = backing.ref, backing.chosen
        if event.option_id == "upload":
            ctx.goto(CHECKLIST)
        elif event.option_id == "same":  # several at once: what the element before had
            await save(ctx, application, ref, Verdict.K, list(await self._previous(ctx)))
        elif event.option_id == "all":
            await save(ctx, application, ref, Verdict.K, [d.id for d in await self._documents(ctx)])
        elif event.option_id.startswith("doc:"):
            document = event.option_id[4:]
            chosen = (
                tuple(c for c in chosen if c != document)
                if document in chosen
                else (*chosen, document)
            )
            ctx.keep(Backing(ref=ref, chosen=chosen))
            await ctx.show_current()
        else:
            await save(ctx, application, ref, Verdict.K, list(chosen))
