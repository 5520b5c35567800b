"""Every kind of bad input gets a clear message in the person's language, and nothing already
given is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.config import load_settings
from bot.factory import App, build_app
from storage import migrate
from tests import documents as files
from tests.handlers.candidate import Candidate

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture
async def app(engine, clean_env) -> App:  # type: ignore[no-untyped-def]
    clean_env.setenv("MAX_UPLOAD_MB", "1")
    await migrate.upgrade(engine)
    return await build_app(load_settings(env_file=None), engine=engine, clock=lambda: NOW)


async def saved(app: App) -> tuple[object, ...]:
    """Everything the candidate has given so far."""
    async with app.engine.connect() as connection:
        application = (
            await connection.execute(text("SELECT apl01, eligibility, apl02 FROM applications"))
        ).one()
        documents = (
            (await connection.execute(text("SELECT sha256 FROM documents ORDER BY sha256")))
            .scalars()
            .all()
        )
    return (*application, tuple(documents))


async def candidate_at_apl01(app: App, locale: str = "id") -> Candidate:
    person = Candidate(app)
    await person.command("start")
    await person.option(locale)
    await person.option("apply")
    for value in ("0", "s1"):
        await person.option(value)
    await person.type("2")
    await person.option("1")
    await person.option("1")  # eligible: APL-01 starts at once
    await person.type("Siti Nurhaliza")
    await person.option("WNI")
    return person  # now asked for the NIK, which tells the date of birth and sex


NIK_CASES = [
    ("327301570885000", "NIK harus tepat 16 angka."),
    ("32730157O8850002", "NIK hanya berisi angka"),
    ("9973015708850002", "bukan kode provinsi"),
    ("3273013208850002", "tanggal lahir (HHBBTT)"),
    ("3273015708850000", "tidak boleh 0000"),
    ("x" * 10_000, "NIK hanya berisi angka"),
    ("👍🏽👍🏽", "NIK hanya berisi angka"),
    ("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", "NIK hanya berisi angka"),  # Arabic-Indic digits
]


@pytest.mark.parametrize(("typed", "message"), NIK_CASES)
async def test_bad_nik(app: App, typed: str, message: str) -> None:
    person = await candidate_at_apl01(app)
    before = await saved(app)
    await person.type(typed)
    assert message in person.screen
    assert "NIK Anda" in person.screen  # asked again
    assert await saved(app) == before


async def at_review(app: App) -> Candidate:
    """Every APL-01 answer given (the date of birth and sex from the NIK, the education and
    purpose from the eligibility check): the review screen."""
    person = await candidate_at_apl01(app)
    await person.type("3273015708850002")
    for value in ("Bandung", "Jl. Merdeka 10", "40111", "081234567890", "siti@contoh.id"):
        await person.type(value)
    for value in ("LSP", "Manajer", "Jl. Sudirman 1", "10220", "0215790123", "siti@lsp.id"):
        await person.type(value)
    assert "Periksa kembali" in person.screen
    return person


async def test_the_nik_tells_the_date_of_birth_and_sex(app: App) -> None:
    person = await at_review(app)
    assert "• Tanggal lahir: 17 Agustus 1985" in person.screen
    assert "• Jenis kelamin: Perempuan" in person.screen
    assert "• Pendidikan terakhir: Sarjana / D4 (S1)" in person.screen  # from the eligibility
    assert "• Tujuan asesmen: Sertifikasi" in person.screen  # the route decides it


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("3273011708850002", "tidak cocok dengan jenis kelamin"),
        ("3273015808850002", "tidak sama dengan tanggal lahir"),
    ],
)
async def test_a_changed_nik_must_agree_with_the_date_of_birth_and_sex(
    app: App, typed: str, message: str
) -> None:
    person = await at_review(app)
    await person.option("edit:id_number")
    before = await saved(app)
    await person.type(typed)
    assert message in person.screen
    assert await saved(app) == before


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31-02-1985", "Tanggal itu tidak ada"),
        ("1985/08/17", "Format tanggal tidak dikenali"),
        ("01-01-2030", "tidak boleh di masa depan"),
        ("01-01-2015", "minimal 17 tahun"),
        ("", "Format tanggal tidak dikenali"),
    ],
)
async def test_bad_dates_on_the_review_screen(app: App, typed: str, message: str) -> None:
    person = await at_review(app)
    await person.option("edit:birth_date")
    before = await saved(app)
    await person.type(typed)
    assert message in person.screen
    assert "Tanggal lahir Anda" in person.screen
    assert await saved(app) == before
    # A valid new date that no longer matches the NIK is caught when confirming.
    await person.type("18-08-1985")
    await person.option("confirm")
    assert "tidak sama dengan tanggal lahir" in person.screen
    assert "NIK Anda" in person.screen
    # Not done, not submittable, and not a trap: from the NIK step the date can be fixed.
    await person.command("daftar")
    assert "⏳ APL-01 data diri: 17 dari 18" in person.screen
    await person.option("submit")  # what stops it is said before any declaration is offered
    assert "APL-01: Tanggal lahir di NIK tidak sama" in person.screen
    assert person.options == ["back"]
    await person.option("back")
    await person.option("apl01")
    assert "NIK Anda" in person.screen
    await person.option("fix:birth_date")
    assert "Tanggal lahir Anda" in person.screen
    await person.type("17-08-1985")
    assert "Periksa kembali" in person.screen
    await person.option("confirm")
    assert "APL-01 tersimpan" in person.screen


async def test_cancel_keeps_every_saved_answer(app: App) -> None:
    person = await candidate_at_apl01(app)
    before = await saved(app)
    await person.command("batal")
    assert "Data yang sudah tersimpan tetap aman" in person.screen
    assert await saved(app) == before
    await person.option("apply")
    await person.option("apl01")
    assert "NIK Anda" in person.screen  # resumes at the NIK


async def test_unknown_command_and_odd_text_in_the_middle_of_a_step(app: App) -> None:
    person = await candidate_at_apl01(app)
    before = await saved(app)
    await person.command("hapussemua")
    assert "Perintah /hapussemua tidak dikenal" in person.screen
    assert "NIK Anda" in person.screen
    await person.type("\u202eabc")  # a right-to-left override
    assert "NIK hanya berisi angka" in person.screen
    assert await saved(app) == before


async def test_english_messages_for_an_english_speaker(app: App) -> None:
    person = await candidate_at_apl01(app, locale="en")
    await person.type("12345")
    assert "A NIK has exactly 16 digits." in person.screen
    assert "APL-01 — 12 questions left" in person.screen


async def candidate_at_ktp(app: App) -> Candidate:
    person = await candidate_at_apl01(app)
    await person.command("menu")
    await person.option("apply")
    await person.option("evidence")
    await person.option("ktp")
    assert person.asks_for_file()
    return person


MiB = 1024 * 1024


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (files.windows_executable(), "ktp.pdf", "Berkas ini adalah program"),
        (files.zip_archive(), "ktp.zip", "Berkas arsip (ZIP/RAR) tidak diterima"),
        (b"", "ktp.pdf", "Berkas kosong"),
        (files.truncated_pdf(), "ktp.pdf", "PDF ini rusak atau tidak lengkap"),
        (files.encrypted_pdf(), "ktp.pdf", "PDF ini dilindungi kata sandi"),
        (files.empty_pdf(), "ktp.pdf", "PDF ini tidak memiliki halaman"),
        (files.truncated_jpeg(), "ktp.jpg", "Gambar ini rusak"),
        (files.pixel_bomb(), "ktp.png", "Resolusi gambar terlalu besar"),
        (b"GIF89a" + b"\x00" * 100, "ktp.gif", "Jenis berkas tidak dikenali"),
        (b"%PDF-1.4\n" + b"0" * (MiB + 10), "besar.pdf", "Batasnya 1 MB"),
    ],
)
async def test_bad_files_are_refused_and_nothing_is_lost(
    app: App, data: bytes, name: str, message: str
) -> None:
    person = await candidate_at_ktp(app)
    await person.upload(files.pdf("pertama"), "first.pdf")
    await person.option("back")
    await person.option("diploma")
    before = await saved(app)
    await person.upload(data, name)
    assert message in person.screen, person.screen
    assert person.asks_for_file()
    assert await saved(app) == before


async def test_oversized_file_refused_before_download(app: App) -> None:
    person = await candidate_at_ktp(app)
    opened = False

    async def never() -> object:
        nonlocal opened
        opened = True
        yield b""

    from handlers.messages import FileIn

    await person.send(FileIn(open=never, file_name="scan.pdf", size=60 * MiB))  # type: ignore[arg-type]
    assert "Batasnya 1 MB" in person.screen
    assert not opened


async def test_same_file_twice_remove_and_replace(app: App) -> None:
    person = await candidate_at_ktp(app)
    scan = files.pdf("ktp")
    await person.upload(scan, "ktp.pdf")
    await person.option("back")
    await person.option("diploma")
    await person.upload(scan, "ijazah.pdf")
    assert "sama persis dengan ktp.pdf" in person.screen
    await person.option("back")
    await person.option("ktp")
    assert "sudah cukup (1)" in person.screen
    remove = next(o for o in person.options if o.startswith("rm:"))
    await person.option(remove)
    assert "ktp.pdf dihapus" in person.screen
    assert person.asks_for_file()
    await person.upload(files.pdf("ktp baru"), "ktp-baru.pdf")
    assert "ktp-baru.pdf" in person.screen
    async with app.engine.connect() as connection:
        keys = (await connection.execute(text("SELECT object_key FROM documents"))).scalars().all()
    assert len(keys) == 1
    assert await app.objects.exists(keys[0])


async def test_photo_warnings_let_the_candidate_keep_it(app: App) -> None:
    person = await candidate_at_ktp(app)
    await person.option("back")
    await person.option("photo")
    await person.upload(files.photo(size=(800, 400), background=(20, 40, 200)), "foto.jpg")
    screen = person.screen
    assert "Diterima: foto.jpg" in screen
    assert "tidak berukuran 3x4" in screen
    assert "bukan merah" in screen
    assert "1 dari 1" in screen  # one digital photo is enough (9.1.2 b)


async def test_forged_remove_button_of_someone_else(app: App) -> None:
    owner = await candidate_at_ktp(app)
    await owner.upload(files.pdf("milik orang lain"), "ktp.pdf")
    remove = next(o for o in owner.options if o.startswith("rm:"))
    intruder = Candidate(app, who="intruder")
    await intruder.command("start")
    await intruder.option("id")
    await intruder.option("apply")
    await intruder.option(remove)
    assert "Tombol ini sudah tidak aktif" in intruder.screen
    async with app.engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM documents"))).scalar_one()
    assert count == 1
