"""Certificates after issue, on a database holding one certificate made directly: the holder's
9.8 agreement and renewal (9.7), staff's freeze, unfreeze and revocation (9.5) and surveillance
results (9.6.4) — what each changes, who is told, and every refusal changing nothing."""

from __future__ import annotations

from datetime import date

from domain.notices import Notice, NoticeKind
from domain.parts import SurveillanceOutcome
from domain.schedule import DedupeKey, Planned, Subject
from scheme.lifecycle import ApplicationState as A
from scheme.lifecycle import CertificateState as CS
from tests.usecases.world import World, refusal
from usecases import certificates
from usecases.access import Caller, Refusal, Refused
from usecases.broadcasts import Queued, send_broadcast, valid_segment
from usecases.certificates import CertificateAction as Do
from usecases.certificates import RenewalStarted

NUMBER = "LSP-AK-2024-0001"


async def _holder(world: World, issued_on: date = date(2024, 12, 2)) -> tuple[Caller, int]:
    siti = await world.person("siti")
    return siti, await world.certificate(siti, NUMBER, issued_on)


async def test_the_holders_agreement_is_kept_once_with_its_wording(world: World) -> None:
    siti, _ = await _holder(world)
    budi = await world.person("budi", "staff")

    assert refusal(await world.call(certificates.agree, budi, NUMBER, locale="id")) is (
        Refusal.NOT_ALLOWED
    )
    agreed = await world.call(certificates.agree, siti, NUMBER, locale="en")

    assert not isinstance(agreed, Refused)
    assert agreed.agreement is not None
    scheme = world.app.services.scheme
    assert agreed.agreement.version == certificates.agreement_version(scheme, "en")
    assert agreed.agreement.locale == "en"
    assert not certificates.awaits_agreement(scheme, agreed)
    again = await world.call(certificates.agree, siti, NUMBER, locale="id")
    assert refusal(again) is Refusal.ALREADY_HANDLED
    assert await world.audit_rows("action") == [("certificate_agreement",)]


async def test_a_renewal_is_prefilled_and_late_after_the_request_deadline(world: World) -> None:
    """Issued 2 December 2023: it expires on 2 December 2026; the request was due by 2 September
    (9.7.1) — it is 25 November 2026, so the renewal starts, late."""
    siti, app_id = await _holder(world, date(2023, 12, 2))

    started = await world.call(certificates.start_renewal, siti, NUMBER)

    assert isinstance(started, RenewalStarted)
    assert started.late
    assert started.request_by == date(2026, 9, 2)
    assert started.draft.renews == NUMBER
    assert started.draft.apl01 == {"full_name": "Siti Rahayu"}  # from the certified one
    assert started.draft.id != app_id
    again = await world.call(certificates.start_renewal, siti, NUMBER)
    assert refusal(again) is Refusal.IN_PROGRESS  # one application at a time


async def test_staff_freeze_and_unfreeze_and_the_holder_is_told_each_time(world: World) -> None:
    siti, _ = await _holder(world)
    budi = await world.person("budi", "staff")
    care = certificates.care

    frozen = await world.call(care, budi, NUMBER, action=Do.FREEZE, text=" Data palsu? ")
    assert not isinstance(frozen, Refused)
    assert (frozen.state, frozen.reason) == (CS.FROZEN, "Data palsu?")
    assert certificates.staff_actions(world.app.services.scheme.rules, frozen) == [
        Do.UNFREEZE, Do.REVOKE,
    ]  # fmt: skip
    assert refusal(await world.call(care, budi, NUMBER, action=Do.FREEZE, text="lagi")) is (
        Refusal.ALREADY_HANDLED
    )
    unfrozen = await world.call(care, budi, NUMBER, action=Do.UNFREEZE, text="Sudah diperiksa")

    assert not isinstance(unfrozen, Refused)
    assert unfrozen.state == CS.ACTIVE
    notices = await world.outbox_rows("person_id", "kind")
    assert notices == [
        (siti.person_id, "certificate_frozen"),
        (siti.person_id, "certificate_unfrozen"),
    ]
    actions = await world.audit_rows("action", "allowed")
    assert [(a, bool(ok)) for a, ok in actions] == [
        ("certificate_freeze", True), ("certificate_unfreeze", True),
    ]  # fmt: skip


async def test_a_revoked_certificate_gets_no_more_reminders(world: World) -> None:
    siti, _ = await _holder(world)
    budi = await world.person("budi", "staff")
    await world.call(
        lambda uow, services: uow.outbox.schedule(
            siti.person_id,
            Planned(
                Notice(
                    NoticeKind.RENEWAL_REMINDER,
                    {"certificate": NUMBER, "request_by_on": "2029-08-25"},
                ),
                services.clock(),
                DedupeKey("r1"),
                Subject.renewal(NUMBER),
            ),
        )
    )

    revoked = await world.call(
        certificates.care, budi, NUMBER, action=Do.REVOKE, text="Pelanggaran kode etik"
    )

    assert not isinstance(revoked, Refused)
    assert revoked.state == CS.REVOKED
    rows = await world.outbox_rows("kind", "status")
    assert rows == [("renewal_reminder", "cancelled"), ("certificate_revoked", "pending")]
    assert certificates.staff_actions(world.app.services.scheme.rules, revoked) == []


async def test_surveillance_results_are_recorded_in_turn(world: World) -> None:
    await _holder(world)
    budi = await world.person("budi", "staff")
    rules = world.app.services.scheme.rules

    first = await world.call(
        certificates.care, budi, NUMBER, action=Do.MAINTAINED, text="Portofolio lengkap"
    )

    assert not isinstance(first, Refused)
    assert [r.outcome for r in first.surveillance] == [SurveillanceOutcome.MAINTAINED]
    upcoming = certificates.next_surveillance(rules, first)
    assert upcoming == (2, date(2026, 12, 2))
    outcome = await world.outbox_rows("params", kind="surveillance_recorded")
    assert "Portofolio lengkap" in str(outcome)


async def test_a_candidate_does_nothing_to_a_certificate(world: World) -> None:
    siti, _ = await _holder(world)

    refused = await world.call(certificates.care, siti, NUMBER, action=Do.REVOKE, text="x")

    assert refusal(refused) is Refusal.NOT_ALLOWED
    certificate = await world.query(lambda uow: uow.certificates.get(NUMBER))
    assert certificate.state == CS.ACTIVE
    assert await world.audit_rows("action", "allowed") == [("certificate_revoke", False)]


async def test_a_broadcast_reaches_the_segment_and_is_audited_once(world: World) -> None:
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    await world.application(siti, A.SUBMITTED)
    texts = {"text_id": " Halo ", "text_en": "Hello"}

    queued = await world.call(send_broadcast, budi, "state:submitted", texts)
    refused = await world.call(send_broadcast, siti, "all", texts)

    assert isinstance(queued, Queued)
    assert queued.people == 1
    assert refusal(refused) is Refusal.NOT_ALLOWED
    assert [valid_segment(s) for s in ("state:nope", "expiring:37", "expiring:6", "all")] == [
        False, False, True, True,
    ]  # fmt: skip
    rows = await world.outbox_rows("person_id")
    assert rows == [(siti.person_id,)]
    audit = await world.audit_rows("action", "allowed")
    assert [(a, bool(ok)) for a, ok in audit] == [("broadcast", True), ("send_broadcast", False)]
