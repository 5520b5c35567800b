"""The WhatsApp channel over real HTTP: signed webhook payloads shaped like Meta's in, every
``/messages`` request checked against the Cloud API spec by a fake Graph API server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot import operator
from bot.channels.common import coalesce
from bot.channels.whatsapp import WEBHOOK_PATH, interactive
from bot.dispatcher import build_dispatcher
from domain.notices import Notice
from handlers.candidate.apl01 import FIELDS
from handlers.messages import Choice, Option, Reply, SendFile, Text
from tests import documents as files
from tests.bot.whatsapp_rig import NOW, VERIFY_TOKEN, Rig
from tests.bot.whatsapp_user import WhatsAppUser
from tests.handlers.candidate import Candidate
from tests.journey import (
    APL01,
    ELIGIBILITY,
    EVIDENCE_FILES,
    MESSAGES_AT_MOST,
    RENEWAL_NEEDS,
    by_hand_application,
    clean_application,
    give_apl01,
    report,
    to_mobile_step,
    upload_answer_and_submit,
)
from usecases.access import Role


@pytest.fixture
def rig(whatsapp_rig: Rig) -> Rig:
    return whatsapp_rig


async def answer(siti: WhatsAppUser, answers: list[str]) -> None:
    """Options are pressed, "2" typed (the core takes an option's number), the rest typed."""
    for value in answers:
        if value in siti.buttons:
            await siti.press(value)
        else:
            await siti.text(value)


async def test_the_whole_journey_over_the_webhook(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("halo")
    assert "Selamat datang di asesorbot" in siti.screen
    assert siti.buttons == ["id", "en"]  # two short options: reply buttons
    assert siti.last_interactive()["type"] == "button"
    await siti.press("id")
    assert siti.last_interactive()["type"] == "list"  # the menu's five: a list
    await answer(siti, ELIGIBILITY)
    assert "Anda memenuhi persyaratan dasar" in siti.screen
    for n, value in enumerate(APL01, 1):
        assert f"APL-01 — sisa {len(APL01) + 1 - n} pertanyaan" in siti.screen, siti.screen
        if value == "CONTACT":
            assert siti.buttons == ["contact:self"]
            await siti.press("contact:self")  # the number WhatsApp vouches for
        elif value.startswith("@"):
            await siti.press(value[1:])
        else:
            await siti.text(value)
    assert "Nomor HP: +62 812 3456 7890" in siti.screen  # grouped, as people write it
    # 19 options (confirm + 18 fields): a page of 8 and a "next" row, ten rows at most
    assert len(siti.buttons) == 9
    assert siti.buttons[-1] == "pg:1"
    await siti.press("pg:1")
    assert siti.buttons == [f"edit:{f}" for f in FIELDS[7:15]] + ["pg:0", "pg:2"]
    await siti.text("1")  # typing an option's number works as well: 1 is "confirm"
    assert "APL-01 tersimpan" in siti.screen

    await upload_answer_and_submit(siti)
    assert "Nomor: AK-2026-" in siti.screen
    assert len(await rig.rows("SELECT id FROM applications WHERE state = 'submitted'")) == 1
    assert len(await rig.rows("SELECT id FROM documents")) == EVIDENCE_FILES
    assert rig.api.downloads == EVIDENCE_FILES
    [(phone, verified)] = await rig.rows("SELECT phone, phone_verified FROM persons")
    assert phone == "+6281234567890"
    assert verified

    # Staff on WhatsApp open the KTP: uploaded to WhatsApp's media store, sent by its id
    await operator.change_role(
        rig.app, "whatsapp", "6281111111111", Role.STAFF, grant=True, by="test"
    )
    budi = rig.user(wa_id="6281111111111", name="Budi")
    await budi.text("/antrian")
    await budi.press(next(b for b in budi.buttons if b.startswith("s:app:")))
    await budi.press("s:item:ktp")
    await budi.press(next(b for b in budi.buttons if b.startswith("s:doc:")))
    assert rig.api.uploads == [("ktp-0.pdf", "application/pdf", files.pdf("ktp-0"))]
    [document] = [m["document"] for m in rig.api.to("6281111111111") if m["type"] == "document"]
    assert document["filename"] == "ktp-0.pdf"
    assert rig.api.media[document["id"]].data == files.pdf("ktp-0")
    await siti.press(next(b for b in budi.buttons if b.startswith("s:doc:")))  # forged
    assert "tidak tersedia" in siti.screen
    assert len(rig.api.uploads) == 1


async def test_meta_verification_handshake(rig: Rig) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    async with rig.http.get(rig.url + WEBHOOK_PATH, params=query) as response:
        assert response.status == 200
        assert await response.text() == "1158201444"
    for wrong in ({**query, "hub.verify_token": "nope"}, {**query, "hub.mode": "unsubscribe"}, {}):
        async with rig.http.get(rig.url + WEBHOOK_PATH, params=wrong) as response:
            assert response.status == 403


async def test_a_bad_or_missing_signature_is_refused_and_nothing_processed(rig: Rig) -> None:
    siti = rig.user()
    payload = siti.message("text", text={"body": "halo"})
    assert await siti.send(payload, signature=None) == 403
    assert await siti.send(payload, signature="sha256=" + "0" * 64) == 403
    assert await siti.send(payload, signature="not even the format") == 403
    async with rig.http.post(
        rig.url + WEBHOOK_PATH, data=b"not json", headers={"X-Hub-Signature-256": "sha256=00"}
    ) as response:
        assert response.status == 403  # refused before the body is parsed
    assert rig.api.sent == []
    assert await rig.rows("SELECT id FROM persons") == []


async def test_a_duplicate_delivery_has_one_effect(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("halo")
    assert siti.replies
    await siti.again()
    assert siti.replies == []
    await siti.press("en")
    await siti.again()
    assert siti.replies == []
    assert len(await rig.rows("SELECT delivery_id FROM inbound_deliveries")) == 2


async def test_a_forged_reply_id_is_refused_and_state_unchanged(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("halo")
    await siti.press("admin:approve:all")
    assert "Tombol ini sudah tidak aktif" in siti.screen
    assert siti.buttons == ["id", "en"]


async def test_a_file_over_the_limit_is_refused_before_download(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("halo")
    await answer(siti, ["id", *ELIGIBILITY])
    await siti.text("/daftar")  # eligible: APL-01 follows; the hub is one command away
    await siti.press("evidence")
    await siti.press("ktp")
    await siti.document(b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024), "besar.pdf")
    assert "20 MB" in siti.screen
    assert rig.api.downloads == 0
    await siti.document(files.pdf("ktp"), "ktp.pdf")
    assert "Diterima" in siti.screen


async def test_a_message_it_cannot_read_is_answered(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("halo")
    location = {"latitude": -6.2, "longitude": 106.8, "name": "Jakarta", "address": "Jakarta"}
    await siti.deliver(siti.message("location", location=location))
    assert "hanya membaca teks" in siti.screen


async def test_an_unreadable_message_is_answered_in_the_chosen_language_once_per_delivery(
    rig: Rig,
) -> None:
    """Issue 16: the reply followed the number's country (+62: Indonesian) and a sticker
    delivered three times got three replies."""
    siti = rig.user()
    await siti.text("halo")
    await siti.press("en")
    error = {
        "code": 131051, "title": "Message type unknown", "message": "Message type unknown",
        "error_data": {"details": "Message type is currently not supported."},
    }  # fmt: skip
    await siti.deliver(siti.message("unsupported", errors=[error]))  # how a sticker may come
    assert "reads only text" in siti.screen
    await siti.again()
    await siti.again()
    assert siti.replies == []  # the same delivery: already answered


async def test_a_file_whatsapp_no_longer_has_is_said_not_dropped(rig: Rig) -> None:
    """Issue 16: an unknown media id showed the step again with no word (and a traceback)."""
    siti = rig.user()
    await siti.text("halo")
    await answer(siti, ["id", *ELIGIBILITY])
    await siti.text("/daftar")
    await siti.press("evidence")
    await siti.press("ktp")
    content = {
        "id": "media-gone",
        "mime_type": "application/pdf",
        "sha256": "x",
        "filename": "k.pdf",
    }
    await siti.deliver(siti.message("document", document=content))
    assert "tidak bisa diambil" in siti.screen
    assert "Kirim berkas" in siti.screen  # the KTP is still asked for


async def test_a_foreign_number_is_asked_to_type_an_indonesian_mobile(rig: Rig) -> None:
    """Issue 16: "Pakai nomor ini" was offered to a +44 number, then refused."""
    john = rig.user(wa_id="447700900123", name="John")
    await john.text("halo")
    await answer(john, ["id", *ELIGIBILITY])
    for value in APL01[: APL01.index("CONTACT")]:
        await (john.press(value[1:]) if value.startswith("@") else john.text(value))
    assert "contact:self" not in john.buttons
    assert "bukan nomor Indonesia" in john.screen
    await john.text("0812 3456 7890")
    assert "E-mail" in john.screen or "e-mail" in john.screen


async def test_statuses_are_recorded_against_their_message(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("halo")
    [sent] = [s for s in rig.api.sent if s.to == siti.wa_id]
    await siti.status(sent.message_id, "sent")
    await siti.status(sent.message_id, "read")
    await siti.status(sent.message_id, "delivered")  # late: never moves a message back
    [(status, kind)] = await rig.rows("SELECT status, kind FROM outbound_messages")
    assert (status, kind) == ("read", "reply")
    await siti.status("wamid.SOMEONE-ELSES", "read")  # not ours: ignored, still 200


async def test_a_failed_status_for_an_undeliverable_number_marks_it_unreachable(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("halo")
    [sent] = [s for s in rig.api.sent if s.to == siti.wa_id]
    error = {"code": 131026, "title": "Message undeliverable"}
    await siti.status(sent.message_id, "failed", errors=[error])
    [(status, failure)] = await rig.rows("SELECT status, error FROM outbound_messages")
    assert status == "failed"
    assert "131026" in failure
    [(unreachable,)] = await rig.rows("SELECT unreachable_at FROM channel_identities")
    assert unreachable is not None


NOTICE = Notice(
    "status_changed", {"reference": "AK-2026-00001", "state": "accepted", "next": "accepted"}
)


async def test_a_proactive_message_inside_the_window_is_free_text(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("halo")
    assert await rig.channel.notify(siti.wa_id, "id", "Asia/Jakarta", NOTICE)
    body = rig.api.to(siti.wa_id)[-1]
    assert body["type"] == "text"
    assert "AK-2026-00001" in body["text"]["body"]
    assert "Diterima" in body["text"]["body"]


async def test_a_proactive_message_outside_the_window_is_a_template(
    rig: Rig, later: list[timedelta]
) -> None:
    siti = rig.user()
    await siti.text("halo")
    later[0] = timedelta(hours=24, minutes=1)
    assert await rig.channel.notify(siti.wa_id, "en", "Asia/Jakarta", NOTICE)
    body = rig.api.to(siti.wa_id)[-1]
    assert body["type"] == "template"
    template = body["template"]
    assert template["name"] == "lsp_status_update"  # WHATSAPP_TEMPLATES names it
    assert template["language"] == {"policy": "deterministic", "code": "en"}
    assert [p["text"] for p in template["components"][0]["parameters"]] == [
        "AK-2026-00001",
        "Accepted as a certification participant",  # worded when sent, in the person's language
        "Next: an assessor will be assigned (9.2.2). You will be told.",
    ]
    kinds = [k for (k,) in await rig.rows("SELECT kind FROM outbound_messages ORDER BY id")]
    assert kinds[-1] == "notice:status_changed"


async def test_a_reply_rate_limited_past_the_retries_is_sent_not_dropped(rig: Rig) -> None:
    """Issue 14, item 4: WhatsApp refusing a reply six times in a row (130429, its rate limit)
    used to drop it after four tries, after the state change was saved."""
    siti = rig.user()
    limit = {"message": "Rate limit hit", "type": "OAuthException", "code": 130429}
    rig.api.fail_next += [(400, limit)] * 6
    await siti.text("halo")
    assert rig.api.fail_next == []  # every refusal was met, and then:
    assert any("Selamat datang" in str(body) for body in rig.api.to(siti.wa_id))
    registry = rig.channel.metrics.registry
    assert not registry.get_sample_value("asesorbot_replies_failed_total", {"channel": "whatsapp"})


async def test_window_closed_early_falls_back_to_the_template(rig: Rig) -> None:
    """WhatsApp's own view of the window wins: a 131047 refusal sends the template instead."""
    siti = rig.user()
    await siti.text("halo")
    rig.api.fail_next.append(
        (400, {"message": "Re-engagement message", "type": "OAuthException", "code": 131047})
    )
    assert await rig.channel.notify(siti.wa_id, "id", "Asia/Jakarta", NOTICE)
    assert rig.api.to(siti.wa_id)[-1]["type"] == "template"


async def test_the_same_person_on_telegram_and_whatsapp_shares_the_application(rig: Rig) -> None:
    on_telegram = Candidate(rig.app, who="777001", channel="telegram")
    await to_mobile_step(on_telegram)
    await on_telegram.contact("+6281234567890")  # shared from the Telegram account itself

    siti = rig.user(wa_id="6281234567890")
    await siti.text("halo")
    assert "+6281234567890 juga terdaftar" in siti.screen
    assert siti.buttons == ["link", "separate"]
    await siti.press("link")
    assert "Tergabung" in siti.screen
    await siti.text("/status")
    assert "Draf" in siti.screen or "draf" in siti.screen
    people = await rig.rows("SELECT id FROM persons")
    assert len(people) == 1
    identities = await rig.rows(
        "SELECT channel, person_id FROM channel_identities ORDER BY channel"
    )
    assert [c for c, _ in identities] == ["telegram", "whatsapp"]
    assert len({p for _, p in identities}) == 1


async def test_a_typed_number_links_nothing(rig: Rig) -> None:
    """Typing someone's number into APL-01 must not give access to their WhatsApp account's
    application, nor theirs to yours."""
    typed = Candidate(rig.app, who="777002", channel="telegram")
    await to_mobile_step(typed)
    await typed.type("081234567890")
    siti = rig.user(wa_id="6281234567890")
    await siti.text("halo")
    assert "juga terdaftar" not in siti.screen
    assert len(await rig.rows("SELECT id FROM persons")) == 2


def test_rendering_stays_within_whatsapp_limits() -> None:
    def words(key: str) -> str:
        return {"whatsapp.choose": "Pilih", "whatsapp.type_number": "Atau ketik nomornya"}.get(
            key, key
        )

    short = [Option("a", "Ya"), Option("b", "Tidak")]
    assert interactive(short, 0, words)["type"] == "button"
    long_label = [Option("a", "Sertifikat pelatihan metodologi asesmen dari lembaga lain")]
    [button] = interactive(long_label, 0, words)["action"]["buttons"]  # one option: a button
    assert button["reply"]["title"] == "Sertifikat…"  # 20 characters at most, cut at a word
    consent = [Option("agree", "✅ Saya setuju dan kirim"), Option("back", "⬅️ Kembali")]
    titles = [b["reply"]["title"] for b in interactive(consent, 0, words)["action"]["buttons"]]
    assert titles == ["✅ Saya setuju dan…", "⬅️ Kembali"]  # at a word, not "Saya setuju dan ki…"
    four = [*long_label, *(Option(f"o{n}", f"Pilihan {n}") for n in range(3))]
    content = interactive(four, 0, words)
    assert content["type"] == "list"
    row = content["action"]["sections"][0]["rows"][0]
    assert len(row["title"]) <= 24
    assert row["title"].endswith("…")
    assert len(row["description"]) <= 72
    same = [Option("a", "Sama"), Option("b", "Sama")]
    assert interactive(same, 0, words)["type"] == "list"  # button titles must differ
    many = [Option(f"o{n}", f"Pilihan {n}") for n in range(25)]
    for page in range(4):
        rows = interactive(many, page, words)["action"]["sections"][0]["rows"]
        assert len(rows) <= 10
    last = interactive(many, 3, words)["action"]["sections"][0]["rows"]
    assert [r["id"] for r in last] == ["o24", "pg:2"]
    huge_id = [Option("x" * 300, "Panjang"), *many[:4]]
    assert interactive(huge_id, 0, words)["action"]["sections"][0]["rows"][0]["id"] == "n:1"


def test_a_text_before_a_document_is_sent_on_its_own() -> None:
    """A document message carries only its caption: the text before it is not joined to it."""
    document = SendFile("documents/x", "ktp.pdf", "application/pdf")
    reply = Reply("id", (Text("Dokumen ini dibuka:"), document, Text("Lanjut?")))
    shaped = coalesce(reply, lambda m: ("ktp.pdf", m) if m is document else (m.body, None), 4096)
    assert shaped == [("Dokumen ini dibuka:", None), ("ktp.pdf", document), ("Lanjut?", None)]


async def test_a_6_2_2_option_b_holder_submits_exactly_the_evidence_asked(rig: Rig) -> None:
    """6.2.2 "atau": no SPT merencanakan, 2 SPT merencanakan dan mengorganisasikan and 1 record
    — the checklist asks for those 3 files (9.1.2.2 d), and the application goes through."""
    siti = rig.user()
    await siti.text("halo")
    await siti.press("id")
    await siti.press("apply")
    await siti.press("1")  # holds the certificate (6.2.1)
    for typed in ("0", "2", "1", "2", "6"):  # SPT A none, B 2 and 1 record; validation; conducting
        await siti.text(typed)
    await siti.press("1")
    await siti.press("1")
    assert "Anda memenuhi persyaratan dasar" in siti.screen, siti.screen
    await give_apl01(siti, lambda: siti.press("contact:self"))
    await siti.text("1")  # confirm
    await siti.press("back")  # from the first item missing to the checklist
    assert "planning_spt" not in siti.buttons
    assert {"plan_organise_spt", "planning_record"} <= set(siti.buttons)
    await siti.press("back")
    needs: dict[str, int] = {}
    for item, count in RENEWAL_NEEDS.items():  # in the checklist's order
        if item == "planning_spt":
            needs |= {"plan_organise_spt": 2, "planning_record": 1}
        else:
            needs[item] = count
    await upload_answer_and_submit(siti, needs)
    assert "Nomor: AK-2026-" in siti.screen
    assert len(await rig.rows("SELECT id FROM documents")) == sum(needs.values())


async def test_a_clean_application_takes_at_most_40_messages(rig: Rig) -> None:
    """Issue 16: from the first "halo" to "Permohonan terkirim!" in at most 40 messages."""
    siti = rig.user()
    sent = await clean_application(siti, lambda: siti.press("contact:self"), "halo")
    assert sent <= MESSAGES_AT_MOST, sent
    assert len(await rig.rows("SELECT id FROM documents")) == EVIDENCE_FILES

    async def baseline() -> int:
        budi = rig.user(wa_id="6281234567891", name="Budi")
        return await by_hand_application(budi, lambda: budi.press("contact:self"), "halo")

    await report("whatsapp", sent, baseline)


async def test_each_message_is_marked_as_read(rig: Rig) -> None:
    """Issue 16: messages were never marked as read (the sender saw grey ticks only)."""
    siti = rig.user()
    await siti.text("halo")
    await siti.press("id")
    await rig.channel.receipts_sent()
    assert all(message_id.startswith("wamid.IN") for message_id in rig.api.read)
    assert len(set(rig.api.read)) == 2


async def test_bold_is_whatsapps_own_markup(rig: Rig) -> None:
    siti = rig.user()
    await siti.text("halo")
    assert "BNSP *Asesor Kompetensi*:" in siti.screen  # WhatsApp shows it bold


async def test_a_list_sent_again_stays_on_the_page_it_was_on(rig: Rig) -> None:
    """Issue 16: a tick on page 2 of the document picker jumped back to page 1; "Selesai",
    pinned, is on every page."""
    wa_id = "6281234567890"
    docs = [Option(f"doc:{n}", f"☐ berkas-{n}.pdf") for n in range(12)]
    done = Option("done", "✔️ Selesai", pinned=True)
    await rig.channel._send_choice(wa_id, Choice("Pilih bukti", (*docs, done)), "id", page=1)
    ticked = [Option("doc:7", "☑ berkas-7.pdf") if o.id == "doc:7" else o for o in docs]

    await rig.channel._send_choice(wa_id, Choice("Pilih bukti", (*ticked, done)), "id")

    first, again = (s.body["interactive"]["action"]["sections"][0]["rows"] for s in rig.api.sent)
    assert [r["id"] for r in again] == [r["id"] for r in first]  # the same page
    assert "doc:7" in [r["id"] for r in again]
    assert "done" in [r["id"] for r in again]
    other = Choice("Lain", tuple(Option(f"x:{n}", f"x {n}") for n in range(12)))
    await rig.channel._send_choice(wa_id, other, "id")  # another list starts at its first page
    assert rig.api.sent[-1].body["interactive"]["action"]["sections"][0]["rows"][0]["id"] == "x:0"


async def test_a_question_on_whatsapp_is_answered_by_staff_on_whatsapp(rig: Rig) -> None:
    """Issue 16 (7.1.2) on WhatsApp: asked with /tanya, told to staff as a notice, answered
    in /pertanyaan, the answer back in the asker's chat."""
    staff_id = "6281111111111"
    await operator.change_role(rig.app, "whatsapp", staff_id, Role.STAFF, grant=True, by="test")
    budi = rig.user(wa_id=staff_id, name="Budi")
    await budi.text("halo")  # within WhatsApp's 24-hour window: notices go as free text
    siti = rig.user()
    await siti.text("halo")
    await siti.press("id")
    await siti.text("/tanya")
    await siti.text("Apakah uji kompetensi bisa di TUK tempat kerja saya?")
    assert "Pertanyaan terkirim" in siti.screen

    await deliver_notices(rig)
    [notice] = [m["text"]["body"] for m in rig.api.to(staff_id) if "Pertanyaan baru" in str(m)]
    assert "TUK tempat kerja saya?" in notice
    await budi.text("/pertanyaan")
    await budi.press(next(b for b in budi.buttons if b.startswith("s:question:")))
    await budi.text("Bisa, bila memenuhi persyaratan TUK (9.2).")
    assert "Jawaban terkirim" in budi.screen

    await deliver_notices(rig)
    [answer] = [m["text"]["body"] for m in rig.api.to(siti.wa_id) if "Jawaban petugas" in str(m)]
    assert "persyaratan TUK (9.2)" in answer


async def deliver_notices(rig: Rig) -> None:
    """What the worker sends, a minute after the bot's clock (10.00 WIB: outside anyone's
    quiet hours, whatever the hour the suite runs at)."""
    dispatcher = build_dispatcher(rig.app, clock=lambda: NOW + timedelta(minutes=1))
    assert dispatcher is not None
    try:
        await dispatcher.run(asyncio.Event(), until_idle=True)
    finally:
        await dispatcher.close()
