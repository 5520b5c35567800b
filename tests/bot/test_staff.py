"""Staff review over the Telegram adapter (9.1.5–9.1.6): send back for fixes with reasons per
evidence item, the candidate fixes and resubmits, staff accept; notices through the outbox;
every action checked on the server and in the audit log, refused attempts included."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from bot.dispatcher import build_dispatcher
from storage import admin
from tests import documents as files
from tests.bot.telegram_rig import NOW, Rig
from tests.bot.telegram_user import TelegramUser
from tests.journey import APL01, ELIGIBILITY, EVIDENCE_NEEDS

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
    await siti.press("apl01")
    for value in APL01:
        if value == "CONTACT":
            await siti.contact("6281234567890")
        elif value.startswith("@"):
            await siti.press(value[1:])
        else:
            await siti.text(value)
    await siti.press("confirm")
    await siti.press("evidence")
    for item, count in EVIDENCE_NEEDS.items():
        await siti.press(item)
        for n in range(count):
            if item == "photo":
                await siti.photo(files.photo(background=(190 + n, 20, 30)))
            else:
                await siti.document(files.pdf(f"{item}-{n}"), f"{item}-{n}.pdf")
        await siti.press("back")
    await siti.press("back")
    await siti.press("apl02")
    for _ in range(27):
        await siti.press("K")
        await siti.press(next(b for b in siti.buttons if b.startswith("doc:")))
        await siti.press("done")
    await siti.press("submit")
    await siti.press("agree")
    assert "Permohonan terkirim!" in siti.screen
    return siti


async def staff_member(rig: Rig) -> TelegramUser:
    await admin.grant(
        rig.app.engine, "telegram", str(STAFF_ID), "staff", by="test", timezone="Asia/Jakarta"
    )
    return rig.user(user_id=STAFF_ID, first_name="Budi")


async def deliver_notices(rig: Rig) -> None:
    dispatcher = build_dispatcher(rig.app, clock=lambda: NOW + timedelta(minutes=1))
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
    assert "Antrian permohonan masuk (1)" in budi.screen
    [application] = [b for b in budi.buttons if b.startswith("s:app:")]
    await budi.press(application)
    assert "Permohonan AK-2026-" in budi.screen
    assert "NIK: 3273015708850002" in budi.screen
    assert "APL-02: 27 K, 0 BK" in budi.screen
    for item in EVIDENCE_NEEDS:
        await budi.press(f"s:item:{item}")
        if item == "practice_records":
            assert "practice_records-0.pdf" in budi.screen
            await budi.press("s:mark:not_ok")
            await budi.text("Scan buram, unggah ulang yang jelas")
        else:
            await budi.press("s:mark:ok")
    assert budi.labels["s:item:practice_records"].startswith("❌")
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
    await siti.press("practice_records")
    await siti.document(files.pdf("practice-clear"), "logbook-jelas.pdf")
    assert "Diterima" in siti.screen
    await siti.press("back")
    await siti.press("back")
    await siti.press("submit")
    await siti.press("agree")
    assert "Permohonan terkirim!" in siti.screen

    await budi.text("/antrian")
    await budi.press(application)
    await budi.press("s:item:practice_records")
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
    for expected in ("view_queue", "view_application", "mark_ok", "not_ok", "send_back", "accept"):
        assert expected in actions


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
    assert await admin.revoke(rig.app.engine, "telegram", str(STAFF_ID), "staff", by="test")
    await budi.press("s:mark:ok")
    assert "tidak tersedia" in budi.screen
    [(review,)] = await rows(rig, "SELECT review FROM applications")
    assert review in ({}, "{}")
    latest = await rows(
        rig, "SELECT action, allowed FROM audit_log WHERE channel = 'telegram' ORDER BY id DESC"
    )
    assert (latest[0][0], bool(latest[0][1])) == ("mark_ok", False)
