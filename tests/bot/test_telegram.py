"""The Telegram channel over real HTTP against a fake Bot API server that checks every request
against the Bot API spec: webhook and polling modes, files, keyboards, contact, errors."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
from sqlalchemy import text

from bot.channels import replies
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from handlers.candidate.apl01 import FIELDS
from tests import documents as files
from tests.bot.telegram_rig import SECRET, Rig
from tests.bot.telegram_user import TelegramUser
from tests.journey import (
    APL01,
    ELIGIBILITY,
    EVIDENCE_FILES,
    EVIDENCE_NEEDS,
    MESSAGES_AT_MOST,
    RENEWAL_NEEDS,
    by_hand_application,
    clean_application,
    give_apl01,
    report,
    upload_answer_and_submit,
)


async def test_the_whole_journey_over_the_webhook(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("/start")
    assert "Selamat datang di asesorbot" in siti.screen
    assert siti.buttons == ["id", "en"]
    await siti.press("id")
    await siti.press("apply")
    for answer in ("0", "s1"):
        await siti.press(answer)
    await siti.text("2")
    await siti.press("1")
    await siti.press("1")
    assert "Anda memenuhi persyaratan dasar" in siti.screen
    for n, answer in enumerate(APL01, 1):
        assert f"APL-01 — sisa {len(APL01) + 1 - n} pertanyaan" in siti.screen, siti.screen
        if answer == "CONTACT":
            markups = siti.reply_markups()
            assert markups[-1]["keyboard"][0][0]["request_contact"] is True
            await siti.contact("6281234567890")
        elif answer.startswith("@"):
            await siti.press(answer[1:])
        else:
            await siti.text(answer)
    assert "Nomor HP: +62 812 3456 7890" in siti.screen  # grouped, as people write it
    assert len(siti.buttons) == 8 + 1  # 19 options: a page of 8 and a "next" button
    assert siti.buttons[-1] == "pg:1"
    await siti.press("pg:1")
    [edit] = rig.api.sent("editMessageReplyMarkup")
    page = [
        b["callback_data"]
        for row in json.loads(edit["reply_markup"])["inline_keyboard"]
        for b in row
    ]
    assert page == [f"edit:{f}" for f in FIELDS[7:15]] + ["pg:0", "pg:2"]
    await siti.press("confirm")  # an option of page 1 still answers: the step is the same
    assert "APL-01 tersimpan" in siti.screen

    await upload_answer_and_submit(siti)
    assert "Nomor: AK-2026-" in siti.screen
    assert await rig.count("applications", "WHERE state = 'submitted'") == 1
    assert await rig.count("documents") == EVIDENCE_FILES
    assert rig.api.methods().count("getFile") == EVIDENCE_FILES
    assert rig.api.downloads == EVIDENCE_FILES
    async with rig.app.engine.connect() as connection:
        phone = (await connection.execute(text("SELECT phone FROM persons"))).scalar_one()
    assert phone == "+6281234567890"


async def test_webhook_without_or_with_a_wrong_secret_is_refused(rig: Rig) -> None:
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 0, "text": "/start",
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "X"},
        },
    }  # fmt: skip
    assert await rig.post(update, secret=None) == 403
    assert await rig.post(update, secret="wrong") == 403
    assert await rig.post(update, secret=SECRET[:-1]) == 403
    assert rig.api.calls == []
    assert await rig.count("persons") == 0
    async with rig.http.post(
        rig.url + WEBHOOK_PATH, data=b"not json", headers={SECRET_HEADER: "wrong"}
    ) as response:
        assert response.status == 403  # refused before the body is parsed


async def test_a_malformed_update_with_the_right_secret_is_a_4xx_and_a_log_line(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 14, item 7: not a 500 with a traceback."""
    caplog.set_level("WARNING", logger="bot.channels.telegram")
    for body in ({"update_id": "x", "message": 5}, [1, 2], {"message": {}}):
        assert await rig.post(body) == 400  # type: ignore[arg-type]
    async with rig.http.post(
        rig.url + WEBHOOK_PATH, data=b"not json", headers={SECRET_HEADER: SECRET}
    ) as response:
        assert response.status == 400
    refused = [r for r in caplog.records if r.getMessage() == "telegram: malformed update refused"]
    assert len(refused) == 4
    assert not [r for r in caplog.records if r.exc_info]
    assert rig.api.calls == []
    assert await rig.count("persons") == 0


