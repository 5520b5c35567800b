"""Staff's review of a submitted application (9.1.5–9.1.6) as a use case: verdicts per item,
accept only when all meet the requirement, send back with reasons, reject with a reason kept."""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import plan_of
from domain.parts import Decision, Mark
from scheme.lifecycle import ApplicationState as A
from tests.usecases.world import World, refusal
from usecases import review
from usecases.access import Caller, Refusal, Refused
from usecases.decisions import Done
from usecases.review import Problem


async def items(world: World, app_id: int) -> list[str]:
    async with world.app.uow_factory() as uow:
        application = await uow.applications.get(app_id)
    assert application is not None
    plan = plan_of(world.app.services.scheme, application)
    return [n.id for n in plan if n.min > 0]


async def mark_all(world: World, who: Caller, app_id: int, mark: Mark = Mark.OK) -> None:
    for item in await items(world, app_id):
        done = await world.call(review.mark_item, who, app_id, item=item, mark=mark)
        assert isinstance(done, Done)


async def test_accepted_only_once_every_item_meets_the_requirement(world: World) -> None:
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    app_id = await world.application(siti, A.SUBMITTED)
    needed = await items(world, app_id)
    assert len(needed) > 3

    assert refusal(await world.call(review.accept, budi, app_id)) is Refusal.NEEDS_ALL_OK
    await mark_all(world, budi, app_id)
    done = await world.call(review.accept, budi, app_id)

    assert isinstance(done, Done)
    assert done.application.state == A.ACCEPTED
    assert set(done.application.review) == set(needed)
    [(kind, person)] = await world.outbox_rows("kind", "person_id")
    assert (kind, person) == ("status_changed", siti.person_id)
    late = await world.call(review.mark_item, budi, app_id, item=needed[0], mark=Mark.NOT_OK)
    assert refusal(late) is Refusal.ALREADY_HANDLED
    actions = [a for (a,) in await world.audit_rows("action", allowed=True)]
    assert actions == ["mark_ok"] * len(needed) + ["accept"]


async def test_sent_back_with_a_reason_per_item_and_the_candidate_told_them(world: World) -> None:
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    app_id = await world.application(siti, A.SUBMITTED)
    await mark_all(world, budi, app_id)
    seen: list[Sequence[Problem]] = []

    def word(problems: Sequence[Problem]) -> str:
        seen.append(problems)
        return "; ".join(f"{p.evidence.id}={p.mark}:{p.reason}" for p in problems)

    send_back = review.send_back
    assert refusal(await world.call(send_back, budi, app_id, word=word)) is (
        Refusal.NEEDS_A_PROBLEM
    )
    first, second = (await items(world, app_id))[:2]
    mark = review.mark_item
    await world.call(mark, budi, app_id, item=first, mark=Mark.NOT_OK, reason="Buram")
    await world.call(mark, budi, app_id, item=second, mark=Mark.MISSING)

    done = await world.call(send_back, budi, app_id, word=word)

    assert isinstance(done, Done)
    assert done.application.state == A.NEEDS_FIX
    assert [(p.evidence.id, p.mark, p.reason) for p in seen[-1]] == [
        (first, Mark.NOT_OK, "Buram"),
        (second, Mark.MISSING, None),
    ]
    [(kind, params)] = await world.outbox_rows("kind", "params")
    assert kind == "fix_requested"
    assert f"{first}=not_ok:Buram; {second}=missing:None" in str(params)


async def test_rejected_with_its_reason_in_the_decision_and_refusals_change_nothing(
    world: World,
) -> None:
    siti, budi = await world.person("siti", "staff"), await world.person("budi", "staff")
    own = await world.application(budi, A.SUBMITTED)
    app_id = await world.application(siti, A.SUBMITTED)
    candidate = await world.person("dedi")

    refused = await world.call(review.reject, budi, own, "Tidak memenuhi")
    assert isinstance(refused, Refused)
    assert refused.conflict is not None
    assert refused.conflict.clause == "9.2.1"
    assert refusal(await world.call(review.reject, candidate, app_id, "x")) is Refusal.NOT_ALLOWED
    unknown = await world.call(review.mark_item, budi, app_id, item="passport", mark=Mark.OK)
    assert refusal(unknown) is Refusal.ALREADY_HANDLED
    async with world.app.uow_factory() as uow:
        for untouched in (own, app_id):
            record = await uow.applications.get(untouched)
            assert record is not None
            assert (record.state, dict(record.review), record.decision) == (
                A.SUBMITTED,
                {},
                Decision(),
            )

    done = await world.call(review.reject, budi, app_id, "Bukan asesor")

    assert isinstance(done, Done)
    assert done.application.state == A.REJECTED
    assert done.application.decision.reason == "Bukan asesor"
    assert done.application.decision.by == budi.person_id
    assert "_rejected" not in done.application.review
    [(kind,)] = await world.outbox_rows("kind")
    assert kind == "status_changed"
