"""What every messenger adapter does the same way: split long texts, read commands, and join a
reply's plain texts to the message that follows them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from handlers.messages import CommandIn, Outbound, Reply, SendFile

Markup = TypeVar("Markup")


def split_text(text: str, limit: int) -> list[str]:
    """Split at line ends where possible, so that each part fits the platform's limit."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


def command_of(text: str) -> CommandIn | None:
    """``/start@asesorbot args`` → CommandIn("start", "args")."""
    if not text.startswith("/"):
        return None
    head, _, args = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return CommandIn(name, args.strip()) if name else None


def coalesce(
    reply: Reply, shape: Callable[[Outbound], tuple[str, Markup | None]], limit: int
) -> list[tuple[str, Markup | None]]:
    """A reply as few messages as it reads well in: a plain text joins the message after it
    (fewer notifications, and fewer calls against the platform's rate limit) — unless that is a
    document, whose message carries only its own caption."""
    messages: list[tuple[str, Markup | None]] = []
    pending = ""
    for message in reply.messages:
        body, markup = shape(message)
        joins = pending and not isinstance(message, SendFile)
        if joins and len(pending) + len(body) + 2 <= limit:
            body = f"{pending}\n\n{body}"
        elif pending:
            messages.append((pending, None))
        pending = ""
        if markup is None:
            pending = body
        else:
            messages.append((body, markup))
    if pending:
        messages.append((pending, None))
    return messages
