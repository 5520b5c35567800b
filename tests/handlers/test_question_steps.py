"""Asking staff a question and answering it, on the memory world (the fast tier): from the
menu, by typing one where the bot expects no text, and staff's /pertanyaan."""

from __future__ import annotations

import pytest

from bot.config import Settings
from domain.ports import LspContact
from handlers.staff.questions import QUESTION
from scheme.lifecycle import ApplicationState as A
from scheme.model import Scheme
from tests.handlers.steps import Chat, conversation
from tests.usecases.world import World, memory_world
from usecases import questions


@pytest.fixture
def world(settings: Settings, scheme: Scheme) -> World:
    return memory_world(settings, scheme)


async def test_a_question_from_the_menu_goes_to_staff(world: World) -> None:
    siti = await world.person("siti")
    await world.person("ani", "staff")
    chat = Chat(conversation(world), "siti")
    await chat.command("menu")

    await chat.press("ask")
    assert "question.prompt" in chat.said_keys()
    await chat.type("Berapa lama penelaahan berkas?")

    assert chat.said_keys()[0] == "question.sent"
    assert "menu.prompt" in chat.said_keys()  # back where it was asked from
    [(person, params)] = await world.outbox_rows("person_id", "params", kind="question_asked")
    assert params["question"] == "Berapa lama penelaahan berkas?"
    assert person != siti.person_id


async def test_a_question_typed_where_no_text_is_expected_is_offered_to_staff(
    world: World,
) -> None:
    """Issue 16: a candidate with a question had nowhere to put it."""
    siti = await world.person("siti")
    await world.person("ani", "staff")
    await world.application(siti, A.DRAFT)
    chat = Chat(conversation(world), "siti")
    await chat.command("daftar")

    await chat.type("ok")  # not a question: the usual answer
    assert chat.said_keys()[0] == "input.choose_option"
    await chat.type("Apakah biaya sertifikasi bisa dicicil?")

    assert next(chat.said()) == "question.confirm(text=Apakah biaya sertifikasi bisa dicicil?)"
    assert chat.options == ["send", "back"]
    await chat.press("send")
    assert chat.said_keys()[0] == "question.sent"
    assert "hub.title" in chat.said_keys()  # the hub again, nothing of it lost
    assert len(await world.outbox_rows("id", kind="question_asked")) == 1


async def test_a_question_not_sent_leaves_nothing(world: World) -> None:
    siti = await world.person("siti")
    await world.application(siti, A.DRAFT)
    chat = Chat(conversation(world), "siti")
    await chat.command("daftar")
    await chat.type("Apakah biaya sertifikasi bisa dicicil?")

    await chat.press("back")

    assert "hub.title" in chat.said_keys()
    assert await world.outbox_rows("id", kind="question_asked") == []


async def test_staff_answer_from_the_chat_and_the_asker_sees_it_in_status(world: World) -> None:
    siti = await world.person("siti")
    await world.person("ani", "staff")
    await world.application(siti, A.SUBMITTED)
    asked = await world.call(questions.ask, siti, "Kapan jadwal asesmen saya?")
    candidate = Chat(conversation(world), "siti")
    await candidate.command("status")
    assert "status.questions(count=1)" in candidate.said()
    staff = Chat(conversation(world), "ani")

    await staff.command("pertanyaan")
    assert "staff.questions.title(count=1)" in staff.said()
    await staff.press(QUESTION.id(asked.id))
    assert "staff.question.type_answer" in staff.said_keys()
    assert "“Kapan jadwal asesmen saya?”" in staff.said()
    await staff.type("Minggu depan; jadwalnya dikirim lewat chat ini.")

    assert staff.said_keys()[0] == "staff.question.answered"
    assert "staff.questions.none" in staff.said_keys()
    [(person,)] = await world.outbox_rows("person_id", kind="question_answered")
    assert person == siti.person_id
    await candidate.command("status")
    assert not [k for k in candidate.said_keys() if k.startswith("status.questions")]


async def test_a_question_button_pressed_by_a_candidate_is_refused_and_kept(world: World) -> None:
    siti = await world.person("siti")
    asked = await world.call(questions.ask, siti, "Kapan jadwal asesmen saya?")
    chat = Chat(conversation(world), "siti")
    await chat.command("menu")

    await chat.press(QUESTION.id(asked.id))

    assert chat.said_keys()[0] == "staff.not_available"
    assert await world.audit_rows("allowed", action="forged_option") == [(False,)]
    await chat.command("pertanyaan")
    assert "staff.not_available" in chat.said_keys()


async def test_help_shows_the_lsp_contact_when_it_is_set(world: World) -> None:
    await world.person("siti")
    chat = Chat(conversation(world), "siti")
    await chat.command("bantuan")
    assert not [line for line in chat.said() if line.startswith("help.contact")]

    object.__setattr__(
        world.app.services, "contact", LspContact(phone="+622157901234", hours="08.00–16.00")
    )
    await chat.command("bantuan")

    said = list(chat.said())
    assert "help.contact.title" in said
    assert "help.contact.phone(value=+62 21 5790 1234)" in said
    assert "help.contact.hours(value=08.00–16.00)" in said
