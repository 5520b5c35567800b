"""The candidate's steps on the memory world (the fast tier): a draft put straight into the
state a screen needs, its words as message keys."""

from __future__ import annotations

import re

import pytest

from bot.config import Settings
from domain.parts import ItemVerdict, Mark
from handlers.conversation import match_option, number_in, option_by_word
from handlers.flow import COMMANDS, TYPED_COMMANDS
from handlers.messages import Option
from locales import GettextTranslator
from scheme.apl01 import FIELDS
from scheme.eligibility import assess
from scheme.lifecycle import ApplicationState
from scheme.model import Scheme
from tests.handlers.steps import Chat, conversation
from tests.scheme.test_eligibility import NEW_OK
from tests.usecases.world import World, memory_world


@pytest.fixture
def world(settings: Settings, scheme: Scheme) -> World:
    return memory_world(settings, scheme)


async def test_the_apl01_review_numbers_only_its_options_so_a_typed_number_picks_one(
    world: World,
) -> None:
    """Issue 16: the answers were numbered 1… and the options 1… beside them ("2. ✏️ Ubah 1.
    Nama lengkap"), so typing 3 for "3. Tempat lahir" opened the second field."""
    siti = await world.person("siti")
    await world.complete_draft(siti)
    chat = Chat(conversation(world), "siti")
    await chat.command("daftar")
    await chat.press("apl01")
    assert chat.said_keys()[0] == "apl01.review.title"
    assert not [line for line in chat.said() if re.match(r"\d+\. ", line)]  # answers: bullets

    assert chat.options[2] == f"edit:{FIELDS[1]}"  # shown as "3. ✏️ Ubah Kebangsaan"

    await chat.type("3")

    assert f"apl01.ask.{FIELDS[1]}" in chat.said_keys()


async def test_a_candidate_meeting_none_of_the_basic_requirements_sees_no_tick_for_them(
    world: World,
) -> None:
    """Issue 16: all four of 6.1 unmet still showed "✅ Cek persyaratan dasar" on the hub."""
    siti = await world.person("siti")
    app_id = await world.complete_draft(siti)
    unmet = {
        **NEW_OK, "education": "sd", "practice_records": 0, "assessor_training": 0,
        "technical_competence": 0,
    }  # fmt: skip
    route = assess(world.app.services.scheme, unmet)
    assert len(route.missing) == 4
    await world.call(
        lambda uow, _s: uow.applications.update(app_id, eligibility=unmet, route=route.route)
    )
    chat = Chat(conversation(world), "siti")

    await chat.command("daftar")

    [line] = [line for line in chat.said() if line.endswith("hub.eligibility")]
    assert line.startswith("❌")


async def test_menu_typed_as_a_word_is_the_menu_not_an_answer(world: World) -> None:
    """Issue 16: the bot says "Ketik menu", but at the name step "menu" was saved as the name."""
    siti = await world.person("siti")
    app_id = await world.complete_draft(siti)
    await world.call(lambda uow, _s: uow.applications.update(app_id, apl01={}))
    chat = Chat(conversation(world), "siti")
    await chat.command("daftar")
    await chat.press("apl01")
    assert "apl01.ask.full_name" in chat.said_keys()

    await chat.type(" Menu ")

    assert "menu.prompt" in chat.said_keys()
    async with world.app.uow_factory() as uow:
        application = await uow.applications.get(app_id)
    assert application is not None
    assert application.apl01 == {}
    assert set(COMMANDS) >= TYPED_COMMANDS  # each word is a command the flow has


async def test_a_typed_number_is_an_options_place_never_its_id(world: World) -> None:
    """Issue 16: "0" was taken as "Tidak" (the id of the second option of a yes/no question)."""
    siti = await world.person("siti")
    chat = Chat(conversation(world), "siti")
    await chat.command("daftar")
    await chat.press("apply")
    assert chat.options == ["1", "0"]  # shown as "1. Ya", "2. Tidak"

    await chat.type("0")
    assert chat.said_keys()[0] == "input.choose_option"
    await chat.type("2")

    async with world.app.uow_factory() as uow:
        application = await uow.applications.current(siti.person_id or 0)
    assert application is not None
    assert list(application.eligibility.values()) == [0]  # "2", the second option: Tidak


