"""Staff review over the Telegram adapter (9.1.5–9.1.6): send back for fixes with reasons per
evidence item, the candidate fixes and resubmits, staff accept; notices through the outbox;
every action checked on the server and in the audit log, refused attempts included."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, text

from bot import operator
from bot.dispatcher import build_dispatcher
from domain.notices import format_day, format_instant
from storage.models import ApplicationRow
from tests import documents as files
from tests.bot.telegram_rig import NOW, Rig
from tests.bot.telegram_user import TelegramUser
from tests.journey import ELIGIBILITY, EVIDENCE_NEEDS, give_apl01, upload_answer_and_submit
from usecases.access import Role
from usecases.roles import RoleChange

STAFF_ID = 888001


async def submitted_application(rig: Rig) -> TelegramUser:
    """A candidate who has applied over Telegram, everything filled in and submitted."""
    siti = rig.user()
    await siti.text("/start")
    await siti.press("id")
    for value in ELIGIBILITY:
        if value in siti.buttons:
            await siti.press(value)
        else:
            await siti.text(value)
    await give_apl01(siti, lambda: siti.contact("6281234567890"))
    await siti.press("confirm")
    await upload_answer_and_submit(siti)
    return siti


async def staff_member(rig: Rig) -> TelegramUser:
    await operator.change_role(
        rig.app, "telegram", str(STAFF_ID), Role.STAFF, grant=True, by="test"
    )
    return rig.user(user_id=STAFF_ID, first_name="Budi")


async def deliver_notices(rig: Rig) -> None:
    dispatcher = build_dispatcher(rig.app, clock=lambda: rig.clock.at + timedelta(minutes=1))
    assert dispatcher is not None
    try:
        await dispatcher.run(asyncio.Event(), until_idle=True)
    finally:
        await dispatcher.close()


async def rows(rig: Rig, sql: str) -> list[Any]:
    async with rig.app.engine.connect() as connection:
        return list(await connection.execute(text(sql)))


async def test_send_back_fix_resubmit_accept(rig: Rig) -> None:
    siti = await submitted_application(rig)
    budi = await staff_member(rig)
    await budi.text("/antrian")
    assert "Antrian — Semua (1)" in budi.screen
    [application] = [b for b in budi.buttons if b.startswith("s:app:")]
    await budi.press(application)
    assert "Permohonan AK-2026-" in budi.screen
    assert "NIK: 3273015708850002" in budi.screen
    assert "APL-02 per elemen (FR.APL.02):" in budi.screen
    assert "• P.85ASM00.003.2: K 6, BK 0" in budi.screen
    assert "  K · 1. Menentukan pendekatan asesmen (" in budi.screen  # with its evidence
    # Staff see where each element's text comes from (the candidate never does).
    assert "sumber: S2 (TOC), S1, S3 (FR.MAPA.01 section 1); keyakinan: high" in budi.screen
    assert "3.4 low (terpotong, tidak ditampilkan ke asesi)" in budi.screen
    for item in EVIDENCE_NEEDS:
        await budi.press(f"s:item:{item}")
        if item == "practice_planning":
            assert "practice_planning-0.pdf" in budi.screen
            await budi.press("s:mark:not_ok")
            await budi.text("Scan buram, unggah ulang yang jelas")
        else:
            await budi.press("s:mark:ok")
    assert budi.labels["s:item:practice_planning"].startswith("❌")
    assert budi.labels["s:item:ktp"].startswith("✅")
    await budi.press("s:accept")
    assert "Semua bukti harus bertanda" in budi.screen  # not with a failing item
    await budi.press("s:send_back")
    assert "dikembalikan" in budi.screen

    await deliver_notices(rig)
    [notice] = [m for m in rig.api.sent() if m["chat_id"] == siti.user["id"]][-1:]
    assert "perlu diperbaiki" in notice["text"]
    assert "Scan buram, unggah ulang yang jelas" in notice["text"]
    await siti.text("/status")
    assert "Yang perlu diperbaiki" in siti.screen
    assert "Scan buram" in siti.screen

    await siti.text("/daftar")
    await siti.press("evidence")
    await siti.press("practice_planning")
    await siti.document(files.pdf("practice-clear"), "logbook-jelas.pdf")
    assert "Diterima" in siti.screen
    await siti.press("back")
    await siti.press("back")
    await siti.press("submit")
    await siti.press("agree")
    assert "Permohonan terkirim!" in siti.screen

    await budi.text("/antrian")
    await budi.press(application)
    await budi.press("s:item:practice_planning")
    assert "logbook-jelas.pdf" in budi.screen
    await budi.press("s:mark:ok")
    await budi.press("s:accept")
    assert "diterima" in budi.screen
    [(state,)] = await rows(rig, "SELECT state FROM applications")
    assert state == "accepted"
    await deliver_notices(rig)
    last = [m for m in rig.api.sent() if m["chat_id"] == siti.user["id"]][-1]
    assert "Diterima sebagai peserta sertifikasi" in last["text"]

    actions = [
        action
        for (action,) in await rows(
            rig,
            "SELECT action FROM audit_log WHERE allowed AND channel = 'telegram' ORDER BY id",
        )
    ]
    expected = ("view_queue", "view_application", "mark_ok", "mark_not_ok", "send_back", "accept")
    assert set(expected) <= set(actions)


async def test_a_candidate_gets_nothing_from_staff_commands_or_buttons(rig: Rig) -> None:
    siti = await submitted_application(rig)
    await siti.text("/antrian")
    assert "tidak tersedia" in siti.screen
    assert not [b for b in siti.buttons if b.startswith("s:")]
    for forged in ("s:app:1", "s:accept", "s:mark:ok", "s:send_back"):
        await siti.press(forged)
        assert "tidak tersedia" in siti.screen
    [(state, review)] = await rows(rig, "SELECT state, review FROM applications")
    assert state == "submitted"
    assert review in ({}, "{}")
    refused = await rows(rig, "SELECT action, target FROM audit_log WHERE NOT allowed ORDER BY id")
    assert [a for a, _ in refused] == ["view_queue"] + ["forged_option"] * 4
    assert refused[2][1] == "s:accept"


async def test_a_role_revoked_mid_review_stops_the_next_press(rig: Rig) -> None:
    await submitted_application(rig)
    budi = await staff_member(rig)
    await budi.text("/antrian")
    await budi.press(next(b for b in budi.buttons if b.startswith("s:app:")))
    await budi.press("s:item:ktp")
    assert await operator.change_role(
        rig.app, "telegram", str(STAFF_ID), Role.STAFF, grant=False, by="test"
    ) == RoleChange(changed=True)
    await budi.press("s:mark:ok")
    assert "tidak tersedia" in budi.screen
    [(review,)] = await rows(rig, "SELECT review FROM applications")
    assert review in ({}, "{}")
    latest = await rows(
        rig, "SELECT action, allowed FROM audit_log WHERE channel = 'telegram' ORDER BY id DESC"
    )
    assert (latest[0][0], bool(latest[0][1])) == ("mark_ok", False)


ASSESSOR_ID = 888002


async def person_of(rig: Rig, telegram_id: int) -> int:
    [(person,)] = await rows(
        rig, f"SELECT person_id FROM channel_identities WHERE external_id = '{telegram_id}'"
    )
    return int(person)


async def assessor(rig: Rig) -> TelegramUser:
    await operator.change_role(
        rig.app, "telegram", str(ASSESSOR_ID), Role.ASSESSOR, grant=True, by="test"
    )
    return rig.user(user_id=ASSESSOR_ID, first_name="Ani")


async def open_application(budi: TelegramUser) -> None:
    await budi.text("/antrian")
    await budi.press(next(b for b in budi.buttons if b.startswith("s:app:")))


async def accept_all(budi: TelegramUser, needs: Mapping[str, int] = EVIDENCE_NEEDS) -> None:
    await open_application(budi)
    for item in needs:
        await budi.press(f"s:item:{item}")
        await budi.press("s:mark:ok")
    await budi.press("s:accept")
    assert "diterima" in budi.screen


async def assign(rig: Rig, budi: TelegramUser) -> None:
    """Ani assigned for 11:00 WIB on the rig's day, or two hours from now once that is past."""
    await open_application(budi)
    await budi.press("s:assign")
    await budi.press(f"s:assessor:{await person_of(rig, ASSESSOR_ID)}")
    slot = SCHEDULED if rig.clock.at < SCHEDULED else rig.clock.at + timedelta(hours=2)
    local = slot.astimezone(WIB)  # written as people do: "25 Nov 2026 pukul 11.00"
    await budi.text(f"{format_day(local.date(), 'id', short=True)} pukul {local:%H.%M}")
    await budi.text("TUK LSP Teknologi Digital, Jakarta")
    assert "Asesor ditugaskan" in budi.screen


