"""Staff's verbs after acceptance, called as any interface calls them — on a database put straight
into the state each case needs, no journey replayed: what changes, which notices are queued, what
the audit log says, and every refusal changing nothing."""

from __future__ import annotations

from datetime import timedelta

from domain.parts import Appeal, Assessment, Decision
from scheme.deadlines import appeal_deadline
from scheme.impartiality import Capacity, ConflictKind
from scheme.lifecycle import AppealState
from scheme.lifecycle import ApplicationState as A
from tests.usecases.world import World, refusal
from usecases import decisions
from usecases.access import Refusal, Refused
from usecases.decisions import Done


async def test_an_assessor_assigned_with_schedule_and_tuk_is_told_once(world: World) -> None:
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    rina = await world.person("rina", "assessor")
    app_id = await world.application(siti, A.ACCEPTED)
    starts_at = world.app.services.clock() + timedelta(days=5)
    assign = decisions.assign_assessor
    kw = {"assessor": rina.person_id, "starts_at": starts_at, "place": "TUK Sewaktu Jakarta"}

    done = await world.call(assign, budi, app_id, **kw)

    assert isinstance(done, Done)
    assert done.application.state == A.ASSESSOR_ASSIGNED
    assert done.application.assessment.assessor == rina.person_id
    assert done.application.assessment.place == "TUK Sewaktu Jakarta"
    assert refusal(await world.call(assign, budi, app_id, **kw)) is Refusal.ALREADY_HANDLED
    notices = await world.outbox_rows("person_id", "kind", "params")
    assert [(p, k) for p, k, _ in notices] == [(rina.person_id, "assessor_assignment")]
    assert "Siti Rahayu" in str(notices[0][2])
    audit = await world.audit_rows("person_id", "action", "allowed")
    assert (budi.person_id, "assign_assessor", True) in [(p, a, bool(ok)) for p, a, ok in audit]


async def test_an_assignment_is_refused_for_each_rule_and_nothing_changes(world: World) -> None:
    """The role now (a candidate), 9.2.1 (staff's own application), 9.10.7 (the candidate as
    their own assessor), an account that is not an assessor, a schedule in the past."""
    siti = await world.person("siti", "assessor")
    budi, rina = await world.person("budi", "staff"), await world.person("rina", "assessor")
    own = await world.application(budi, A.ACCEPTED)
    app_id = await world.application(siti, A.ACCEPTED)
    later = world.app.services.clock() + timedelta(days=5)
    check = decisions.check_assignment

    assert refusal(await world.call(check, siti, app_id, assessor=rina.person_id)) is (
        Refusal.NOT_ALLOWED
    )
    staff_own = await world.call(check, budi, own, assessor=rina.person_id)
    assert isinstance(staff_own, Refused)
    assert staff_own.conflict is not None
    assert (staff_own.conflict.capacity, staff_own.conflict.clause) == (Capacity.STAFF, "9.2.1")
    themselves = await world.call(check, budi, app_id, assessor=siti.person_id)
    assert isinstance(themselves, Refused)
    assert themselves.conflict is not None
    assert themselves.conflict.kind is ConflictKind.OWN_APPLICATION
    assert themselves.conflict.clause == "9.10.7"
    assert refusal(await world.call(check, budi, app_id, assessor=budi.person_id)) is (
        Refusal.NOT_AN_ASSESSOR
    )
    past = later - timedelta(days=10)
    assert refusal(
        await world.call(
            decisions.assign_assessor, budi, app_id,
            assessor=rina.person_id, starts_at=past, place="TUK",
        )
    ) is Refusal.BAD_SCHEDULE  # fmt: skip

    assert await world.state(app_id) == A.ACCEPTED
    assert await world.outbox_rows("id") == []
    refused = await world.audit_rows("action", allowed=False)
    assert [a for (a,) in refused] == [
        "choose_assessor",
        "conflict_staff_own_application",
        "conflict_assessor_own_application",
    ]


