"""The two worlds agree where the use cases rely on the unit of work itself: what is not
committed is not kept, a dedupe key is queued once, a cancelled subject stays cancelled, reads
come back in the database's order. Run on memory and on PostgreSQL, like every use-case test."""

from __future__ import annotations

from datetime import timedelta

from domain import schedule
from domain.ports import NewPerson
from scheme.lifecycle import ApplicationState as A
from tests.usecases.world import NOW, World


async def test_what_is_not_committed_is_not_kept(world: World) -> None:
    siti = await world.person("siti")
    assert siti.person_id is not None
    async with world.app.uow_factory() as uow:
        await uow.applications.create(siti.person_id, "asesor_kompetensi")
        await uow.roles.grant(siti.person_id, "staff", by="test")
        await uow.conversations.open_locked("telegram", "eko", new_person=NewPerson("id", "UTC"))
        # no commit: the transaction ends with nothing kept

    async with world.app.uow_factory() as uow:
        assert await uow.applications.current(siti.person_id) is None
        assert await uow.roles.of(siti.person_id) == frozenset()
        assert await uow.people.by_identity("telegram", "eko") is None


async def test_a_dedupe_key_is_queued_once_and_a_cancelled_subject_stays_so(world: World) -> None:
    siti = await world.person("siti")
    assert siti.person_id is not None
    reminders = schedule.assessment("AK-1", NOW + timedelta(days=2), "TUK", "Asia/Jakarta", NOW)

    async with world.app.uow_factory() as uow:
        queued = [await uow.outbox.schedule(siti.person_id, p) for p in reminders + reminders]
        cancelled = await uow.outbox.cancel(schedule.Subject.assessment("AK-1"))
        again = await uow.outbox.cancel(schedule.Subject.assessment("AK-1"))
        await uow.commit()

    assert queued == [True, True, False, False]
    assert (cancelled, again) == (2, 0)
    assert await world.outbox_rows("kind", "status") == [
        ("assessment_scheduled", "cancelled"),
        ("assessment_tomorrow", "cancelled"),
    ]


async def test_reads_come_in_the_databases_order(world: World) -> None:
    siti, budi = await world.person("siti"), await world.person("budi")
    older = await world.application(siti, A.SUBMITTED)
    newer = await world.application(budi, A.SUBMITTED)
    draft = await world.application(siti, A.DRAFT)

    async with world.app.uow_factory() as uow:
        queue = await uow.applications.queue([A.SUBMITTED, A.DRAFT], 10)
        current = await uow.applications.current(siti.person_id or 0)
        counts = await uow.applications.count_by_state([A.SUBMITTED])

    assert [entry.id for entry in queue] == [older, newer, draft]  # same submitted_at: by id
    assert current is not None
    assert current.id == draft  # the newest is the person's current one
    assert counts == {"submitted": 2}
