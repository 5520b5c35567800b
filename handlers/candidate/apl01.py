"""FR.APL.01 step by step ("Langkah 3 dari 18"), a helpful re-prompt on every wrong answer, and a
review screen where any answer can be changed before going on (9.1.2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.notices import format_day
from domain.ports import JSONValue
from handlers.candidate.application import (
    APL01,
    APL01_REVIEW,
    FieldAsked,
    editable_application,
    next_part,
)
from handlers.common.linking import offer_link
from handlers.common.zone import propose
from handlers.conversation import Context, choice
from handlers.messages import ContactIn, Option, OptionIn, Outbound, RequestContact, Text, TextIn
from scheme import apl01 as rules
from scheme.apl01 import Invalid
from usecases import drafting, people
from usecases.access import Refused

FIELDS = rules.FIELDS
REVIEW = APL01_REVIEW
CHOICE_FIELDS = rules.CHOICES


NIK_FIXES = ("birth_date", "sex")
"""From the NIK step the candidate can correct what the NIK must agree with."""


def shown_value(ctx: Context, field: str, value: JSONValue) -> str:
    """An answer as the person reads it (choices by their label, a date as "17 Agustus
    1985")."""
    if field == "education":
        levels = {lvl.id: lvl.label.get(ctx.locale) for lvl in ctx.services.scheme.education_levels}
        return levels.get(str(value), str(value))
    if field in CHOICE_FIELDS:
        return ctx.t(f"apl01.choice.{field}.{value}")
    if value == "":
        return "—"  # an optional field left empty
    if field in {"mobile", "office_phone"} and isinstance(value, str):
        return rules.grouped_phone(value)
    if field == "birth_date" and isinstance(value, str):
        return format_day(date.fromisoformat(value), ctx.locale)
    return str(value)


class Apl01Step:
    """One APL-01 field (:class:`FieldAsked`)."""

    name = APL01

    def _field(self, ctx: Context) -> str:
        field = ctx.read(FieldAsked).field
        return field if field in FIELDS else FIELDS[0]

    async def options(self, ctx: Context) -> Sequence[Option]:
        field = self._field(ctx)
        if field == "education":
            return [
                Option(level.id, level.label.get(ctx.locale))
                for level in ctx.services.scheme.education_levels
            ]
        if field in CHOICE_FIELDS:
            return [
                Option(value, ctx.t(f"apl01.choice.{field}.{value}"))
                for value in CHOICE_FIELDS[field]
            ]
        if field == "id_number" and ctx.read(FieldAsked).review:
            # from the review, a NIK that disagrees may mean a wrong birth date or sex
            return [
                Option(f"fix:{other}", ctx.t("apl01.fix", label=ctx.t(f"apl01.label.{other}")))
                for other in NIK_FIXES
            ]
        return []

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        field = self._field(ctx)
        application = await ctx.uow.applications.current(ctx.person.id)
        left = rules.to_ask(application.apl01 if application else {})
        progress = (
            ctx.t("apl01.editing")
            if ctx.read(FieldAsked).review or not left
            else ctx.t("apl01.progress", left=len(left))
        )
        lines = [
            progress,
            ctx.t(f"apl01.ask.{field}"),
        ]
        if field in rules.OPTIONAL:
            lines.append(ctx.t("apl01.optional_hint"))
        if application is not None and field in application.apl01:
            lines.append(
                ctx.t("apl01.current", value=shown_value(ctx, field, application.apl01[field]))
            )
        options = await self.options(ctx)
        body = "\n".join(lines)
        if field == "mobile":
            return [
                Text(body),
                RequestContact(ctx.t("apl01.share_contact"), ctx.t("apl01.share_contact_button")),
            ]
        return [choice(body, options)] if options else [Text(body)]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        field = self._field(ctx)
        other = event.option_id.removeprefix("fix:")
        if field == "id_number" and event.option_id.startswith("fix:") and other in NIK_FIXES:
            ctx.goto(self.name, FieldAsked(field=other, review=True))  # what the NIK needs
        else:
            await self._answer(ctx, event.option_id)

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        if self._field(ctx) in {*CHOICE_FIELDS, "education"}:  # typed, and none of the options
            count = len(await self.options(ctx))
            ctx.say(Text(ctx.t("input.choose_option", count=count)))
            await ctx.show_current()
        else:
            await self._answer(ctx, event.text)

    async def on_contact(self, ctx: Context, event: ContactIn) -> None:
        if self._field(ctx) != "mobile":
            ctx.say(Text(ctx.t("input.contact_not_expected")))
            await ctx.show_current()
        else:
            await self._answer(ctx, event.phone, shared=True)

    async def _answer(self, ctx: Context, given: str, *, shared: bool = False) -> None:
        application = await editable_application(ctx)
        if application is None:
            return
        field = self._field(ctx)
        updated = await drafting.answer_apl01(
            ctx.uow, ctx.services, ctx.caller, application.id, field=field, given=given
        )
        if isinstance(updated, Invalid):
            ctx.say(Text(ctx.t(f"apl01.error.{updated.reason}")))
            await ctx.show_current()
            return
        if isinstance(updated, Refused):
            await ctx.show_current()
            return
        answers = updated.apl01
        value = answers[field]
        missing = rules.to_ask(answers)
        if ctx.read(FieldAsked).review or not missing:
            ctx.goto(REVIEW)
        else:
            ctx.goto(self.name, FieldAsked(field=missing[0]))
        if field == "mobile" and isinstance(value, str):
            await _store_phone(ctx, value, shared=shared)


async def _store_phone(ctx: Context, phone: str, *, shared: bool) -> None:
    """A number shared from the messenger is vouched for and may link the person's channels;
    a typed one is only stored."""
    if shared:
        await offer_link(ctx, phone)
    else:
        await people.give_phone(ctx.uow, ctx.services, ctx.caller, phone, verified=False)


class Apl01ReviewStep:
    """Every answer on one screen; confirm, or pick one to change."""

    name = REVIEW

    async def options(self, ctx: Context) -> Sequence[Option]:
        """The answers are listed with bullets, not numbers: where a channel numbers the
        options (WhatsApp, the terminal), the only numbers on screen are the options' own, so
        typing one picks what it says (issue 16: "3" used to open the second field)."""
        return [
            Option("confirm", ctx.t("apl01.review.confirm")),
            *(
                Option(
                    f"edit:{field}", ctx.t("apl01.review.edit", label=ctx.t(f"apl01.label.{field}"))
                )
                for field in FIELDS
            ),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        application = await ctx.uow.applications.current(ctx.person.id)
        answers = application.apl01 if application else {}
        lines = [ctx.t("apl01.review.title")]
        for field in FIELDS:
            value = shown_value(ctx, field, answers[field]) if field in answers else "—"
            lines.append(f"• {ctx.t(f'apl01.label.{field}')}: {value}")
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        application = await editable_application(ctx)
        if application is None:
            return
        if event.option_id.startswith("edit:"):
            ctx.goto(Apl01Step.name, FieldAsked(field=event.option_id[5:], review=True))
            return
        missing = rules.to_ask(application.apl01)
        if missing:
            ctx.say(Text(ctx.t("apl01.review.missing", count=len(missing))))
            ctx.goto(Apl01Step.name, FieldAsked(field=missing[0]))
            return
        # Date of birth or sex may have changed after the NIK was given: check it again.
        reason = rules.inconsistency(application.apl01)
        if reason is not None:
            ctx.say(Text(ctx.t(f"apl01.error.{reason}")))
            ctx.goto(Apl01Step.name, FieldAsked(field="id_number", review=True))
            return
        ctx.say(Text(ctx.t("apl01.saved")))
        step, data = await next_part(ctx, application)
        if not propose(ctx, dict(application.apl01), step, data):  # their zone, from APL-01
            ctx.goto(step, data)
