"""What flows between a channel adapter and the conversations.

Inbound events are what a person did (typed text, pressed an option, sent a file...); outbound
messages are what the bot says back.  Both are plain, immutable data so that Telegram inline
keyboards, WhatsApp buttons/lists and the terminal can each render them their own way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ChunkSource = Callable[[], AsyncIterator[bytes]]
"""Opens a file's bytes as a stream of chunks; calling it again starts the stream anew."""


@dataclass(frozen=True, slots=True)
class TextIn:
    """Free text typed by the person."""

    text: str


@dataclass(frozen=True, slots=True)
class CommandIn:
    """A slash command such as ``/start`` (name without the slash, lower case)."""

    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class OptionIn:
    """An option chosen from the last choice shown (a button press); never trusted as given."""

    option_id: str


@dataclass(frozen=True, slots=True)
class FileIn:
    """A document or photo; its bytes are read as a stream, never whole."""

    open: ChunkSource
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    is_photo: bool = False


@dataclass(frozen=True, slots=True)
class ContactIn:
    """A phone number the person shared from their own account."""

    phone: str


@dataclass(frozen=True, slots=True)
class ResumeIn:
    """The channel (re)connected: show the current step again without changing anything."""


class Unreadable(StrEnum):
    """Why a message reached the bot but not its content: each is a message key."""

    KIND = "input.unreadable_kind"
    """A sticker, a location, a voice note…: the bot reads text, choices and files."""
    MEDIA_GONE = "input.media_gone"
    """The platform no longer has the file it announced."""
    OVER_PLATFORM_LIMIT = "telegram.file_too_large"
    """Larger than the Bot API lets a bot download (20 MB): refused before any byte."""
    NOT_OWN_CONTACT = "telegram.contact_not_own"
    """Someone else's contact card shared as one's own number."""


@dataclass(frozen=True, slots=True)
class UnreadableIn:
    """A message the channel could not turn into anything else: answered in the person's own
    language and, like every update, once per delivery (issue 16)."""

    why: Unreadable


Inbound = TextIn | CommandIn | OptionIn | FileIn | ContactIn | ResumeIn | UnreadableIn


@dataclass(frozen=True, slots=True)
class Update:
    """One inbound event from one person on one channel.

    ``delivery_id`` is the platform's id for this delivery (Telegram ``update_id``, WhatsApp
    message id); an update whose id was already handled has no second effect.
    """

    channel: str
    external_id: str
    event: Inbound
    delivery_id: str | None = None
    language_hint: str | None = None
    display_name: str | None = None
    verified_phone: str | None = None
    """The sender's number when the messenger vouches for it (WhatsApp), +62… form."""
    keep_reply: bool = False
    """Save the reply with the change it reports, for the channel to send even if its process
    dies first (a messenger's background queue; not the terminal, which shows it at once)."""


@dataclass(frozen=True, slots=True)
class Option:
    """One choice: ``id`` is short (it travels in callback data), ``label`` is shown."""

    id: str
    label: str
    description: str | None = None
    pinned: bool = False
    """Shown on every page of a long list (a picker's "Done"; issue 16: only the last page
    had it), after that page's own options."""


@dataclass(frozen=True, slots=True)
class Text:
    """A plain text message."""

    body: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A text with options to choose from (buttons, a list, or numbered lines)."""

    body: str
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class RequestFile:
    """Asks for a document or photo; ``accept`` names the kinds, ``max_bytes`` the size limit."""

    body: str
    accept: tuple[str, ...] = ()
    max_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class RequestContact:
    """Asks the person to share their phone number with the messenger's own button."""

    body: str
    button_label: str


@dataclass(frozen=True, slots=True)
class SendFile:
    """A stored document to send to the person (``object_key`` in the object store)."""

    object_key: str
    file_name: str
    mime_type: str
    caption: str | None = None


Outbound = Text | Choice | RequestFile | RequestContact | SendFile


@dataclass(frozen=True, slots=True)
class Reply:
    """Everything the bot answers to one update, in the person's language."""

    locale: str
    messages: tuple[Outbound, ...] = field(default_factory=tuple)
    kept: int | None = None
    """The id of its durable copy, saved with the change it reports (gone once it is sent)."""


_KINDS: dict[str, type[Outbound]] = {
    "text": Text,
    "choice": Choice,
    "request_file": RequestFile,
    "request_contact": RequestContact,
    "send_file": SendFile,
}
_NAMES = {kind: name for name, kind in _KINDS.items()}


def reply_document(reply: Reply) -> dict[str, Any]:
    """A reply as JSON-ready data: what is kept until it has been sent."""
    messages = [{"kind": _NAMES[type(m)], **dataclasses.asdict(m)} for m in reply.messages]
    return {"locale": reply.locale, "messages": messages}


def reply_from_document(document: Mapping[str, Any], kept: int | None = None) -> Reply:
    """The reply :func:`reply_document` kept."""
    messages: list[Outbound] = []
    for data in document["messages"]:
        fields = {k: v for k, v in data.items() if k != "kind"}
        kind = _KINDS[data["kind"]]
        if kind is Choice:
            fields["options"] = tuple(Option(**o) for o in fields["options"])
        if kind is RequestFile:
            fields["accept"] = tuple(fields["accept"])
        messages.append(kind(**fields))
    return Reply(str(document["locale"]), tuple(messages), kept)