async def _complete_but_the_ktp(world: World) -> int:
    """Siti's draft, complete but for the copy of her KTP (removed)."""
    app_id = await world.complete_draft(await world.person("siti"))
    [ktp] = await world.documents("ktp")
    async with world.app.uow_factory() as uow:
        await uow.applications.remove_document(app_id, ktp.id)
        await uow.commit()
    return app_id


async def test_the_status_names_the_evidence_still_missing(world: World) -> None:
    """Issue 16: "/status" said "7 of 8 complete" without naming what is missing."""
    await _complete_but_the_ktp(world)
    chat = Chat(conversation(world), "siti")

    await chat.command("status")

    [line] = [line for line in chat.said() if line.startswith("hub.evidence_missing")]
    assert line == "hub.evidence_missing(items=Salinan KTP)"


async def test_the_declaration_is_offered_only_once_the_application_can_be_sent(
    world: World,
) -> None:
    """Issue 16: "Saya setuju dan kirim" was pressed first and the refusal came after."""
    app_id = await _complete_but_the_ktp(world)
    chat = Chat(conversation(world), "siti")
    await chat.command("daftar")

    await chat.press("submit")

    assert chat.said_keys()[:2] == ["submit.not_yet", "• submit.missing.evidence"]
    assert chat.options == ["back"]
    await chat.press("agree")  # an old button: nothing is sent
    assert await world.state(app_id) == "draft"


async def test_help_lists_every_command_of_the_roles_held(world: World) -> None:
    """Issue 16: /bantuan listed half the commands; each role's own appear only to it."""
    await world.person("siti")
    await world.person("budi", "staff", "assessor")
    siti, budi = Chat(conversation(world), "siti"), Chat(conversation(world), "budi")

    await siti.command("bantuan")
    await budi.command("bantuan")

    assert siti.said_keys()[:2] == ["help.body", "help.candidate"]
    assert "help.staff" not in siti.said_keys()
    assert [k for k in budi.said_keys() if k.startswith("help.")] == [
        "help.body", "help.candidate", "help.staff", "help.assessor",
    ]  # fmt: skip
    listed = {
        word.removeprefix("/")
        for key in ("help.body", "help.candidate", "help.staff", "help.assessor", "help.admin")
        for word in GettextTranslator().translate("id", key).split()
        if word.startswith("/")
    }
    names: dict[object, set[str]] = {}
    for name, handler in COMMANDS.items():
        names.setdefault(handler, set()).add(name)
    assert [sorted(n) for n in names.values() if not n & listed] == []  # each command, once


async def test_an_options_number_written_as_a_word_picks_it_where_no_text_is_asked(
    world: World,
) -> None:
    """Issue 16: "dua" was refused at a choice; a name or a place is still never a number."""
    siti = await world.person("siti")
    chat = Chat(conversation(world), "siti")
    await chat.command("daftar")
    await chat.press("apply")

    await chat.type("Dua")

    async with world.app.uow_factory() as uow:
        application = await uow.applications.current(siti.person_id or 0)
    assert application is not None
    assert list(application.eligibility.values()) == [0]  # the second option: Tidak
    assert option_by_word("lima", [Option(str(n), str(n)) for n in range(3)]) is None


YES_NO = [Option("1", "Ya"), Option("0", "Tidak")]
DECLARATION = [Option("agree", "✅ Saya setuju dan kirim"), Option("back", "⬅️ Kembali")]


