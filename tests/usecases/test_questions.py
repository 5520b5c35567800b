"""Questions to staff (7.1.2): asked with the application's context, told to every staff
member, answered once by staff — checked and audited — and the answer sent to the asker."""

from __future__ import annotations

from domain.ports import QuestionRecord
from scheme.lifecycle import ApplicationState as A
from tests.usecases.world import World, refusal
from usecases import questions
from usecases.access import Refusal
from usecases.questions import Asked, TooShort


async def test_a_question_goes_to_every_staff_member_with_its_application(world: World) -> None:
    siti = await world.person("siti")
    ani = await world.person("ani", "staff")
    budi = await world.person("budi", "staff")
    app_id = await world.application(siti, A.SUBMITTED)

    asked = await world.call(questions.ask, siti, "  Berapa lama penelaahan berkas?  ")

    assert isinstance(asked, QuestionRecord)
    assert (asked.text, asked.application_id, asked.open) == (
        "Berapa lama penelaahan berkas?",
        app_id,
        True,
    )
    told = await world.outbox_rows("person_id", "params", kind="question_asked")
    assert sorted(person for person, _ in told) == sorted([ani.person_id, budi.person_id])
    assert told[0][1] == {
        "asker": "Siti Rahayu",
        "reference": f"AK-2026-{app_id:05d}",
        "question": "Berapa lama penelaahan berkas?",
    }
    waiting = await world.call(questions.waiting, ani)
    assert [(a.question.id, a.application and a.application.id) for a in waiting] == [
        (asked.id, app_id)
    ]
    [(allowed,)] = await world.audit_rows("allowed", action="list_questions")
    assert allowed  # who looked at people's questions is kept


async def test_staff_answer_once_and_the_answer_goes_to_the_asker(world: World) -> None:
    siti = await world.person("siti")
    ani = await world.person("ani", "staff")
    budi = await world.person("budi", "staff")
    asked = await world.call(questions.ask, siti, "Apakah ijazah D3 cukup?")

    answered = await world.call(
        questions.answer, ani, asked.id, "Cukup: minimal SMA sederajat (6.1.1)."
    )

    assert isinstance(answered, QuestionRecord)
    assert (answered.answered_by, answered.open) == (ani.person_id, False)
    assert await world.outbox_rows("person_id", "params", kind="question_answered") == [
        (
            siti.person_id,
            {
                "question": "Apakah ijazah D3 cukup?",
                "answer": "Cukup: minimal SMA sederajat (6.1.1).",
            },
        )
    ]
    assert await world.audit_rows("person_id", "allowed", action="answer_question") == [
        (ani.person_id, True)
    ]
    # A colleague answering the same question a moment later: refused, nothing sent twice.
    again = await world.call(questions.answer, budi, asked.id, "Ya, cukup.")
    assert refusal(again) is Refusal.ALREADY_HANDLED
    assert len(await world.outbox_rows("id", kind="question_answered")) == 1
    assert await world.call(questions.waiting, ani) == []


async def test_a_candidate_cannot_answer_and_the_attempt_is_kept(world: World) -> None:
    siti = await world.person("siti")
    eko = await world.person("eko")
    asked = await world.call(questions.ask, siti, "Kapan jadwal asesmen?")

    outcome = await world.call(questions.answer, eko, asked.id, "Besok.")

    assert refusal(outcome) is Refusal.NOT_ALLOWED
    assert await world.audit_rows("person_id", "allowed", action="answer_question") == [
        (eko.person_id, False)
    ]
    assert refusal(await world.call(questions.waiting, eko)) is Refusal.NOT_ALLOWED
    assert await world.outbox_rows("id", kind="question_answered") == []


async def test_a_question_of_one_letter_is_not_sent(world: World) -> None:
    siti = await world.person("siti")
    await world.person("ani", "staff")

    outcome = await world.call(questions.ask, siti, " ? ")

    assert isinstance(outcome, TooShort)
    assert await world.outbox_rows("id", kind="question_asked") == []


async def test_the_asker_sees_their_open_questions(world: World) -> None:
    siti = await world.person("siti")
    ani = await world.person("ani", "staff")
    first = await world.call(questions.ask, siti, "Pertanyaan pertama?")
    await world.call(questions.ask, siti, "Pertanyaan kedua?")
    await world.call(questions.answer, ani, first.id, "Jawaban pertama.")

    mine = await world.query(questions.mine, siti)

    assert [(q.text, q.open) for q in mine] == [
        ("Pertanyaan kedua?", True),
        ("Pertanyaan pertama?", False),
    ]
    opened = await world.call(questions.one, ani, first.id)
    assert refusal(opened) is Refusal.ALREADY_HANDLED  # answered: nothing left to open
    assert not isinstance(opened, Asked)
