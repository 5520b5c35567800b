"""A new candidate and a re-certification candidate (6.2.7), from /start to a submitted
application: answers in the database, evidence in the object store — PostgreSQL with the S3
server over HTTP, and SQLite with the local store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.config import load_settings
from bot.factory import App, build_app
from storage import migrate
from storage.objects import S3ObjectStore
from tests.documents import pdf, photo
from tests.handlers.candidate import Candidate
from tests.journey import EVIDENCE_NEEDS, RENEWAL_NEEDS

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 10:00 WIB

APL01_NEW = [
    ("full_name", "Siti Nurhaliza"),
    ("nationality", "@WNI"),
    ("id_number", "3273015708850002"),
    ("birth_place", "Bandung"),
    ("home_address", "Jl. Merdeka No. 10, Bandung"),
    ("home_postcode", "40111"),
    ("mobile", "0812 3456 7890"),
    ("email", "siti@contoh.co.id"),
    ("institution", "LSP Teknologi Digital"),
    ("position", "Manajer Sertifikasi"),
    ("office_address", "Jl. Sudirman No. 1, Jakarta"),
    ("office_postcode", "10220"),
    ("office_phone", "021 5790 1234"),
    ("office_email", "siti@lsp.co.id"),
]
"""What APL-01 asks once the eligibility check is done: the NIK tells the date of birth and
sex, the check the education, the route the purpose."""


@pytest.fixture
async def candidate_app(request: pytest.FixtureRequest, engine, clean_env) -> App:  # type: ignore[no-untyped-def]
    """PostgreSQL goes with the S3 server, SQLite with the local folder."""
    if engine.dialect.name == "postgresql":
        settings = request.getfixturevalue("s3_settings")
    else:
        settings = load_settings(env_file=None)
    await migrate.upgrade(engine)
    app = await build_app(settings, engine=engine, clock=lambda: NOW)
    if isinstance(app.objects, S3ObjectStore):
        await app.objects.ensure_bucket()
    return app


async def answer(candidate: Candidate, value: str) -> None:
    if value.startswith("@"):
        await candidate.option(value[1:])
    else:
        await candidate.type(value)


async def fill_apl01(candidate: Candidate, answers: list[tuple[str, str]]) -> None:
    """From the eligibility outcome, which goes straight on to APL-01."""
    for n, (_, value) in enumerate(answers):
        assert candidate.t("apl01.progress", left=len(answers) - n) in candidate.screen
        await answer(candidate, value)
    assert "Periksa kembali data APL-01" in candidate.screen
    await candidate.option("confirm")
    assert "APL-01 tersimpan" in candidate.screen


async def upload_evidence(candidate: Candidate, needs: dict[str, int]) -> None:
    """Item by item from the checklist (the guided way is the 40-message journey's)."""
    if "evidence" in candidate.options:  # the hub
        await candidate.option("evidence")
    elif candidate.asks_for_file():  # the first item missing, asked as APL-01 was confirmed
        await candidate.option("back")
    for item, count in needs.items():
        await candidate.option(item)
        for n in range(count):
            assert candidate.asks_for_file(), candidate.screen
            if item == "photo":
                data, name = photo(background=(190 + n, 20, 30)), f"foto{n}.jpg"
            else:
                data, name = pdf(f"{item}-{n}"), f"{item}-{n}.pdf"
            await candidate.upload(data, name)
            received = candidate.t("evidence.received", name=name, size="")
            assert received.split("(")[0] in candidate.screen
            assert candidate.t("evidence.count", have=n + 1, need=count) in candidate.screen
        await candidate.option("back")
        assert candidate.t("evidence.count", have=count, need=count) in candidate.screen
    await candidate.option("back")


async def fill_apl02(candidate: Candidate, total: int) -> None:
    """Element by element (each unit is first shown whole, with K for all of it); once done,
    on to the declaration."""
    await candidate.option("apl02")
    for n in range(1, total + 1):
        each = next((o for o in candidate.options if o.startswith("each:")), None)
        if each is not None:
            await candidate.option(each)
        assert candidate.t("apl02.progress", n=n, total=total) in candidate.screen
        if n == 2:
            await candidate.option(next(o for o in candidate.options if o.startswith("BK:")))
            continue
        await candidate.option(next(o for o in candidate.options if o.startswith("K:")))
        if n == 3:  # evidence is optional (9.1.3 "jika ada")
            await candidate.option("done")
            continue
        first_document = next(o for o in candidate.options if o.startswith("doc:"))
        await candidate.option(first_document)
        assert "☑" in candidate.screen
        await candidate.option("done")
    assert candidate.t("apl02.summary") in candidate.screen
    assert "agree" in candidate.options  # complete: the declaration comes next


async def stored_application(app: App) -> dict[str, object]:
    async with app.engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT id, state, reference, route, method FROM applications")
            )
        ).one()
        keys = (
            (
                await connection.execute(
                    text("SELECT object_key FROM documents WHERE application_id = :id"),
                    {"id": row.id},
                )
            )
            .scalars()
            .all()
        )
    return {**row._asdict(), "keys": keys}


