"""A fake WhatsApp Cloud API (Graph API) server that checks every request against the real spec.

``POST /{version}/{phone-id}/messages`` bodies are validated against the message schema of
``tests/fakes/specs/whatsapp-cloud-api`` that their ``type`` names, plus the limits the spec leaves
out (a list has at most 10 rows in all its sections; reply-button titles are unique, at most 20
characters). Media: ``GET /{version}/{media-id}`` answers the media URL, which serves the bytes
to a request with the token; ``POST /{version}/{phone-id}/media`` takes an upload (multipart
form data). Every call is recorded; a test asserts that ``violations`` is empty.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes.openapi import problems

VERSION = "v23.0"
MESSAGE_SCHEMAS = {
    "text": "TextMessage",
    "interactive": "InteractiveMessage",
    "template": "TemplateMessage",
    "document": "DocumentMessage",
    "image": "ImageMessage",
}


@dataclass
class Sent:
    to: str
    body: dict[str, Any]
    message_id: str


@dataclass
class Media:
    data: bytes
    mime_type: str


@dataclass
class FakeGraphApi:
    token: str
    phone_id: str
    sent: list[Sent] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)
    downloads: int = 0
    read: list[str] = field(default_factory=list)
    """Message ids marked as read."""
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)
    """(file name, type, bytes) of every file uploaded to ``/{phone-id}/media``."""
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """(HTTP status, Graph error object): how the next ``/messages`` calls fail."""
    base_url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/{version}/{phone_id}/messages", self._messages)
        app.router.add_post("/{version}/{phone_id}/media", self._upload)
        app.router.add_get("/{version}/{media_id}", self._media_info)
        app.router.add_get("/files/{media_id}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_media(self, media_id: str, data: bytes, mime_type: str) -> None:
        self.media[media_id] = Media(data, mime_type)

    def to(self, wa_id: str) -> list[dict[str, Any]]:
        """Every message body sent to ``wa_id``, oldest first."""
        return [s.body for s in self.sent if s.to == wa_id]

    # --- the server --------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        if request.headers.get("Authorization") == f"Bearer {self.token}":
            return True
        self.violations.append(f"{request.path}: missing or wrong bearer token")
        return False

    async def _messages(self, request: web.Request) -> web.Response:
        self.calls.append("messages")
        if not self._authorised(request):
            return _error(401, 190, "Invalid OAuth access token.")
        if request.match_info["version"] != VERSION:
            self.violations.append(f"messages: version {request.match_info['version']}")
        if request.match_info["phone_id"] != self.phone_id:
            self.violations.append(f"messages: phone id {request.match_info['phone_id']}")
        body = await request.json()
        if isinstance(body, dict) and body.get("status") == "read":
            return self._read_receipt(body)
        self._check(body)
        if self.fail_next:
            status, error = self.fail_next.pop(0)
            return web.json_response({"error": error}, status=status)
        message_id = f"wamid.FAKE{next(self._ids):08d}"
        self.sent.append(Sent(str(body.get("to")), body, message_id))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                "messages": [{"id": message_id}],
            }
        )

    def _read_receipt(self, body: dict[str, Any]) -> web.Response:
        """The spec's "Send typing indicator and read receipt": exactly its fields."""
        expected = {"messaging_product", "status", "message_id", "typing_indicator"}
        if set(body) - expected or body.get("messaging_product") != "whatsapp":
            self.violations.append(f"read receipt: fields {sorted(body)}")
        if not str(body.get("message_id", "")).startswith("wamid."):
            self.violations.append("read receipt: not a message id")
        if body.get("typing_indicator", {"type": "text"}) != {"type": "text"}:
            self.violations.append("read receipt: typing indicator")
        self.read.append(str(body.get("message_id")))
        return web.json_response({"success": True})

    def _check(self, body: Any) -> None:
        kind = body.get("type") if isinstance(body, dict) else None
        schema = MESSAGE_SCHEMAS.get(str(kind))
        if schema is None:
            self.violations.append(f"messages: unexpected type {kind!r}")
            return
        self.violations += [f"messages ({kind}): {p}" for p in problems(schema, body)]
        if kind == "interactive":
            self.violations += [f"messages (interactive): {p}" for p in _limits(body)]

    async def _upload(self, request: web.Request) -> web.Response:
        """Multipart form data as the spec's ``uploadImage`` takes it: ``messaging_product``,
        ``type`` and the ``file`` part with its name and content type."""
        self.calls.append("upload")
        if not self._authorised(request):
            return _error(401, 190, "Invalid OAuth access token.")
        if not request.content_type.startswith("multipart/form-data"):
            self.violations.append(f"media: content type {request.content_type}")
            return _error(400, 100, "Invalid parameter")
        fields: dict[str, str] = {}
        upload: tuple[str, str, bytes] | None = None
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file":
                mime = part.headers.get("Content-Type", "")
                upload = (part.filename or "", mime, bytes(await part.read()))
            else:
                fields[str(part.name)] = await part.text()
        if fields.get("messaging_product") != "whatsapp":
            self.violations.append(f"media: messaging_product {fields.get('messaging_product')!r}")
        if upload is None or not upload[0] or not upload[1]:
            self.violations.append("media: no file part with a name and a content type")
            return _error(400, 100, "Invalid parameter")
        if fields.get("type") != upload[1]:
            self.violations.append(f"media: type {fields.get('type')!r} is not the file's")
        self.uploads.append(upload)
        media_id = f"{next(self._ids) + 9_000_000}"
        self.media[media_id] = Media(upload[2], upload[1])
        return web.json_response({"id": media_id})

    async def _media_info(self, request: web.Request) -> web.Response:
        self.calls.append("media")
        if not self._authorised(request):
            return _error(401, 190, "Invalid OAuth access token.")
        media_id = request.match_info["media_id"]
        media = self.media.get(media_id)
        if media is None:
            return _error(400, 100, "Unsupported get request.")
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/files/{media_id}",
                "mime_type": media.mime_type,
                "sha256": "0" * 64,
                "file_size": len(media.data),
                "id": media_id,
            }
        )

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            return web.Response(status=401)
        media = self.media.get(request.match_info["media_id"])
        if media is None:
            return web.Response(status=404)
        self.downloads += 1
        response = web.StreamResponse(headers={"Content-Type": media.mime_type})
        await response.prepare(request)
        for start in range(0, len(media.data), 64 * 1024):
            await response.write(media.data[start : start + 64 * 1024])
        await response.write_eof()
        return response


def _limits(body: dict[str, Any]) -> list[str]:
    """The interactive-message limits the spec does not carry."""
    interactive = body.get("interactive", {})
    action = interactive.get("action", {})
    found = []
    if interactive.get("type") == "list":
        rows = [row for section in action.get("sections", []) for row in section.get("rows", [])]
        if len(rows) > 10:
            found.append(f"a list message has {len(rows)} rows (at most 10)")
        if len({row.get("id") for row in rows}) != len(rows):
            found.append("list row ids are not unique")
        if len(action.get("sections", [])) > 1 and not all(
            s.get("title") for s in action["sections"]
        ):
            found.append("a list with several sections needs a title on each")
    if interactive.get("type") == "button":
        titles = [b.get("reply", {}).get("title", "") for b in action.get("buttons", [])]
        if any(not 1 <= len(t) <= 20 for t in titles):
            found.append(f"reply button titles must be 1-20 characters: {titles}")
        if len(set(titles)) != len(titles):
            found.append(f"reply button titles must be unique: {titles}")
    return found


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "OAuthException", "code": code}}, status=status
    )
