"""Dead S3, clean-up of an object whose row was never written, APL-02 resumed, /status, and
/data with the deletion of a draft."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.config import load_settings
from bot.factory import App, build_app
from storage import migrate
from storage.repositories import SqlApplications
from tests import documents as files
from tests.handlers.candidate import Candidate
from tests.handlers.test_bad_input import candidate_at_ktp, saved

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture
async def app(engine, clean_env) -> App:  # type: ignore[no-untyped-def]
    await migrate.upgrade(engine)
    return await build_app(load_settings(env_file=None), engine=engine, clock=lambda: NOW)


async def test_dead_s3_is_explained_and_nothing_is_lost(engine, clean_env) -> None:  # type: ignore[no-untyped-def]
    clean_env.setenv("STORAGE_BACKEND", "s3")
    clean_env.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    clean_env.setenv("S3_ACCESS_KEY_ID", "testing")
    clean_env.setenv("S3_SECRET_ACCESS_KEY", "testing")
    await migrate.upgrade(engine)
    app = await build_app(load_settings(env_file=None), engine=engine, clock=lambda: NOW)
    person = await candidate_at_ktp(app)
    before = await saved(app)
    await person.upload(files.pdf("ktp"), "ktp.pdf")
    assert "penyimpanan berkas sedang tidak dapat dihubungi" in person.screen
    assert person.asks_for_file()
    assert await saved(app) == before


async def test_object_is_deleted_when_its_row_is_never_written(
    app: App, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    person = await candidate_at_ktp(app)
    before = await saved(app)

    async def broken(self, document) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(SqlApplications, "add_document", broken)
    await person.upload(files.pdf("ktp"), "ktp.pdf")
    assert "Maaf, terjadi kesalahan di pihak kami" in person.screen
    assert await saved(app) == before
    stored = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    assert stored == []


async def test_apl02_resumes_where_it_was_left(app: App) -> None:
    """Per element (FR.APL.02): evidence optional, the KTP is not offered as evidence of a
    competence, an older message's button never answers the element on screen, the form
    resumes after a restart and can be changed once complete."""
    person = await candidate_at_ktp(app)
    await person.upload(files.pdf("ktp"), "ktp.pdf")
    await person.command("menu")
    await person.option("apply")
    await person.option("apl02")  # the unit whole first, as FR.APL.02 prints it
    assert "Dapatkah saya menentukan pendekatan asesmen?" in person.screen
    assert "• 1.1 Asesi, tujuan dan konteks asesmen diidentifikasi" in person.screen
    assert "belum diverifikasi" not in person.screen
    assert "Belum ada bukti relevan untuk unit ini" in person.screen  # the KTP is not one
    await person.option("each:P.85ASM00.001.2")
    assert "elemen 1 dari 13" in person.screen
    first = next(o for o in person.options if o.startswith("BK:"))
    await person.option(first)
    await person.option(next(o for o in person.options if o.startswith("K:")))
    assert not [o for o in person.options if o.startswith("doc:")]  # the KTP proves nothing
    await person.option("done")  # K without evidence (9.1.3 "jika ada")
    assert "elemen 3 dari 13" in person.screen
    await person.option(first)  # the first element's button, pressed again
    assert "elemen 3 dari 13" in person.screen
    [(answers,)] = await saved_apl02(app)
    assert answers["P.85ASM00.001.2/1"]["verdict"] == "BK"
    assert answers["P.85ASM00.001.2/2"] == {"verdict": "K", "evidence": []}
    assert "P.85ASM00.001.2/3" not in answers
    await person.option("back")
    second = await build_app(load_settings(env_file=None), engine=app.engine, clock=lambda: NOW)
    again = Candidate(second)
    await again.command("daftar")
    assert "APL-02 asesmen mandiri: 2 dari 13 elemen" in again.screen
    await again.option("apl02")
    assert "elemen 3 dari 13" in again.screen
    assert "• 3.4" not in again.screen  # cut off in every source: not put to the candidate
    for _ in range(11):
        each = next((o for o in again.options if o.startswith("each:")), None)
        if each is not None:  # a new unit, shown whole: answered element by element here
            await again.option(each)
        await again.option(next(o for o in again.options if o.startswith("BK:")))
    assert "Ringkasan APL-02" in again.screen
    assert "NIK Anda" in again.screen  # done: on to what APL-01 still lacks
    await again.command("daftar")
    await again.option("apl02")
    assert "Ingin mengubah jawaban?" in again.screen
    await again.option("edit:P.85ASM00.001.2/1")
    assert "Dapatkah saya menentukan pendekatan asesmen?" in again.screen
    await again.option("K:P.85ASM00.001.2/1")
    await again.option("done")
    [(answers,)] = await saved_apl02(app)
    assert answers["P.85ASM00.001.2/1"]["verdict"] == "K"  # a mistaken BK undone before submit
    assert len(answers) == 13


async def saved_apl02(app: App) -> list[tuple[dict[str, dict[str, object]]]]:
    async with app.engine.connect() as connection:
        rows = await connection.execute(text("SELECT apl02 FROM applications"))
        return [(value if isinstance(value, dict) else json.loads(value),) for (value,) in rows]


async def test_status_of_a_draft(app: App) -> None:
    person = await candidate_at_ktp(app)
    await person.command("status")
    screen = person.screen
    assert "Status: Draf" in screen
    assert "APL-01 data diri: 4 dari 18" in screen  # education and purpose from the check
    assert "Draf tidak pernah kedaluwarsa" in screen
    assert "Berikutnya: lengkapi bagian" in screen


async def test_my_data_and_deleting_a_draft(app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    person = await candidate_at_ktp(app)
    await person.upload(files.pdf("ktp"), "ktp.pdf")
    await person.command("data")
    screen = person.screen
    assert "Nama lengkap: Siti Nurhaliza" in screen
    assert "ktp.pdf" in screen
    assert "Saluran: test" in screen
    await person.option("delete")
    assert "tidak bisa dibatalkan" in person.screen
    await person.option("yes")
    assert "1 berkas telah dihapus" in person.screen
    async with app.engine.connect() as connection:
        assert (
            await connection.execute(text("SELECT count(*) FROM applications"))
        ).scalar_one() == 0
        assert (await connection.execute(text("SELECT count(*) FROM documents"))).scalar_one() == 0
    assert [p for p in (tmp_path / "objects").rglob("*") if p.is_file()] == []
    await person.command("data")
    assert "Belum ada permohonan" in person.screen


RULE_7_2_3 = (
    "7.2.3 Menjamin bahwa seluruh pernyataan dan informasi yang diberikan adalah terbaru, benar"
    " dan dapat dipertanggungjawabkan."
)


async def test_guide_explains_without_starting_an_application(app: App) -> None:
    person = Candidate(app)
    await person.command("start")
    await person.option("id")
    await person.option("requirements")
    for topic, expected in [
        ("units", "P.854900.047.01"),
        ("routes", "Bila pemohon hanya memenuhi sebagian"),  # a rule, not a verdict (6.2.7)
        ("evidence", "Foto 3x4 latar belakang merah — 1–2"),
        ("evidence", "*A*sli (milik Anda sendiri)"),  # the rules of evidence, VATM (9.1.1)
        ("fees", "ditetapkan oleh Badan Nasional Sertifikasi Profesi (BNSP)"),  # 8
        ("rights", RULE_7_2_3),
        ("rights", "9.8.4 Menghentikan penggunaan"),
        ("process", "9.1–9.9"),
        ("appeal", "1 hari"),
        ("ethics", "9.10.16 Bersedia dievaluasi oleh BNSP, LSP dan Peserta Uji Kompetensi."),
    ]:
        await person.option(topic)
        assert expected in person.screen, topic
        assert "Karena Anda" not in person.screen  # the guide never concludes about the reader
    await person.option("ethics")
    assert sum(line.startswith("• 9.10.") for line in person.screen.splitlines()) == 16
    async with app.engine.connect() as connection:
        assert (
            await connection.execute(text("SELECT count(*) FROM applications"))
        ).scalar_one() == 0


async def test_status_twice_is_shown_once(app: App) -> None:
    person = Candidate(app)
    await person.command("start")
    await person.option("id")
    await person.option("status")
    await person.command("status")
    assert person.screen.count("Anda belum memiliki permohonan") == 1
