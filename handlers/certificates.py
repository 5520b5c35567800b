"""Certificates after issue (9.4.6): the holder's 9.8 agreement, without which the certificate is
not handed over (9.4.7); the holder's view with its surveillance and renewal dates,
the surveillance evidence upload (9.6.3), a renewal application pre-filled from the certificate
(9.7), and staff's care of a certificate — freeze, unfreeze and revoke with a reason (9.5), the
surveillance result (9.6.4).

``/sertifikat`` shows a holder their certificate; for staff it asks for a certificate number.
Every staff action re-checks the role and the certificate's state, writes the audit log, and
queues the holder's notice in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from domain.notices import format_day, format_instant
from domain.ports import CertificateRecord, JSONValue
from handlers.application import ELIGIBILITY, STATUS
from handlers.conversation import MENU, Context, StepName, choice
from handlers.evidence import KIND_NAMES, receive_document
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
from handlers.staff_common import PREFIX, allowed, document_options, say_refused, send_document
from scheme.deadlines import renewal_request_deadline
from scheme.lifecycle import CertificateState
from scheme.model import Evidence
from usecases import certificates
from usecases.access import STAFF_ROLES, Refusal, Refused
from usecases.certificates import (
    ENDED,
    CertificateAction,
    awaits_agreement,
    next_surveillance,
    surveillance_item,
)

MINE = StepName("my_certificate")
SURVEILLANCE = StepName("surveillance_upload")
LOOKUP = StepName("staff_certificate_lookup")
MANAGE = StepName("staff_certificate")
REASON = StepName("staff_certificate_reason")
CS = CertificateState


def agreement_text(ctx: Context, certificate: CertificateRecord) -> str:
    lines = [ctx.t("cert.agreement", number=certificate.number)]
    lines += [
        f"• {item.clause} {item.text.get(ctx.locale)}"
        for item in ctx.services.scheme.certificate_use
    ]
    lines.append(ctx.t("cert.agreement_press"))
    return "\n".join(lines)


def describe(ctx: Context, certificate: CertificateRecord) -> list[str]:
    """What a holder and staff both read about a certificate."""
    rules = ctx.services.scheme.rules
    lines = [
        ctx.t(
            "cert.title", number=certificate.number, state=ctx.t(f"cert.state.{certificate.state}")
        ),
        ctx.t(
            "cert.valid",
            issued=format_day(certificate.issued_on, ctx.locale),
            expires=format_day(certificate.expires_on, ctx.locale),
        ),
    ]
    if certificate.reason and certificate.state in {CS.FROZEN, CS.REVOKED}:
        lines.append(ctx.t("cert.reason", reason=certificate.reason))
    if ctx.services.scheme.certificate_use:
        agreement = certificate.agreement
        if agreement is None:
            lines.append(ctx.t("cert.agreement_missing"))
        else:
            at = datetime.fromisoformat(str(agreement.get("at")))
            lines.append(
                ctx.t(
                    "cert.agreement_given",
                    at=format_instant(at, ctx.locale, ctx.person.timezone),
                    version=agreement.get("version", ""),
                    locale=agreement.get("locale", ""),
                )
            )
    for n, record in enumerate(certificate.surveillance, 1):
        lines.append(
            ctx.t(
                "cert.surveillance_done",
                n=n,
                on=format_day(_date(record.get("on")), ctx.locale),
                outcome=ctx.t(f"cert.outcome.{record.get('outcome')}"),
                note=record.get("note", ""),
            )
        )
    if certificate.state not in ENDED:
        upcoming = next_surveillance(rules, certificate)
        if upcoming is not None:
            due = format_day(upcoming[1], ctx.locale)
            lines.append(ctx.t("cert.surveillance_next", n=upcoming[0], due=due))
        request_by = renewal_request_deadline(certificate.expires_on, rules)
        lines.append(ctx.t("cert.renew_by", date=format_day(request_by, ctx.locale)))
    return lines


def _date(value: JSONValue) -> date:
    return date.fromisoformat(str(value))


async def open_certificates(ctx: Context, command: CommandIn) -> None:
    """``/sertifikat``: staff look a certificate up; anyone else sees their own."""
    if await ctx.uow.roles.of(ctx.person.id) & STAFF_ROLES:
        if await allowed(ctx, "view_certificates"):
            ctx.goto(LOOKUP)
        return
    ctx.goto(MINE)


# --- the holder ----------------------------------------------------------------------------


class MyCertificateStep:
    """The holder's newest certificate; surveillance upload and renewal while it is active."""

    name = MINE

    async def _certificate(self, ctx: Context) -> CertificateRecord | None:
        return await certificates.holders_certificate(ctx.uow, ctx.caller)

    async def options(self, ctx: Context) -> Sequence[Option]:
        certificate = await self._certificate(ctx)
        options = []
        if certificate is not None and awaits_agreement(ctx.services.scheme, certificate):
            options.append(Option("agree", ctx.t("cert.agree")))
        elif certificate is not None and certificate.state == CS.ACTIVE:
            rules, scheme = ctx.services.scheme.rules, ctx.services.scheme
            if next_surveillance(rules, certificate) and scheme.surveillance_evidence:
                options.append(Option("surveillance", ctx.t("cert.upload_surveillance")))
            if any(r.renewal for r in ctx.services.scheme.routes):
                options.append(Option("renew", ctx.t("cert.renew")))
        return [*options, Option("menu", ctx.t("common.menu"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        certificate = await self._certificate(ctx)
        if certificate is None:
            body = ctx.t("cert.none")
        elif awaits_agreement(ctx.services.scheme, certificate):
            body = agreement_text(ctx, certificate)
        else:
            body = "\n".join(describe(ctx, certificate))
        return [choice(body, await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        certificate = await self._certificate(ctx)
        if event.option_id == "menu" or certificate is None:
            ctx.goto(MENU)
        elif awaits_agreement(ctx.services.scheme, certificate):
            if event.option_id == "agree":
                await _agree(ctx, certificate)
            await ctx.show_current()  # nothing else is open before the agreement (9.4.7)
        elif event.option_id == "surveillance":
            ctx.goto(SURVEILLANCE)
        else:
            await _renew(ctx, certificate)


async def _agree(ctx: Context, certificate: CertificateRecord) -> None:
    agreed = await certificates.agree(
        ctx.uow, ctx.services, ctx.caller, certificate.number, locale=ctx.locale
    )
    if not isinstance(agreed, Refused):
        ctx.say(Text(ctx.t("cert.agreed", number=certificate.number)))


async def _renew(ctx: Context, certificate: CertificateRecord) -> None:
    started = await certificates.start_renewal(
        ctx.uow, ctx.services, ctx.caller, certificate.number
    )
    if isinstance(started, Refused):
        if started.reason is Refusal.IN_PROGRESS:
            ctx.say(Text(ctx.t("cert.renew_in_progress")))
            ctx.goto(STATUS)
        else:
            await ctx.show_current()
        return
    ctx.say(Text(ctx.t("cert.renew_started", number=certificate.number)))
    if started.late:
        ctx.say(Text(ctx.t("cert.renew_late", date=format_day(started.request_by, ctx.locale))))
    ctx.goto(ELIGIBILITY)


class SurveillanceUploadStep:
    """The evidence of the surveillance that is due (9.6.3); staff are told once it arrives."""

    name = SURVEILLANCE

    async def _due(self, ctx: Context) -> tuple[CertificateRecord, Evidence] | None:
        certificate = await certificates.holders_certificate(ctx.uow, ctx.caller)
        if certificate is None or certificate.state != CS.ACTIVE:
            return None
        scheme = ctx.services.scheme
        upcoming = next_surveillance(scheme.rules, certificate)
        item = surveillance_item(scheme, upcoming[0]) if upcoming else None
        return (certificate, item) if item is not None else None

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("done", ctx.t("cert.surveillance_finished"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        due = await self._due(ctx)
        if due is None:
            return [choice(ctx.t("cert.surveillance_not_due"), await self.options(ctx))]
        certificate, item = due
        documents = [
            d.file_name
            for d in await ctx.uow.applications.documents(certificate.application_id)
            if d.evidence_id == item.id
        ]
        lines = [f"{item.label.get(ctx.locale)} ({item.clause})", *(f"• {n}" for n in documents)]
        max_bytes = ctx.services.max_upload_bytes
        kinds = "/".join(KIND_NAMES[k] for k in item.kinds)
        return [
            choice("\n".join(lines), await self.options(ctx)),
            RequestFile(
                ctx.t("evidence.send", kinds=kinds, max_mb=max_bytes // (1024 * 1024)),
                accept=tuple(item.kinds),
                max_bytes=max_bytes,
            ),
        ]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(MINE)

    async def on_file(self, ctx: Context, event: FileIn) -> None:
        due = await self._due(ctx)
        if due is None:
            ctx.goto(MINE)
            return
        certificate, item = due
        stored = await receive_document(ctx, certificate.application_id, item, event)
        if stored is not None:
            await certificates.surveillance_received(ctx.uow, ctx.services, certificate, item)
        await ctx.show_current()


# --- staff ---------------------------------------------------------------------------------


class LookupStep:
    """Staff type a certificate number."""

    name = LOOKUP

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(f"{PREFIX}menu", ctx.t("common.menu"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("cert.ask_number"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(MENU)

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        number = event.text.strip()[:64]
        if not await allowed(ctx, "view_certificate", f"certificate:{number}"):
            return
        if await ctx.uow.certificates.get(number) is None:
            ctx.say(Text(ctx.t("cert.not_found", number=number)))
            await ctx.show_current()
            return
        ctx.goto(MANAGE, {"cert": number})


class ManageStep:
    """One certificate: holder, validity, surveillance so far and its evidence; what staff can
    do from its state."""

    name = MANAGE

    async def options(self, ctx: Context) -> Sequence[Option]:
        certificate = await ctx.uow.certificates.get(str(ctx.data.get("cert")))
        back = Option(f"{PREFIX}back", ctx.t("common.back"))
        if certificate is None:
            return [back]
        options = [
            Option(f"{PREFIX}cert:{action}", ctx.t(f"cert.do.{action}"))
            for action in certificates.staff_actions(ctx.services.scheme.rules, certificate)
        ]
        documents = [
            d for d in await ctx.uow.applications.documents(certificate.application_id)
            if d.evidence_id.startswith("surveillance")
        ]  # fmt: skip
        return [*document_options(documents), *options, back]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        certificate = await ctx.uow.certificates.get(str(ctx.data.get("cert")))
        if certificate is None:
            return [
                choice(
                    ctx.t("cert.not_found", number=ctx.data.get("cert")), await self.options(ctx)
                )
            ]
        holder = await ctx.uow.applications.applicant_name(certificate.application_id)
        lines = [*describe(ctx, certificate), ctx.t("cert.holder", name=holder or "—")]
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        number = str(ctx.data.get("cert"))
        if event.option_id == f"{PREFIX}back":
            ctx.goto(LOOKUP)
            return
        choice_id = event.option_id.removeprefix(f"{PREFIX}cert:")
        opening = event.option_id.startswith(f"{PREFIX}doc:")
        action = "open_document" if opening else f"{choice_id}_form"
        if not await allowed(ctx, f"certificate_{action}", f"certificate:{number}"):
            return
        certificate = await ctx.uow.certificates.get(number)
        if certificate is None:
            ctx.goto(LOOKUP)
            return
        if opening:
            application = await ctx.uow.applications.get(certificate.application_id)
            if application is not None:
                await send_document(ctx, application, event.option_id)
            await ctx.show_current()
            return
        ctx.goto(REASON, {"cert": number, "action": choice_id})


class ReasonStep:
    """The reason of a freeze, unfreeze or revocation, or the surveillance note; then done."""

    name = REASON

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(f"{PREFIX}back", ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        key = f"cert.ask.{ctx.data.get('action')}"
        return [choice(ctx.t(key, number=ctx.data.get("cert")), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        number = str(ctx.data.get("cert"))
        ctx.goto(MANAGE, {"cert": number})

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        number = str(ctx.data.get("cert"))
        action = CertificateAction(str(ctx.data.get("action")))
        done = await certificates.care(
            ctx.uow, ctx.services, ctx.caller, number, action=action, text=event.text
        )
        if isinstance(done, Refused) and done.reason is Refusal.NOT_ALLOWED:
            await say_refused(ctx, done)
            return
        if isinstance(done, Refused):
            ctx.say(Text(ctx.t("staff.already_handled")))
            ctx.goto(LOOKUP)
            return
        ctx.say(Text(ctx.t("cert.recorded", number=number)))
        ctx.goto(MANAGE, {"cert": number})
