"""The first conversation, end to end through the production wiring, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.factory import App
from domain.parts import Mark
from domain.ports import NewPerson
from handlers.common.zone import Proposing
from handlers.conversation import (
    MENU,
    Context,
    StepData,
    StepName,
    TakesContact,
    TakesFile,
    TakesOption,
    TakesText,
    choice,
)
from handlers.flow import build_flow
from handlers.messages import (
    Choice,
    CommandIn,
    ContactIn,
    FileIn,
    Inbound,
    Option,
    OptionIn,
    Outbound,
    Reply,
    ResumeIn,
    Text,
    TextIn,
    Update,
)
from handlers.staff.common import APPLICATION
from handlers.staff.review import MARK


async def say(app: App, event: Inbound, *, who: str = "u1", **extra: object) -> Reply:
    return await app.conversation.handle(Update("test", who, event, **extra))  # type: ignore[arg-type]


def texts(reply: Reply) -> list[str]:
    return [m.body for m in reply.messages if isinstance(m, Text | Choice)]


def last_choice(reply: Reply) -> Choice:
    choices = [m for m in reply.messages if isinstance(m, Choice)]
    assert choices, f"no choice in {reply}"
    return choices[-1]


async def no_bytes():  # type: ignore[no-untyped-def]
    yield b""


async def test_start_greets_in_indonesian_and_offers_language(make_app) -> None:
    app = await make_app()
    reply = await say(app, CommandIn("start"))
    assert reply.locale == "id"
    assert texts(reply)[0].startswith("Selamat datang di asesorbot")
    language = last_choice(reply)
    assert [o.id for o in language.options] == ["id", "en"]


async def test_switching_to_english_and_back(make_app) -> None:
    app = await make_app()
    await say(app, CommandIn("start"))
    reply = await say(app, OptionIn("en"))
    assert reply.locale == "en"
    assert texts(reply)[0] == "Language set to English."
    menu = last_choice(reply)
    assert menu.body.startswith("Main menu")
    assert [o.id for o in menu.options] == [
        "requirements", "apply", "status", "help", "language", "zone", "ask"
    ]  # fmt: skip

    reply = await say(app, CommandIn("bahasa"))
    assert [o.id for o in last_choice(reply).options] == ["id", "en"]
    reply = await say(app, TextIn("1"))  # typed number chooses the option
    assert reply.locale == "id"
    assert texts(reply)[0] == "Bahasa diganti ke Bahasa Indonesia."
    assert last_choice(reply).body.startswith("Menu utama")

    # Once chosen, /start no longer asks for the language: it greets and shows the menu.
    reply = await say(app, CommandIn("start"))
    assert last_choice(reply).body.startswith("Menu utama")


async def test_menu_items_help_and_status(make_app) -> None:
    app = await make_app()
    await say(app, CommandIn("start"))
    await say(app, OptionIn("id"))
    reply = await say(app, OptionIn("help"))
    assert "/batal" in texts(reply)[0]
    reply = await say(app, TextIn("📍 Status saya"))  # typed label chooses too
    assert last_choice(reply).body.startswith("Anda belum memiliki permohonan")
    reply = await say(app, OptionIn("menu"))
    assert last_choice(reply).body.startswith("Menu utama")


async def test_forged_or_stale_option_is_refused_and_step_shown_again(make_app) -> None:
    app = await make_app()
    await say(app, CommandIn("start"))
    reply = await say(app, OptionIn("admin:approve:42"))
    assert texts(reply)[0] == "Tombol ini sudah tidak aktif. Berikut langkah Anda saat ini:"
    assert [o.id for o in last_choice(reply).options] == ["id", "en"]
    # A menu option pressed while on the language step is stale as well; nothing changed.
    reply = await say(app, OptionIn("status"))
    assert "tidak aktif" in texts(reply)[0]
    reply = await say(app, ResumeIn())
    assert [o.id for o in last_choice(reply).options] == ["id", "en"]


async def test_unexpected_input_gets_a_clear_message(make_app) -> None:
    app = await make_app()
    await say(app, CommandIn("start"))
    await say(app, OptionIn("en"))
    reply = await say(app, TextIn("hello there"))
    assert texts(reply)[0] == "Please choose one of the options (type a number from 1 to 7)."
    reply = await say(app, FileIn(open=no_bytes, file_name="ktp.pdf"))
    assert texts(reply)[0].startswith("I am not waiting for a file")
    reply = await say(app, ContactIn("+6281234567890"))
    assert "phone number" in texts(reply)[0]
    reply = await say(app, CommandIn("frobnicate"))
    assert texts(reply)[0].startswith("I don't know the command /frobnicate")
    assert last_choice(reply).body.startswith("Main menu")


async def test_help_keeps_the_current_step(make_app) -> None:
    app = await make_app()
    await say(app, CommandIn("start"))
    reply = await say(app, CommandIn("help"))
    assert "/bahasa" in texts(reply)[0]
    assert [o.id for o in last_choice(reply).options] == ["id", "en"]


async def test_cancel_returns_to_menu_and_keeps_saved_data(make_app) -> None:
    app = await make_app()
    await say(app, CommandIn("start"))
    await say(app, OptionIn("en"))
    await say(app, CommandIn("bahasa"))
    reply = await say(app, CommandIn("batal"))
    assert reply.locale == "en"  # the language chosen earlier is kept
    assert texts(reply)[0] == "This step was cancelled. Everything you already saved is kept."
    assert last_choice(reply).body.startswith("Main menu")
    reply = await say(app, CommandIn("batal"))
    assert texts(reply)[0] == "There is no step in progress."


async def test_language_hint_of_the_messenger_is_used_until_chosen(make_app) -> None:
    app = await make_app()
    reply = await say(app, CommandIn("start"), who="en-user", language_hint="en-GB")
    assert reply.locale == "en"
    assert texts(reply)[0].startswith("Welcome to asesorbot")
    reply = await say(app, CommandIn("start"), who="id-user", language_hint="id")
    assert reply.locale == "id"


async def test_first_contact_with_any_message_greets(make_app) -> None:
    app = await make_app()
    reply = await say(app, TextIn("halo"))
    assert texts(reply)[0].startswith("Selamat datang")
    assert [o.id for o in last_choice(reply).options] == ["id", "en"]


async def test_restart_resumes_where_the_person_was(make_app) -> None:
    first = await make_app()
    await say(first, CommandIn("start"))
    await say(first, OptionIn("en"))
    await say(first, CommandIn("bahasa"))
    second = await make_app()  # a new process: nothing shared but the database
    reply = await say(second, ResumeIn())
    assert reply.locale == "en"
    assert [o.id for o in last_choice(reply).options] == ["id", "en"]
    reply = await say(second, OptionIn("id"))
    assert last_choice(reply).body.startswith("Menu utama")


async def test_redelivered_update_has_no_second_effect(make_app) -> None:
    app = await make_app()
    await say(app, CommandIn("start"))
    first = await say(app, OptionIn("en"), delivery_id="1001")
    assert first.locale == "en"
    await say(app, CommandIn("bahasa"))
    again = await say(app, OptionIn("en"), delivery_id="1001")
    assert again.messages == ()
    reply = await say(app, ResumeIn())
    assert [o.id for o in last_choice(reply).options] == ["id", "en"]  # still on /bahasa


class Answers(StepData):
    answers: tuple[str, ...] = ()


class Questionnaire:
    """A test step that keeps answers in its data, and fails on the answer "boom"."""

    name = "questionnaire"

    async def options(self, ctx: Context) -> Sequence[Option]:
        return [Option("done", "Done")]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        answers = list(ctx.read(Answers).answers)
        return [choice(f"answers so far: {answers}", await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        ctx.goto(MENU)

    async def on_text(self, ctx: Context, event: TextIn) -> None:
        ctx.keep(Answers(answers=(*ctx.read(Answers).answers, event.text)))
        if event.text == "boom":
            raise RuntimeError("a bug in a step")
        await ctx.show_current()


async def enter_questionnaire(ctx: Context, command: CommandIn) -> None:
    ctx.goto("questionnaire")


def questionnaire_flow():  # type: ignore[no-untyped-def]
    flow = build_flow([Questionnaire()])
    return type(flow)(
        steps=flow.steps,
        commands={**flow.commands, "q": enter_questionnaire},
        first_contact=flow.first_contact,
    )


async def test_failing_step_apologises_and_leaves_state_as_it_was(make_app) -> None:
    app = await make_app(questionnaire_flow())
    await say(app, CommandIn("start"))
    await say(app, OptionIn("id"))
    await say(app, CommandIn("q"))
    reply = await say(app, TextIn("first"))
    assert texts(reply) == ["answers so far: ['first']"]
    reply = await say(app, TextIn("boom"))
    assert texts(reply) == [
        "Maaf, terjadi kesalahan di pihak kami. Data Anda tidak berubah; silakan coba lagi "
        "sebentar lagi."
    ]
    reply = await say(app, ResumeIn())
    assert texts(reply) == ["answers so far: ['first']"]


async def test_language_switch_mid_step_returns_with_answers(make_app) -> None:
    app = await make_app(questionnaire_flow())
    await say(app, CommandIn("start"))
    await say(app, OptionIn("id"))
    await say(app, CommandIn("q"))
    await say(app, TextIn("first"))
    await say(app, CommandIn("bahasa"))
    reply = await say(app, OptionIn("en"))
    assert texts(reply) == ["Language set to English.", "answers so far: ['first']"]


async def test_cancel_mid_step_goes_to_menu(make_app) -> None:
    app = await make_app(questionnaire_flow())
    await say(app, CommandIn("start"))
    await say(app, OptionIn("id"))
    await say(app, CommandIn("q"))
    reply = await say(app, CommandIn("batal"))
    assert texts(reply)[0] == "Langkah ini dibatalkan. Data yang sudah tersimpan tetap aman."


@pytest.mark.parametrize("typed", ["0", "8", "-1", "1.5", "x" * 10_000, "مرحبا", "👍🏽"])
async def test_odd_answers_to_a_choice_are_refused_politely(make_app, typed: str) -> None:
    app = await make_app()
    await say(app, CommandIn("start"))
    await say(app, OptionIn("id"))
    reply = await say(app, TextIn(typed))
    assert texts(reply)[0] == "Silakan pilih salah satu pilihan (ketik angka 1 sampai 7)."
    assert last_choice(reply).body.startswith("Menu utama")


def test_every_step_takes_some_input_through_a_typed_handler() -> None:
    """The engine routes input by kind: a step with no handler would answer nothing, and a
    ``handle`` taking any input would be a second way in."""
    kinds = (TakesOption, TakesText, TakesFile, TakesContact)
    steps = build_flow().steps.values()
    assert len(steps) > 30
    assert [s.name for s in steps if not any(isinstance(s, kind) for kind in kinds)] == []
    assert [s.name for s in steps if hasattr(s, "handle") or hasattr(s, "accepts")] == []


def test_called_steps_return_in_order_with_the_callers_data() -> None:
    """One call/return stack: language from the zone step called from an APL-01 field goes
    back to the zone step, then to the field with its data; a caller that is gone: the menu."""
    steps = dict.fromkeys(["apl01", "zone", "language", MENU])
    ctx = Context(
        uow=None, person=None, channel="test", step="apl01", saved={"field": "email"},
        translator=None, locale="id", steps=steps, services=None,
    )  # type: ignore[arg-type]  # fmt: skip
    ctx.call(StepName("zone"), Proposing(proposed="Asia/Jayapura"))
    ctx.call(StepName("language"))
    assert (ctx.step, ctx.read(Proposing).proposed) == ("language", None)
    ctx.back()
    assert (ctx.step, ctx.read(Proposing).proposed) == ("zone", "Asia/Jayapura")
    ctx.back()
    assert (ctx.step, ctx.saved) == ("apl01", {"field": "email"})
    ctx.call(StepName("zone"), then=StepName("gone"))
    ctx.back()
    assert ctx.step == MENU


async def plant_state(app: App, step: str, data: dict[str, object], who: str = "u1") -> None:
    """The person's saved step, as an older version (or a hand in the database) left it."""
    async with app.uow_factory() as uow:
        state = await uow.conversations.open_locked(
            "test", who, new_person=NewPerson(locale="id", timezone="Asia/Jakarta")
        )
        await uow.conversations.save(state.identity_id, step, data)  # type: ignore[arg-type]
        await uow.commit()


