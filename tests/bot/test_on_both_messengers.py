"""What issue 16 asks of every channel, held on Telegram and WhatsApp alike: the same person
typing the same words through each spec-checking fake. The rules themselves are unit-tested on
the memory world (``tests/handlers``); these hold that each channel carries them whole."""

from __future__ import annotations

import re

import pytest

from tests import documents as files
from tests.bot.phones import OnTelegram, OnWhatsApp, Phone, User
from tests.journey import APL01, EVIDENCE_NEEDS, upload_answer_and_submit

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
"""The journeys run on PostgreSQL in the channels' own suites; here the channels are what
varies."""


@pytest.fixture(params=["telegram", "whatsapp"])
def phone(request: pytest.FixtureRequest, engine: object) -> Phone:
    if request.param == "telegram":
        return OnTelegram(request.getfixturevalue("rig"))
    return OnWhatsApp(request.getfixturevalue("whatsapp_rig"))


async def typed(user: User, *words: str) -> None:
    for word in words:
        await user.text(word)


async def greeted(phone: Phone, locale: str = "id") -> User:
    """A new person who has said hello and chosen their language."""
    user = phone.person()
    await typed(user, "halo")
    await user.press(locale)
    return user


async def eligible(phone: Phone) -> User:
    """A new candidate who has passed the eligibility check by typing every answer."""
    siti = await greeted(phone)
    await typed(siti, "daftar", "tidak", "S1", "dua", "iya", "ya")
    assert "Anda memenuhi persyaratan dasar" in siti.screen
    return siti


async def at_review(phone: Phone) -> User:
    """APL-01 answered up to its review, every choice typed as a word."""
    siti = await eligible(phone)
    for value in APL01:
        if value == "CONTACT":
            await phone.share_contact(siti)
        else:
            await siti.text(value.removeprefix("@"))  # "WNI" typed, not pressed
    assert "Periksa kembali data APL-01 Anda" in siti.screen
    return siti


async def test_words_typed_instead_of_pressed(phone: Phone) -> None:
    """Issue 16: "daftar", "tidak", "S1", "dua", "iya" were refused where an option was asked;
    "menu" at the name step was saved as the name; a half-done check could not be resumed."""
    siti = await greeted(phone)
    await typed(siti, "daftar")  # a command of /bantuan, typed as a word at the menu
    assert "Permohonan baru dibuat" in siti.screen
    await typed(siti, "tidak", "S1", "dua")
    assert "(6.1.3)" in siti.screen  # "tidak" to 6.2.1, "S1" the education, "dua" the count
    await typed(siti, "menu")
    assert "Menu utama" in siti.screen
    await typed(siti, "daftar")
    assert "⏳ Cek persyaratan dasar" in siti.screen
    await typed(siti, "Lanjutkan")  # the label without its emoji
    assert "(6.1.3)" in siti.screen  # where it was left

    await typed(siti, "iya", "ya")
    assert "Nama lengkap Anda" in siti.screen
    for word, shown in (
        ("menu", "Menu utama"),
        ("Bantuan", "/tanya"),
        ("status", "APL-01 data diri: 2 dari 18"),  # education and purpose, carried over
        ("batal", "Tidak ada langkah"),
    ):
        await typed(siti, word)
        assert shown in siti.screen, (word, siti.screen)
    await typed(siti, "daftar", "Lanjutkan")
    assert "Nama lengkap Anda" in siti.screen  # nothing typed above was taken as the name
    await typed(siti, "Siti Nurhaliza")
    assert "Kebangsaan Anda" in siti.screen


