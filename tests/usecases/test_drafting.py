"""The candidate's draft verbs on a database put straight into each state: applying once at a
time, the eligibility answers choosing the route (6.1, 6.2), APL-01 checked as it is stored,
APL-02 pointing only at the draft's own documents, and the draft deleted with its documents."""

from __future__ import annotations

from domain.parts import Apl02
from scheme.apl01 import Invalid
from scheme.apl02 import Answer, Verdict, questionnaire
from scheme.lifecycle import ApplicationState as A
from tests.scheme.test_eligibility import NEW_OK
from tests.usecases.world import World, refusal
from usecases import drafting
from usecases.access import Refusal, Refused
from usecases.drafting import Answered, Applied, Deleted


async def test_one_application_at_a_time_and_a_new_one_after_a_rejection(world: World) -> None:
    siti = await world.person("siti")

    first = await world.call(drafting.apply, siti)
    again = await world.call(drafting.apply, siti)
    await world.call(
        lambda uow, _s: uow.applications.update(first.application.id, state=str(A.REJECTED))
    )
    after = await world.call(drafting.apply, siti)

    assert isinstance(first, Applied)
    assert first.new
    assert isinstance(again, Applied)
    assert (again.new, again.application.id) == (False, first.application.id)
    assert isinstance(after, Applied)
    assert after.new
    assert after.application.id != first.application.id


async def test_the_last_eligibility_answer_chooses_the_route(world: World) -> None:
    siti = await world.person("siti")
    app_id = await world.application(siti, A.DRAFT)
    answer = drafting.answer_eligibility

    answered = []
    for fact_id, value in NEW_OK.items():
        answered.append(await world.call(answer, siti, app_id, fact_id=fact_id, value=value))

    assert all(isinstance(a, Answered) for a in answered)
    assert [a.result is None for a in answered] == [True] * (len(NEW_OK) - 1) + [False]
    last = answered[-1]
    assert isinstance(last, Answered)
    assert last.result is not None
    assert last.application.route == last.result.route
    assert last.result.eligible
    # the route's own question asked again: the answers that depended on it go
    first_fact = next(iter(NEW_OK))
    reset = await world.call(answer, siti, app_id, fact_id=first_fact, value=NEW_OK[first_fact])
    assert isinstance(reset, Answered)
    assert reset.application.eligibility == {first_fact: NEW_OK[first_fact]}
    assert reset.application.route is None


async def test_apl01_answers_are_checked_against_each_other_as_they_are_stored(
    world: World,
) -> None:
    siti = await world.person("siti")
    app_id = await world.application(siti, A.DRAFT)
    answer = drafting.answer_apl01

    await world.call(answer, siti, app_id, field="birth_date", given="17-08-1985")
    await world.call(answer, siti, app_id, field="sex", given="P")
    wrong = await world.call(answer, siti, app_id, field="id_number", given="3273011708850002")
    right = await world.call(answer, siti, app_id, field="id_number", given="3273 0157 0885 0002")
    low = await world.call(answer, siti, app_id, field="education", given="sd")
    forged = await world.call(answer, siti, app_id, field="sex", given="X")

    assert isinstance(wrong, Invalid)  # day 17 for a woman is 57 in the NIK
    assert not isinstance(right, Invalid)
    assert right.apl01["id_number"] == "3273015708850002"
    assert right.apl01["birth_date"] == "1985-08-17"
    assert isinstance(low, Invalid)
    assert low.reason.startswith("education.")
    assert refusal(forged) is Refusal.ALREADY_HANDLED


async def test_apl02_points_only_at_the_drafts_own_documents(world: World) -> None:
    siti = await world.person("siti")
    app_id = await world.complete_draft(siti)
    await world.call(lambda uow, _s: uow.applications.update(app_id, apl02=Apl02(migrated=True)))
    [document_id] = [d.id for d in await world.documents("ktp")]
    questions = questionnaire(world.app.services.scheme)
    answer = drafting.answer_apl02

    for question in questions[:-1]:
        await world.call(
            answer, siti, app_id, ref=question.ref, verdict=Verdict.K,
            evidence=[document_id, "someone-elses"],
        )  # fmt: skip
    bk = await world.call(
        answer, siti, app_id, ref=questions[-1].ref, verdict=Verdict.BK, evidence=[document_id]
    )

    assert not isinstance(bk, Refused)
    stored = bk.apl02
    assert not stored.migrated  # every element is now answered in the new form
    assert stored.answers[questions[0].ref] == Answer(Verdict.K, (document_id,))
    assert stored.answers[questions[-1].ref] == Answer(Verdict.BK)
    assert stored.to_json()[questions[0].ref] == {"verdict": "K", "evidence": [document_id]}
    unknown = await world.call(answer, siti, app_id, ref="X/9", verdict=Verdict.K)
    assert refusal(unknown) is Refusal.ALREADY_HANDLED


async def test_only_the_owner_changes_a_draft_and_only_while_it_is_one(world: World) -> None:
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    eko = await world.person("eko")
    draft = await world.application(siti, A.DRAFT)
    submitted = await world.application(eko, A.SUBMITTED)
    answer = drafting.answer_apl01

    by_staff = await world.call(answer, budi, draft, field="full_name", given="Budi")
    frozen = await world.call(answer, eko, submitted, field="full_name", given="Eko")

    assert refusal(by_staff) is Refusal.NOT_ALLOWED
    assert refusal(frozen) is Refusal.ALREADY_HANDLED


async def test_a_deleted_draft_takes_its_documents_and_a_submitted_one_stays(
    world: World,
) -> None:
    siti, eko = await world.person("siti"), await world.person("eko")
    await world.complete_draft(siti)
    kept = await world.application(eko, A.SUBMITTED)

    deleted = await world.call(drafting.delete_draft, siti)
    refused = await world.call(drafting.delete_draft, eko)

    assert isinstance(deleted, Deleted)
    assert len(deleted.object_keys) > 0
    assert all(key.startswith("objects/") for key in deleted.object_keys)
    assert await world.documents() == []
    assert refusal(refused) is Refusal.ALREADY_HANDLED
    assert await world.state(kept) == A.SUBMITTED