SCHEDULED = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
"""The first assessment the ``assign`` helper schedules: 11:00 WIB on the rig's day."""
WIB = ZoneInfo("Asia/Jakarta")


async def assess(rig: Rig, ani: TelegramUser, verdict: str = "K", units: int = 3) -> None:
    """Ani accepts, is refused before the scheduled time, then records every unit."""
    await ani.text("/tugas")
    await ani.press(next(b for b in ani.buttons if b.startswith("s:app:")))
    assert "TUK LSP Teknologi Digital" in ani.screen
    [(assessment,)] = await rows(
        rig, "SELECT assessment FROM applications WHERE state = 'assessor_assigned'"
    )
    found = assessment if isinstance(assessment, dict) else json.loads(assessment)
    starts = datetime.fromisoformat(found["starts_at"])
    shown = format_instant(starts, "id", "Asia/Jakarta")  # "Rabu, 25 November 2026 pukul 11.00 WIB"
    assert shown in ani.screen
    await ani.press("s:no_conflict")
    assert "Penugasan diterima" in ani.screen
    codes = [b for b in ani.buttons if b.startswith("s:unit:")]
    assert len(codes) == units
    await ani.press(codes[0])
    assert f"baru dapat direkam mulai {shown}" in ani.screen, ani.screen  # 9.3.4
    rig.clock.at = starts + timedelta(minutes=90)  # the assessment took place
    for unit in codes:
        await ani.press(unit)
        await ani.press(f"s:verdict:{verdict}")
        await ani.text("Portofolio dan observasi lengkap")
    await ani.press("s:recommend")
    assert "Rekomendasi terkirim" in ani.screen


