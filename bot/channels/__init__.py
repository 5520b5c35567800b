"""Channel adapters: each turns its platform's traffic into :mod:`handlers.messages`.

This module is the registry: the only place the channels' names are written, and how an admin
types an account of each (``/peran``, ``asesorbot roles``)."""

from __future__ import annotations

from domain.ports import AccountFormat

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


ACCOUNTS = (AccountFormat(TELEGRAM, telegram_account), AccountFormat(WHATSAPP, whatsapp_account))
"""Tried in this order: a Telegram id first, then a WhatsApp number."""
