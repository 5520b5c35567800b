"""The terminal chat: the same conversations on stdin/stdout, for development and demos.

Options are shown numbered (type the number), ``/upload PATH`` sends a file, ``/contact NUMBER``
shares a phone number.  No token and no network are needed.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from bot.channels import TERMINAL
from bot.channels.common import unmarked
from domain.ports import Translator
from handlers.conversation import Conversation
from handlers.messages import (
    Choice,
    CommandIn,
    ContactIn,
    FileIn,
    Inbound,
    Reply,
    RequestContact,
    RequestFile,
    ResumeIn,
    SendFile,
    Text,
    TextIn,
    Update,
)
from storage.files import read_chunks

CHANNEL = TERMINAL
FILE_CHUNK = 256 * 1024


def file_chunks(path: Path) -> Callable[[], AsyncIterator[bytes]]:
    """A re-openable stream of a local file's bytes."""
    return lambda: read_chunks(path, FILE_CHUNK)


def parse_line(line: str) -> Inbound | Path:
    """What a typed line means; a Path is an ``/upload`` that must be checked first."""
    text = line.strip()
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        name = name.lower()
        if name == "upload":
            return Path(args.strip()).expanduser()
        if name == "contact":
            return ContactIn(args.strip())
        return CommandIn(name, args.strip())
    return TextIn(line.rstrip("\r\n"))


class TerminalChat:
    """One person (``user_id``) talking to the bot through text lines."""

    def __init__(
        self,
        conversation: Conversation,
        translator: Translator,
        write: Callable[[str], None],
        *,
        user_id: str = "local",
    ) -> None:
        self._conversation = conversation
        self._translator = translator
        self._write = write
        self._user_id = user_id
        self._locale = "id"

    async def run(self, lines: AsyncIterator[str]) -> None:
        reply = await self._send(ResumeIn())
        self._write(self._translator.translate(reply.locale, "terminal.welcome") + "\n")
        self._render(reply)
        async for line in lines:
            if not line.strip():
                continue
            parsed = parse_line(line)
            if isinstance(parsed, Path):
                if not parsed.is_file():
                    self._say("terminal.file_missing", path=str(parsed))
                    continue
                parsed = FileIn(
                    open=file_chunks(parsed),
                    file_name=parsed.name,
                    size=parsed.stat().st_size,
                )
            self._render(await self._send(parsed))
        self._say("terminal.bye")

    async def _send(self, event: Inbound) -> Reply:
        reply = await self._conversation.handle(Update(CHANNEL, self._user_id, event))
        self._locale = reply.locale
        return reply

    def _say(self, key: str, **params: object) -> None:
        self._write(self._translator.translate(self._locale, key, **params) + "\n")

    def _render(self, reply: Reply) -> None:
        """Plain text: the catalogs' ``*bold*`` marks are taken out (issue 16)."""
        for message in reply.messages:
            if isinstance(message, Text):
                self._write(f"\n{unmarked(message.body)}\n")
            elif isinstance(message, Choice):
                numbered = "".join(
                    f"  {n}. {option.label}\n" for n, option in enumerate(message.options, 1)
                )
                self._write(f"\n{unmarked(message.body)}\n{numbered}")
            elif isinstance(message, RequestFile):
                hint = self._translator.translate(reply.locale, "terminal.upload_hint")
                self._write(f"\n{unmarked(message.body)}\n{hint}\n")
            elif isinstance(message, RequestContact):
                hint = self._translator.translate(reply.locale, "terminal.contact_hint")
                self._write(f"\n{unmarked(message.body)}\n{hint}\n")
            elif isinstance(message, SendFile):
                self._say("terminal.file_sent", name=message.file_name)


async def stdin_lines() -> AsyncIterator[str]:
    """Lines from stdin, read by a daemon thread so that quitting never waits on it."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


def write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