async def certify(rig: Rig, budi: TelegramUser, ani: TelegramUser, number: str) -> None:
    """From accepted to certified: assigned, assessed K, decided competent, certificate issued."""
    await assign(rig, budi)
    await assess(rig, ani)
    await open_application(budi)
    await budi.press("s:do:decide_competent")
    await budi.text("BA-02/LSP/XII/2026")
    await open_application(budi)
    await budi.press("s:do:issue_certificate")
    await budi.text(number)
    assert "Sertifikat untuk" in budi.screen


async def decided_not_yet(rig: Rig, budi: TelegramUser, record: str) -> None:
    """From submitted: accepted, assessed BK by Ani, decided Belum Kompeten with ``record``."""
    ani = await assessor(rig)
    await accept_all(budi)
    await assign(rig, budi)
    await assess(rig, ani, "BK")
    await open_application(budi)
    await budi.press("s:do:decide_not_yet")
    await budi.text(record)


def sent_to(rig: Rig, user: TelegramUser) -> list[str]:
    return [m["text"] for m in rig.api.sent() if m["chat_id"] == user.user["id"]]


async def test_assessment_decision_appeal_and_certificate(rig: Rig) -> None:
    siti = await submitted_application(rig)
    budi = await staff_member(rig)
    ani = await assessor(rig)
    await accept_all(budi)
    await assign(rig, budi)
    await deliver_notices(rig)
    [assignment] = [t for t in sent_to(rig, ani) if "Penugasan asesmen" in t]
    assert "Siti" in assignment
    assert "P.85ASM00.001.2" in assignment
    assert "Rabu, 25 November 2026 pukul 11.00 WIB" in assignment

    await assess(rig, ani)
    await deliver_notices(rig)
    assert any("Rabu, 25 November 2026 pukul 11.00 WIB" in t for t in sent_to(rig, siti))

    await open_application(budi)
    assert "Portofolio dan observasi lengkap" in budi.screen
    await budi.press("s:do:decide_not_yet")
    await budi.text("BA-01/LSP/XI/2026")
    assert "Keputusan untuk" in budi.screen
    await deliver_notices(rig)
    assert any("Kamis, 26 November 2026 pukul 23.59 WIB" in t for t in sent_to(rig, siti))

    documents = len(await rows(rig, "SELECT id FROM documents"))
    await siti.text("/banding")
    await siti.text("Alasan yang belum jadi")
    await siti.document(files.pdf("draf"), "draf.pdf")
    await siti.press("cancel")  # not filed: its document does not stay behind
    assert len(await rows(rig, "SELECT id FROM documents")) == documents
    await siti.text("/banding")
    await siti.text("Unit 2 sudah saya tunjukkan dengan bukti rekaman asesmen.")
    assert "Kirim dokumen pendukung" in siti.screen
    await siti.document(files.pdf("rekaman asesmen"), "rekaman-asesmen.pdf")
    assert "Diterima" in siti.screen
    [(state,)] = await rows(rig, "SELECT state FROM applications")
    assert state == "decided_not_yet"  # filed only when sent
    await siti.press("send")
    assert "Banding diterima" in siti.screen
    assert "23 Desember 2026" in siti.screen  # 20 working days after 25 November (9.9.6)
    [(state,)] = await rows(rig, "SELECT state FROM applications")
    assert state == "under_appeal"
    appeal_rows = await rows(rig, "SELECT kind FROM outbox WHERE kind LIKE 'appeal%' ORDER BY id")
    assert [k for (k,) in appeal_rows].count("appeal_due_staff") == 2  # warning and overdue

    await budi.text("/antrian")
    assert budi.labels["s:filter:appeals"] == "Banding (1)"
    await budi.press("s:filter:appeals")
    assert "Antrian — Banding (1)" in budi.screen
    [row] = [label for data, label in budi.labels.items() if data.startswith("s:app:")]
    assert row.endswith("· Siti Nurhaliza · ⏳ 23 Des 2026")
    assert "putusan paling lambat 23 Desember 2026 (20 hari kerja lagi)" in budi.screen  # 9.9.6
    await budi.press("s:filter:new")
    assert "Antrian — Baru, perlu ditelaah (0): tidak ada" in budi.screen
    await open_application(budi)
    assert "Unit 2 sudah saya tunjukkan" in budi.screen
    await budi.press(next(b for b in budi.buttons if b.startswith("s:doc:")))
    assert rig.api.uploads[-1] == ("rekaman-asesmen.pdf", files.pdf("rekaman asesmen"))
    await operator.change_role(rig.app, "telegram", "888003", Role.STAFF, grant=True, by="test")
    dewi = f"s:member:{await person_of(rig, 888003)}"
    await budi.press("s:panel")
    involved = f"s:member:{await person_of(rig, ASSESSOR_ID)}"
    assert involved not in budi.buttons  # 9.9.4: not the assessor of the case
    recorder = f"s:member:{await person_of(rig, STAFF_ID)}"
    assert recorder not in budi.buttons  # nor who recorded the decision under appeal
    assert dewi in budi.buttons
    await budi.press(involved)  # forged: refused and logged
    assert "tidak tersedia" in budi.screen
    await open_application(budi)
    await budi.press("s:panel")
    await budi.press(recorder)  # never offered: refused as forged
    assert "tidak tersedia" in budi.screen
    await budi.press(dewi)
    await budi.press("s:do:appeal_granted")
    await budi.text("Bukti rekaman cukup; asesmen ulang unit 2.")
    assert "bersifat final" in budi.screen
    await deliver_notices(rig)
    [appeal_decided] = [t for t in sent_to(rig, siti) if "Keputusan banding" in t]
    assert "banding diterima" in appeal_decided
    assert "Alasan panel: Bukti rekaman cukup; asesmen ulang unit 2." in appeal_decided  # 9.9.7
    forged = await rows(rig, "SELECT target FROM audit_log WHERE action = 'forged_option'")
    assert (recorder,) in [tuple(r) for r in forged]
    [(state,)] = await rows(rig, "SELECT state FROM applications")
    assert state == "accepted"  # granted: a new assessment (9.9.7)

    await certify(rig, budi, ani, "BNSP-AK-2026-0001")
    [(number, issued, expires)] = await rows(
        rig, "SELECT number, issued_on, expires_on FROM certificates"
    )
    assert (number, str(issued), str(expires)) == ("BNSP-AK-2026-0001", "2026-11-25", "2029-11-25")
    reminders = [
        kind
        for (kind,) in await rows(
            rig,
            "SELECT kind FROM outbox WHERE person_id = "
            f"{await person_of(rig, siti.user['id'])} ORDER BY due_at",
        )
    ]
    assert reminders.count("surveillance_due") == 2
    assert "renewal_reminder" in reminders
    assert "renewal_last_day" in reminders
    assert reminders[-1] == "certificate_expired"