async def test_the_review_a_date_as_written_and_numbers_as_shown(phone: Phone) -> None:
    """Issue 16: typing 3 for "3. Tempat lahir" opened the field before; "17 Agustus 1990" was
    refused; the phone numbers read "+622157901234"; WhatsApp's rows read "2. ✏️ Ubah 1. …"."""
    siti = await at_review(phone)
    assert "• Tanggal lahir: 17 Agustus 1985" in siti.screen
    assert "• Nomor HP: +62 812 345" in siti.screen
    assert "• Telepon kantor: +62 21 5790 1234" in siti.screen
    labels = [phone.label(siti, option) for option in siti.buttons]
    assert not [label for label in labels if re.search(r"\d+\..*\d+\. ", label)]
    assert "Ubah Kebangsaan" in labels[2]  # the third option, as a typed 3 takes it

    await typed(siti, "Ubah Tanggal lahir")
    assert "Tanggal lahir Anda" in siti.screen
    await typed(siti, "17 Agu 1985")
    assert "• Tanggal lahir: 17 Agustus 1985" in siti.screen
    await typed(siti, "3")
    assert "Kebangsaan Anda" in siti.screen
    await typed(siti, "WNI", "Data sudah benar")
    assert "APL-01 tersimpan" in siti.screen
    assert "Salinan KTP" in siti.screen  # and on to the first piece of evidence


async def test_status_names_what_is_missing_and_the_declaration_waits(phone: Phone) -> None:
    """Issue 16: "/status" said "7 dari 8 lengkap" without naming what is missing; the
    declaration was agreed before the application could be sent; typing "agree" (an internal
    id) submitted it."""
    siti = await at_review(phone)
    await typed(siti, "Data sudah benar", "status")
    assert "belum ada: Salinan KTP; Foto 3x4" in siti.screen
    await typed(siti, "daftar", "Pernyataan & kirim")
    assert "Permohonan belum bisa dikirim" in siti.screen
    assert "agree" not in siti.buttons
    assert "Salinan KTP: 0 dari 1 berkas." in siti.screen

    await typed(siti, "Kembali", "Lanjutkan")
    await upload_answer_and_submit(siti, declare=False)
    assert "Ringkasan APL-02" in siti.screen
    assert "Setuju dan kirim" in phone.label(siti, "agree")  # whole, on a WhatsApp button too
    await typed(siti, "agree")
    assert "Silakan pilih salah satu pilihan" in siti.screen
    await typed(siti, "setuju")
    assert "Permohonan terkirim!" in siti.screen
    assert "Rabu, 25 November 2026 pukul 10.00 WIB" in siti.screen  # the one date format


async def test_a_fully_ineligible_candidate_sees_no_tick(phone: Phone) -> None:
    """Issue 16: all four basic requirements unmet still showed "✅ Cek persyaratan dasar"."""
    siti = await greeted(phone)
    await typed(siti, "daftar", "tidak", "SD", "0", "tidak", "tidak")
    assert "6.1.1" in siti.screen
    await typed(siti, "daftar")
    assert "❌ Cek persyaratan dasar" in siti.screen
    assert "✅ Cek" not in siti.screen
    assert "continue" not in siti.buttons  # no way on until a requirement changes


async def test_after_a_send_back_only_the_flagged_item_is_open(phone: Phone) -> None:
    """Issue 16 (9.1.5): after a send-back the flagged item kept its ✅, an unchanged
    resubmission was accepted, and staff saw the old ❌ beside the replacement file."""
    siti = await at_review(phone)
    await typed(siti, "Data sudah benar")
    await upload_answer_and_submit(siti)
    budi = await phone.staff()
    await typed(budi, "/antrian")
    await budi.press(next(b for b in budi.buttons if b.startswith("s:app:")))
    for item in EVIDENCE_NEEDS:
        await budi.press(f"s:item:{item}")
        if item == "practice_planning":
            await budi.press("s:mark:not_ok")
            await typed(budi, "Scan buram, unggah ulang yang jelas")
        else:
            await budi.press("s:mark:ok")
    await budi.press("s:send_back")
    await phone.deliver_notices()
    assert "Scan buram, unggah ulang yang jelas" in phone.received(siti)[-1]

    await typed(siti, "status")
    assert "Scan buram" in siti.screen
    await typed(siti, "daftar")
    assert "belum ada: Rekaman tugas praktik merencanakan" in siti.screen
    await typed(siti, "Pernyataan & kirim")  # nothing changed: refused, with the reason
    assert "dikembalikan petugas — Scan buram" in siti.screen
    assert "agree" not in siti.buttons
    await typed(siti, "Kembali", "Unggah bukti")
    assert "❌ Rekaman tugas praktik merencanakan" in siti.screen
    assert "✅ Salinan KTP" in siti.screen
    await typed(siti, "Kembali", "Lanjutkan")
    await siti.document(files.pdf("practice-clear"), "logbook-jelas.pdf")
    assert "Diterima" in siti.screen
    await typed(siti, "daftar", "Pernyataan & kirim", "setuju")
    assert "Permohonan terkirim!" in siti.screen

    await typed(budi, "/antrian")
    await budi.press(next(b for b in budi.buttons if b.startswith("s:app:")))
    assert not phone.label(budi, "s:item:practice_planning").lstrip("0123456789. ").startswith("❌")
    assert phone.label(budi, "s:item:ktp").lstrip("0123456789. ").startswith("✅")


