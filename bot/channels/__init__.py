"""Channel adapters: each turns its platform's traffic into :mod:`handlers.messages`.

This module is the registry: the only place the channels' names are written, how an admin
types an account of each (``/peran``, ``asesorbot roles``), and the one :class:`Channel`
protocol through which ``asesorbot run``, the web server and the dispatcher use any of them.
Adding a channel is an adapter module with a class that has this shape, and a
:class:`ChannelKind` in :data:`CHANNELS`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from domain.ports import AccountFormat

if TYPE_CHECKING:
    from aiohttp import web

    from bot.channels.pacing import ChannelLimit
    from bot.config import Settings
    from bot.factory import App
    from domain.notices import Notice

TELEGRAM = "telegram"
WHATSAPP = "whatsapp"
TERMINAL = "terminal"


def telegram_account(typed: str) -> str | None:
    """A Telegram user id: digits alone (a number written ``+62…`` or ``08…`` is a phone)."""
    digits = "".join(c for c in typed if c.isdigit())
    if not digits or len(digits) > 20 or typed.lstrip().startswith(("+", "0")):
        return None
    return digits


def whatsapp_account(typed: str) -> str | None:
    """A WhatsApp number in any usual writing (+62…, 62…, 08…), as its ``wa_id``."""
    digits = "".join(c for c in typed if c.isdigit())
    if not digits or len(digits) > 20:
        return None
    return "62" + digits[1:] if digits.startswith("0") else digits


class Sender(Protocol):
    """One channel's way of delivering a notice, part by part (a text longer than the platform
    allows goes as several messages, one unit to the dispatcher). Raises
    :class:`~bot.channels.common.RetryLater`, ``Unreachable`` or ``SendFailed``."""

    def parts(self, locale: str, zone: str, notice: Notice) -> int: ...

    async def send(
        self, external_id: str, locale: str, zone: str, notice: Notice, part: int
    ) -> str:
        """Part ``part`` (from 0); the platform's message id."""
        ...

    async def close(self) -> None: ...


class KeptReplies(Protocol):
    async def keep_alive(self, stop: asyncio.Event) -> None:
        """Until ``stop``: renew the leases of the replies waiting to be sent, and send those a
        process that died left behind."""
        ...


Route = tuple[str, str, "Callable[[web.Request], Awaitable[web.StreamResponse]]"]
"""(HTTP method, path, handler) of a webhook."""


class Channel(Protocol):
    """A messenger as ``asesorbot run`` serves it."""

    @property
    def name(self) -> str: ...

    @property
    def replies(self) -> KeptReplies: ...

    def routes(self) -> Sequence[Route]:
        """The webhooks it needs served (none when it polls)."""
        ...

    async def serve(self, stop: asyncio.Event) -> None:
        """Until ``stop``: poll, or register the webhook and wait."""
        ...

    def sender(self) -> Sender:
        """Its way of sending the outbox's notices (closed by the dispatcher)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ChannelKind:
    name: str
    account: AccountFormat
    configured: Callable[[Settings], bool]
    build: Callable[[App], Channel]
    limit: Callable[[Settings], ChannelLimit]
    """Its rate budget, shared by every process that sends as this account."""


def _telegram(app: App) -> Channel:
    from bot.channels.telegram import TelegramChannel

    return TelegramChannel(
        app.conversation, app.translator, app.uow_factory, app.settings,
        objects=app.objects, metrics=app.metrics, pacer=app.pacer,
    )  # fmt: skip


def _whatsapp(app: App) -> Channel:
    from bot.channels.whatsapp import WhatsAppChannel

    return WhatsAppChannel(
        app.conversation, app.translator, app.uow_factory, app.settings,
        objects=app.objects, metrics=app.metrics, pacer=app.pacer,
    )  # fmt: skip


def _telegram_limit(settings: Settings) -> ChannelLimit:
    """The bot's budget, named by its id (the part of the token before the colon)."""
    from bot.channels.pacing import ChannelLimit

    outbox, token = settings.outbox, settings.telegram.bot_token
    bot_id = token.get_secret_value().split(":", 1)[0] if token is not None else ""
    return ChannelLimit(
        outbox.telegram_rate, outbox.telegram_per_chat_seconds, f"{TELEGRAM}:{bot_id}"
    )


def _whatsapp_limit(settings: Settings) -> ChannelLimit:
    """The WhatsApp number's budget, named by its phone number id."""
    from bot.channels.pacing import ChannelLimit

    outbox = settings.outbox
    return ChannelLimit(
        outbox.whatsapp_rate,
        outbox.whatsapp_per_chat_seconds,
        f"{WHATSAPP}:{settings.whatsapp.phone_id or ''}",
    )


CHANNELS = (
    ChannelKind(
        TELEGRAM,
        AccountFormat(TELEGRAM, telegram_account),
        lambda settings: settings.telegram.bot_token is not None,
        _telegram,
        _telegram_limit,
    ),
    ChannelKind(
        WHATSAPP,
        AccountFormat(WHATSAPP, whatsapp_account),
        lambda settings: settings.whatsapp.enabled,
        _whatsapp,
        _whatsapp_limit,
    ),
)
"""Every messenger the bot can serve (the terminal chat is ``asesorbot chat``'s own)."""

ACCOUNTS = tuple(kind.account for kind in CHANNELS)
"""Tried in this order: a Telegram id first, then a WhatsApp number."""


def configured_channels(app: App) -> list[Channel]:
    """The channels the settings configure, built."""
    return [kind.build(app) for kind in CHANNELS if kind.configured(app.settings)]