@pytest.mark.parametrize("event", [TextIn("Budi"), OptionIn("s:back"), ResumeIn()])
async def test_step_data_that_no_longer_fits_its_step_goes_back_to_the_menu(
    make_app, event: Inbound
) -> None:
    """Saved data that does not read as the step's type (the application's id not a number)
    costs the person their place, not every later update: the menu, told why, and kept."""
    app = await make_app()
    await say(app, CommandIn("start"))
    await say(app, OptionIn("id"))
    await plant_state(app, "staff_item", {"app": "dua belas", "item": "ktp"})
    reply = await say(app, event)
    assert texts(reply)[0] == ctx_text(app, "input.stale_step")
    assert last_choice(reply).body.startswith("Menu utama")
    reply = await say(app, ResumeIn())
    assert texts(reply) == [last_choice(reply).body]
    assert last_choice(reply).body.startswith("Menu utama")


async def test_a_command_on_a_stale_step_runs_from_the_menu(make_app) -> None:
    """A command is not lost to a stale step: it runs again from the menu (here /status, which
    shows the step it was called from); a step called from a stale one returns to the menu."""
    app = await make_app()
    await say(app, CommandIn("start"))
    await say(app, OptionIn("id"))
    await plant_state(app, "apl02_evidence", {"chosen": ["a"]})  # no element: unreadable
    reply = await say(app, CommandIn("status"))
    assert texts(reply)[0] == ctx_text(app, "input.stale_step")
    assert texts(reply)[1].startswith(ctx_text(app, "status.none"))
    await plant_state(app, "apl02_evidence", {"chosen": ["a"]})
    assert [o.id for o in last_choice(await say(app, CommandIn("bahasa"))).options] == ["id", "en"]
    reply = await say(app, OptionIn("en"))
    assert texts(reply)[0] == ctx_text(app, "input.stale_step")
    assert last_choice(reply).body.startswith("Menu utama")


