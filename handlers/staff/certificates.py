"""Staff's care of a certificate: look it up by number, see its holder, surveillance so far and
evidence, freeze, unfreeze and revoke with a reason (9.5), record the surveillance result
(9.6.4). ``/sertifikat`` asks staff for a number and shows anyone else their own certificate.
Every action is a use case (``usecases/certificates.py``): the role and the state checked again,
the holder told, the audit row written."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.conversation import MENU, Context, StepData, StepName, choice
from handlers.holder.certificate import MINE, describe
from handlers.messages import (
    CommandIn,
    Option,
    OptionIn,
    Outbound,
    Text,
    TextIn,
)
from handlers.staff.common import (
    DOCUMENT,
    Privileged,
    StaffOption,
    allowed,
    document_options,
    say_refused,
    send_document,
)
from usecases import certificates
from usecases.access import STAFF_ROLES, Refusal, Refused
from usecases.certificates import (
    CertificateAction,
)

LOOKUP = StepName("staff_certificate_lookup")
MANAGE = StepName("staff_certificate")
REASON = StepName("staff_certificate_reason")
CARE = Privileged("cert", CertificateAction)


class OnCertificate(StepData):
    """A step about one certificate, by its number."""

    cert: str


class Caring(OnCertificate):
    """What staff are typing the reason or the note of, for that certificate."""

    action: CertificateAction


async def open_certificates(ctx: Context, command: CommandIn) -> None:
    """``/sertifikat``: staff look a certificate up; anyone else sees their own."""
    if await ctx.uow.roles.of(ctx.person.id) & STAFF_ROLES:
        if await allowed(ctx, "view_certificates"):
            ctx.goto(LOOKUP)
        return
    ctx.goto(MINE)


class LookupStep:
    """Staff type a certificate number."""

    name = LOOKUP

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(StaffOption.MENU, ctx.t("common.menu"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("cert.ask_number"), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(MENU)

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        number = event.text.strip()[:64]
        if not await allowed(ctx, "view_certificate", certificates.target(number)):
            return
        if await ctx.uow.certificates.get(number) is None:
            ctx.say(Text(ctx.t("cert.not_found", number=number)))
            await ctx.show_current()
            return
        ctx.goto(MANAGE, OnCertificate(cert=number))


class ManageStep:
    """One certificate: holder, validity, surveillance so far and its evidence; what staff can
    do from its state."""

    name = MANAGE

    async def options(self, ctx: Context) -> Sequence[Option]:
        certificate = await ctx.uow.certificates.get(ctx.read(OnCertificate).cert)
        back = Option(StaffOption.BACK, ctx.t("common.back"))
        if certificate is None:
            return [back]
        options = [
            Option(CARE.id(action), ctx.t(f"cert.do.{action}"))
            for action in certificates.staff_actions(ctx.services.scheme.rules, certificate)
        ]
        documents = [
            d for d in await ctx.uow.applications.documents(certificate.application_id)
            if d.evidence_id.startswith("surveillance")
        ]  # fmt: skip
        return [*document_options(documents), *options, back]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        certificate = await ctx.uow.certificates.get(ctx.read(OnCertificate).cert)
        if certificate is None:
            return [
                choice(
                    ctx.t("cert.not_found", number=ctx.read(OnCertificate).cert),
                    await self.options(ctx),
                )
            ]
        holder = await ctx.uow.applications.applicant_name(certificate.application_id)
        lines = [*describe(ctx, certificate), ctx.t("cert.holder", name=holder or "—")]
        return [choice("\n".join(lines), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        number = ctx.read(OnCertificate).cert
        if event.option_id == StaffOption.BACK:
            ctx.goto(LOOKUP)
            return
        chosen = CARE.read(event.option_id)
        opening = DOCUMENT.read(event.option_id) is not None
        action = "open_document" if opening or chosen is None else f"{chosen}_form"
        if not await allowed(ctx, f"certificate_{action}", certificates.target(number)):
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
        if chosen is not None:
            ctx.goto(REASON, Caring(cert=number, action=chosen))


class ReasonStep:
    """The reason of a freeze, unfreeze or revocation, or the surveillance note; then done."""

    name = REASON

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(StaffOption.BACK, ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        caring = ctx.read(Caring)
        key = f"cert.ask.{caring.action}"
        return [choice(ctx.t(key, number=caring.cert), await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        number = ctx.read(OnCertificate).cert
        ctx.goto(MANAGE, OnCertificate(cert=number))

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        caring = ctx.read(Caring)
        number, action = caring.cert, caring.action
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
        ctx.goto(MANAGE, OnCertificate(cert=number))
