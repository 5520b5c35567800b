"""Certificates after issue (9.4.6): the holder's 9.8 agreement, without which the certificate is
not handed over (9.4.7); a renewal application pre-filled from the certificate (9.7); the
surveillance evidence reaching staff (9.6.3); and staff's care of a certificate — freeze, unfreeze
and revoke with a reason (9.5), the surveillance result (9.6.4).

Every staff verb checks the role now and the certificate's state, queues the holder's notice in
the same transaction and writes the audit row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain import schedule
from domain.notices import NoticeKind
from domain.parts import Agreement, SurveillanceOutcome, SurveillanceRecord
from domain.ports import ApplicationRecord, CertificateRecord, Services, UnitOfWork
from domain.schedule import Subject
from scheme.deadlines import local_date, renewal_request_deadline, surveillance_due_dates
from scheme.lifecycle import APPLICATION, CERTIFICATE, Actor, CertificateState, TransitionError
from scheme.model import Evidence, Rules, Scheme
from usecases.access import Caller, Refusal, Refused, audit_done, authorize
from usecases.decisions import person_zone

CS = CertificateState
ENDED = frozenset({CS.REVOKED, CS.RENEWED, CS.EXPIRED})
TEXT_LENGTH = 500


class CertificateAction(StrEnum):
    """What staff do to a certificate; each is one action of the certificate machine."""

    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    REVOKE = "revoke"
    MAINTAINED = "maintained"
    NOT_MAINTAINED = "not_maintained"

    @property
    def machine_action(self) -> str:
        surveillance = {CertificateAction.MAINTAINED, CertificateAction.NOT_MAINTAINED}
        return "record_surveillance" if self in surveillance else str(self)


def target(number: str) -> str:
    """The certificate as the audit log names it."""
    return f"certificate:{number}"


def agreement_version(scheme: Scheme, locale: str) -> str:
    """Which wording of 9.8 the holder agreed to: a digest of the clauses as they read them."""
    wording = "\n".join(f"{item.clause} {item.text.get(locale)}" for item in scheme.certificate_use)
    return hashlib.sha256(wording.encode()).hexdigest()[:12]


def awaits_agreement(scheme: Scheme, certificate: CertificateRecord) -> bool:
    """9.8 / 9.4.7: the scheme asks for the holder's agreement and it is not given yet."""
    return (
        bool(scheme.certificate_use)
        and certificate.agreement is None
        and certificate.state == CS.ACTIVE
    )


def next_surveillance(rules: Rules, certificate: CertificateRecord) -> tuple[int, date] | None:
    """(which surveillance, its due date) still to be recorded (9.6.2), or None when none is
    left."""
    dues = surveillance_due_dates(certificate.issued_on, rules)
    done = len(certificate.surveillance)
    return (done + 1, dues[done]) if done < len(dues) else None


def surveillance_item(scheme: Scheme, number: int) -> Evidence | None:
    """The scheme's surveillance evidence, filed per surveillance (``surveillance_1`` …)."""
    evidence = scheme.surveillance_evidence
    if evidence is None:
        return None
    return evidence.model_copy(update={"id": f"{evidence.id}_{number}"})


def staff_actions(rules: Rules, certificate: CertificateRecord) -> list[CertificateAction]:
    """What staff may do to the certificate from its state (a surveillance only while one is
    still to be recorded)."""
    allowed = CERTIFICATE.actions(CS(certificate.state), Actor.STAFF)
    return [
        action
        for action in CertificateAction
        if action.machine_action in allowed
        and (
            action.machine_action != "record_surveillance" or next_surveillance(rules, certificate)
        )
    ]


async def holders_certificate(uow: UnitOfWork, caller: Caller) -> CertificateRecord | None:
    """The caller's newest certificate."""
    if caller.person_id is None:
        return None
    certificates = await uow.certificates.of_person(caller.person_id)
    return certificates[0] if certificates else None


async def agree(
    uow: UnitOfWork, services: Services, caller: Caller, number: str, *, locale: str
) -> CertificateRecord | Refused:
    """9.8: the holder's agreement, with the time and the wording (in ``locale``) agreed to."""
    certificate = await uow.certificates.get(number, lock=True)
    if certificate is None or certificate.person_id != caller.person_id:
        return Refused(Refusal.NOT_ALLOWED)
    if certificate.agreement is not None:
        return Refused(Refusal.ALREADY_HANDLED)
    agreement = Agreement(
        services.clock(), locale, agreement_version(services.scheme, locale), caller.channel
    )
    updated = await uow.certificates.update(number, agreement=agreement)
    details = agreement.to_json()
    await audit_done(uow, caller, "certificate_agreement", target(number), details)
    return updated


@dataclass(frozen=True, slots=True)
class RenewalStarted:
    draft: ApplicationRecord
    request_by: date
    """9.7.1: the request is due 3 months before expiry."""
    late: bool
    """Started after ``request_by`` (the draft is made all the same)."""