def ctx_text(app: App, key: str) -> str:
    return app.translator.translate("id", key)


def test_step_data_is_saved_as_json_without_its_defaults_and_read_back_typed() -> None:
    steps = dict.fromkeys(["evidence_item", MENU])
    ctx = Context(
        uow=None, person=None, channel="test", step=MENU, saved={},
        translator=None, locale="id", steps=steps, services=None,
    )  # type: ignore[arg-type]  # fmt: skip
    ctx.goto(StepName("evidence_item"), Answers(answers=("a", "b")))
    assert ctx.saved == {"answers": ["a", "b"]}
    assert ctx.read(Answers) == Answers(answers=("a", "b"))
    ctx.keep(Answers())
    assert (ctx.step, ctx.saved, ctx.read(Answers).answers) == ("evidence_item", {}, ())


def test_a_privileged_option_is_written_and_read_through_its_codec() -> None:
    """``s:<kind>:<value>`` on the wire, the value typed when read; another kind or a value that
    does not read is None (never a crash, never another screen's option)."""
    assert APPLICATION.id(42) == "s:app:42"
    assert APPLICATION.read("s:app:42") == 42
    assert APPLICATION.read("s:app:x") is None
    assert APPLICATION.read("s:doc:42") is None
    assert MARK.read(MARK.id(Mark.NOT_OK)) is Mark.NOT_OK
    assert MARK.read("s:mark:maybe") is None
