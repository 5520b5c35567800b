"""Two events of one person never interleave; events of different people run side by side."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from handlers.conversation import Context, StepData
from handlers.flow import build_flow
from handlers.messages import CommandIn, Option, OptionIn, Outbound, ResumeIn, Text, TextIn, Update


class Count(StepData):
    n: int = 0


class SlowCounter:
    """Reads a number, waits (as a slow handler would), writes it back plus one.

    Without a per-person lock two events read the same number and one increment is lost."""

    name = "counter"

    def __init__(self, pause: float = 0.05) -> None:
        self.pause = pause
        self.inside: set[str] = set()
        self.overlapped = False

    async def options(self, ctx: Context) -> Sequence[Option]:
        return []

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [Text(f"n={ctx.read(Count).n}")]

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        key = str(ctx.person.id)
        self.overlapped |= key in self.inside
        self.inside.add(key)
        n = ctx.read(Count).n
        await asyncio.sleep(self.pause)
        ctx.keep(Count(n=n + 1))
        self.inside.discard(key)
        await ctx.show_current()


class Rendezvous:
    """Each event waits until ``parties`` events are inside at once (or times out)."""

    name = "rendezvous"

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.everyone_here = asyncio.Event()

    async def options(self, ctx: Context) -> Sequence[Option]:
        return []

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        return [Text("waiting")]

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        self.arrived += 1
        if self.arrived == self.parties:
            self.everyone_here.set()
        await asyncio.wait_for(self.everyone_here.wait(), timeout=10)
        ctx.say(Text("met"))


def flow_with(step):  # type: ignore[no-untyped-def]
    flow = build_flow([step])

    async def enter(ctx: Context, command: CommandIn) -> None:
        ctx.goto(step.name)

    return type(flow)(
        steps=flow.steps, commands={**flow.commands, "go": enter}, first_contact=flow.first_contact
    )


async def prepare(app, who: str) -> None:  # type: ignore[no-untyped-def]
    for event in (CommandIn("start"), OptionIn("id"), CommandIn("go")):
        await app.conversation.handle(Update("test", who, event))


async def test_events_of_one_person_never_interleave(make_app) -> None:
    counter = SlowCounter()
    app = await make_app(flow_with(counter))
    await prepare(app, "u1")
    replies = await asyncio.gather(
        *(app.conversation.handle(Update("test", "u1", TextIn("+1"))) for _ in range(6))
    )
    assert not counter.overlapped
    assert sorted(r.messages[0].body for r in replies) == [f"n={i}" for i in range(1, 7)]  # type: ignore[union-attr]
    final = await app.conversation.handle(Update("test", "u1", ResumeIn()))
    assert final.messages == (Text("n=6"),)


async def test_two_processes_share_the_lock(make_app) -> None:
    """Two wirings on one database stand for two server processes."""
    counter = SlowCounter()
    first, second = await make_app(flow_with(counter)), await make_app(flow_with(counter))
    await prepare(first, "u1")
    await asyncio.gather(
        *(
            app.conversation.handle(Update("test", "u1", TextIn("+1")))
            for app in (first, second, first, second)
        )
    )
    final = await second.conversation.handle(Update("test", "u1", ResumeIn()))
    assert final.messages == (Text("n=4"),)
    assert not counter.overlapped


async def test_first_contact_twice_at_once_makes_one_person(make_app, engine) -> None:
    app = await make_app()
    replies = await asyncio.gather(
        *(app.conversation.handle(Update("test", "new", TextIn("halo"))) for _ in range(4))
    )
    assert all(r.locale == "id" for r in replies)
    async with engine.connect() as connection:
        people = await connection.exec_driver_sql("SELECT count(*) FROM persons")
        assert people.scalar_one() == 1


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_different_people_run_concurrently_on_postgresql(make_app) -> None:
    rendezvous = Rendezvous(parties=3)
    app = await make_app(flow_with(rendezvous))
    for who in ("a", "b", "c"):
        await prepare(app, who)
    replies = await asyncio.gather(
        *(app.conversation.handle(Update("test", who, TextIn("hi"))) for who in ("a", "b", "c"))
    )
    # Had the three been serialised, the first would have waited alone and timed out.
    assert [r.messages[0] for r in replies] == [Text("met")] * 3


async def test_first_contact_delivered_twice_at_once_has_one_effect(make_app) -> None:
    """A re-delivered first update (the platform retrying) greets once, not twice."""
    app = await make_app()
    replies = await asyncio.gather(
        *(
            app.conversation.handle(Update("test", "new", TextIn("halo"), delivery_id="d1"))
            for _ in range(3)
        )
    )
    assert sorted(len(r.messages) > 0 for r in replies) == [False, False, True]


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_a_dropped_database_connection_costs_no_update(make_app, drop_connections) -> None:
    """The server ends every connection of the pool (a restart, a failover): the next update
    is handled on a new connection, not answered with an apology, and kept."""
    app = await make_app()
    await prepare(app, "u1")
    assert await drop_connections() >= 1
    reply = await app.conversation.handle(Update("test", "u1", CommandIn("bahasa")))
    apology = app.translator.translate("id", "error.apology")
    assert reply.messages
    assert all(getattr(m, "body", None) != apology for m in reply.messages)
    again = await app.conversation.handle(Update("test", "u1", ResumeIn()))
    assert again.messages == reply.messages[-1:], "the step it moved to was kept"