async def test_a_declared_conflict_sends_the_assignment_back_to_staff(rig: Rig) -> None:
    await submitted_application(rig)
    budi = await staff_member(rig)
    ani = await assessor(rig)
    await accept_all(budi)
    await assign(rig, budi)
    await ani.text("/tugas")
    await ani.press(next(b for b in ani.buttons if b.startswith("s:app:")))
    await ani.press("s:conflict")
    await ani.text("Kandidat adalah rekan satu kantor saya")
    assert "dikembalikan ke staf" in ani.screen
    [(state,)] = await rows(rig, "SELECT state FROM applications")
    assert state == "accepted"
    await open_application(budi)
    assert "rekan satu kantor" in budi.screen
    assert "s:assign" in budi.buttons


async def test_a_late_appeal_is_refused_with_the_reason(rig: Rig) -> None:
    siti = await submitted_application(rig)
    budi = await staff_member(rig)
    await decided_not_yet(rig, budi, "BA-03/LSP/XI/2026")
    documents = len(await rows(rig, "SELECT id FROM documents"))
    await siti.text("/banding")
    await siti.text("Alasan banding")
    await siti.document(files.pdf("bukti banding"), "bukti.pdf")
    assert len(await rows(rig, "SELECT id FROM documents")) == documents + 1
    async with rig.app.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE applications SET decision = :d",
            ),
            {"d": '{"result": "decided_not_yet", "appeal_until": "2026-11-24T16:59:59+00:00"}'},
        )
    await siti.press("send")  # the window closed while the documents were being sent
    assert (
        "Masa banding sudah berakhir pada Selasa, 24 November 2026 pukul 23.59 WIB" in siti.screen
    )
    assert len(await rows(rig, "SELECT id FROM documents")) == documents
    await siti.text("/banding")
    assert (
        "Masa banding sudah berakhir pada Selasa, 24 November 2026 pukul 23.59 WIB" in siti.screen
    )
    assert "9.9.2" in siti.screen
    [(state,)] = await rows(rig, "SELECT state FROM applications")
    assert state == "decided_not_yet"