async def test_a_decision_opens_the_appeal_window_in_the_candidates_own_zone(
    world: World,
) -> None:
    """9.4, 9.9.2: the window ends at midnight after the day of the decision in Jayapura, for a
    candidate who lives there, whatever the LSP's zone."""
    siti = await world.person("siti", zone="Asia/Jayapura")
    budi = await world.person("budi", "staff")
    app_id = await world.application(siti, A.RECOMMENDED_BK)

    done = await world.call(decisions.decide, budi, app_id, competent=False, record="BA-17")

    assert isinstance(done, Done)
    assert done.application.state == A.DECIDED_NOT_YET
    decision = done.application.decision
    assert decision.by == budi.person_id  # kept off the appeal panel (9.9.4)
    assert decision.decided_at == world.app.services.clock()
    rules = world.app.services.scheme.rules
    assert decision.appeal_until == appeal_deadline(decision.decided_at, rules, "Asia/Jayapura")
    kinds = await world.outbox_rows("kind", "person_id", "urgent", order="due_at")
    assert [(k, p, bool(u)) for k, p, u in kinds] == [
        ("decision", siti.person_id, True),
        ("appeal_closing", siti.person_id, True),
    ]


async def test_a_certificate_number_in_use_is_refused_and_a_renewal_replaces_the_old(
    world: World,
) -> None:
    """9.4.6: one certificate per number; 9.7.4: the renewed certificate is replaced and its
    reminders stop."""
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    first = await world.application(siti, A.DECIDED_COMPETENT)
    done = await world.call(decisions.issue_certificate, budi, first, "AK 001 2026")
    assert isinstance(done, Done)
    assert done.application.state == A.CERTIFIED
    reminders = await world.outbox_rows("id", status="pending")
    assert len(reminders) > 3  # issued, surveillance, renewal, expiry

    renewal = await world.application(siti, A.DECIDED_COMPETENT, renews="AK 001 2026")
    issue = decisions.issue_certificate
    assert refusal(await world.call(issue, budi, renewal, "AK 001 2026")) is (
        Refusal.CERTIFICATE_TAKEN
    )
    assert await world.state(renewal) == A.DECIDED_COMPETENT
    assert isinstance(await world.call(issue, budi, renewal, "AK 002 2029"), Done)

    certificates = await world.query(lambda uow: uow.certificates.of_person(siti.person_id))
    states = sorted((c.number, c.state) for c in certificates)
    assert states == [("AK 001 2026", "renewed"), ("AK 002 2029", "active")]
    pending = await world.outbox_rows("subject", status="pending")
    assert not [s for (s,) in pending if s and s.endswith("AK 001 2026")]


async def test_an_appeal_needs_a_panel_not_involved_before_its_decision(world: World) -> None:
    """9.9.4: neither the case's assessor nor who recorded the decision sits on the panel;
    9.9.7: the decision comes after the panel, and the candidate is told it with the reasons."""
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    rina, dewi = await world.person("rina", "assessor"), await world.person("dewi", "staff")
    app_id = await world.application(
        siti, A.UNDER_APPEAL,
        assessment=Assessment(rina.person_id), decision=Decision(by=dewi.person_id),
        appeal=Appeal(AppealState.FILED, "Bukti tidak dinilai"),
    )  # fmt: skip
    decide = decisions.decide_appeal
    note = "Bukti portofolio belum dinilai; asesmen ulang"

    assert refusal(await world.call(decide, budi, app_id, granted=True, note=note)) is (
        Refusal.PANEL_FIRST
    )
    assert await world.outbox_rows("id") == []
    for involved in (rina, dewi, siti):
        refused = await world.call(decisions.assign_panel, budi, app_id, involved.person_id)
        assert isinstance(refused, Refused)
        assert refused.conflict is not None
        assert refused.conflict.clause == "9.9.4"
    offered = await world.query(decisions.panel_candidates, app_id)
    assert offered == {budi.person_id: "budi"}
    assert isinstance(await world.call(decisions.assign_panel, budi, app_id, budi.person_id), Done)

    done = await world.call(decide, budi, app_id, granted=True, note=note)

    assert isinstance(done, Done)
    assert done.application.state == A.ACCEPTED  # a new assessment (9.9.7)
    assert done.application.appeal.state is AppealState.GRANTED
    [(kind, params)] = await world.outbox_rows("kind", "params")
    assert kind == "appeal_decided"
    assert note in str(params)