async def test_a_question_typed_where_none_is_expected_reaches_staff(phone: Phone) -> None:
    """Issue 16 (7.1.2): a question typed at the menu is offered to staff, answered in their
    chat, and back in the candidate's; /status shows it while it waits."""
    budi = await phone.staff()
    await typed(budi, "halo")  # on WhatsApp, inside the 24-hour window: notices as free text
    siti = await greeted(phone)
    await typed(siti, "Apakah uji kompetensi bisa di TUK tempat kerja saya?")
    assert "Kirim pesan ini ke petugas LSP sebagai pertanyaan?" in siti.screen
    await typed(siti, "Ya, kirim")
    assert "Pertanyaan terkirim" in siti.screen
    await typed(siti, "status")
    assert "menunggu jawaban: 1" in siti.screen

    await phone.deliver_notices()
    assert "TUK tempat kerja saya?" in phone.received(budi)[-1]
    await typed(budi, "/pertanyaan")
    await budi.press(next(b for b in budi.buttons if b.startswith("s:question:")))
    await typed(budi, "Bisa, bila memenuhi persyaratan TUK (9.2).")
    assert "Jawaban terkirim" in budi.screen
    await phone.deliver_notices()
    assert "persyaratan TUK (9.2)" in phone.received(siti)[-1]


HELP = {
    "id": "/start /menu /bahasa /batal /zona /bantuan /daftar /status /tanya /data /banding "
    "/sertifikat",
    "en": "/start /menu /language /cancel /timezone /help /apply /status /ask /data /appeal "
    "/certificate",
}
"""Every command a candidate has, in each language (staff and assessors see theirs too)."""


@pytest.mark.parametrize("locale", ["id", "en"])
async def test_help_is_complete_in_both_languages(phone: Phone, locale: str) -> None:
    """Issue 16: /bantuan listed half the commands."""
    siti = await greeted(phone, locale)
    await typed(siti, "/bantuan" if locale == "id" else "/help")
    listed = set(re.findall(r"/[a-z]+", siti.screen))
    assert listed >= set(HELP[locale].split()), siti.screen


async def test_a_message_it_cannot_read_is_answered_once_in_the_chosen_language(
    phone: Phone,
) -> None:
    """Issue 16: on WhatsApp the reply followed the number's country and a sticker delivered
    three times got three replies; on Telegram the phone's language was used."""
    siti = await greeted(phone, "en")  # the messenger says Indonesian; the person chose English
    await phone.sticker(siti)
    assert "asesorbot reads only text" in siti.screen, siti.screen
    await siti.again()
    assert "asesorbot reads only" not in siti.screen  # the same delivery: answered once


async def test_photos_are_told_apart_and_file_names_shown_clean(phone: Phone) -> None:
    """Issue 16: every WhatsApp image was "foto.jpg"; a right-to-left override character stayed
    in the names shown to the candidate and staff."""
    siti = await at_review(phone)
    await typed(siti, "Data sudah benar")
    await siti.document(files.pdf("ktp"), "ktp\u202efdp.pdf")
    assert "Diterima: ktpfdp.pdf" in siti.screen
    await siti.photo(files.photo(background=(190, 20, 30)))
    await typed(siti, "daftar", "Unggah bukti", "Foto 3x4 latar belakang merah")
    await siti.photo(files.photo(background=(191, 20, 30)))
    assert "photo-2.jpeg" in siti.screen
    assert "photo-1.jpeg" in siti.screen
