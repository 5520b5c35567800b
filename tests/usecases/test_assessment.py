"""The assessor's verbs on a database put straight into an assignment: accepting or declining it
(9.10.7), recording units only from the assessment's time on (9.3.4) and recommending only with
every unit recorded (9.3.5); each refusal changes nothing and the audit log says why."""

from __future__ import annotations

from datetime import timedelta

from domain.parts import Assessment, UnitResult
from scheme.apl02 import Verdict
from scheme.lifecycle import ApplicationState as A
from tests.usecases.world import World, refusal
from usecases import assessment
from usecases.access import Caller, Refusal
from usecases.assessment import TooEarly, UnitsMissing
from usecases.decisions import Done


async def _assigned(
    world: World, state: A = A.ASSESSOR_ASSIGNED, *, days: int = 3, **units: UnitResult
) -> tuple[Caller, Caller, int]:
    """Siti's application with Rina as its assessor, the assessment ``days`` from now."""
    siti, rina = (
        await world.person("siti"),
        await world.person("rina", "assessor", zone="Asia/Jayapura"),
    )
    starts_at = world.app.services.clock() + timedelta(days=days)
    app_id = await world.application(
        siti, state,
        assessment=Assessment(rina.person_id, starts_at, "TUK Sewaktu Jakarta", units),
    )  # fmt: skip
    return siti, rina, app_id


def _codes(world: World) -> list[str]:
    return [unit.code for unit in world.app.services.scheme.units]


async def test_accepting_schedules_the_assessment_and_tells_both_once(world: World) -> None:
    siti, rina, app_id = await _assigned(world)

    done = await world.call(assessment.accept_assignment, rina, app_id)

    assert isinstance(done, Done)
    assert done.application.state == A.SCHEDULED
    assert done.application.assessment.accepted_at == world.app.services.clock()
    assert refusal(await world.call(assessment.accept_assignment, rina, app_id)) is (
        Refusal.ALREADY_HANDLED
    )
    notices = await world.outbox_rows("person_id", "kind", "due_at")
    assert [(p, k) for p, k, _ in notices] == [
        (siti.person_id, "assessment_scheduled"),
        (siti.person_id, "assessment_tomorrow"),
        (rina.person_id, "assessment_tomorrow"),
    ]
    # 09:00 the day before in each one's own zone: Jakarta (UTC+7) and Jayapura (UTC+9)
    assert [str(due)[11:16] for _, _, due in notices[1:]] == ["02:00", "00:00"]
    audit = await world.audit_rows("person_id", "action", "allowed")
    assert [(p, a, bool(ok)) for p, a, ok in audit] == [(rina.person_id, "accept_assignment", True)]


async def test_a_declared_relationship_sends_the_case_back_to_staff(world: World) -> None:
    _, rina, app_id = await _assigned(world)

    done = await world.call(assessment.declare_conflict, rina, app_id, "  sepupu saya " + "x" * 400)

    assert isinstance(done, Done)
    assert done.application.state == A.ACCEPTED
    note = done.application.assessment.conflict
    assert note is not None
    assert note.startswith("sepupu saya")
    assert len(note) == assessment.NOTE_LENGTH
    assert await world.outbox_rows("id") == []
    assert refusal(await world.call(assessment.declare_conflict, rina, app_id, "lagi")) is (
        Refusal.NOT_ALLOWED  # no longer this assessor's case
    )


async def test_only_the_assigned_assessor_reaches_the_case(world: World) -> None:
    siti, rina, app_id = await _assigned(world)
    other = await world.person("andi", "assessor")

    for who in (other, siti):
        assert refusal(await world.call(assessment.accept_assignment, who, app_id)) is (
            Refusal.NOT_ALLOWED
        )
    assert refusal(await world.call(assessment.accept_assignment, rina, app_id + 99)) is (
        Refusal.NOT_ALLOWED
    )

    assert await world.state(app_id) == A.ASSESSOR_ASSIGNED
    audit = await world.audit_rows("person_id", "action", "allowed")
    assert [(p, a, bool(ok)) for p, a, ok in audit] == [
        (other.person_id, "no_conflict_not_assigned", False),
        (siti.person_id, "no_conflict", False),
        (rina.person_id, "no_conflict_not_assigned", False),
    ]


async def test_units_are_recorded_from_the_assessments_time_on(world: World) -> None:
    _, rina, app_id = await _assigned(world, A.SCHEDULED, days=2)
    unit = _codes(world)[0]
    record = assessment.record_unit

    early = await world.call(record, rina, app_id, unit=unit, verdict=Verdict.K, note="baik")

    assert isinstance(early, TooEarly)
    assert early.reason is Refusal.TOO_EARLY
    assert early.starts_at is not None
    assert early.starts_at > world.app.services.clock()
    assert await world.audit_rows("action") == [("record_unit_before_assessment",)]
    unchanged = await world.query(lambda uow: uow.applications.get(app_id))
    assert unchanged.assessment.units == {}


async def test_a_unit_recorded_again_replaces_and_an_unknown_unit_is_refused(world: World) -> None:
    _, rina, app_id = await _assigned(world, A.SCHEDULED, days=-1)
    unit = _codes(world)[0]
    record = assessment.record_unit

    await world.call(record, rina, app_id, unit=unit, verdict=Verdict.K, note="baik")
    done = await world.call(record, rina, app_id, unit=unit, verdict=Verdict.BK, note="kurang")
    unknown = await world.call(record, rina, app_id, unit="X.99", verdict=Verdict.K, note="")

    assert isinstance(done, Done)
    assert done.application.assessment.units == {unit: UnitResult(Verdict.BK, "kurang")}
    assert done.application.assessment.verdicts() == {unit: Verdict.BK}
    assert refusal(unknown) is Refusal.ALREADY_HANDLED
    audit = await world.audit_rows("target", "details")
    assert [(t, d["verdict"]) for t, d in audit] == [
        (f"application:{app_id}:{unit}", "K"),
        (f"application:{app_id}:{unit}", "BK"),
    ]


async def test_the_recommendation_waits_for_every_unit_and_follows_them(world: World) -> None:
    codes = _codes(world)
    k = UnitResult(Verdict.K)
    _, rina, app_id = await _assigned(world, A.SCHEDULED, days=-1, **{codes[0]: k})

    missing = await world.call(assessment.recommend, rina, app_id)

    assert isinstance(missing, UnitsMissing)
    assert missing.units == tuple(codes[1:])
    for code in codes[1:-1]:
        await world.call(
            assessment.record_unit, rina, app_id, unit=code, verdict=Verdict.K, note=""
        )
    last = codes[-1]
    await world.call(assessment.record_unit, rina, app_id, unit=last, verdict=Verdict.BK, note="")
    done = await world.call(assessment.recommend, rina, app_id)

    assert isinstance(done, Done)
    assert done.application.state == A.RECOMMENDED_BK
    assert refusal(await world.call(assessment.recommend, rina, app_id)) is Refusal.ALREADY_HANDLED


async def test_every_unit_k_recommends_kompeten(world: World) -> None:
    units = {code: UnitResult(Verdict.K) for code in _codes(world)}
    _, rina, app_id = await _assigned(world, A.SCHEDULED, days=-1, **units)

    done = await world.call(assessment.recommend, rina, app_id)

    assert isinstance(done, Done)
    assert done.application.state == A.RECOMMENDED_K
    assert ("recommend_competent", True) in [
        (a, bool(ok)) for a, ok in await world.audit_rows("action", "allowed")
    ]
