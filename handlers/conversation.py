"""The conversation engine: one inbound update in, one reply out, in one transaction.

A conversation is a set of *steps* (what the bot is waiting for) and *commands* (``/start``,
``/batal``...).  The engine loads and locks the person's state, checks the input against the
current step (a pressed option must belong to it), runs the step, stores where the person now is
and commits — or, when anything fails, rolls back and apologises, leaving the state as it was.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NewType, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.ports import (
    ConnectionLost,
    ConversationState,
    JSONValue,
    NewPerson,
    Person,
    Services,
    Translator,
    UnitOfWork,
    UnitOfWorkFactory,
)
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
    UnreadableIn,
    Update,
    reply_document,
)
from usecases.access import Caller

log = logging.getLogger(__name__)

StepInput = TextIn | OptionIn | FileIn | ContactIn

StepName = NewType("StepName", str)
"""A step's name: made once, beside its step, and passed on (a typo is a type error)."""
MENU = StepName("menu")
"""The step every conversation returns to."""
RETURN = "_return"
"""In a called step's saved data: where :meth:`Context.back` goes (the caller's step and
data)."""


class StepData(BaseModel):
    """What a step was given when the person was moved to it (the application on screen, the
    field asked), typed: each step declares its own and reads it through
    :meth:`Context.read`, so no step picks keys out of a dict. Saved as JSON with the
    person's state between updates."""

    model_config = ConfigDict(frozen=True, extra="ignore")


D = TypeVar("D", bound=StepData)


class StaleStep(Exception):
    """The data saved with the person's step does not read as that step's type (saved by an
    older version, or altered): the engine takes the person back to the menu, telling them,
    instead of failing on every update of theirs."""


