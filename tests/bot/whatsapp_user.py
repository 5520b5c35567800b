"""A WhatsApp user for tests: builds webhook payloads shaped like Meta's (checked against the
spec's ``WebhookPayload`` schema), signs them, and reads the bot's answers from the fake Graph
API."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.openapi import problems, webhook_example_fields
from tests.fakes.whatsapp import FakeGraphApi

Post = Callable[[bytes, dict[str, str]], Awaitable[int]]
WABA_ID = "102290129340398"


DOCUMENT_FIELDS = {"id", "mime_type", "sha256", "filename", "caption"}
"""The spec has no document example: an image's fields and the file name."""


def _unlike_examples(message: dict[str, Any]) -> list[str]:
    examples = webhook_example_fields()
    kind = message.get("type", "")
    known = examples.get("image" if kind == "document" else kind)
    if known is None:
        return [f"message type {kind!r} is in no example of the spec"]
    found = [f"message field {f!r}" for f in sorted(set(message) - known[""] - {kind})]
    content = message.get(kind)
    allowed = DOCUMENT_FIELDS if kind == "document" else known.get(kind, set())
    if isinstance(content, dict):
        found += [f"{kind} field {f!r}" for f in sorted(set(content) - allowed)]
    if kind == "interactive" and isinstance(content, dict):
        schema = {
            "list_reply": "InteractiveListReplyContent",
            "button_reply": "InteractiveButtonReplyContent",
        }.get(content.get("type", ""))
        found += problems(schema, content) if schema else ["interactive type"]
    return found


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WhatsAppUser:
    compresses_photos = True
    _ids = itertools.count(1)

    def __init__(
        self,
        api: FakeGraphApi,
        post: Post,
        app_secret: str,
        wa_id: str = "6281234567890",
        name: str = "Siti",
    ) -> None:
        self.api = api
        self.post = post
        self.app_secret = app_secret
        self.wa_id = wa_id
        self.name = name
        self._seen = 0
        self.last_body = b""

    def payload(self, value: dict[str, Any]) -> dict[str, Any]:
        body = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": WABA_ID,
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550783881",
                                    "phone_number_id": self.api.phone_id,
                                },
                                **value,
                            },
                        }
                    ],
                }
            ],
        }
        envelope = copy.deepcopy(body)
        value = envelope["entry"][0]["changes"][0]["value"]
        messages = value.get("messages", [])
        if "messages" in value:
            value["messages"] = []
        found = problems("WebhookPayload", envelope) + [
            problem for message in messages for problem in _unlike_examples(message)
        ]
        assert found == [], f"the test's payload is not shaped like Meta's: {found}"
        return body

    def message(self, kind: str, **content: Any) -> dict[str, Any]:
        return self.payload(
            {
                "contacts": [{"profile": {"name": self.name}, "wa_id": self.wa_id}],
                "messages": [
                    {
                        "from": self.wa_id,
                        "id": f"wamid.IN{next(self._ids):010d}",
                        "timestamp": str(int(time.time())),
                        "type": kind,
                        **content,
                    }
                ],
            }
        )

    async def send(self, payload: dict[str, Any], *, signature: str | None = "") -> int:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "":
            headers["X-Hub-Signature-256"] = sign(body, self.app_secret)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        self._seen = len(self.api.sent)
        self.last_body = body
        return await self.post(body, headers)

    async def deliver(self, payload: dict[str, Any]) -> None:
        assert await self.send(payload) == 200

    async def again(self) -> None:
        """Meta delivers the same webhook once more (no 200 in time)."""
        self._seen = len(self.api.sent)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(self.last_body, self.app_secret),
        }
        assert await self.post(self.last_body, headers) == 200

    async def text(self, text: str) -> None:
        await self.deliver(self.message("text", text={"body": text}))

    async def press(self, reply_id: str) -> None:
        """A reply button or a list row, whichever the last interactive message had."""
        kind = "list_reply" if self.last_interactive().get("type") == "list" else "button_reply"
        chosen = {"id": reply_id, "title": self.title_of(reply_id)}
        if kind == "list_reply":  # the spec requires it; WhatsApp sends the row's, or ""
            chosen["description"] = self.description_of(reply_id)
        await self.deliver(
            self.message(
                "interactive",
                context={"from": "15550783881", "id": "wamid.OUT"},
                interactive={"type": kind, kind: chosen},
            )
        )

    async def document(self, data: bytes, name: str, mime: str = "application/pdf") -> None:
        media_id = f"media{next(self._ids)}"
        self.api.add_media(media_id, data, mime)
        content = {"id": media_id, "mime_type": mime, "sha256": "x", "filename": name}
        await self.deliver(self.message("document", document=content))

    async def photo(self, data: bytes) -> None:
        """An image message (WhatsApp compresses it, like a Telegram photo)."""
        media_id = f"media{next(self._ids)}"
        self.api.add_media(media_id, data, "image/jpeg")
        await self.deliver(
            self.message("image", image={"id": media_id, "mime_type": "image/jpeg", "sha256": "x"})
        )

    async def status(self, message_id: str, status: str, **extra: Any) -> None:
        await self.deliver(
            self.payload(
                {
                    "statuses": [
                        {
                            "id": message_id,
                            "status": status,
                            "timestamp": str(int(time.time())),
                            "recipient_id": self.wa_id,
                            **extra,
                        }
                    ]
                }
            )
        )

    # --- what the bot said since the last webhook --------------------------------------------

    @property
    def replies(self) -> list[dict[str, Any]]:
        return [s.body for s in self.api.sent[self._seen :] if s.to == self.wa_id]

    @property
    def screen(self) -> str:
        texts = []
        for reply in self.replies:
            if reply["type"] == "text":
                texts.append(reply["text"]["body"])
            elif reply["type"] == "interactive":
                texts.append(reply["interactive"]["body"]["text"])
        return "\n".join(texts)

    def last_interactive(self) -> dict[str, Any]:
        for body in reversed(self.api.to(self.wa_id)):
            if body["type"] == "interactive":
                return dict(body["interactive"])
        return {}

    @property
    def buttons(self) -> list[str]:
        """The ids of the last interactive message's buttons or rows."""
        content = self.last_interactive()
        action = content.get("action", {})
        if content.get("type") == "button":
            return [b["reply"]["id"] for b in action["buttons"]]
        return [row["id"] for section in action.get("sections", []) for row in section["rows"]]

    def description_of(self, reply_id: str) -> str:
        for section in self.last_interactive().get("action", {}).get("sections", []):
            for row in section["rows"]:
                if row["id"] == reply_id:
                    return str(row.get("description", ""))
        return ""

    def title_of(self, reply_id: str) -> str:
        content = self.last_interactive()
        action = content.get("action", {})
        for button in action.get("buttons", []):
            if button["reply"]["id"] == reply_id:
                return str(button["reply"]["title"])
        for section in action.get("sections", []):
            for row in section["rows"]:
                if row["id"] == reply_id:
                    return str(row["title"])
        return reply_id
