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

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.notices import format_day, format_instant
from domain.ports import CertificateRecord, JSONValue
from handlers.application import current_application
from handlers.conversation import MENU, Context, StepInput, choice
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
from handlers.staff_common import PREFIX, allowed, document_options, send_document
from scheme.deadlines import local_date, renewal_request_deadline, surveillance_due_dates
from scheme.lifecycle import APPLICATION, CERTIFICATE, Actor, CertificateState, TransitionError
from scheme.model import Evidence
from usecases.access import STAFF_ROLES

MINE = "my_certificate"
SURVEILLANCE = "surveillance_upload"
LOOKUP = "staff_certificate_lookup"
MANAGE = "staff_certificate"
REASON = "staff_certificate_reason"
CS = CertificateState

STAFF_ACTIONS = {
    "freeze": "freeze",
    "unfreeze": "unfreeze",
    "revoke": "revoke",
    "maintained": "record_surveillance",
    "not_maintained": "record_surveillance",
}
"""A staff option → the certificate machine's action."""
ENDED = frozenset({CS.REVOKED, CS.RENEWED, CS.EXPIRED})


def agreement_version(ctx: Context) -> str:
    """Which wording of 9.8 the holder agreed to: a digest of the clauses as they read them."""
    wording = "\n".join(
        f"{item.clause} {item.text.get(ctx.locale)}" for item in ctx.services.scheme.certificate_use
    )
    return hashlib.sha256(wording.encode()).hexdigest()[:12]


def awaits_agreement(ctx: Context, certificate: CertificateRecord) -> bool:
    """9.8 / 9.4.7: the scheme asks for the holder's agreement and it is not given yet."""
    return (
        bool(ctx.services.scheme.certificate_use)
        and certificate.agreement is None
        and certificate.state == CS.ACTIVE
    )


def agreement_text(ctx: Context, certificate: CertificateRecord) -> str:
    lines = [ctx.t("cert.agreement", number=certificate.number)]
    lines += [
        f"• {item.clause} {item.text.get(ctx.locale)}"
        for item in ctx.services.scheme.certificate_use
    ]
    lines.append(ctx.t("cert.agreement_press"))
    return "\n".join(lines)


def next_surveillance(ctx: Context, certificate: CertificateRecord) -> tuple[int, str] | None:
    """(which surveillance, its due date) still to be recorded, or None when none is left."""
    dues = surveillance_due_dates(certificate.issued_on, ctx.services.scheme.rules)
    done = len(certificate.surveillance)
    return (done + 1, dues[done].isoformat()) if done < len(dues) else None


