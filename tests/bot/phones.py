"""One person on either messenger, for what must hold on Telegram and WhatsApp alike (issue 16,
point 6): the same test drives the production wiring through either spec-checking fake."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot import operator
from bot.dispatcher import build_dispatcher
from bot.factory import App
from tests.bot import telegram_rig, whatsapp_rig
from tests.bot.telegram_user import TelegramUser
from tests.bot.whatsapp_user import WhatsAppUser
from usecases.access import Role

User = TelegramUser | WhatsAppUser


class Phone(Protocol):
    """A messenger as the tests of both see it."""

    name: str
    app: App

    def person(self, name: str = "Siti") -> User:
        """A new person writing to the bot (each call: another account)."""
        ...

    async def share_contact(self, user: User) -> None:
        """The messenger's own way of giving one's mobile number."""
        ...

    async def staff(self) -> User:
        """A new person holding the staff role."""
        ...

    def label(self, user: User, option: str) -> str:
        """What the person reads on the button or row of ``option``."""
        ...

    def received(self, user: User) -> list[str]:
        """Every text the bot sent the person, oldest first (replies and notices)."""
        ...

    async def sticker(self, user: User) -> None:
        """A message the bot cannot read."""
        ...

    async def deliver_notices(self) -> None:
        """What the worker sends, a minute after the bot's clock (10.00 WIB: outside anyone's
        quiet hours, whatever the hour the suite runs at)."""
        ...


@dataclass
class OnTelegram:
    rig: telegram_rig.Rig
    name: str = "telegram"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(777001))

    @property
    def app(self) -> App:
        return self.rig.app

    def person(self, name: str = "Siti") -> User:
        return self.rig.user(user_id=next(self._ids), first_name=name)

    async def share_contact(self, user: User) -> None:
        assert isinstance(user, TelegramUser)
        await user.contact(f"62812345{user.user['id'] % 100000:05d}")

    async def staff(self) -> User:
        user = self.person("Budi")
        assert isinstance(user, TelegramUser)
        await operator.change_role(
            self.app, "telegram", str(user.user["id"]), Role.STAFF, grant=True, by="test"
        )
        return user

    def label(self, user: User, option: str) -> str:
        assert isinstance(user, TelegramUser)
        return user.labels[option]

    def received(self, user: User) -> list[str]:
        assert isinstance(user, TelegramUser)
        return [
            str(call.params.get("text", ""))
            for call in self.rig.api.calls
            if call.method == "sendMessage" and str(call.params["chat_id"]) == str(user.user["id"])
        ]

    async def sticker(self, user: User) -> None:
        assert isinstance(user, TelegramUser)
        sticker = {
            "file_id": "CAACAgIAAxkBAAEB", "file_unique_id": "AgADsticker", "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False,
        }  # fmt: skip
        await user.send(
            {"update_id": next(user._update_ids), "message": user._message(sticker=sticker)}
        )

    async def deliver_notices(self) -> None:
        await _deliver(self.app, self.rig.clock.at)


@dataclass
class OnWhatsApp:
    rig: whatsapp_rig.Rig
    name: str = "whatsapp"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(6281234567890))

    @property
    def app(self) -> App:
        return self.rig.app

    def person(self, name: str = "Siti") -> User:
        return self.rig.user(wa_id=str(next(self._ids)), name=name)

    async def share_contact(self, user: User) -> None:
        await user.press("contact:self")

    async def staff(self) -> User:
        user = self.person("Budi")
        assert isinstance(user, WhatsAppUser)
        await operator.change_role(self.app, "whatsapp", user.wa_id, Role.STAFF, grant=True, by="t")
        return user

    def label(self, user: User, option: str) -> str:
        assert isinstance(user, WhatsAppUser)
        return user.title_of(option)

    def received(self, user: User) -> list[str]:
        assert isinstance(user, WhatsAppUser)
        texts = []
        for body in self.rig.api.to(user.wa_id):
            if body["type"] == "text":
                texts.append(str(body["text"]["body"]))
            elif body["type"] == "interactive":
                texts.append(str(body["interactive"]["body"]["text"]))
        return texts

    async def sticker(self, user: User) -> None:
        assert isinstance(user, WhatsAppUser)
        error = {
            "code": 131051, "title": "Message type unknown", "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }  # fmt: skip
        await user.deliver(user.message("unsupported", errors=[error]))  # how a sticker comes

    async def deliver_notices(self) -> None:
        await _deliver(self.app, whatsapp_rig.NOW)


async def _deliver(app: App, now: datetime) -> None:
    at = now + timedelta(minutes=1)
    dispatcher = build_dispatcher(app, clock=lambda: at)
    assert dispatcher is not None
    try:
        await dispatcher.run(asyncio.Event(), until_idle=True)
    finally:
        await dispatcher.close()