async def start_renewal(
    uow: UnitOfWork, services: Services, caller: Caller, number: str
) -> RenewalStarted | Refused:
    """9.7.2: a re-certification application as in 9.1, its route and APL-01 pre-filled from
    the certificate's own application; its submission is the renewal request of 9.7.1. One
    application at a time."""
    certificate = await uow.certificates.get(number)
    if certificate is None or caller.person_id is None or certificate.person_id != caller.person_id:
        return Refused(Refusal.NOT_ALLOWED)
    if certificate.state != CS.ACTIVE:
        return Refused(Refusal.ALREADY_HANDLED)
    current = await uow.applications.current(caller.person_id)
    if current is not None and current.state not in APPLICATION.finals:
        return Refused(Refusal.IN_PROGRESS)
    scheme = services.scheme
    route = next((r for r in scheme.routes if r.renewal), None)
    if route is None:
        return Refused(Refusal.NOT_ALLOWED)  # this scheme is not renewed through the bot
    source = await uow.applications.get(certificate.application_id)
    created = await uow.applications.create(caller.person_id, scheme.code)
    draft = await uow.applications.update(
        created.id,
        eligibility=dict(route.applies_when),
        apl01=dict(source.apl01) if source is not None else {},
        renews=certificate.number,
    )
    request_by = renewal_request_deadline(certificate.expires_on, scheme.rules)
    zone = await person_zone(uow, services, caller.person_id)
    today = local_date(services.clock(), ZoneInfo(zone))
    return RenewalStarted(draft, request_by, late=today > request_by)


async def surveillance_received(
    uow: UnitOfWork, services: Services, certificate: CertificateRecord, item: Evidence
) -> None:
    """9.6.3: staff are told once the holder's surveillance evidence has arrived."""
    planned = schedule.surveillance_received(certificate.number, item.id, services.clock())
    for staff, _ in await uow.roles.people_with("staff"):
        await uow.outbox.schedule(staff, planned.to_each(staff))


async def care(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    number: str,
    *,
    action: CertificateAction,
    text: str,
) -> CertificateRecord | Refused:
    """9.5 freeze, unfreeze or revoke with ``text`` as the reason, or 9.6.4 the surveillance
    result with ``text`` as its note; the holder is told."""
    if not await authorize(uow, caller, f"certificate_{action}", target(number)):
        return Refused(Refusal.NOT_ALLOWED)
    certificate = await uow.certificates.get(number, lock=True)
    if certificate is None:
        return Refused(Refusal.ALREADY_HANDLED)
    try:
        state = CERTIFICATE.apply(CS(certificate.state), action.machine_action, Actor.STAFF)
    except TransitionError:
        return Refused(Refusal.ALREADY_HANDLED)
    text = text.strip()[:TEXT_LENGTH]
    if action.machine_action == "record_surveillance":
        if next_surveillance(services.scheme.rules, certificate) is None:
            return Refused(Refusal.ALREADY_HANDLED)  # every surveillance is recorded
        updated = await _record_surveillance(
            uow, services, caller, certificate, outcome=action, note=text
        )
    else:
        updated = await _change_state(
            uow, services, certificate, action=action, state=state, reason=text
        )
    await audit_done(uow, caller, f"certificate_{action}", target(number))
    return updated


async def _change_state(
    uow: UnitOfWork,
    services: Services,
    certificate: CertificateRecord,
    *,
    action: CertificateAction,
    state: CertificateState,
    reason: str,
) -> CertificateRecord:
    """9.5: a revoked certificate gets no more reminders."""
    number = certificate.number
    updated = await uow.certificates.update(number, state=state, reason=reason)
    if state == CS.REVOKED:
        await uow.outbox.cancel(Subject.certificate(number))
        await uow.outbox.cancel(Subject.renewal(number))
    kind = {
        CertificateAction.FREEZE: NoticeKind.CERTIFICATE_FROZEN,
        CertificateAction.UNFREEZE: NoticeKind.CERTIFICATE_UNFROZEN,
    }.get(action, NoticeKind.CERTIFICATE_REVOKED)
    kept = None if kind is NoticeKind.CERTIFICATE_UNFROZEN else reason
    planned = schedule.certificate_changed(kind, number, services.clock(), kept)
    await uow.outbox.schedule(certificate.person_id, planned)
    return updated


async def _record_surveillance(
    uow: UnitOfWork,
    services: Services,
    caller: Caller,
    certificate: CertificateRecord,
    *,
    outcome: CertificateAction,
    note: str,
) -> CertificateRecord:
    """9.6.4: the result goes into the holder's record, and the holder is told."""
    now = services.clock()
    record = SurveillanceRecord(
        local_date(now, ZoneInfo(services.scheme.rules.timezone)),
        SurveillanceOutcome(outcome.value), note, caller.person_id,
    )  # fmt: skip
    number = certificate.number
    updated = await uow.certificates.update(
        number, surveillance=(*certificate.surveillance, record)
    )
    nth = len(certificate.surveillance) + 1
    planned = schedule.surveillance_recorded(number, str(outcome), note, nth, now)
    await uow.outbox.schedule(certificate.person_id, planned)
    return updated
