"""The fast tier for chat steps: the whole conversation (``handlers/flow.py``) on the unit of work
in memory, its words left as message keys. A test puts the world in the state it needs (the
``world`` of ``tests/usecases``, no journey replayed), drives one person through a few steps and
asserts which messages were chosen — not the catalogs' prose, which ``tests/locales`` checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from domain.ports import Translator
from handlers.conversation import Conversation, ConversationSettings
from handlers.flow import build_flow
from handlers.messages import Choice, CommandIn, Inbound, OptionIn, Reply, Text, TextIn, Update
from locales import DEFAULT_LOCALE
from tests.usecases.world import World


class KeyTranslator:
    """Every message as its key, with the values it was given: ``staff.accepted`` or
    ``status.line(state=submitted)``."""

    locales = ("id", "en")

    def translate(self, locale: str, key: str, /, **params: object) -> str:
        if not params:
            return key
        values = ", ".join(f"{name}={value}" for name, value in sorted(params.items()))
        return f"{key}({values})"


def conversation(world: World, translator: Translator | None = None) -> Conversation:
    """The conversation on the world; its words as keys unless a real ``translator`` is given
    (for what depends on the words themselves, such as a label typed back)."""
    return Conversation(
        uow_factory=world.app.uow_factory,
        translator=translator or KeyTranslator(),
        flow=build_flow(),
        settings=ConversationSettings(
            default_locale=DEFAULT_LOCALE, default_timezone="Asia/Jakarta"
        ),
        services=world.app.services,
    )


@dataclass
class Chat:
    """One person (made by ``world.person(name)``) talking to the conversation."""

    conversation: Conversation
    who: str
    last: Reply = field(default_factory=lambda: Reply("id"))

    async def send(self, event: Inbound) -> Reply:
        self.last = await self.conversation.handle(Update("telegram", self.who, event))
        return self.last

    async def command(self, name: str) -> Reply:
        return await self.send(CommandIn(name))

    async def press(self, option_id: str) -> Reply:
        return await self.send(OptionIn(option_id))

    async def type(self, text: str) -> Reply:
        return await self.send(TextIn(text))

    def said(self) -> Iterator[str]:
        """Each line the last reply showed: texts, choice bodies, and options as ``[id] key``."""
        for message in self.last.messages:
            if isinstance(message, Choice | Text):
                yield from (line for line in message.body.splitlines() if line.strip())
            if isinstance(message, Choice):
                yield from (f"[{o.id}] {o.label}" for o in message.options)

    def said_keys(self) -> list[str]:
        """The message keys of the last reply, in order, without their values."""
        return [line.split("(")[0].split("] ")[-1] for line in self.said()]

    @property
    def options(self) -> list[str]:
        choices = [m for m in self.last.messages if isinstance(m, Choice)]
        return [o.id for o in choices[-1].options] if choices else []