async def test_the_same_update_twice_has_one_effect(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("/start")
    await siti.again()
    assert siti.replies == []
    await siti.press("en")
    assert "Language set to English." in siti.screen
    await siti.text("/bahasa")
    await siti.press("id")
    first = siti.last_update
    await siti.send(first)  # re-delivered choice of Indonesian
    assert siti.replies == []
    assert await rig.count("inbound_deliveries") == 4


async def test_forged_callback_is_refused_and_state_unchanged(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("/start")
    await siti.press("admin:approve:all")
    assert "Tombol ini sudah tidak aktif" in siti.screen
    assert siti.buttons == ["id", "en"]
    await siti.press("x" * 64)
    assert "Tombol ini sudah tidak aktif" in siti.screen


async def test_file_over_the_bot_api_limit_is_refused_before_download(rig: Rig) -> None:
    siti = rig.user()
    for step in ("/start",):
        await siti.text(step)
    for data in ("id", "apply", "0", "s1"):
        await siti.press(data)
    await siti.text("2")
    await siti.press("1")
    await siti.press("1")
    await siti.press("evidence")
    await siti.press("ktp")
    await siti.document(b"%PDF-1.4", "besar.pdf", size=25 * 1024 * 1024)
    assert "sampai 20 MB" in siti.screen
    assert "getFile" not in rig.api.methods()
    assert rig.api.downloads == 0


async def test_the_over_20_mb_refusal_is_in_the_chosen_language(rig: Rig) -> None:
    """Issue 16: it came in the phone's language, not the one chosen in the bot."""
    siti = rig.user(language="en")
    await siti.text("/start")
    await siti.press("id")
    await siti.document(b"%PDF-1.4", "besar.pdf", size=25 * 1024 * 1024)
    assert "sampai 20 MB" in siti.screen
    await siti.again()
    assert siti.screen == ""  # the same delivery: answered once


async def test_contact_of_someone_else_is_not_taken(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("/start")
    await siti.contact("6289999999999", own=False)
    assert "nomor Anda sendiri" in siti.screen


async def test_paging_a_long_keyboard(rig: Rig) -> None:
    siti = rig.user(language="en")
    await siti.text("/start")
    await siti.press("en")
    await siti.press("apply")
    await siti.press("0")
    assert len(siti.buttons) == 7  # the education levels fit on one page
    await siti.press("pg:1")
    edits = rig.api.sent("editMessageReplyMarkup")
    assert edits == []  # nothing to page: the current step has 7 options


async def test_webhook_registration_and_commands(rig: Rig) -> None:
    await rig.channel.set_webhook()
    [webhook] = rig.api.sent("setWebhook")
    assert webhook["url"] == "https://bot.example.org/webhook/telegram"
    assert webhook["secret_token"] == SECRET
    assert json.loads(webhook["allowed_updates"]) == ["message", "callback_query"]
    commands = rig.api.sent("setMyCommands")
    assert [c.get("language_code") for c in commands] == ["id", "en", None]
    indonesian = json.loads(commands[0]["commands"])
    assert {
        "command": "batal",
        "description": "Batalkan langkah yang sedang berjalan",
    } in indonesian


async def test_retry_after_is_honoured_and_blocked_chats_are_marked(rig: Rig) -> None:
    siti = rig.user()
    rig.api.fail_next.append(("sendMessage", 429, {"retry_after": 1}))
    await siti.text("/start")
    assert "Selamat datang" in siti.screen
    assert rig.api.methods().count("sendMessage") == 2  # the refused one, then the same again
    rig.api.fail_next.append(("sendMessage", 403, {}))
    await siti.text("/help")
    async with rig.app.engine.connect() as connection:
        unreachable = (
            await connection.execute(text("SELECT unreachable_at FROM channel_identities"))
        ).scalar_one()
    assert unreachable is not None


async def test_a_reply_refused_past_the_retries_waits_and_goes_out_in_order(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14, item 4: six 429s in a row used to drop the reply after four (the state change
    was saved all the same). Now it waits; the webhook is answered meanwhile, and the chat's
    next reply comes after it, never before."""
    monkeypatch.setattr(replies, "WAIT_IN_WEBHOOK", 0.3)
    siti = rig.user()
    rig.api.fail_next += [("sendMessage", 429, {"retry_after": 1})] * 6
    async with asyncio.timeout(3):  # the webhook does not wait six seconds
        await siti.text("/start")
        await siti.text("/bantuan")
    texts = [m["text"] for m in rig.api.sent()]
    assert len(texts) <= 2, "nothing but refused tries of the first reply yet"
    async with asyncio.timeout(20):
        while len(rig.api.sent()) < 8:  # noqa: ASYNC110  (the fake records; nothing to await)
            await asyncio.sleep(0.1)
    texts = [m["text"] for m in rig.api.sent()]
    greeting = [n for n, t in enumerate(texts) if "Selamat datang" in t]
    assert len(greeting) == 7  # six refused, then sent
    assert len(texts) == 8
    assert "Selamat datang" not in texts[7]  # the help, after the greeting
    registry = rig.channel.metrics.registry
    labels = {"channel": "telegram", "source": "reply"}
    assert registry.get_sample_value("asesorbot_platform_429_total", labels) == 6
    assert not registry.get_sample_value("asesorbot_replies_failed_total", {"channel": "telegram"})
    assert rig.channel.replies.depth() == 0


async def test_healthz(rig: Rig) -> None:
    async with rig.http.get(rig.url + "/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"database": "ok", "objects": "ok"}


async def test_polling_mode(rig: Rig) -> None:
    """The same conversation through getUpdates long polling."""

    async def push(update: dict[str, Any]) -> None:
        before = len(rig.api.calls)
        rig.api.push(update)
        async with asyncio.timeout(10):
            while not any(c.method == "sendMessage" for c in rig.api.calls[before:]):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.1)  # let the rest of the reply arrive

    polling = asyncio.create_task(rig.channel.run_polling())
    try:
        siti = TelegramUser(rig.api, push)
        await siti.text("/start")
        assert "Selamat datang" in siti.screen
        await siti.press("en")
        await siti.press("apply")
        await siti.press("0")
        await siti.press("s1")
        await siti.text("2")
        await siti.press("1")
        await siti.press("1")  # eligible: APL-01 follows; the hub is one command away
        await siti.text("/daftar")
        await siti.press("evidence")
        await siti.press("ktp")
        await siti.document(files.pdf("ktp"), "ktp.pdf")
        assert "Received: ktp.pdf" in siti.screen
        assert "deleteWebhook" in rig.api.methods()
    finally:
        await rig.channel.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling


async def test_button_press_is_answered_in_the_webhook_response(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("/start")
    await siti.press("en")
    answers = [c for c in rig.api.calls if c.method == "answerCallbackQuery"]
    assert len(answers) == 1
    assert answers[0].params["callback_query_id"] == siti.last_update["callback_query"]["id"]


async def test_a_6_2_7_holder_with_4_of_6_spt_submits_the_4_they_have(rig: Rig) -> None:
    """6.2.7: 4 of the 6 SPT melaksanakan asesmen. The checklist asks for the 4 and says why;
    the application goes through and is assessed by the new-candidate method."""
    siti = rig.user()
    await siti.text("/start")
    await siti.press("id")
    await siti.press("apply")
    await siti.press("1")  # holds the certificate: re-certification (6.2)
    for typed in ("2", "2", "4"):  # planning, validation, conducting SPT
        await siti.text(typed)
    await siti.press("1")
    await siti.press("1")
    assert "6.2.7" in siti.screen
    await give_apl01(siti, lambda: siti.contact("6281234567890"))
    await siti.press("confirm")
    await siti.press("back")  # from the first item missing (the KTP) to the checklist
    await siti.press("conducting_spt")
    assert "Menurut 6.2.7 Anda hanya memenuhi sebagian persyaratan ini" in siti.screen
    assert "cukup kirim 4 berkas" in siti.screen
    await siti.press("back")
    await siti.press("back")
    needs = {**RENEWAL_NEEDS, "conducting_spt": 4}
    await upload_answer_and_submit(siti, needs)
    assert "Nomor: AK-2026-" in siti.screen
    [(method,)] = [tuple(r) for r in await rig_rows(rig, "SELECT method FROM applications")]
    assert method == "competency_test"
    assert await rig.count("documents") == sum(needs.values())


async def rig_rows(rig: Rig, sql: str) -> list[Any]:
    async with rig.app.engine.connect() as connection:
        return list(await connection.execute(text(sql)))


async def test_a_clean_application_takes_at_most_40_messages(rig: Rig) -> None:
    """Issue 16: from /start to "Permohonan terkirim!" — 12 files, every APL-02 element —
    in at most 40 messages (about 130 before)."""
    siti = rig.user()
    sent = await clean_application(siti, lambda: siti.contact("6281234567890"), "/start")
    assert sent <= MESSAGES_AT_MOST, sent
    assert await rig.count("applications", "WHERE state = 'submitted'") == 1
    assert await rig.count("documents") == EVIDENCE_FILES

    async def baseline() -> int:
        budi = rig.user(user_id=777002)
        return await by_hand_application(budi, lambda: budi.contact("6281234567891"), "/start")

    await report("telegram", sent, baseline)


async def test_a_tick_in_the_document_picker_edits_the_message_on_screen(rig: Rig) -> None:
    """Issue 16: each tick posted a new copy of the picker, filling the chat."""
    siti = rig.user()
    await siti.text("/start")
    await siti.press("id")
    for value in ELIGIBILITY:
        await (siti.press(value) if value in siti.buttons else siti.text(value))
    await give_apl01(siti, lambda: siti.contact("6281234567890"))
    await siti.press("confirm")
    for item, count in EVIDENCE_NEEDS.items():
        for n in range(count):
            if item == "photo":
                await siti.photo(files.photo(background=(190 + n, 20, 30)))
            else:
                await siti.document(files.pdf(f"{item}-{n}"), f"{item}-{n}.pdf")
    await siti.press(next(b for b in siti.buttons if b.startswith("each:")))
    await siti.press(next(b for b in siti.buttons if b.startswith("K:")))
    picker = next(
        c
        for c in reversed(rig.api.calls)
        if c.method == "sendMessage" and "doc:" in str(c.params.get("reply_markup"))
    )
    first = next(b for b in siti.buttons if b.startswith("doc:"))

    await siti.press(first)

    [edit] = [c for c in rig.api.calls[siti._seen :] if c.method == "editMessageText"]
    assert str(edit.params["message_id"]) == str(picker.result["message_id"])
    assert not [c for c in rig.api.calls[siti._seen :] if c.method == "sendMessage"]
    assert siti.labels[first].startswith("☑")  # ticked, in the keyboard of the same message
    assert "done" in siti.buttons  # "Selesai" on the page shown

    rig.api.fail_next.append(("editMessageText", 400, {}))  # "message can't be edited"
    before = len(rig.api.calls)
    await siti.press(first)
    made = [c.method for c in rig.api.calls[before:] if c.method != "answerCallbackQuery"]
    assert made == ["editMessageText", "sendMessage"]
    assert siti.labels[first].startswith("☐")  # unticked, in a new message instead


async def test_bold_goes_as_an_entity_without_its_asterisks(rig: Rig) -> None:
    """Issue 16: "*Asesor Kompetensi*" was shown with its asterisks."""
    siti = rig.user()
    await siti.text("/start")
    greeting = next(r for r in siti.replies if "Asesor Kompetensi" in str(r.get("text")))
    text, marks = greeting["text"], greeting["entities"]
    assert "*" not in text
    [bold] = json.loads(marks) if isinstance(marks, str) else marks
    units = text.encode("utf-16-le")  # Telegram counts offsets in UTF-16 code units
    start, end = 2 * bold["offset"], 2 * (bold["offset"] + bold["length"])
    assert (bold["type"], units[start:end].decode("utf-16-le")) == ("bold", "Asesor Kompetensi")
