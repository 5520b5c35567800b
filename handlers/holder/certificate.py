"""A certificate's holder (9.4.6): the 9.8 agreement, without which the certificate is not
handed over (9.4.7); their view of it with its surveillance and renewal dates; the surveillance
evidence upload (9.6.3); and a renewal application pre-filled from the certificate (9.7).
``describe()`` is what holder and staff both read about a certificate."""

from __future__ import annotations

from collections.abc import Sequence

from domain.notices import format_day, format_instant
from domain.ports import CertificateRecord
from handlers.candidate.application import ELIGIBILITY, STATUS
from handlers.candidate.evidence import KIND_NAMES, receive_document
from handlers.conversation import MENU, Context, StepName, choice
from handlers.messages import (
    FileIn,
    Option,
    OptionIn,
    Outbound,
    RequestFile,
    Text,
)
from scheme.deadlines import renewal_request_deadline
from scheme.lifecycle import CertificateState
from scheme.model import Evidence
from usecases import certificates
from usecases.access import Refusal, Refused
from usecases.certificates import (
    ENDED,
    awaits_agreement,
    next_surveillance,
    surveillance_item,
)

MINE = StepName("my_certificate")
SURVEILLANCE = StepName("surveillance_upload")
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
            lines.append(
                ctx.t(
                    "cert.agreement_given",
                    at=format_instant(agreement.at, ctx.locale, ctx.person.timezone),
                    version=agreement.version,
                    locale=agreement.locale,
                )
            )
    for n, record in enumerate(certificate.surveillance, 1):
        lines.append(
            ctx.t(
                "cert.surveillance_done",
                n=n,
                on=format_day(record.on, ctx.locale),
                outcome=ctx.t(f"cert.outcome.{record.outcome}"),
                note=record.note,
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