@pytest.mark.parametrize(
    ("typed", "options", "chosen"),
    [
        ("iya", YES_NO, "1"), ("Y", YES_NO, "1"), ("yes", YES_NO, "1"), ("betul", YES_NO, "1"),
        ("nggak", YES_NO, "0"), ("gak", YES_NO, "0"), ("no", YES_NO, "0"),
        ("setuju", DECLARATION, "agree"), ("Saya setuju dan kirim", DECLARATION, "agree"),
        ("kembali", DECLARATION, "back"), ("2", DECLARATION, "back"),
        ("Selesai", [Option("done", "✔️ Selesai")], "done"),
        ("WNI", [Option("WNI", "WNI (Warga Negara Indonesia)")], "WNI"),
        ("k", [Option("K:x", "✅ K — Kompeten"), Option("BK:x", "❌ BK — Belum Kompeten")], "K:x"),
    ],
)  # fmt: skip
def test_an_option_is_typed_by_its_label_without_emoji_or_a_common_synonym(
    typed: str, options: list[Option], chosen: str
) -> None:
    """Issue 16: "iya", "setuju" and a label typed without its emoji ("Selesai") were
    refused."""
    found = match_option(typed, options)
    assert found is not None
    assert found.id == chosen


@pytest.mark.parametrize("typed", ["agree", "back", "0", "3", "", "ya tidak"])
def test_an_internal_id_or_a_place_not_shown_picks_nothing(typed: str) -> None:
    """Issue 16: typing "agree" (an option's internal id) submitted the declaration."""
    assert match_option(typed, [Option("agree", "✅ Saya setuju dan kirim")]) is None
    assert match_option("ya", [Option("a", "Ya, kirim"), Option("b", "Ya, nanti")]) is None


async def test_typing_agree_does_not_submit_but_setuju_does(world: World) -> None:
    siti = await world.person("siti")
    app_id = await world.complete_draft(siti)
    chat = Chat(conversation(world, GettextTranslator()), "siti")
    await chat.command("daftar")
    await chat.press("submit")
    assert "agree" in chat.options

    await chat.type("agree")

    assert await world.state(app_id) == "draft"
    assert "Silakan pilih salah satu pilihan" in "\n".join(chat.said())
    await chat.type("setuju")
    assert await world.state(app_id) == "submitted"


async def test_a_sent_back_item_shows_as_open_with_staffs_reason(world: World) -> None:
    """Issue 16: after a send-back the checklist still showed ✅ on the flagged item."""
    siti = await world.person("siti")
    app_id = await world.complete_draft(siti, ApplicationState.NEEDS_FIX)
    review = {"ktp": ItemVerdict(Mark.NOT_OK, "Scan buram")}
    await world.call(lambda uow, _s: uow.applications.update(app_id, review=review))
    chat = Chat(conversation(world), "siti")
    await chat.command("daftar")
    assert "hub.evidence_missing(items=Salinan KTP)" in chat.said()  # open, not done

    await chat.press("continue")  # straight to what was sent back

    assert "Salinan KTP (9.1.2.1.a)" in chat.said()
    await chat.press("back")
    said = list(chat.said())
    assert "[ktp] ❌ Salinan KTP" in said
    assert "evidence.sent_back(reason=Scan buram)" in [line.strip() for line in said]
    assert "[photo] ✅ Foto 3x4 latar belakang merah" in said


@pytest.mark.parametrize(
    ("typed", "number"),
    [("2", 2), ("dua", 2), ("Dua  Belas", 12), ("dua puluh.", 20), ("twenty", 20), ("0", 0)],
)
def test_a_number_is_read_as_digits_or_words_up_to_twenty(typed: str, number: int) -> None:
    assert number_in(typed) == number


@pytest.mark.parametrize("typed", ["-1", "1.5", "٢", "dua puluh satu", "banyak", ""])
def test_what_is_not_a_whole_number_up_to_twenty_in_words_is_none(typed: str) -> None:
    assert number_in(typed) is None


async def test_a_count_typed_as_a_word_answers_the_eligibility_question(world: World) -> None:
    """Issue 16: numbers as digits or words up to twenty ("dua" was refused)."""
    siti = await world.person("siti")
    chat = Chat(conversation(world), "siti")
    await chat.command("daftar")
    await chat.press("apply")
    await chat.press("0")  # no certificate: the new-candidate route
    await chat.press("s1")

    await chat.type("dua")  # how many times planning, conducting and validating (6.1.2)

    async with world.app.uow_factory() as uow:
        application = await uow.applications.current(siti.person_id or 0)
    assert application is not None
    assert application.eligibility["practice_records"] == 2
