"""Staff's and assessors' steps on the memory world (the fast tier): an application put straight
into the state a screen needs, one person pressing through it; the assertions are message keys,
the state left behind and what the candidate is queued — no journey replayed, no catalog prose
(``tests/bot/test_staff.py`` keeps the journeys over the fake Bot API)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from domain.parts import Assessment, Mark
from handlers.staff.common import APPLICATION, StaffOption
from handlers.staff.decisions import parse_schedule
from handlers.staff.review import MARK
from scheme.lifecycle import ApplicationState as A
from scheme.model import Scheme
from tests.handlers.steps import Chat, conversation
from tests.usecases.world import NOW, World, memory_world


@pytest.fixture
def world(settings: Settings, scheme: Scheme) -> World:
    return memory_world(settings, scheme)


async def _reviewing(world: World) -> tuple[Chat, int, list[str]]:
    """Budi (staff) on the review screen of Siti's complete submitted application, and the ids
    of the evidence items offered there."""
    siti = await world.person("siti")
    await world.person("budi", "staff")
    app_id = await world.complete_draft(siti, A.SUBMITTED)
    budi = Chat(conversation(world), "budi")
    await budi.command("antrian")
    assert budi.said_keys()[0] == "staff.queue"
    await budi.press(APPLICATION.id(app_id))
    assert "staff.review_title" in budi.said_keys()
    return budi, app_id, [o for o in budi.options if o.startswith("s:item:")]


async def test_accepting_waits_for_every_item_to_meet_the_requirement(world: World) -> None:
    budi, app_id, items = await _reviewing(world)

    await budi.press(StaffOption.ACCEPT)
    assert budi.said_keys()[0] == "staff.accept_needs_all_ok"
    assert await world.state(app_id) == A.SUBMITTED
    for item in items:
        await budi.press(item)
        assert budi.said_keys()[0] == "staff.item_title"
        await budi.press(MARK.id(Mark.OK))
    await budi.press(StaffOption.ACCEPT)

    assert "staff.accepted" in budi.said_keys()
    assert await world.state(app_id) == A.ACCEPTED  # 9.1.6
    assert await world.outbox_rows("kind", "params") == [
        ("status_changed", {"reference": "", "state": "accepted", "next": "accepted"})
    ]
    marked = await world.audit_rows("action", allowed=True)
    assert marked.count(("mark_ok",)) == len(items)
    assert marked[-1] == ("accept",)


async def test_an_item_that_does_not_meet_goes_back_with_its_reason(world: World) -> None:
    budi, app_id, items = await _reviewing(world)

    await budi.press(items[0])
    await budi.press(MARK.id(Mark.NOT_OK))
    assert budi.said_keys()[0] == "staff.item_reason"
    await budi.type("Foto KTP buram")
    for item in items[1:]:
        await budi.press(item)
        await budi.press(MARK.id(Mark.OK))
    await budi.press(StaffOption.SEND_BACK)

    assert "staff.sent_back" in budi.said_keys()
    assert await world.state(app_id) == A.NEEDS_FIX  # 9.1.5
    [(kind, params)] = await world.outbox_rows("kind", "params")
    assert kind == "fix_requested"
    assert "Foto KTP buram" in params["reasons"]


async def test_a_staff_option_pressed_by_a_candidate_is_refused_and_audited(
    world: World,
) -> None:
    siti = await world.person("siti")
    app_id = await world.complete_draft(siti, A.SUBMITTED)
    chat = Chat(conversation(world), "siti")
    await chat.command("menu")

    await chat.press(StaffOption.ACCEPT)
    await chat.press(APPLICATION.id(app_id))

    assert chat.said_keys()[0] == "staff.not_available"
    assert await world.state(app_id) == A.SUBMITTED
    refused = await world.audit_rows("person_id", "target", allowed=False)
    assert [target for _, target in refused] == ["s:accept", f"s:app:{app_id}"]
    assert {person for person, _ in refused} == {siti.person_id}
    assert await world.outbox_rows("id") == []


async def test_an_assessor_declares_no_conflict_and_the_candidate_is_told_when(
    world: World,
) -> None:
    siti, rina = await world.person("siti"), await world.person("rina", "assessor")
    starts = NOW + timedelta(days=3)
    app_id = await world.application(
        siti, A.ASSESSOR_ASSIGNED, assessment=Assessment(rina.person_id, starts, "TUK Jakarta")
    )
    chat = Chat(conversation(world), "rina")
    await chat.command("tugas")
    await chat.press(APPLICATION.id(app_id))
    assert {StaffOption.NO_CONFLICT, StaffOption.CONFLICT} <= set(chat.options)  # 9.10.7

    await chat.press(StaffOption.NO_CONFLICT)

    assert "assessor.accepted" in chat.said_keys()
    assert await world.state(app_id) == A.SCHEDULED
    notices = await world.outbox_rows("person_id", "kind")
    assert (siti.person_id, "assessment_scheduled") in notices
    assert (rina.person_id, "assessment_tomorrow") in notices  # the assessor's own reminder


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("25-11-2026 10:00", (2026, 11, 25, 10, 0)), ("25/11/2026 10.00", (2026, 11, 25, 10, 0)),
        ("25 November 2026 pukul 10.00", (2026, 11, 25, 10, 0)),
        ("25 Nov 2026, 9.30", (2026, 11, 25, 9, 30)), ("2 Dec 2026 at 09:00", (2026, 12, 2, 9, 0)),
        ("31-02-2026 10:00", None), ("25-11-2026 25:00", None), ("25-11-2026", None), ("", None),
    ],
)  # fmt: skip
def test_the_assessment_time_is_read_as_people_write_it(
    typed: str, local: tuple[int, ...] | None
) -> None:
    """Issue 16: the schedule took only ``DD-MM-YYYY HH:MM``; a day that does not exist is
    still refused."""
    zone = ZoneInfo("Asia/Makassar")
    found = parse_schedule(typed, "Asia/Makassar")
    assert found == (None if local is None else datetime(*local, tzinfo=zone))
