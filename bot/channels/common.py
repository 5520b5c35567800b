"""What every messenger adapter does the same way: split long texts, read commands, join a
reply's plain texts to the message that follows them, and say what became of a notice sent
(:class:`RetryLater`, :class:`Unreachable`, :class:`SendFailed`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from domain.ports import ObjectStore, ObjectStoreError, UnitOfWorkFactory
from handlers.messages import CommandIn, Option, Outbound, Reply, SendFile

Markup = TypeVar("Markup")

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The platform asks to wait (429) before the channel sends again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Unreachable(Exception):
    """The person blocked the bot on this channel (or the number cannot receive)."""


class SendFailed(Exception):
    """Anything else; ``transient`` failures are tried again later."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


def shorten(label: str, limit: int) -> str:
    """A label cut to ``limit`` characters at a word's end, with "…" (issue 16: "Saya setuju
    dan ki…"); a single long word is cut where it must be."""
    if len(label) <= limit:
        return label
    cut = label[: limit - 1]
    space = cut.rfind(" ")
    if space > 0:
        cut = cut[:space]
    return cut.rstrip(" ,.;:—-") + "…"


def page_of(
    options: Sequence[Option], page: int, size: int
) -> tuple[list[tuple[int, Option]], int, int]:
    """One page of a long list of options, each with its number in the whole list (what a
    person types): ``size`` a page, pinned options on every page after the page's own; the
    page (kept within the list) and how many there are."""
    numbered = list(enumerate(options, 1))
    pinned = [(n, o) for n, o in numbered if o.pinned]
    paged = [(n, o) for n, o in numbered if not o.pinned]
    per_page = max(1, size - len(pinned))
    pages = max(1, -(-len(paged) // per_page))
    page = max(0, min(page, pages - 1))
    return paged[page * per_page : (page + 1) * per_page] + pinned, page, pages


BOLD = re.compile(r"\*(\S(?:[^*\n]*?\S)?)\*")
"""The catalogs' one piece of markup: ``*bold*`` (WhatsApp's own; Telegram gets it as an
entity, the terminal as plain text)."""


def bold_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without its ``*`` marks, and where the bold runs are as Telegram counts
    (offset and length in UTF-16 code units; issue 16: "*Asesor Kompetensi*" showed its
    asterisks)."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    at = 0
    units = 0
    for match in BOLD.finditer(text):
        before = text[at : match.start()]
        plain.append(before)
        units += _utf16(before)
        inner = match.group(1)
        spans.append((units, _utf16(inner)))
        plain.append(inner)
        units += _utf16(inner)
        at = match.end()
    plain.append(text[at:])
    return "".join(plain), spans


def unmarked(text: str) -> str:
    """The text as a channel without markup shows it (the terminal)."""
    return bold_spans(text)[0]


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


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


async def document_problem(
    objects: ObjectStore | None,
    document: SendFile,
    channel: str,
    uow_factory: UnitOfWorkFactory,
) -> str | None:
    """Why a stored document cannot be sent (the message key to send instead), or None: asked
    of the store before the upload starts, so that a lost object reads "missing" to the person,
    is marked lost (the checklist shows it as missing), and the log names the store, not the
    messaging platform."""
    if objects is None:
        log.error("a document to send but no object store", extra={"channel": channel})
        return "store.open_unavailable"
    try:
        found = await objects.exists(document.object_key)
        if not found:
            await objects.ping()  # the bucket itself is there: the object really is gone
    except ObjectStoreError as error:
        log.warning(
            "object store unavailable for a document",
            extra={"store": objects.name, "error": str(error)},
        )
        return "store.open_unavailable"
    if not found:
        log.error(
            "document missing in the object store",
            extra={"store": objects.name, "key": document.object_key, "channel": channel},
        )
        try:
            async with uow_factory() as uow:
                await uow.applications.mark_lost(document.object_key, datetime.now(UTC))
                await uow.commit()
        except Exception:  # the person is told all the same; `objects verify` marks it later
            log.warning("could not mark a document lost", exc_info=True)
        return "store.missing"
    return None