async def test_new_candidate_from_start_to_submitted(candidate_app: App) -> None:
    siti = Candidate(candidate_app)
    await siti.command("start")
    await siti.option("id")
    await siti.option("apply")
    assert "Permohonan baru dibuat" in siti.screen
    assert "sertifikat kompetensi Asesor Kompetensi" in siti.screen  # 6.2.1 decides the route
    await siti.option("0")
    await siti.option("s1")
    assert "(6.1.2)" in siti.screen
    await siti.type("2")
    await siti.option("1")
    await siti.option("1")
    assert "Jalur Anda: Calon Asesor Kompetensi (klausul 6.1)" in siti.screen
    assert "Anda memenuhi persyaratan dasar" in siti.screen

    await fill_apl01(siti, APL01_NEW)
    await upload_evidence(siti, EVIDENCE_NEEDS)
    await fill_apl02(siti, 13)
    assert "9.1.4" in siti.screen
    assert "adalah terbaru, benar dan dapat dipertanggungjawabkan (7.2.3)" in siti.screen
    assert "Biaya sertifikasi (8, 9.1.1): Biaya sertifikasi untuk Skema" in siti.screen
    await siti.option("agree")
    screen = siti.screen
    assert "Permohonan terkirim!" in screen
    assert "Nomor: AK-2026-" in screen
    assert "Waktu: Rabu, 25 November 2026 pukul 10.00 WIB" in screen
    assert "Siti Nurhaliza" in screen
    assert "foto0.jpg" in screen
    assert "• P.85ASM00.001.2: K 3, BK 1" in screen  # 4 elements, the second answered BK
    assert "  BK · 2. Mempersiapkan rencana asesmen" in screen

    stored = await stored_application(candidate_app)
    assert stored["state"] == "submitted"
    assert stored["route"] == "new_candidate"
    assert stored["method"] == "competency_test"
    assert str(stored["reference"]).startswith("AK-2026-")
    assert len(stored["keys"]) == sum(EVIDENCE_NEEDS.values())  # type: ignore[arg-type]
    for key in stored["keys"]:  # type: ignore[attr-defined]
        assert await candidate_app.objects.exists(key)

    await siti.command("status")
    assert "Dikirim, menunggu penelaahan berkas" in siti.screen
    assert "Dikirim: Rabu, 25 November 2026 pukul 10.00 WIB" in siti.screen
    # Frozen: nothing can be changed any more.
    await siti.command("daftar")
    assert "Dikirim, menunggu penelaahan" in siti.screen


async def recertification_apl01(budi: Candidate) -> None:
    answers = dict(APL01_NEW)
    answers |= {"full_name": "Budi Santoso", "id_number": "3174011708850001"}
    values = list(answers.values())
    values.insert(list(answers).index("email") + 1, "@s1")  # no education asked on this route
    for n, value in enumerate(values):
        assert f"APL-01 — {len(values) - n} questions left" in budi.screen
        await answer(budi, value)
    assert "• Purpose of assessment: Re-certification" in budi.screen
    await budi.option("confirm")


async def test_recertification_partly_meeting_6_2_2_to_6_2_4(candidate_app: App) -> None:
    """6.2.7: a holder with 4 of the 6 SPT melaksanakan asesmen uploads the 4 they have,
    is told why, and can submit; they are assessed by the new-candidate method."""
    budi = Candidate(candidate_app, who="budi")
    await budi.command("start")
    await budi.option("en")
    await budi.option("apply")
    await budi.option("1")  # holds the certificate: re-certification (6.2)
    await budi.type("2")  # planning SPT (6.2.2)
    await budi.type("2")  # validation SPT (6.2.3)
    await budi.type("4")  # conducting SPT: 4 of 6 (6.2.4)
    await budi.option("1")  # refreshment (6.2.5)
    await budi.option("1")  # technical competence (6.2.6)
    screen = budi.screen
    assert "Your route: Re-certification of a competency assessor (clause 6.2)" in screen
    assert "competency test" in screen
    assert "(clause 6.2.7)" in screen
    assert "You meet the basic requirements" in screen

    await recertification_apl01(budi)
    await budi.option("back")  # from the first item missing to the checklist
    await budi.option("conducting_spt")
    assert budi.t("evidence.partial", clause="6.2.7", need=4, full=6) in budi.screen
    assert budi.t("evidence.count", have=0, need=4) in budi.screen
    await budi.option("back")
    await upload_evidence(budi, {**RENEWAL_NEEDS, "conducting_spt": 4})
    await fill_apl02(budi, 13)
    await budi.option("agree")
    assert "Application submitted!" in budi.screen, budi.screen
    stored = await stored_application(candidate_app)
    assert (stored["state"], stored["route"], stored["method"]) == (
        "submitted",
        "recertification",
        "competency_test",
    )
    assert len(stored["keys"]) == 13  # type: ignore[arg-type]


