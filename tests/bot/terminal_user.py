"""A person at the terminal chat, in the test's own process: lines typed into
:class:`TerminalChat` as `asesorbot run` reads them from stdin — an option chosen by typing its
number, a file sent with ``/upload <path>``, the number with ``/contact``."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

from bot.channels.terminal import TerminalChat
from bot.factory import App
from handlers.conversation import Conversation
from handlers.messages import Choice, Reply, RequestFile, Text, Update


class _Recording:
    """The conversation, with every reply kept for the test to read (what the terminal
    printed, with the ids behind the numbers)."""

    def __init__(self, conversation: Conversation, replies: asyncio.Queue[Reply]) -> None:
        self._conversation = conversation
        self._replies = replies

    async def handle(self, update: Update) -> Reply:
        reply = await self._conversation.handle(update)
        await self._replies.put(reply)
        return reply


class TerminalUser:
    """Types one line at a time and waits for the chat's answer to it."""

    compresses_photos = False

    def __init__(self, app: App, folder: Path, *, user_id: str = "local") -> None:
        self._folder = folder
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._replies: asyncio.Queue[Reply] = asyncio.Queue()
        self._names = itertools.count(1)
        self.printed: list[str] = []
        conversation = cast(Conversation, _Recording(app.conversation, self._replies))
        self._chat = TerminalChat(
            conversation, app.translator, self.printed.append, user_id=user_id
        )
        self._task: asyncio.Task[None] | None = None
        self.last = Reply("id")

    async def start(self) -> None:
        """The chat starts as `asesorbot run` does: the person's step shown unasked."""
        self._task = asyncio.create_task(self._chat.run(self._typed()))
        self.last = await asyncio.wait_for(self._replies.get(), 10)

    async def stop(self) -> None:
        await self._lines.put(None)
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)

    async def _typed(self) -> AsyncIterator[str]:
        while (line := await self._lines.get()) is not None:
            yield line

    async def type(self, line: str) -> None:
        await self._lines.put(line)
        self.last = await asyncio.wait_for(self._replies.get(), 10)

    # --- the Messenger protocol of tests/journey.py -----------------------------------------

    @property
    def screen(self) -> str:
        parts: list[str] = []
        for message in self.last.messages:
            if isinstance(message, Choice | Text | RequestFile):
                parts.append(message.body)
        return "\n".join(parts)

    @property
    def buttons(self) -> list[str]:
        choices = [m for m in self.last.messages if isinstance(m, Choice)]
        return [o.id for o in choices[-1].options] if choices else []

    async def press(self, data: str) -> None:
        """The terminal shows numbers, not ids: the option's number is typed."""
        await self.type(str(self.buttons.index(data) + 1))

    async def text(self, text: str) -> None:
        await self.type(text)

    async def document(self, data: bytes, name: str) -> object:
        path = self._folder / f"{next(self._names)}-{name}"
        path.write_bytes(data)
        await self.type(f"/upload {path}")
        return path

    async def photo(self, data: bytes) -> None:
        await self.document(data, "foto.jpg")

    async def contact(self, phone: str) -> None:
        await self.type(f"/contact {phone}")
