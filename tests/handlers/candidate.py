"""A scripted candidate: talks to the bot through the production wiring, like a person would."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.factory import App
from handlers.messages import (
    Choice,
    CommandIn,
    ContactIn,
    FileIn,
    Inbound,
    OptionIn,
    Reply,
    RequestFile,
    Text,
    TextIn,
    Update,
)


def chunked(data: bytes, size: int = 64 * 1024):  # type: ignore[no-untyped-def]
    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    return stream


class Candidate:
    def __init__(self, app: App, who: str = "candidate-1", channel: str = "test") -> None:
        self.app = app
        self.who = who
        self.channel = channel
        self.last = Reply("id")

    async def send(self, event: Inbound) -> Reply:
        self.last = await self.app.conversation.handle(Update(self.channel, self.who, event))
        return self.last

    async def command(self, name: str) -> Reply:
        return await self.send(CommandIn(name))

    async def type(self, text: str) -> Reply:
        return await self.send(TextIn(text))

    async def contact(self, phone: str) -> Reply:
        """The person shares their own number from the messenger (it vouches for it)."""
        return await self.send(ContactIn(phone))

    async def option(self, option_id: str) -> Reply:
        return await self.send(OptionIn(option_id))

    async def upload(self, data: bytes, name: str, *, size: int | None = None) -> Reply:
        return await self.send(
            FileIn(open=chunked(data), file_name=name, size=len(data) if size is None else size)
        )

    def t(self, key: str, **params: object) -> str:
        """A message in the language of the last reply."""
        return self.app.translator.translate(self.last.locale, key, **params)

    @property
    def screen(self) -> str:
        parts: list[str] = []
        for message in self.last.messages:
            if isinstance(message, Choice):
                parts.append(message.body)
                parts += [f"[{o.id}] {o.label}" for o in message.options]
            elif isinstance(message, Text | RequestFile):
                parts.append(message.body)
        return "\n".join(parts)

    @property
    def options(self) -> list[str]:
        choices = [m for m in self.last.messages if isinstance(m, Choice)]
        return [o.id for o in choices[-1].options] if choices else []

    def asks_for_file(self) -> bool:
        return any(isinstance(m, RequestFile) for m in self.last.messages)