async def test_recertification_by_option_b_of_6_2_2(candidate_app: App) -> None:
    """6.2.2 "atau": no SPT merencanakan, but 2 SPT merencanakan dan mengorganisasikan and 1
    record. The checklist asks for those 3 files, not the 2 SPT of option A."""
    budi = Candidate(candidate_app, who="budi")
    await budi.command("start")
    await budi.option("en")
    await budi.option("apply")
    await budi.option("1")
    await budi.type("0")  # planning SPT (6.2.2 option A): none
    await budi.type("2")  # planning-and-organising SPT (option B)
    await budi.type("1")  # planning record (option B)
    await budi.type("2")  # validation SPT (6.2.3 option A)
    await budi.type("6")  # conducting SPT (6.2.4)
    await budi.option("1")
    await budi.option("1")
    assert "You meet the basic requirements" in budi.screen, budi.screen
    assert "(clause 6.2.7)" not in budi.screen

    await recertification_apl01(budi)
    await budi.option("back")
    assert "[planning_spt]" not in budi.screen
    await budi.option("planning_record")
    assert budi.t("evidence.alternative", n=2, total=2, clause="6.2.2") in budi.screen
    await budi.option("back")
    needs = {k: v for k, v in RENEWAL_NEEDS.items() if k != "planning_spt"}
    await upload_evidence(budi, {**needs, "plan_organise_spt": 2, "planning_record": 1})
    await fill_apl02(budi, 13)
    await budi.option("agree")
    assert "Application submitted!" in budi.screen, budi.screen
    stored = await stored_application(candidate_app)
    assert (stored["route"], stored["method"]) == ("recertification", "portfolio")
    assert len(stored["keys"]) == 16  # type: ignore[arg-type]


async def test_a_jayapura_candidate_sees_wit_everywhere(candidate_app: App) -> None:
    """Item 5: the zone is proposed from the postcode / NIK and confirmed with one press; from
    then on every time shown names WIT; /zona changes it."""
    yohana = Candidate(candidate_app, who="yohana")
    await yohana.command("start")
    await yohana.option("id")
    await yohana.option("apply")
    await yohana.option("0")
    await yohana.option("s1")
    await yohana.type("2")
    await yohana.option("1")
    await yohana.option("1")
    answers = dict(APL01_NEW)
    answers |= {
        "full_name": "Yohana Wenda",
        "birth_place": "Jayapura",
        "id_number": "9171015708850002",  # province 91: Papua
        "home_address": "Jl. Ahmad Yani No. 5, Jayapura",
        "home_postcode": "99111",
    }
    for value in answers.values():
        await answer(yohana, value)
    await yohana.option("confirm")
    assert "APL-01 tersimpan" in yohana.screen
    assert "tampaknya tinggal di zona WIT (Waktu Indonesia Timur)" in yohana.screen
    assert yohana.options == ["zone:Asia/Jayapura", "zone:Asia/Jakarta"]
    await yohana.option("zone:Asia/Jayapura")
    assert "Zona waktu Anda sekarang WIT (Waktu Indonesia Timur)" in yohana.screen
    await upload_evidence(yohana, EVIDENCE_NEEDS)
    await fill_apl02(yohana, 13)
    await yohana.option("agree")
    assert "Waktu: Rabu, 25 November 2026 pukul 12.00 WIT" in yohana.screen  # 03:00 UTC
    await yohana.command("status")
    assert "Dikirim: Rabu, 25 November 2026 pukul 12.00 WIT" in yohana.screen
    await yohana.command("data")
    assert "Zona waktu: WIT (Waktu Indonesia Timur)" in yohana.screen
    await yohana.option("zone")
    assert "sekarang pukul 12:00" in yohana.screen
    await yohana.option("zone:Asia/Makassar")
    assert "Zona waktu Anda sekarang WITA" in yohana.screen
    await yohana.command("status")
    assert "Dikirim: Rabu, 25 November 2026 pukul 11.00 WITA" in yohana.screen
    # Once chosen, a zone is never proposed again.
    await yohana.command("zona")
    assert "tampaknya" not in yohana.screen
