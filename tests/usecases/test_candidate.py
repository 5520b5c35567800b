"""The candidate's verbs on a database put straight into the state each case needs: submitting
(9.1.4) only a complete application of one's own, and filing an appeal (9.9.2–9.9.6) only while
the window is open, with the due date counted in working days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain import schedule
from domain.parts import Decision, ItemVerdict, Mark
from scheme import apl01
from scheme.deadlines import appeal_decision_due, local_date
from scheme.lifecycle import AppealState
from scheme.lifecycle import ApplicationState as A
from tests.usecases.world import World, refusal
from usecases import appeals, calendar, drafting, submission
from usecases.access import Caller, Refusal, Refused
from usecases.appeals import Filed, WindowClosed
from usecases.decisions import Done
from usecases.submission import Gap, Incomplete


async def test_a_complete_draft_is_submitted_once_with_its_reference(world: World) -> None:
    siti = await world.person("siti")
    app_id = await world.complete_draft(siti)
    reminder = _draft_reminder(world, app_id)
    await world.call(lambda uow, _s: uow.outbox.schedule(siti.person_id, reminder))

    done = await world.call(submission.submit, siti, app_id)

    assert isinstance(done, Done)
    assert done.application.state == A.SUBMITTED
    assert done.application.reference == f"AK-2026-{app_id:05d}"
    assert await world.outbox_rows("status") == [("cancelled",)]
    assert refusal(await world.call(submission.submit, siti, app_id)) is Refusal.ALREADY_HANDLED


async def test_a_sent_back_application_is_resubmitted_keeping_its_reference(world: World) -> None:
    siti = await world.person("siti")
    app_id = await world.complete_draft(siti, A.NEEDS_FIX)
    await world.call(lambda uow, _s: uow.applications.update(app_id, reference="AK-2025-00001"))

    done = await world.call(submission.submit, siti, app_id)

    assert isinstance(done, Done)
    assert (done.application.state, done.application.reference) == (A.SUBMITTED, "AK-2025-00001")


async def test_an_incomplete_draft_names_every_gap_and_stays_a_draft(world: World) -> None:
    siti = await world.person("siti")
    app_id = await world.application(siti, A.DRAFT)

    outcome = await world.call(submission.submit, siti, app_id)

    assert isinstance(outcome, Incomplete)
    gaps = [problem.gap for problem in outcome.problems]
    assert gaps[:2] == [Gap.ELIGIBILITY, Gap.APL01]
    assert gaps[-1] == Gap.APL02
    assert outcome.problems[1].count == len(apl01.FIELDS) - 1  # the name is in
    assert await world.state(app_id) == A.DRAFT


async def test_nobody_submits_another_persons_application(world: World) -> None:
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    app_id = await world.complete_draft(siti)

    assert refusal(await world.call(submission.submit, budi, app_id)) is Refusal.NOT_ALLOWED
    assert await world.state(app_id) == A.DRAFT


async def test_an_appeal_in_the_window_is_filed_with_its_due_date_and_staff_warned(
    world: World,
) -> None:
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    await _decided(world, siti, hours=-2)

    filed = await world.call(
        appeals.file_appeal, siti, reasons="  Asesor tidak menilai bukti portofolio. ",
        documents=["doc-1"],
    )  # fmt: skip

    assert isinstance(filed, Filed)
    assert filed.application.state == A.UNDER_APPEAL
    appeal = filed.application.appeal
    assert (appeal.state, appeal.reasons, appeal.documents) == (
        AppealState.FILED, "Asesor tidak menilai bukti portofolio.", ("doc-1",),
    )  # fmt: skip
    assert appeal.due_on == filed.decision_due_on
    assert filed.decision_due_on - _today(world) > timedelta(days=20)  # working days
    notices = await world.outbox_rows("person_id", "kind")
    assert notices == [
        (siti.person_id, "appeal_received"),
        (budi.person_id, "appeal_due_staff"),
        (budi.person_id, "appeal_due_staff"),  # and the day after it is due
    ]
    assert refusal(await world.call(appeals.file_appeal, siti, reasons="lagi")) is (
        Refusal.NOTHING_TO_APPEAL
    )


async def test_an_appeal_after_the_window_is_refused_with_its_end(world: World) -> None:
    siti = await world.person("siti")
    app_id = await _decided(world, siti, hours=-72)

    closed = await world.call(appeals.file_appeal, siti, reasons="terlambat")

    assert isinstance(closed, WindowClosed)
    assert closed.deadline is not None
    assert closed.deadline < world.app.services.clock()
    assert await world.state(app_id) == A.DECIDED_NOT_YET


async def test_staffs_cuti_bersama_moves_the_appeal_due_date(world: World) -> None:
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    await _decided(world, siti, hours=-2)
    before = await world.query(calendar.work_calendar, world.app.services)
    today = _today(world)
    monday = today + timedelta(days=7 - today.weekday())
    days = [monday, monday + timedelta(days=1)]

    assert await world.call(
        calendar.set_collective_leave, siti, monday.year, days=days, source="SKB"
    ) == (Refused(Refusal.NOT_ALLOWED))
    saved = await world.call(
        calendar.set_collective_leave, budi, monday.year, days=days, source="SKB 3"
    )
    filed = await world.call(appeals.file_appeal, siti, reasons="bukti tidak dinilai")

    assert saved is None
    assert isinstance(filed, Filed)
    after = await world.query(calendar.work_calendar, world.app.services)
    assert after.collective_leave[monday.year] == frozenset(days)
    now, rules = world.app.services.clock(), world.app.services.scheme.rules
    assert filed.decision_due_on == appeal_decision_due(now, rules, after)
    assert filed.decision_due_on != appeal_decision_due(now, rules, before)


async def _decided(world: World, siti: Caller, *, hours: int) -> int:
    """A "not yet competent" decision taken ``hours`` from now (negative: in the past)."""
    decided_at = world.app.services.clock() + timedelta(hours=hours)
    rules = world.app.services.scheme.rules
    until = schedule.decision("AK-1", A.DECIDED_NOT_YET, decided_at, rules)[0]
    appeal_until = datetime.fromisoformat(str(until.notice.params["appeal_until_at"]))
    decision = Decision(A.DECIDED_NOT_YET, decided_at, appeal_until=appeal_until)
    return await world.application(siti, A.DECIDED_NOT_YET, decision=decision)


def _today(world: World) -> date:
    zone = ZoneInfo(world.app.services.scheme.rules.timezone)
    return local_date(world.app.services.clock(), zone)


def _draft_reminder(world: World, app_id: int) -> schedule.Planned:
    now = world.app.services.clock()
    return schedule.draft_idle(app_id, now.date(), now)


async def test_after_a_send_back_only_a_changed_item_lets_the_application_go_again(
    world: World,
) -> None:
    """Issue 16: an unchanged resubmission was accepted, and staff saw the old ❌ beside the
    replacement file."""
    siti = await world.person("siti")
    app_id = await world.complete_draft(siti, A.NEEDS_FIX)
    review = {
        "ktp": ItemVerdict(Mark.NOT_OK, "Scan buram"),
        "photo": ItemVerdict(Mark.OK),
    }
    await world.call(lambda uow, _s: uow.applications.update(app_id, review=review))

    unchanged = await world.call(submission.submit, siti, app_id)

    assert isinstance(unchanged, Incomplete)
    [problem] = unchanged.problems
    assert (problem.gap, problem.reason, problem.need and problem.need.id) == (
        Gap.FLAGGED, "Scan buram", "ktp",
    )  # fmt: skip
    [old] = await world.documents("ktp")
    removed = await world.call(drafting.remove_document, siti, app_id, old.id)
    assert not isinstance(removed, Refused)
    async with world.app.uow_factory() as uow:
        application = await uow.applications.get(app_id)
    assert application is not None
    assert set(application.review) == {"photo"}  # the KTP is to be reviewed again
    assert isinstance(await world.call(submission.submit, siti, app_id), Incomplete)  # no KTP
    await world.call(
        lambda uow, _s: uow.applications.add_document(
            replace(old, id="ktp-new", sha256="0" * 64, file_name="ktp-baru.pdf")
        )
    )
    assert isinstance(await world.call(submission.submit, siti, app_id), Done)