@dataclass(slots=True)
class Context:
    """What a step sees while it handles one event; it collects the reply."""

    uow: UnitOfWork
    person: Person
    channel: str
    step: str
    saved: dict[str, JSONValue]
    """The step's data as it is saved: the engine's own; steps :meth:`read` it, typed."""
    translator: Translator
    locale: str
    steps: Mapping[str, Step]
    services: Services
    replies: list[Outbound] = field(default_factory=list)
    moved: bool = False
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Work to do once the transaction is committed (e.g. delete a removed document's bytes)."""
    on_rollback: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Work that undoes outside effects when the transaction is not committed (e.g. delete
    an object stored for a row that was never written)."""
    _read: dict[type[StepData], StepData] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.services.clock()

    @property
    def caller(self) -> Caller:
        """The person of this update as the use cases take them."""
        return Caller(self.person.id, self.channel)

    def t(self, key: str, /, **params: object) -> str:
        """The text of ``key`` in the person's language."""
        return self.translator.translate(self.locale, key, **params)

    def say(self, *messages: Outbound) -> None:
        self.replies.extend(messages)

    def say_after_commit(self, word: Callable[[], Awaitable[Outbound]]) -> None:
        """A reply, at this place among the others, whose wording depends on work done once
        the transaction is committed (whether the store really deleted a file)."""
        slot = Text("")
        self.replies.append(slot)

        async def fill() -> None:
            index = next(i for i, reply in enumerate(self.replies) if reply is slot)
            try:
                self.replies[index] = await word()
            except BaseException:
                del self.replies[index]
                raise

        self.after_commit.append(fill)

    def read(self, kind: type[D]) -> D:
        """The current step's data as ``kind`` (read once per update); :class:`StaleStep`
        when what was saved does not fit it."""
        found = self._read.get(kind)
        if isinstance(found, kind):
            return found
        try:
            data = kind.model_validate(self.saved)
        except ValidationError as error:
            raise StaleStep(f"{self.step}: {error.error_count()} field(s) do not read") from error
        self._read[kind] = data
        return data

    def goto(self, step: StepName, data: StepData | None = None) -> None:
        """Move to ``step`` with its ``data``; its prompt is shown once the handler returns."""
        self._move(step, _saved(data))

    def keep(self, data: StepData) -> None:
        """The current step's data changed in place (a document ticked on a list), where it
        returns to kept; the step is not shown again unless the caller asks."""
        self._set(
            {**_saved(data), **({RETURN: self.saved[RETURN]} if RETURN in self.saved else {})}
        )

    def again(self) -> None:
        """Show the current step again, as it is (its data, and where it returns to)."""
        self.moved = True

    def call(
        self,
        step: StepName,
        data: StepData | None = None,
        *,
        then: StepName | None = None,
        then_data: StepData | None = None,
    ) -> None:
        """Go to ``step`` for a while: its :meth:`back` returns to ``then`` (with
        ``then_data``) — by default to the step the person is on now, with its data. A called
        step may call another (a stack)."""
        here: dict[str, JSONValue] = (
            {"step": self.step, "data": self.saved}
            if then is None
            else {"step": then, "data": _saved(then_data)}
        )
        self._move(step, {**_saved(data), RETURN: here})

    def back(self) -> None:
        """Return from a called step to where it was called from; the menu when that is gone."""
        saved = self.saved.get(RETURN)
        if not isinstance(saved, Mapping):  # a state saved before calls were kept so
            saved = {"step": self.saved.get("return_to") or self.saved.get("then"),
                     "data": self.saved.get("return_data")}  # fmt: skip
        step, data = saved.get("step"), saved.get("data")
        if isinstance(step, str) and step in self.steps and step != self.step:
            self._move(StepName(step), dict(data) if isinstance(data, Mapping) else {})
        else:
            self._move(MENU, {})

    def _move(self, step: StepName, saved: dict[str, JSONValue]) -> None:
        self.step = step
        self._set(saved)
        self.moved = True

    def _set(self, saved: dict[str, JSONValue]) -> None:
        self.saved = saved
        self._read.clear()

    async def set_locale(self, locale: str) -> None:
        await self.uow.people.set_locale(self.person.id, locale)
        self.locale = locale

    async def set_timezone(self, zone: str) -> None:
        """The person's own zone, used from this very reply on."""
        await self.uow.people.set_timezone(self.person.id, zone)
        self.person = replace(self.person, timezone=zone, timezone_chosen=True)

    async def show_current(self) -> None:
        """Show the current step's prompt again (after help, an error, a restart)."""
        self.say(*await self.steps[self.step].prompt(self))


class Step(Protocol):
    """One place in a conversation where the bot waits for the person.

    A step takes the kinds of input it has a handler for — ``on_option``, ``on_text``,
    ``on_file``, ``on_contact`` (:class:`TakesOption` …) — and the engine routes each input to
    its handler, typed; any other kind is answered and the step shown again."""

    name: StepName

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        """What the person sees when they arrive at (or come back to) this step."""
        ...

    async def options(self, ctx: Context) -> Sequence[Option]:
        """The options the step offers now; empty when it takes free input only."""
        ...


@runtime_checkable
class TakesOption(Protocol):
    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        """One of the step's own options was pressed (or typed: its number or label)."""
        ...


@runtime_checkable
class TakesText(Protocol):
    async def on_text(self, ctx: Context, event: TextIn) -> None: ...


@runtime_checkable
class TakesFile(Protocol):
    async def on_file(self, ctx: Context, event: FileIn) -> None: ...


@runtime_checkable
class TakesContact(Protocol):
    async def on_contact(self, ctx: Context, event: ContactIn) -> None: ...


def _saved(data: StepData | None) -> dict[str, JSONValue]:
    """A step's data as it is saved with the person's state (JSON)."""
    return {} if data is None else data.model_dump(mode="json", exclude_defaults=True)


async def route(step: Step, ctx: Context, event: StepInput) -> bool:
    """Hand ``event`` to the step's handler of its kind; False when the step takes none."""
    if isinstance(event, OptionIn) and isinstance(step, TakesOption):
        await step.on_option(ctx, event)
    elif isinstance(event, TextIn) and isinstance(step, TakesText):
        await step.on_text(ctx, event)
    elif isinstance(event, FileIn) and isinstance(step, TakesFile):
        await step.on_file(ctx, event)
    elif isinstance(event, ContactIn) and isinstance(step, TakesContact):
        await step.on_contact(ctx, event)
    else:
        return False
    return True


CommandHandler = Callable[[Context, CommandIn], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Flow:
    """All steps and commands of the bot; later features add theirs here."""

    steps: Mapping[str, Step]
    commands: Mapping[str, CommandHandler]
    first_contact: CommandHandler
    """What a person's very first event does (whatever it is): usually the ``/start`` greeting."""
    forged_option: Callable[[Context, str], Awaitable[bool]] | None = None
    """Given an option no step offered: True when it was a privileged one (refused, logged)."""
    verified_phone: Callable[[Context, str], Awaitable[object]] | None = None
    """What a new channel identity whose number the messenger vouches for does with it
    (store it, and offer to link the person's other messengers)."""
    free_text: Callable[[Context, str], Awaitable[bool]] | None = None
    """Given text that no step takes (nor any option's label): True when it was handled
    (a question offered to be sent to staff, 7.1.2)."""
    typed_commands: frozenset[str] = frozenset()
    """Commands that also work typed as a word alone ("menu", not only "/menu"): the bot's
    messages tell people to type them, so no step takes them as an answer."""


@dataclass(frozen=True, slots=True)
class ConversationSettings:
    default_locale: str = "id"
    default_timezone: str = "Asia/Jakarta"


def locale_from_hint(hint: str | None, default: str) -> str:
    """A messenger's language code gives Indonesian for ``id``, English for any other."""
    if not hint:
        return default
    return "id" if hint.lower().split("-")[0] in {"id", "in"} else "en"


def plain(text: str) -> str:
    """Text as a person types it back: no emoji or marks, spaces collapsed, case folded, no
    closing full stop ("✔️ Selesai" and "selesai." are the same)."""
    kept = "".join(
        ch for ch in text if unicodedata.category(ch) not in {"So", "Sk", "Cf", "Mn", "Co", "Cs"}
    )
    return " ".join(kept.split()).casefold().rstrip(".!").strip()


YES_WORDS = frozenset({"ya", "iya", "y", "yes", "yup", "betul", "benar", "ok", "oke", "setuju"})
NO_WORDS = frozenset({"tidak", "tdk", "nggak", "ngga", "enggak", "gak", "ga", "no", "n", "bukan"})
"""Common ways to say yes and no in both languages: typed, they pick the one option whose
label says so ("iya" picks "Ya", "setuju" picks "✅ Setuju dan kirim")."""


def match_option(text: str, options: Sequence[Option]) -> Option | None:
    """A typed answer to a choice: its number as shown, its label with or without emoji, one
    of the names the label gives (``label_names``: "WNI", "K", "S1", "SMA"), or a yes / no
    word; a name two options share picks neither. Never an option's internal id (issue 16:
    typing "agree" submitted the declaration)."""
    typed = plain(text)
    if typed.isdigit():  # a number is the option's place as shown, never its id ("0" is not "No")
        return options[int(typed) - 1] if 1 <= int(typed) <= len(options) else None
    if not typed:
        return None
    for option in options:
        if typed == plain(option.label):
            return option
    named = [o for o in options if typed in label_names(o.label)]
    if named:
        return named[0] if len(named) == 1 else None
    for words in (YES_WORDS, NO_WORDS):
        if typed in words:
            saying = [o for o in options if words & set(plain(o.label).split())]
            return saying[0] if len(saying) == 1 else None
    return None


def label_names(label: str) -> frozenset[str]:
    """What people call an option by, typed without its emoji: the label's head before " ("
    or " — " ("WNI (Warga Negara Indonesia)", "K — Kompeten"), what its brackets hold ("Sarjana
    / D4 (S1)": "S1"), and each of the head's alternatives ("SMA / SMK / sederajat": "SMA")."""
    shown = plain(label)
    head = shown.split(" (")[0].split(" — ")[0]
    bracketed = re.findall(r"\(([^()]+)\)", shown)
    return frozenset({head, *bracketed, *(part.strip() for part in head.split(" / "))}) - {""}


NUMBER_WORDS = {
    word: n
    for n, words in enumerate(
        (
            ("satu", "one"), ("dua", "two"), ("tiga", "three"), ("empat", "four"),
            ("lima", "five"), ("enam", "six"), ("tujuh", "seven"), ("delapan", "eight"),
            ("sembilan", "nine"), ("sepuluh", "ten"), ("sebelas", "eleven"),
            ("dua belas", "twelve"), ("tiga belas", "thirteen"), ("empat belas", "fourteen"),
            ("lima belas", "fifteen"), ("enam belas", "sixteen"), ("tujuh belas", "seventeen"),
            ("delapan belas", "eighteen"), ("sembilan belas", "nineteen"),
            ("dua puluh", "twenty"),
        ),
        1,
    )
    for word in words
}  # fmt: skip
"""Numbers written as words, up to twenty (issue 16): an option's number where a step asks
for an option and no text, so a name or a place ("Lima") is never read as a number; a count
where the step asks for one (:func:`number_in`)."""


def number_in(text: str) -> int | None:
    """A whole number typed as digits (ASCII) or as a word up to twenty; None otherwise."""
    typed = " ".join(text.split()).rstrip(".").casefold()
    if typed.isdigit() and typed.isascii():
        return int(typed)
    return NUMBER_WORDS.get(typed)


def option_by_word(text: str, options: Sequence[Option]) -> Option | None:
    n = NUMBER_WORDS.get(" ".join(text.split()).rstrip(".").casefold())
    return options[n - 1] if n is not None and n <= len(options) else None


_NOT_EXPECTED = {
    TextIn: "input.text_not_expected",
    OptionIn: "input.option_not_expected",
    FileIn: "input.file_not_expected",
    ContactIn: "input.contact_not_expected",
}


class Conversation:
    """Handles updates for every channel."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        translator: Translator,
        flow: Flow,
        settings: ConversationSettings,
        services: Services,
    ) -> None:
        self._uow_factory = uow_factory
        self._translator = translator
        self._flow = flow
        self._settings = settings
        self._services = services

    async def handle(self, update: Update) -> Reply:
        """Answer one update; state changes are kept only if everything went well.

        Step data that no longer reads as its step's (:class:`StaleStep`) costs the person
        their place, not their update: it is handled again from the menu, and they are told."""
        try:
            return await self._retrying(update)
        except StaleStep as stale:
            log.warning("step data does not fit its step; back to the menu: %s", stale)
            return await self._retrying(update, stale=True)

    async def _retrying(self, update: Update, *, stale: bool = False) -> Reply:
        """A connection that dropped (a database restart, a failover) costs one more try on a
        fresh connection, not the person's update: nothing of the failed try was committed."""
        try:
            return await self._handle_once(update, stale)
        except ConnectionLost:
            log.warning("database connection lost; handling the update again")
        try:
            return await self._handle_once(update, stale)
        except ConnectionLost:
            log.exception("database connection lost twice; state left as it was")
            locale = locale_from_hint(update.language_hint, self._settings.default_locale)
            return self._apology(locale)

    def _apology(self, locale: str) -> Reply:
        return Reply(locale, (Text(self._translator.translate(locale, "error.apology")),))

    async def _handle_once(self, update: Update, stale: bool) -> Reply:
        fallback_locale = locale_from_hint(update.language_hint, self._settings.default_locale)
        ctx: Context | None = None
        kept: int | None = None
        try:
            async with self._uow_factory() as uow:
                state = await uow.conversations.open_locked(
                    update.channel,
                    update.external_id,
                    new_person=NewPerson(
                        locale=fallback_locale,
                        timezone=self._settings.default_timezone,
                        display_name=update.display_name,
                    ),
                    delivery_id=update.delivery_id,
                )
                fallback_locale = state.person.locale
                if state.duplicate:
                    log.info("duplicate delivery ignored", extra={"channel": update.channel})
                    return Reply(state.person.locale)
                ctx = self._context(uow, state, update.channel, stale)
                await self._dispatch(ctx, state, update.event, stale)
                if state.is_new and update.verified_phone and self._flow.verified_phone:
                    await self._flow.verified_phone(ctx, update.verified_phone)
                    await self._show_if_moved(ctx)
                reply = (
                    reply_document(Reply(ctx.locale, tuple(ctx.replies)))
                    if update.keep_reply and ctx.replies
                    else None
                )
                kept = await uow.conversations.save(
                    state.identity_id, ctx.step, ctx.saved, reply=reply
                )
                await uow.commit()
        except Exception as error:
            if ctx is not None:
                await _run_all(ctx.on_rollback, "rollback clean-up failed")
            if isinstance(error, ConnectionLost) or (isinstance(error, StaleStep) and not stale):
                raise
            log.exception(
                "update failed; state left as it was",
                extra={"channel": update.channel, "event": type(update.event).__name__},
            )
            return self._apology(fallback_locale)
        await _run_all(ctx.after_commit, "after-commit work failed")
        return Reply(ctx.locale, tuple(ctx.replies), kept)

    def _context(
        self, uow: UnitOfWork, state: ConversationState, channel: str, stale: bool
    ) -> Context:
        step = state.step if state.step in self._flow.steps and not stale else MENU
        data = dict(state.data) if step == state.step else {}
        return Context(
            uow=uow,
            person=state.person,
            channel=channel,
            step=step,
            saved=data,
            translator=self._translator,
            locale=state.person.locale,
            steps=self._flow.steps,
            services=self._services,
        )

    async def _dispatch(
        self, ctx: Context, state: ConversationState, event: Inbound, stale: bool
    ) -> None:
        if stale:  # what the person answered belonged to a step that is gone: the menu
            ctx.say(Text(ctx.t("input.stale_step")))
            if not isinstance(event, CommandIn):
                event = ResumeIn()
        if state.is_new and not isinstance(event, CommandIn):
            await self._flow.first_contact(ctx, CommandIn("start"))
        elif isinstance(event, CommandIn):
            command = self._flow.commands.get(event.name)
            if command is None:
                ctx.say(Text(ctx.t("command.unknown", command=event.name)))
                await ctx.show_current()
            else:
                await command(ctx, event)
        elif isinstance(event, ResumeIn):
            await ctx.show_current()
        elif isinstance(event, UnreadableIn):
            ctx.say(Text(ctx.t(event.why)))
            await ctx.show_current()
        elif not (
            isinstance(event, TextIn)
            and await self._as_command(ctx, event, self._flow.typed_commands)
        ):
            await self._to_step(ctx, event)
        await self._show_if_moved(ctx)

    async def _to_step(self, ctx: Context, event: StepInput) -> None:
        step = self._flow.steps[ctx.step]
        options = await step.options(ctx)
        if isinstance(event, TextIn) and options:
            chosen = match_option(event.text, options)
            if chosen is None and not isinstance(step, TakesText):
                chosen = option_by_word(event.text, options)
            if chosen is not None:
                event = OptionIn(chosen.id)
            elif not isinstance(step, TakesText):
                # where no text is asked, any command typed as a word ("daftar", as /bantuan
                # lists it) is that command
                if not await self._as_command(ctx, event, self._flow.commands) and not (
                    await self._free_text(ctx, event)
                ):
                    ctx.say(Text(ctx.t("input.choose_option", count=len(options))))
                    await ctx.show_current()
                return
        if isinstance(event, OptionIn) and all(o.id != event.option_id for o in options):
            if self._flow.forged_option and await self._flow.forged_option(ctx, event.option_id):
                await ctx.show_current()
                return
            ctx.say(Text(ctx.t("input.stale_option")))
            await ctx.show_current()
            return
        if not await route(step, ctx, event) and not await self._free_text(ctx, event):
            ctx.say(Text(ctx.t(_NOT_EXPECTED[type(event)])))
            await ctx.show_current()

    async def _as_command(self, ctx: Context, event: TextIn, words: Collection[str]) -> bool:
        """Text that is one of ``words`` alone ("menu", "daftar") runs that command."""
        word = event.text.strip().lower()
        if word not in words:
            return False
        await self._flow.commands[word](ctx, CommandIn(word))
        return True

    async def _free_text(self, ctx: Context, event: StepInput) -> bool:
        hook = self._flow.free_text
        return isinstance(event, TextIn) and hook is not None and await hook(ctx, event.text)

    @staticmethod
    async def _show_if_moved(ctx: Context) -> None:
        if ctx.moved:
            ctx.moved = False
            await ctx.show_current()


async def _run_all(work: list[Callable[[], Awaitable[None]]], failure: str) -> None:
    """Run every piece of clean-up; one failing does not stop the others."""
    for item in work:
        try:
            await item()
        except Exception:
            log.exception(failure)


def choice(body: str, options: Sequence[Option]) -> Choice:
    """A choice message from a step's options."""
    return Choice(body, tuple(options))