def surveillance_item(ctx: Context, number: int) -> Evidence | None:
    """The scheme's surveillance evidence, filed per surveillance (``surveillance_1`` …)."""
    evidence = ctx.services.scheme.surveillance_evidence
    if evidence is None:
        return None
    return evidence.model_copy(update={"id": f"{evidence.id}_{number}"})


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
        upcoming = next_surveillance(ctx, certificate)
        if upcoming is not None:
            due = format_day(_date(upcoming[1]), ctx.locale)
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
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def _certificate(self, ctx: Context) -> CertificateRecord | None:
        certificates = await ctx.uow.certificates.of_person(ctx.person.id)
        return certificates[0] if certificates else None

    async def options(self, ctx: Context) -> Sequence[Option]:
        certificate = await self._certificate(ctx)
        options = []
        if certificate is not None and awaits_agreement(ctx, certificate):
            options.append(Option("agree", ctx.t("cert.agree")))
        elif certificate is not None and certificate.state == CS.ACTIVE:
            if next_surveillance(ctx, certificate) and ctx.services.scheme.surveillance_evidence:
                options.append(Option("surveillance", ctx.t("cert.upload_surveillance")))
            if any(r.renewal for r in ctx.services.scheme.routes):
                options.append(Option("renew", ctx.t("cert.renew")))
        return [*options, Option("menu", ctx.t("common.menu"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        certificate = await self._certificate(ctx)
        if certificate is None:
            body = ctx.t("cert.none")
        elif awaits_agreement(ctx, certificate):
            body = agreement_text(ctx, certificate)
        else:
            body = "\n".join(describe(ctx, certificate))
        return [choice(body, await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assert isinstance(event, OptionIn)
        certificate = await self._certificate(ctx)
        if event.option_id == "menu" or certificate is None:
            ctx.goto(MENU)
        elif awaits_agreement(ctx, certificate):
            if event.option_id == "agree":
                await _agree(ctx, certificate)
            await ctx.show_current()  # nothing else is open before the agreement (9.4.7)
        elif event.option_id == "surveillance":
            ctx.goto(SURVEILLANCE)
        else:
            await _renew(ctx, certificate)


async def _agree(ctx: Context, certificate: CertificateRecord) -> None:
    """9.8: the holder's agreement, with the time and the wording they agreed to."""
    locked = await ctx.uow.certificates.get(certificate.number, lock=True)
    if locked is None or locked.agreement is not None:
        return
    agreement: dict[str, JSONValue] = {
        "at": ctx.now().isoformat(),
        "locale": ctx.locale,
        "version": agreement_version(ctx),
        "channel": ctx.channel,
    }
    await ctx.uow.certificates.update(certificate.number, agreement=agreement)
    await ctx.uow.audit.record(
        ctx.person.id, ctx.channel, "certificate_agreement", f"certificate:{certificate.number}",
        allowed=True, details=agreement,
    )  # fmt: skip
    ctx.say(Text(ctx.t("cert.agreed", number=certificate.number)))


async def _renew(ctx: Context, certificate: CertificateRecord) -> None:
    """9.7.2: a re-certification application as in 9.1, its route and APL-01 pre-filled from the
    certificate's own application; its submission is the renewal request of 9.7.1."""
    current = await current_application(ctx)
    if current is not None and current.state not in APPLICATION.finals:  # one at a time
        ctx.say(Text(ctx.t("cert.renew_in_progress")))
        ctx.goto("status")
        return
    scheme = ctx.services.scheme
    route = next(r for r in scheme.routes if r.renewal)
    source = await ctx.uow.applications.get(certificate.application_id)
    draft = await ctx.uow.applications.create(ctx.person.id, scheme.code)
    await ctx.uow.applications.update(
        draft.id,
        eligibility=dict(route.applies_when),
        apl01=dict(source.apl01) if source is not None else {},
        renews=certificate.number,
    )
    request_by = renewal_request_deadline(certificate.expires_on, scheme.rules)
    today = local_date(ctx.now(), ZoneInfo(ctx.person.timezone))
    ctx.say(Text(ctx.t("cert.renew_started", number=certificate.number)))
    if today > request_by:
        ctx.say(Text(ctx.t("cert.renew_late", date=format_day(request_by, ctx.locale))))
    ctx.goto("eligibility")


class SurveillanceUploadStep:
    """The evidence of the surveillance that is due (9.6.3); staff are told once it arrives."""

    name = SURVEILLANCE
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn, FileIn})

    async def _due(self, ctx: Context) -> tuple[CertificateRecord, Evidence] | None:
        certificates = await ctx.uow.certificates.of_person(ctx.person.id)
        if not certificates or certificates[0].state != CS.ACTIVE:
            return None
        upcoming = next_surveillance(ctx, certificates[0])
        item = surveillance_item(ctx, upcoming[0]) if upcoming else None
        return (certificates[0], item) if item is not None else None

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

    async def handle(self, ctx: Context, event: StepInput) -> None:
        due = await self._due(ctx)
        if isinstance(event, OptionIn) or due is None:
            ctx.goto(MINE)
            return
        assert isinstance(event, FileIn)
        certificate, item = due
        every = await ctx.uow.applications.documents(certificate.application_id)
        stored = await receive_document(ctx, certificate.application_id, item, every, event)
        if stored is not None:
            for staff, _ in await ctx.uow.roles.people_with("staff"):
                await ctx.uow.outbox.schedule(
                    staff, "surveillance_received", {"certificate": certificate.number},
                    ctx.now(), f"surveillance_received:{certificate.number}:{item.id}:{staff}",
                )  # fmt: skip
        await ctx.show_current()


# --- staff ---------------------------------------------------------------------------------


class LookupStep:
    """Staff type a certificate number."""

    name = LOOKUP
    accepts: frozenset[type[StepInput]] = frozenset({TextIn, OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(f"{PREFIX}menu", ctx.t("common.menu"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [choice(ctx.t("cert.ask_number"), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        if isinstance(event, OptionIn):
            ctx.goto(MENU)
            return
        assert isinstance(event, TextIn)
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
    accepts: frozenset[type[StepInput]] = frozenset({OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        certificate = await ctx.uow.certificates.get(str(ctx.data.get("cert")))
        back = Option(f"{PREFIX}back", ctx.t("common.back"))
        if certificate is None:
            return [back]
        actions = CERTIFICATE.actions(CS(certificate.state), Actor.STAFF)
        options = [
            Option(f"{PREFIX}cert:{choice_id}", ctx.t(f"cert.do.{choice_id}"))
            for choice_id, action in STAFF_ACTIONS.items()
            if action in actions
            and (action != "record_surveillance" or next_surveillance(ctx, certificate))
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

    async def handle(self, ctx: Context, event: StepInput) -> None:
        assert isinstance(event, OptionIn)
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
    accepts: frozenset[type[StepInput]] = frozenset({TextIn, OptionIn})

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option(f"{PREFIX}back", ctx.t("common.back"))]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        key = f"cert.ask.{ctx.data.get('action')}"
        return [choice(ctx.t(key, number=ctx.data.get("cert")), await self.options(ctx))]

    async def handle(self, ctx: Context, event: StepInput) -> None:
        number = str(ctx.data.get("cert"))
        if isinstance(event, OptionIn):
            ctx.goto(MANAGE, {"cert": number})
            return
        assert isinstance(event, TextIn)
        choice_id = str(ctx.data.get("action"))
        text = event.text.strip()[:500]
        if not await allowed(ctx, f"certificate_{choice_id}", f"certificate:{number}"):
            return
        certificate = await ctx.uow.certificates.get(number, lock=True)
        try:
            if certificate is None:
                raise TransitionError(number)
            state = CERTIFICATE.apply(CS(certificate.state), STAFF_ACTIONS[choice_id], Actor.STAFF)
        except TransitionError:
            ctx.say(Text(ctx.t("staff.already_handled")))
            ctx.goto(LOOKUP)
            return
        if STAFF_ACTIONS[choice_id] == "record_surveillance":
            await _record_surveillance(ctx, certificate, choice_id, text)
        else:
            await _change_state(ctx, certificate, choice_id, str(state), text)
        ctx.say(Text(ctx.t("cert.recorded", number=number)))
        ctx.goto(MANAGE, {"cert": number})


async def _change_state(
    ctx: Context, certificate: CertificateRecord, choice_id: str, state: str, reason: str
) -> None:
    """9.5: freeze, unfreeze or revoke; a revoked certificate gets no more reminders."""
    number = certificate.number
    await ctx.uow.certificates.update(number, state=state, reason=reason)
    if state == CS.REVOKED:
        await ctx.uow.outbox.cancel(f"certificate:{number}")
        await ctx.uow.outbox.cancel(f"renewal:{number}")
    kind = {"freeze": "certificate_frozen", "unfreeze": "certificate_unfrozen"}.get(
        choice_id, "certificate_revoked"
    )
    params = {"certificate": number} if kind == "certificate_unfrozen" else {
        "certificate": number, "reason": reason,
    }  # fmt: skip
    now = ctx.now()
    await ctx.uow.outbox.schedule(
        certificate.person_id, kind, params, now, f"{kind}:{number}:{now.isoformat()}"
    )


async def _record_surveillance(
    ctx: Context, certificate: CertificateRecord, outcome: str, note: str
) -> None:
    """9.6.4: the result goes into the holder's record, and the holder is told."""
    now = ctx.now()
    record = {
        "on": local_date(now, ZoneInfo(ctx.services.scheme.rules.timezone)).isoformat(),
        "outcome": outcome, "note": note, "by": ctx.person.id,
    }  # fmt: skip
    await ctx.uow.certificates.update(
        certificate.number, surveillance=[*certificate.surveillance, record]
    )
    await ctx.uow.outbox.schedule(
        certificate.person_id, "surveillance_recorded",
        {"certificate": certificate.number, "outcome": outcome, "note": note}, now,
        f"surveillance_recorded:{certificate.number}:{len(certificate.surveillance) + 1}",
    )  # fmt: skip
