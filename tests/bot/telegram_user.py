"""A Telegram user for tests: builds real Bot API update objects and reads the bot's answers
from the fake Bot API server."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.telegram import FakeBotApi

Deliver = Callable[[dict[str, Any]], Awaitable[None]]


SHOWN = frozenset({"sendMessage", "editMessageText"})
"""The calls that put a text (and its keyboard) on the person's screen."""


class TelegramUser:
    compresses_photos = True
    _update_ids = itertools.count(5000)
    _file_ids = itertools.count(1)

    def __init__(
        self,
        api: FakeBotApi,
        deliver: Deliver,
        user_id: int = 777001,
        language: str = "id",
        first_name: str = "Siti",
    ) -> None:
        self.api = api
        self.deliver = deliver
        self.user = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language,
        }
        self.chat = {"id": user_id, "type": "private", "first_name": first_name}
        self._seen = 0
        self.last_update: dict[str, Any] = {}

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._update_ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **content,
        }

    async def send(self, update: dict[str, Any]) -> None:
        self._seen = len(self.api.calls)
        self.last_update = update
        await self.deliver(update)

    async def again(self) -> None:
        """Deliver the last update once more (Telegram re-delivers after a timeout)."""
        await self.send(self.last_update)

    async def text(self, text: str) -> None:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}
            ]
        await self.send({"update_id": next(self._update_ids), "message": self._message(**content)})

    async def press(self, data: str) -> None:
        """A button of the last message that has it, sent as Telegram does: with that message
        (its id, text and keyboard)."""
        await self.send(
            {
                "update_id": next(self._update_ids),
                "callback_query": {
                    "id": str(next(self._update_ids)),
                    "from": self.user,
                    "chat_instance": "ci-1",
                    "message": self._pressed(data),
                    "data": data,
                },
            }
        )

    def _pressed(self, data: str) -> dict[str, Any]:
        for call in reversed(self.api.calls):
            markup = call.params.get("reply_markup")
            if call.method not in SHOWN or str(call.params.get("chat_id")) != str(self.user["id"]):
                continue
            parsed = json.loads(markup) if isinstance(markup, str) else markup or {}
            buttons = [b for row in parsed.get("inline_keyboard", []) for b in row]
            if any(b.get("callback_data") == data for b in buttons) and call.result:
                return {
                    **self._message(text=str(call.params.get("text", ""))),
                    "message_id": call.result["message_id"],
                    "reply_markup": parsed,
                }
        return self._message(text="…")

    async def document(
        self, data: bytes, name: str, mime: str = "application/pdf", size: int | None = None
    ) -> str:
        file_id = f"doc{next(self._file_ids)}"
        self.api.add_file(file_id, data, name)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": mime,
            "file_size": len(data) if size is None else size,
        }
        await self.send(
            {"update_id": next(self._update_ids), "message": self._message(document=document)}
        )
        return file_id

    async def photo(self, data: bytes) -> None:
        large = f"ph{next(self._file_ids)}"
        self.api.add_file(large, data, "photo.jpg")
        sizes = [
            {
                "file_id": f"{large}s",
                "file_unique_id": f"u{large}s",
                "width": 90,
                "height": 120,
                "file_size": 900,
            },
            {
                "file_id": large,
                "file_unique_id": f"u{large}",
                "width": 300,
                "height": 400,
                "file_size": len(data),
            },
        ]
        await self.send(
            {"update_id": next(self._update_ids), "message": self._message(photo=sizes)}
        )

    async def contact(self, phone: str, *, own: bool = True) -> None:
        contact = {
            "phone_number": phone,
            "first_name": "Siti",
            "user_id": self.user["id"] if own else 999,
        }
        await self.send(
            {"update_id": next(self._update_ids), "message": self._message(contact=contact)}
        )

    # --- what the bot said since the last update ---------------------------------------------

    @property
    def replies(self) -> list[dict[str, Any]]:
        return [
            c.params
            for c in self.api.calls[self._seen :]
            if c.method in SHOWN and str(c.params.get("chat_id")) == str(self.user["id"])
        ]

    @property
    def screen(self) -> str:
        return "\n".join(str(r.get("text", "")) for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        """Callback data of the last inline keyboard the bot sent."""
        for reply in reversed(self.replies):
            markup = reply.get("reply_markup")
            if markup:
                parsed = json.loads(markup) if isinstance(markup, str) else markup
                if "inline_keyboard" in parsed:
                    return [b["callback_data"] for row in parsed["inline_keyboard"] for b in row]
        return []

    @property
    def labels(self) -> dict[str, str]:
        """Callback data → button text of the last inline keyboard."""
        for markup in reversed(self.reply_markups()):
            if "inline_keyboard" in markup:
                return {
                    b["callback_data"]: b["text"] for row in markup["inline_keyboard"] for b in row
                }
        return {}

    def reply_markups(self) -> list[dict[str, Any]]:
        return [
            json.loads(r["reply_markup"])
            if isinstance(r["reply_markup"], str)
            else r["reply_markup"]
            for r in self.replies
            if r.get("reply_markup")
        ]