async def test_assessors_reach_only_their_own_candidates(rig: Rig) -> None:
    siti = await submitted_application(rig)
    budi = await staff_member(rig)
    await assessor(rig)
    other = rig.user(user_id=888003, first_name="Dedi")
    await operator.change_role(rig.app, "telegram", "888003", Role.ASSESSOR, grant=True, by="test")
    await accept_all(budi)
    await assign(rig, budi)
    await other.text("/tugas")
    assert "Penugasan Anda (0)" in other.screen
    [(app_id,)] = await rows(rig, "SELECT id FROM applications")
    for forged in (f"s:app:{app_id}", "s:no_conflict", "s:recommend"):
        await other.press(forged)
        assert "tidak tersedia" in other.screen
    await siti.text("/tugas")
    assert "tidak tersedia" in siti.screen
    refused = await rows(rig, "SELECT action FROM audit_log WHERE NOT allowed ORDER BY id")
    assert [a for (a,) in refused] == ["forged_option"] * 3 + ["view_assignments"]
    [(state,)] = await rows(rig, "SELECT state FROM applications")
    assert state == "assessor_assigned"


async def test_a_broadcast_to_500_people_goes_through_the_outbox_with_a_true_report(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import dispatcher as dispatching
    from tests.bot.test_dispatcher import people

    # Progress is counted every couple of seconds; these 500 go faster than that.
    monkeypatch.setattr(dispatching, "REPORT_SECONDS", 0.0)

    budi = await staff_member(rig)
    await people(rig.app.engine, 480, first=300_000)
    await people(rig.app.engine, 20, locale="en", first=400_000)
    rig.api.blocked |= {str(300_000 + n) for n in range(7)}  # seven blocked the bot
    await budi.text("/siaran")
    await budi.press("s:seg:all")
    await budi.text("Uji kompetensi bulan Desember dibuka.")
    await budi.text("The December assessments are open.")
    assert "500 orang" in budi.screen
    assert "The December assessments are open." in budi.screen
    await budi.press("s:send")
    assert "500 orang diantrekan" in budi.screen
    dispatcher = build_dispatcher(rig.app, clock=lambda: NOW + timedelta(minutes=1))
    assert dispatcher is not None
    try:
        await dispatcher.run(asyncio.Event(), until_idle=True)
    finally:
        await dispatcher.close()
    texts = [m["text"] for m in rig.api.sent() if str(m["chat_id"]) != str(STAFF_ID)]
    assert sum("Uji kompetensi bulan Desember" in t for t in texts) == 473
    assert sum("The December assessments are open." in t for t in texts) == 20
    to_budi = sent_to(rig, budi)
    assert any(
        "500 orang — 493 terkirim, 7 tidak terjangkau" in t and "0 gagal" in t for t in to_budi
    )
    assert any("dari 500 sudah diproses" in t for t in to_budi)  # the progress message
    [(details,)] = await rows(rig, "SELECT details FROM audit_log WHERE action = 'broadcast'")
    assert "500" in str(details)


async def test_a_broadcast_from_a_template_goes_in_both_languages(rig: Rig) -> None:
    siti = await submitted_application(rig)
    budi = await staff_member(rig)
    await budi.text("/siaran")
    await budi.press("s:seg:all")
    await budi.press("s:tpl:renewal")
    assert "Pengingat sertifikasi ulang (9.7.1)" in budi.screen  # the preview, both texts
    assert "Re-certification reminder (9.7.1)" in budi.screen
    await budi.press("s:send")
    [(params,)] = await rows(rig, "SELECT params FROM outbox WHERE kind = 'announcement'")
    assert "Re-certification reminder" in str(params)
    await deliver_notices(rig)
    assert any("Pengingat sertifikasi ulang" in t for t in sent_to(rig, siti))


async def test_stats_for_staff_only(rig: Rig) -> None:
    siti = await submitted_application(rig)
    budi = await staff_member(rig)
    await budi.text("/stats")
    assert "Permohonan menurut status" in budi.screen
    assert "• Dikirim, menunggu penelaahan berkas: 1" in budi.screen
    assert "Banding terbuka: 0, lewat tenggat (9.9.6): 0" in budi.screen
    assert "Sertifikat berakhir dalam 90 hari: 0" in budi.screen
    await siti.text("/stats")
    assert "tidak tersedia" in siti.screen
    assert "Permohonan menurut status" not in siti.screen


async def test_a_document_lost_by_the_store_reads_missing_and_the_log_names_the_store(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Staff open a document whose object is gone: they are told it is missing (not nothing,
    not a Telegram error), and the log says which store lost which key."""
    await submitted_application(rig)
    budi = await staff_member(rig)
    [(key,)] = await rows(rig, "SELECT object_key FROM documents WHERE evidence_id = 'ktp'")
    await rig.app.objects.delete(key)
    await open_application(budi)
    await budi.press("s:item:ktp")
    [document] = [b for b in budi.buttons if b.startswith("s:doc:")]
    await budi.press(document)
    assert "ktp-0.pdf tidak ditemukan di penyimpanan berkas" in budi.screen
    assert rig.api.uploads == []
    [record] = [
        r for r in caplog.records if r.getMessage() == "document missing in the object store"
    ]
    assert record.__dict__["store"] == rig.app.objects.name
    assert record.__dict__["key"] == key


async def test_documents_reach_staff_and_the_assigned_assessor_only(rig: Rig) -> None:
    siti = await submitted_application(rig)
    budi = await staff_member(rig)
    await open_application(budi)
    await budi.press("s:item:ktp")
    [document] = [b for b in budi.buttons if b.startswith("s:doc:")]
    await budi.press(document)
    [(name, data)] = rig.api.uploads
    assert name == "ktp-0.pdf"
    assert data == files.pdf("ktp-0")  # the very bytes the candidate uploaded
    [sent] = rig.api.sent("sendDocument")
    assert str(sent["chat_id"]) == str(STAFF_ID)

    other = rig.user(user_id=777999, first_name="Lain")
    await other.text("/start")
    await other.press(document)  # another candidate, with the id: refused and logged
    assert "tidak tersedia" in other.screen
    await siti.press(document)  # even the owner cannot open it through a staff button
    assert "tidak tersedia" in siti.screen
    ani = await assessor(rig)
    await ani.text("/tugas")
    await ani.press(document)  # not (yet) assigned to this candidate
    assert "tidak tersedia" in ani.screen
    assert len(rig.api.uploads) == 1
    refused = await rows(
        rig, "SELECT target FROM audit_log WHERE NOT allowed AND action = 'forged_option'"
    )
    assert [t for (t,) in refused] == [document] * 3

    await accept_all(budi)
    await assign(rig, budi)
    await ani.text("/tugas")
    await ani.press(next(b for b in ani.buttons if b.startswith("s:app:")))
    await ani.press("s:no_conflict")
    await ani.press(document)  # now assigned: the file comes
    assert len(rig.api.uploads) == 2
    opened = await rows(
        rig,
        "SELECT count(*) FROM audit_log WHERE action = 'open_document' AND allowed"
        " AND target LIKE 'document:%'",
    )
    assert opened[0][0] == 2


async def test_staff_record_a_years_cuti_bersama_and_appeals_count_it(rig: Rig) -> None:
    """9.9.6 without a release: staff replace 2026's list (here with one more day, 1 Dec) and
    record 2027; an appeal received afterwards counts the new list. A candidate cannot."""
    siti = await submitted_application(rig)
    await siti.text("/cutibersama")
    assert "tidak tersedia" in siti.screen
    budi = await staff_member(rig)
    await budi.text("/cutibersama")
    assert "• 2026: 16 Februari 2026, 18 Maret 2026" in budi.screen
    assert "No. 1497, 2, 5 Tahun 2025 (dari berkas skema)" in budi.screen
    assert "Cuti bersama tahun 2027 belum dicatat" in budi.screen

    await budi.press("s:leave:set")
    await budi.text("05-02-2027 31-02-2027")
    assert "Tanggal tidak terbaca" in budi.screen
    await budi.text("05-02-2027 09-03-2026")
    assert "dalam satu tahun yang sama" in budi.screen
    await budi.text("05-02-2027, 2027-03-09 12-03-2027 13-03-2027")
    await budi.text("SKB 3 Menteri Tahun 2026")
    assert "• Jumat 5 Februari 2027" in budi.screen
    assert "• Sabtu 13 Maret 2027 (sudah bukan hari kerja" in budi.screen
    await budi.press("s:leave:save")
    assert "Cuti bersama 2027 tersimpan (4 hari)" in budi.screen
    assert "belum dicatat" not in budi.screen
    assert "SKB 3 Menteri Tahun 2026 (dicatat staf)" in budi.screen

    await budi.press("s:leave:set")
    skb_2026 = "16-02-2026 18-03-2026 20-03-2026 23-03-2026 24-03-2026 15-05-2026 28-05-2026"
    await budi.text(f"{skb_2026} 24-12-2026 01-12-2026")
    await budi.text("SKB 2026 dan perubahannya")
    await budi.press("s:leave:save")
    assert "Cuti bersama 2026 tersimpan (9 hari)" in budi.screen
    [(days, source)] = await rows(
        rig, "SELECT days, source FROM collective_leave WHERE year = 2026"
    )
    assert "2026-12-01" in str(days)
    assert source == "SKB 2026 dan perubahannya"
    audit = await rows(
        rig, "SELECT action, target, allowed FROM audit_log WHERE action LIKE '%collective%'"
    )
    assert ("view_collective_leave", None, False) in [tuple(r) for r in audit]  # Siti
    assert ("collective_leave_saved", "2026", True) in [tuple(r) for r in audit]

    await decided_not_yet(rig, budi, "BA-04/LSP/XI/2026")
    await siti.text("/banding")
    await siti.text("Unit 2 sudah saya tunjukkan dengan bukti rekaman asesmen.")
    await siti.press("send")
    # 25 Nov + 20 working days is 23 Dec by the SKB; 1 Dec is now leave too, then 24 and 25
    # Dec: 28 December.
    assert "28 Desember 2026" in siti.screen, siti.screen


async def test_staff_never_act_on_their_own_application(rig: Rig) -> None:
    """9.2.1: a staff member who applies is refused, with the reason, at their own application;
    9.10.7: nor can they be its assessor. Both refusals are in the audit log."""
    siti = await submitted_application(rig)
    await operator.change_role(
        rig.app, "telegram", str(siti.user["id"]), Role.STAFF, grant=True, by="test"
    )
    await siti.text("/antrian")
    await siti.press(next(b for b in siti.buttons if b.startswith("s:app:")))
    assert "Ini permohonan Anda sendiri" in siti.screen
    assert "(9.2.1)" in siti.screen
    assert "s:accept" not in siti.buttons
    budi = await staff_member(rig)
    await accept_all(budi)
    await operator.change_role(
        rig.app, "telegram", str(siti.user["id"]), Role.ASSESSOR, grant=True, by="test"
    )
    await assessor(rig)
    await open_application(budi)
    await budi.press("s:assign")
    siti_option = f"s:assessor:{await person_of(rig, siti.user['id'])}"
    assert siti_option not in budi.buttons  # the candidate is never offered as their assessor
    assert f"s:assessor:{await person_of(rig, ASSESSOR_ID)}" in budi.buttons
    refused = await rows(rig, "SELECT action, allowed FROM audit_log WHERE action LIKE 'conflict%'")
    assert [tuple(r) for r in refused] == [("conflict_staff_own_application", False)]


async def insert_applications(rig: Rig, applications: list[dict[str, Any]]) -> None:
    """Applications written straight into the database, at a stage a journey would take long
    to reach: ``person_id``, ``state`` and ``reference``, and any JSON part or date."""
    defaults: dict[str, Any] = {
        "scheme_code": "SKM-01/BNSP/VII/2020",
        "eligibility": {},
        "apl01": {},
        "apl02": {},
        "review": {},
        "assessment": {},
        "decision": {},
        "appeal": {},
        "created_at": NOW,
        "updated_at": NOW,
        "submitted_at": None,
    }
    async with rig.app.engine.begin() as connection:
        await connection.execute(
            insert(ApplicationRow), [{**defaults, **row} for row in applications]
        )


async def test_an_assessor_sees_an_assignment_behind_two_hundred_older_ones(rig: Rig) -> None:
    """The list of assignments is the assessor's own, found by the database (issue 15): it used
    to take the 200 longest-waiting open applications and look for theirs among them."""
    await submitted_application(rig)
    budi = await staff_member(rig)
    ani = await assessor(rig)
    await accept_all(budi)
    await assign(rig, budi)
    [(person,)] = await rows(rig, "SELECT person_id FROM applications")
    older = NOW - timedelta(days=30)
    others = {"assessor": 424242}
    await insert_applications(
        rig,
        [
            {
                "person_id": person,
                "state": "assessor_assigned",
                "reference": f"AK-OLD-{n}",
                "assessment": others,
                "submitted_at": older,
            }
            for n in range(200)
        ],
    )
    await ani.text("/tugas")
    assert "Penugasan Anda (1)" in ani.screen
    assert not any("AK-OLD" in label for label in ani.labels.values())


async def test_the_queue_and_stats_read_once_whatever_the_number_of_applications(
    rig: Rig,
) -> None:
    """Issue 15: ``/antrian`` read each listed applicant's name with a query of its own, and
    ``/stats`` loaded every appeal to count the overdue ones. Now the queue's lines come in one
    query with their names and appeal dates, and the database counts the appeals: 24 more
    applications in the queue cost no statement more."""
    await submitted_application(rig)
    budi = await staff_member(rig)
    [(person,)] = await rows(rig, "SELECT person_id FROM applications")
    statements: list[str] = []
    event.listen(
        rig.app.engine.sync_engine,
        "before_cursor_execute",
        lambda conn, cursor, sql, *rest: statements.append(sql),
    )

    async def run(command: str) -> int:
        """The statements that read applications (the rest — the lock, the role, the audit
        row — vary with what the update before left to do)."""
        statements.clear()
        await budi.text(command)
        return sum(1 for sql in statements if "applications" in sql)

    today = NOW.astimezone(ZoneInfo("Asia/Jakarta")).date()

    def appeal(n: int, due_in_days: int | None) -> dict[str, Any]:
        dates = {"filed_at": (NOW - timedelta(days=3)).isoformat()}
        if due_in_days is not None:
            dates["due_on"] = (today + timedelta(days=due_in_days)).isoformat()
        return {
            "person_id": person, "state": "under_appeal", "reference": f"AK-BD-{n}",
            "submitted_at": NOW - timedelta(days=60 - n), "apl01": {"full_name": f"Banding {n}"},
            "appeal": dates,
        }  # fmt: skip

    await insert_applications(rig, [appeal(1, -2), appeal(2, 5)])
    few_queue, few_stats = await run("/antrian"), await run("/stats")
    assert "Banding terbuka: 2, lewat tenggat (9.9.6): 1" in budi.screen

    def submitted(n: int) -> dict[str, Any]:
        return {
            "person_id": person, "state": "submitted", "reference": f"AK-NEW-{n}",
            "submitted_at": NOW - timedelta(days=n), "apl01": {"full_name": f"Calon {n}"},
        }  # fmt: skip

    await insert_applications(rig, [appeal(3, None), *(submitted(n) for n in range(1, 24))])
    many_queue = await run("/antrian")
    labels = list(budi.labels.values())
    assert any("AK-NEW-23 · Calon 23 ·" in label for label in labels)
    assert any("AK-BD-1 · Banding 1 · ⏳" in label for label in labels)
    assert "AK-BD-2: " in budi.screen  # the appeals under the queue, with their due date
    many_stats = await run("/stats")
    assert "Banding terbuka: 3, lewat tenggat (9.9.6): 1" in budi.screen
    assert (many_queue, many_stats) == (few_queue, few_stats) == (3, 5)


async def test_a_question_asked_in_the_chat_is_answered_by_staff_in_theirs(rig: Rig) -> None:
    """Issue 16 (7.1.2): the candidate's question reaches staff as a notice with its context;
    the answer typed in /pertanyaan comes back in the candidate's chat."""
    siti = await submitted_application(rig)
    budi = await staff_member(rig)
    await siti.text("Apakah biaya sertifikasi bisa dicicil?")  # where no text is expected
    assert "sebagai pertanyaan?" in siti.screen
    await siti.press("send")
    assert "Pertanyaan terkirim ke petugas LSP" in siti.screen
    await siti.text("/status")
    assert "menunggu jawaban: 1" in siti.screen

    await deliver_notices(rig)
    [notice] = [t for t in sent_to(rig, budi) if "Pertanyaan baru" in t]
    assert "Siti Nurhaliza (AK-2026-" in notice
    assert "Apakah biaya sertifikasi bisa dicicil?" in notice
    await budi.text("/pertanyaan")
    assert "menunggu jawaban: 1" in budi.screen
    [question] = [b for b in budi.buttons if b.startswith("s:question:")]
    await budi.press(question)
    assert "Dikirim, menunggu penelaahan berkas" in budi.screen  # the application's state
    await budi.text("Bisa: hubungi bagian keuangan LSP untuk jadwal cicilan.")
    assert "Jawaban terkirim" in budi.screen

    await deliver_notices(rig)
    [answer] = [t for t in sent_to(rig, siti) if "Jawaban petugas LSP" in t]
    assert "hubungi bagian keuangan LSP" in answer
    await siti.text("/status")
    assert "menunggu jawaban" not in siti.screen
    answered = await rows(rig, "SELECT allowed FROM audit_log WHERE action = 'answer_question'")
    assert [tuple(r) for r in answered] == [(True,)]
