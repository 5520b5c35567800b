"""Certificates after issue, over the Telegram adapter: the holder's view, surveillance evidence
(9.6.3) and its recorded result (9.6.4), freezing and revoking (9.5), a renewal pre-filled from
the certificate (9.7) that replaces it, and what the worker closes when time runs out (9.9.2,
9.4.6)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from bot.dispatcher import build_dispatcher
from tests import documents as files
from tests.bot.telegram_rig import NOW, Rig
from tests.bot.telegram_user import TelegramUser
from tests.bot.test_staff import (
    ASSESSOR_ID,
    accept_all,
    assessor,
    certify,
    deliver_notices,
    insert_applications,
    open_application,
    person_of,
    rows,
    sent_to,
    staff_member,
)
from tests.journey import RENEWAL_NEEDS, upload_answer_and_submit
from tests.scheme.test_eligibility import NEW_OK
from tests.usecases.world import APL01

NUMBER = "BNSP-AK-2026-0001"
PENDING_OF_CERTIFICATE = (
    f"SELECT count(*) FROM outbox WHERE subject = 'certificate:{NUMBER}' AND status = 'pending'"
)


async def certified(rig: Rig, *, agreed: bool = True) -> tuple[TelegramUser, TelegramUser]:
    """Siti holds certificate NUMBER, issued by Budi over the chat, and, unless ``agreed`` is
    false, has signed 9.8. Her application is put straight at the decision (the journey to it is
    ``tests/bot/test_staff.py``'s); Ani is the assessor a renewal is assigned to."""
    siti = rig.user()
    await siti.text("/start")
    await siti.press("id")
    budi = await staff_member(rig)
    await assessor(rig)
    decision = {"result": "decided_competent", "record": "BA-02/LSP/XII/2026", "by": None}
    await insert_applications(
        rig,
        [{
            "person_id": await person_of(rig, 777001), "state": "decided_competent",
            "reference": "AK-2026-00001", "eligibility": dict(NEW_OK), "route": "new_candidate",
            "apl01": dict(APL01), "submitted_at": NOW, "decision": decision,
        }],
    )  # fmt: skip
    await open_application(budi)
    await budi.press("s:do:issue_certificate")
    await budi.text(NUMBER)
    assert "Sertifikat untuk" in budi.screen
    if agreed:
        await agree_to_use(siti)
    return siti, budi


async def agree_to_use(holder: TelegramUser) -> None:
    await holder.text("/sertifikat")
    assert "harus menyetujui untuk (9.8)" in holder.screen, holder.screen
    await holder.press("agree")
    assert "Persetujuan penggunaan sertifikat (9.8) tercatat" in holder.screen


async def test_the_certificate_is_handed_over_once_the_holder_signs_9_8(rig: Rig) -> None:
    siti, budi = await certified(rig, agreed=False)
    await deliver_notices(rig)
    assert any("setujui ketentuan penggunaan sertifikat (9.8)" in t for t in sent_to(rig, siti))
    await siti.text("/sertifikat")
    screen = siti.screen
    assert "Sebelum sertifikat diserahkan kepada Anda (9.4.7)" in screen
    assert "• 9.8.2 Menggunakan sertifikat hanya untuk ruang lingkup" in screen
    assert "• 9.8.4 Menghentikan penggunaan" in screen
    assert "Surveilan ke-1" not in screen  # not handed over yet
    assert siti.buttons == ["agree", "menu"]
    await siti.press("surveillance")  # an option of the handed-over view: not open yet
    assert "surveillance" not in siti.buttons
    await open_certificate(budi)
    assert "(9.8): belum diberikan — sertifikat belum diserahkan (9.4.7)" in budi.screen

    await siti.text("/sertifikat")
    await siti.press("agree")
    assert "sertifikat BNSP-AK-2026-0001 kini diserahkan" in siti.screen
    assert "Surveilan ke-1 jatuh tempo 25 November 2027" in siti.screen
    assert "renew" in siti.buttons
    [(agreement,)] = await rows(rig, "SELECT agreement FROM certificates")
    signed = json.loads(agreement) if isinstance(agreement, str) else agreement  # SQLite: text
    assert (signed["locale"], signed["channel"]) == ("id", "telegram")
    assert signed["version"]
    await siti.text("/sertifikat")
    await siti.press("agree")  # an old message's button: nothing is recorded twice
    audit = await rows(rig, "SELECT action FROM audit_log WHERE action = 'certificate_agreement'")
    assert len(audit) == 1
    await open_certificate(budi)
    assert "(9.8): disetujui Rabu, 25 November 2026 pukul 10.00 WIB (teks versi" in budi.screen


async def open_certificate(budi: TelegramUser, number: str = NUMBER) -> None:
    await budi.text("/sertifikat")
    assert "Ketik nomor sertifikat" in budi.screen
    await budi.text(number)
    assert f"Sertifikat {number}" in budi.screen


async def run_worker(rig: Rig, at: datetime) -> None:
    dispatcher = build_dispatcher(rig.app, clock=lambda: at)
    assert dispatcher is not None
    try:
        await dispatcher.run(asyncio.Event(), until_idle=True)
    finally:
        await dispatcher.close()


async def test_surveillance_evidence_reaches_staff_and_the_result_reaches_the_holder(
    rig: Rig,
) -> None:
    siti, budi = await certified(rig)
    await siti.text("/sertifikat")
    assert f"Sertifikat {NUMBER} — berlaku" in siti.screen
    assert "berlaku sampai 25 November 2029 (9.4.6)" in siti.screen
    assert "Surveilan ke-1 jatuh tempo 25 November 2027" in siti.screen
    assert "paling lambat 25 Agustus 2029 (9.7.1)" in siti.screen
    await siti.press("surveillance")
    assert "Logbook asesmen" in siti.screen
    await siti.document(files.windows_executable(), "logbook.pdf")
    assert "bukan dokumen" in siti.screen  # an .exe named .pdf
    await siti.document(files.pdf("logbook 2027"), "logbook-2027.pdf")
    assert "Diterima" in siti.screen
    await siti.press("done")
    await deliver_notices(rig)
    assert any(f"Bukti surveilan sertifikat {NUMBER}" in t for t in sent_to(rig, budi))

    await open_certificate(budi)
    assert "Pemegang: Siti" in budi.screen
    [document] = [b for b in budi.buttons if b.startswith("s:doc:")]
    await budi.press(document)
    assert rig.api.uploads[-1] == ("logbook-2027.pdf", files.pdf("logbook 2027"))
    await budi.press("s:cert:maintained")
    await budi.text("Logbook 2027 lengkap, 14 asesmen")
    assert f"Tercatat untuk sertifikat {NUMBER}" in budi.screen
    [(surveillance,)] = await rows(rig, "SELECT surveillance FROM certificates")
    assert "maintained" in str(surveillance)
    assert "14 asesmen" in str(surveillance)
    await deliver_notices(rig)
    assert any("kompetensi terpelihara" in t and "14 asesmen" in t for t in sent_to(rig, siti))
    await siti.text("/sertifikat")
    assert "Surveilan ke-1 (25 November 2026): kompetensi terpelihara" in siti.screen
    assert "Surveilan ke-2 jatuh tempo 25 November 2028" in siti.screen
    actions = [a for (a,) in await rows(rig, "SELECT action FROM audit_log WHERE allowed")]
    assert {"view_certificate", "certificate_open_document", "open_document"} <= set(actions)
    assert "certificate_maintained" in actions


async def test_freeze_unfreeze_and_revoke_with_reasons(rig: Rig) -> None:
    siti, budi = await certified(rig)
    await open_certificate(budi)
    assert "s:cert:unfreeze" not in budi.buttons
    await budi.press("s:cert:freeze")
    await budi.text("Laporan pelanggaran kode etik sedang diperiksa")
    [(state, reason)] = await rows(rig, "SELECT state, reason FROM certificates")
    assert (state, reason) == ("frozen", "Laporan pelanggaran kode etik sedang diperiksa")
    assert "dibekukan (9.5)" in budi.screen
    assert "s:cert:freeze" not in budi.buttons
    assert "s:cert:maintained" not in budi.buttons
    await siti.text("/sertifikat")
    assert "dibekukan (9.5)" in siti.screen
    assert "renew" not in siti.buttons
    assert "surveillance" not in siti.buttons

    await budi.press("s:cert:unfreeze")
    await budi.text("Pemeriksaan selesai, tidak terbukti")
    [(state,)] = await rows(rig, "SELECT state FROM certificates")
    assert state == "active"

    await budi.press("s:cert:revoke")
    await budi.text("Pelanggaran kode etik terbukti (9.10)")
    [(state,)] = await rows(rig, "SELECT state FROM certificates")
    assert state == "revoked"
    open_reminders = await rows(
        rig,
        "SELECT count(*) FROM outbox WHERE status = 'pending' AND "
        f"(subject = 'certificate:{NUMBER}' OR subject = 'renewal:{NUMBER}')",
    )
    assert open_reminders[0][0] == 0  # no surveillance, renewal or expiry reminders any more
    await deliver_notices(rig)
    to_siti = sent_to(rig, siti)
    assert any("dibekukan (9.5): Laporan pelanggaran" in t for t in to_siti)
    assert any("Pembekuan sertifikat" in t for t in to_siti)
    assert any("dicabut (9.5): Pelanggaran kode etik terbukti" in t for t in to_siti)

    await siti.press("s:cert:revoke")  # a forged staff button: refused, logged, nothing changes
    assert "tidak tersedia" in siti.screen
    audit = await rows(rig, "SELECT action, allowed FROM audit_log ORDER BY id")
    changes = [a for a, ok in audit if ok and a in {f"certificate_{v}" for v in VERBS}]
    assert changes == [f"certificate_{v}" for v in VERBS]
    assert (audit[-1][0], bool(audit[-1][1])) == ("forged_option", False)


VERBS = ("freeze", "unfreeze", "revoke")


async def test_renewal_is_prefilled_and_its_certificate_replaces_the_old_one(rig: Rig) -> None:
    siti, budi = await certified(rig)
    await siti.text("/sertifikat")
    await siti.press("renew")
    assert "Permohonan sertifikasi ulang untuk sertifikat" in siti.screen
    assert "(6.2.1)" not in siti.screen  # the certificate question is answered already
    assert "SPT" in siti.screen
    [(old_apl01,), (new_apl01,)] = await rows(rig, "SELECT apl01 FROM applications ORDER BY id")
    assert new_apl01 == old_apl01
    [(renews,)] = await rows(rig, "SELECT renews FROM applications WHERE state = 'draft'")
    assert renews == NUMBER
    for _ in range(12):  # the remaining eligibility questions of 6.2: all met
        if "confirm" in siti.buttons:  # on to APL-01, given before: its review
            break
        if "1" in siti.buttons:
            await siti.press("1")
        else:
            await siti.text("6")
    assert "Sertifikasi Ulang" in siti.screen
    assert "Periksa kembali data APL-01" in siti.screen
    await siti.press("confirm")
    await upload_answer_and_submit(siti, RENEWAL_NEEDS)
    pending = await rows(
        rig, f"SELECT kind FROM outbox WHERE subject = 'renewal:{NUMBER}' AND status = 'pending'"
    )
    assert pending == []  # 9.7.1: the request is made, no more renewal reminders
    surveillance = await rows(rig, PENDING_OF_CERTIFICATE)
    assert surveillance[0][0] == 3  # two surveillances and the expiry are still ahead

    await accept_all(budi, RENEWAL_NEEDS)
    await certify(rig, budi, rig.user(user_id=ASSESSOR_ID, first_name="Ani"), "BNSP-AK-2026-0002")
    states = dict(await rows(rig, "SELECT number, state FROM certificates"))
    assert states == {NUMBER: "renewed", "BNSP-AK-2026-0002": "active"}
    surveillance = await rows(rig, PENDING_OF_CERTIFICATE)
    assert surveillance[0][0] == 0
    await agree_to_use(siti)
    assert "Sertifikat BNSP-AK-2026-0002 — berlaku" in siti.screen


async def test_the_worker_closes_a_lapsed_appeal_window_and_expires_certificates(
    rig: Rig,
) -> None:
    siti, _ = await certified(rig)
    await run_worker(rig, NOW + timedelta(days=3 * 366))
    [(state,)] = await rows(rig, "SELECT state FROM certificates")
    assert state == "expired"
    await siti.text("/sertifikat")
    assert "masa berlaku habis" in siti.screen
    assert "renew" not in siti.buttons

    rina = rig.user(user_id=555001, first_name="Rina")
    await rina.text("/start")
    await rina.press("id")
    application = await person_of(rig, 555001)
    assert application  # Rina is a person now; her application is set straight to the decision
    decision = {"result": "decided_not_yet", "appeal_until": "2026-11-26T16:59:59+00:00"}
    await insert_applications(
        rig,
        [
            {
                "person_id": application,
                "state": "decided_not_yet",
                "reference": "AK-2026-LAPSE",
                "decision": decision,
            }
        ],
    )
    await run_worker(rig, NOW + timedelta(hours=12))  # window still open
    [(state,)] = await rows(rig, "SELECT state FROM applications WHERE reference = 'AK-2026-LAPSE'")
    assert state == "decided_not_yet"
    await run_worker(rig, NOW + timedelta(days=2))
    [(state,)] = await rows(rig, "SELECT state FROM applications WHERE reference = 'AK-2026-LAPSE'")
    assert state == "not_yet_competent"
    assert any("AK-2026-LAPSE" in t for t in sent_to(rig, rina))
    await rina.text("/banding")
    assert "banding" in rina.screen.lower()
    [(state,)] = await rows(rig, "SELECT state FROM applications WHERE reference = 'AK-2026-LAPSE'")
    assert state == "not_yet_competent"


async def test_a_broadcast_reaches_certificates_expiring_within_the_months_typed(
    rig: Rig,
) -> None:
    siti, budi = await certified(rig)  # expires 25 November 2029
    for months, reached in (("35", 0), ("36", 1)):
        await budi.text("/siaran")
        await budi.press("s:seg:expiring")
        await budi.text("40")
        assert "dari 1 sampai 36" in budi.screen
        await budi.text(months)
        await budi.press("s:tpl:renewal")
        assert f"Sertifikat berakhir dalam {months} bulan — {reached} orang" in budi.screen
    await budi.press("s:send")
    await deliver_notices(rig)
    assert any("Pengingat sertifikasi ulang" in t for t in sent_to(rig, siti))


async def test_the_surveillance_segment_follows_the_schemes_interval(rig: Rig) -> None:
    """9.6.2 at the scheme's own interval, not a fixed twelve months (issue 15): with surveillance
    every six months, a certificate issued on 25 November 2026 is due on 25 May 2027."""
    await certified(rig)
    rules = rig.app.scheme.rules
    every_six = rules.model_copy(update={"surveillance_interval_months": 6})
    async with rig.app.uow_factory() as uow:
        reach = uow.broadcasts.reach  # Siti, the only holder, or nobody
        in_may = datetime(2027, 5, 1, 3, 0, tzinfo=UTC)
        assert await reach("surveillance", in_may, every_six) == 1
        assert await reach("surveillance", in_may, rules) == 0  # yearly: not yet
        in_november = datetime(2027, 11, 1, 3, 0, tzinfo=UTC)
        assert await reach("surveillance", in_november, rules) == 1
        after_expiry = datetime(2029, 11, 1, 3, 0, tzinfo=UTC)  # the certificate's last year
        assert await reach("surveillance", after_expiry, rules) == 0
