"""The WhatsApp channel on the Cloud API: signed webhooks in, Graph API ``/messages`` out.

Every inbound message becomes one core :class:`~handlers.messages.Update` (its WhatsApp message
id is the delivery id, so a re-delivered webhook has no second effect, and the sender's number,
which WhatsApp vouches for, can link the person's other messengers). Replies are rendered within
WhatsApp's limits: up to three short options as reply buttons, up to ten as a list, more as
paged lists, always answerable by typing the option's number. Documents and images stream from
the media URL into the object store. Proactive messages go as free text inside the 24-hour
customer-service window and as approved templates outside it. Status webhooks (sent, delivered,
read, failed) are recorded against the message they report on.

Why not pywa: its webhook side runs on Flask or FastAPI (ours is the aiohttp server Telegram
already uses), it fixes the Graph API host (``WHATSAPP_API_BASE`` would mean patching a private
attribute), and it brings a second HTTP stack (httpx); the bot needs four Graph API calls.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from bot.channels import WHATSAPP, Route
from bot.channels.common import (
    RetryLater,
    SendFailed,
    Unreachable,
    coalesce,
    command_of,
    document_problem,
    page_of,
    shorten,
    split_text,
)
from bot.channels.pacing import Pacer, pacer_for
from bot.channels.replies import ReplyQueue
from bot.config import Settings
from bot.metrics import Metrics
from domain.notices import Notice
from domain.ports import ObjectStore, ObjectStoreError, Translator, UnitOfWorkFactory
from handlers.conversation import Conversation
from handlers.messages import (
    Choice,
    ContactIn,
    FileIn,
    Inbound,
    Option,
    OptionIn,
    Outbound,
    Reply,
    RequestContact,
    ResumeIn,
    SendFile,
    TextIn,
    Unreadable,
    UnreadableIn,
    Update,
)

CHANNEL = WHATSAPP
WEBHOOK_PATH = "/webhook/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
GRAPH_API = "https://graph.facebook.com"
TEXT_LIMIT = 4096
BODY_LIMIT = 1024
"""An interactive message's body."""
BUTTONS = 3
BUTTON_TITLE = 20
LIST_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
ID_LIMIT = 200
PAGE_SIZE = 8
"""Options on one page of a long list (with ◀ and ▶ rows: ten in all)."""
WINDOW = timedelta(hours=24)
"""WhatsApp's customer-service window: free-form messages only this long after the person
last wrote; afterwards only approved templates."""
CONTACT_SELF = "contact:self"
REMEMBERED_PAGES = 10_000
"""Chats whose list page is remembered (the oldest forgotten first)."""
INDONESIA = "62"
"""The country code of the numbers APL-01 takes as a mobile number (scheme/apl01.phone)."""
RETRIES = 4
REPLY_PATIENCE = 600.0
"""Seconds a reply's message is tried for while WhatsApp refuses it for a reason that passes."""
DOWNLOAD_CHUNK = 256 * 1024
RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}
UNDELIVERABLE_CODES = {131026}
OUTSIDE_WINDOW_CODES = {131047}

log = logging.getLogger(__name__)


class GraphError(Exception):
    """The Graph API refused a request (its error code says why)."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


@dataclass(frozen=True, slots=True)
class Interactive:
    """What a WhatsApp interactive message carries besides its body."""

    content: dict[str, Any]


def _title(label: str, limit: int) -> str:
    return shorten(label, limit)


def option_id(option: Option, number: int) -> str:
    """The option's id when WhatsApp takes it, else its number (which the core also accepts)."""
    if len(option.id) <= ID_LIMIT and not option.id.startswith(("pg:", "n:", "contact:")):
        return option.id
    return f"n:{number}"


def interactive(
    options: Sequence[Option], page: int, words: Callable[[str], str]
) -> dict[str, Any]:
    """Reply buttons for up to three options whose labels stay distinct when shortened to a
    button's 20 characters (issue 16: two-option steps came as lists); else a list (paged
    past ten)."""
    labels = [_title(o.label, BUTTON_TITLE) for o in options]
    if len(options) <= BUTTONS and len(set(labels)) == len(labels):
        buttons = [
            {"type": "reply", "reply": {"id": option_id(o, n), "title": label}}
            for n, (o, label) in enumerate(zip(options, labels, strict=True), 1)
        ]
        return {"type": "button", "action": {"buttons": buttons}}
    numbered = list(enumerate(options, 1))
    nav: list[dict[str, str]] = []
    if len(options) > LIST_ROWS:
        numbered, page, pages = page_of(options, page, PAGE_SIZE)
        if page > 0:
            nav.append({"id": f"pg:{page - 1}", "title": words("whatsapp.previous")})
        if page < pages - 1:
            nav.append({"id": f"pg:{page + 1}", "title": words("whatsapp.next")})
    rows = []
    for n, option in numbered:
        row = {"id": option_id(option, n), "title": _title(f"{n}. {option.label}", ROW_TITLE)}
        if len(row["title"]) < len(f"{n}. {option.label}"):
            row["description"] = _title(option.label, ROW_DESCRIPTION)
        rows.append(row)
    return {
        "type": "list",
        "footer": {"text": _title(words("whatsapp.type_number"), 60)},
        "action": {
            "button": _title(words("whatsapp.choose"), BUTTON_TITLE),
            "sections": [{"rows": rows + nav}],
        },
    }


class GraphClient:
    """The four Graph API calls the bot makes, with retries where retrying helps. A rate
    limit is never retried here: the caller paces, counts and waits it out (the rate budget)."""

    def __init__(
        self,
        settings: Settings,
        *,
        retry_delays: Sequence[float] = (0.5, 1.0, 2.0),
    ) -> None:
        wa = settings.whatsapp
        assert wa.token is not None, "WhatsApp needs WHATSAPP_TOKEN"
        assert wa.phone_id is not None, "WhatsApp needs WHATSAPP_PHONE_ID"
        self._base = f"{str(wa.api_base or GRAPH_API).rstrip('/')}/{wa.api_version}"
        self._phone_id = wa.phone_id
        self._headers = {"Authorization": f"Bearer {wa.token.get_secret_value()}"}
        self._retry_delays = tuple(retry_delays)
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                headers=self._headers,
                json_serialize=lambda value: orjson.dumps(value).decode(),
                timeout=aiohttp.ClientTimeout(total=60),
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def send(self, to: str, kind: str, content: dict[str, Any]) -> str:
        """POST ``/messages``; the WhatsApp message id (``wamid.…``)."""
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": kind,
            kind: content,
        }
        answer = await self._call("POST", f"{self._base}/{self._phone_id}/messages", body)
        return str(answer["messages"][0]["id"])

    async def mark_read(self, message_id: str) -> None:
        """The person's message shown as read, with "typing…" while the reply is made (the
        spec's "Send typing indicator and read receipt")."""
        body = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": message_id,
            "typing_indicator": {"type": "text"},
        }
        await self._call("POST", f"{self._base}/{self._phone_id}/messages", body)

    async def media(self, media_id: str) -> dict[str, Any]:
        """``GET /{media-id}``: the download URL, type and size of an inbound file."""
        return await self._call("GET", f"{self._base}/{media_id}", None)

    async def upload(
        self, chunks: Callable[[], AsyncIterator[bytes]], file_name: str, mime_type: str
    ) -> str:
        """``POST /{phone-number-id}/media`` as multipart form data, the file streamed from
        ``chunks`` (opened afresh for each try); the media id to send it by."""
        url = f"{self._base}/{self._phone_id}/media"
        for attempt in range(RETRIES):
            form = aiohttp.FormData()
            form.add_field("messaging_product", "whatsapp")
            form.add_field("type", mime_type)
            form.add_field("file", chunks(), filename=file_name, content_type=mime_type)
            try:
                async with self._session().post(url, data=form) as response:
                    answer = await response.json(loads=orjson.loads, content_type=None)
                    if response.status == 200:
                        return str(answer["id"])
                    error = answer.get("error", {}) if isinstance(answer, dict) else {}
                    failure = GraphError(
                        response.status, error.get("code"), error.get("message", "")
                    )
            except (aiohttp.ClientError, TimeoutError) as network:
                failure = GraphError(0, None, str(network))
            if failure.status and failure.status < 500:
                raise failure
            log.warning("whatsapp media upload failed; retrying", extra={"attempt": attempt})
            await asyncio.sleep(self._retry_delays[min(attempt, len(self._retry_delays) - 1)])
        raise GraphError(0, None, "media upload: gave up after retries")

    async def download(self, url: str) -> AsyncIterator[bytes]:
        async with self._session().get(url) as response:
            if response.status != 200:
                raise GraphError(response.status, None, "media download failed")
            async for chunk in response.content.iter_chunked(DOWNLOAD_CHUNK):
                yield chunk

    async def _call(self, method: str, url: str, body: dict[str, Any] | None) -> dict[str, Any]:
        for attempt in range(RETRIES):
            delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
            try:
                async with self._session().request(method, url, json=body) as response:
                    answer = await response.json(loads=orjson.loads, content_type=None)
                    if response.status == 200:
                        return dict(answer)
                    error = answer.get("error", {}) if isinstance(answer, dict) else {}
                    failure = GraphError(
                        response.status, error.get("code"), error.get("message", "")
                    )
            except (aiohttp.ClientError, TimeoutError) as network:
                log.warning("whatsapp call failed; retrying", extra={"attempt": attempt})
                if attempt == RETRIES - 1:
                    raise GraphError(0, None, str(network)) from network
                await asyncio.sleep(delay)
                continue
            if failure.status >= 500 and failure.code not in RATE_LIMIT_CODES:
                await asyncio.sleep(delay)
            else:
                raise failure
        raise GraphError(0, None, "gave up after retries")


class WhatsAppChannel:
    """Webhook handlers, rendering, and proactive messages for one WhatsApp number (a
    :class:`~bot.channels.Channel`)."""

    name = CHANNEL

    def __init__(
        self,
        conversation: Conversation,
        translator: Translator,
        uow_factory: UnitOfWorkFactory,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry_delays: Sequence[float] = (0.5, 1.0, 2.0),
        objects: ObjectStore | None = None,
        metrics: Metrics | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        wa = settings.whatsapp
        self.objects = objects
        self.metrics = metrics or Metrics()
        self.pacer = pacer or pacer_for(settings)
        self.replies = ReplyQueue(CHANNEL, uow_factory, self.render)
        self.metrics.watch_replies(CHANNEL, self.replies)
        assert wa.app_secret is not None, "WhatsApp needs WHATSAPP_APP_SECRET"
        assert wa.verify_token is not None, "WhatsApp needs WHATSAPP_VERIFY_TOKEN"
        self.conversation = conversation
        self.translator = translator
        self.uow_factory = uow_factory
        self.graph = GraphClient(settings, retry_delays=retry_delays)
        self._retry_delays = tuple(retry_delays)
        self._app_secret = wa.app_secret.get_secret_value().encode()
        self._verify_token = wa.verify_token.get_secret_value()
        self._phone_id = wa.phone_id
        self._templates = dict(wa.templates)
        self._clock = clock
        self._receipts: set[asyncio.Task[None]] = set()
        self._pages: OrderedDict[str, tuple[frozenset[str], int]] = OrderedDict()
        """Per chat, the options of the list last sent and its page: the same list sent again
        (a tick in a picker) stays on that page (issue 16: it jumped back to the first)."""

    def routes(self) -> list[Route]:
        return [("GET", WEBHOOK_PATH, self.verify), ("POST", WEBHOOK_PATH, self.webhook)]

    async def serve(self, stop: asyncio.Event) -> None:
        await stop.wait()  # it only answers its webhook

    def sender(self) -> WhatsAppSender:
        return WhatsAppSender(self)

    async def receipts_sent(self) -> None:
        """Every read receipt started so far has been answered (or has failed)."""
        await asyncio.gather(*self._receipts, return_exceptions=True)

    async def close(self) -> None:
        await self.receipts_sent()
        await self.replies.close()
        await self.graph.close()

    def _mark_read(self, message_id: str) -> None:
        """Read receipts go beside the reply, never before it (issue 16: messages were never
        marked as read); one that fails is only logged."""

        async def mark() -> None:
            try:
                await self.graph.mark_read(message_id)
            except GraphError as error:
                log.info("whatsapp read receipt refused", extra={"error": str(error)})

        task = asyncio.create_task(mark())
        self._receipts.add(task)
        task.add_done_callback(self._receipts.discard)

    # --- webhooks ----------------------------------------------------------------------------

    async def verify(self, request: web.Request) -> web.Response:
        """``GET /webhook/whatsapp``: Meta's subscription check echoes ``hub.challenge``."""
        query = request.query
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            query.get("hub.verify_token", "").encode(), self._verify_token.encode()
        ):
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403, text="forbidden")

    def signed(self, body: bytes, header: str) -> bool:
        """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, app secret>``."""
        expected = "sha256=" + hmac.new(self._app_secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(header.encode(), expected.encode())

    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /webhook/whatsapp``: the signature is checked before the body is parsed."""
        body = await request.read()
        if not self.signed(body, request.headers.get(SIGNATURE_HEADER, "")):
            return web.Response(status=403, text="forbidden")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return web.Response(status=400, text="bad request")
        for value in _values(payload):
            metadata = value.get("metadata") or {}
            if self._phone_id and str(metadata.get("phone_number_id")) != self._phone_id:
                continue  # another number of the same business account
            names = {
                str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                for c in value.get("contacts") or []
            }
            for message in value.get("messages") or []:
                await self._on_message(message, names.get(str(message.get("from"))))
            for status in value.get("statuses") or []:
                await self._on_status(status)
        return web.json_response({})

    async def _on_message(self, message: dict[str, Any], name: str | None) -> None:
        wa_id = str(message.get("from", ""))
        message_id = message.get("id")
        if not wa_id.isdigit() or not isinstance(message_id, str):
            log.warning("whatsapp message without sender or id ignored")
            return
        hint = "id" if wa_id.startswith(INDONESIA) else "en"
        self._mark_read(message_id)
        kind = message.get("type")
        if kind == "interactive":
            reply = message.get("interactive") or {}
            chosen = reply.get("button_reply") or reply.get("list_reply") or {}
            picked = str(chosen.get("id", ""))
            if picked.startswith("pg:") and picked[3:].isdigit():
                await self._turn_page(wa_id, int(picked[3:]), message_id)
                return
        event = await self._inbound(wa_id, message)
        reply = await self.conversation.handle(
            Update(
                CHANNEL,
                wa_id,
                event,
                delivery_id=message_id,
                language_hint=hint,
                display_name=name,
                verified_phone=f"+{wa_id}",
                keep_reply=True,
            )
        )
        await self.replies.send(wa_id, lambda: self.render(wa_id, reply), reply.kept)

    async def _inbound(self, wa_id: str, message: dict[str, Any]) -> Inbound:
        """What the message says; a kind the bot does not read (a sticker, a location) goes
        to the conversation too, to be answered in the person's language and once per
        delivery (issue 16: it followed the number's country, and a re-delivery was answered
        again)."""
        kind = message.get("type")
        if kind == "text":
            text = str((message.get("text") or {}).get("body", ""))
            return command_of(text) or TextIn(text)
        if kind == "interactive":
            reply = message.get("interactive") or {}
            chosen = reply.get("button_reply") or reply.get("list_reply") or {}
            picked = str(chosen.get("id", ""))
            if picked == CONTACT_SELF:
                return ContactIn(f"+{wa_id}")  # the sender's own number, vouched for by WhatsApp
            if picked.startswith("n:"):
                return TextIn(picked[2:])
            return OptionIn(picked)
        if kind == "button":  # a quick-reply button of a template
            return TextIn(str((message.get("button") or {}).get("text", "")))
        if kind in {"document", "image"}:
            media = message.get(kind) or {}
            return await self._file(media, is_photo=kind == "image")
        return UnreadableIn(Unreadable.KIND)

    async def _file(self, media: dict[str, Any], *, is_photo: bool) -> Inbound:
        """Ask the Graph API where the file is and how large; its bytes stream only when the
        core takes it (after the size check)."""
        media_id = str(media.get("id", ""))
        try:
            info = await self.graph.media(media_id)
        except GraphError as error:  # said to the person, not only logged (issue 16)
            log.warning("whatsapp media lookup failed", extra={"error": str(error)})
            return UnreadableIn(Unreadable.MEDIA_GONE)
        url = str(info.get("url", ""))
        size = info.get("file_size")
        return FileIn(
            open=functools.partial(self.graph.download, url),
            file_name=media.get("filename"),  # a photo has none: numbered when stored
            mime_type=media.get("mime_type") or info.get("mime_type"),
            size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
            is_photo=is_photo,
        )

    async def _turn_page(self, wa_id: str, page: int, message_id: str) -> None:
        """Another page of the current step's options (WhatsApp cannot edit a sent list)."""
        reply = await self.conversation.handle(
            Update(CHANNEL, wa_id, ResumeIn(), delivery_id=message_id)
        )
        choices = [m for m in reply.messages if isinstance(m, Choice)]
        if choices:
            await self._send_choice(wa_id, choices[-1], reply.locale, page)

    async def _on_status(self, status: dict[str, Any]) -> None:
        platform_id, state = status.get("id"), status.get("status")
        if not isinstance(platform_id, str) or state not in {"sent", "delivered", "read", "failed"}:
            return
        errors = status.get("errors") or []
        error = "; ".join(f"{e.get('code')} {e.get('title', '')}".strip() for e in errors) or None
        stamp = str(status.get("timestamp", ""))
        at = datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else self._clock()
        async with self.uow_factory() as uow:
            known = await uow.messages.update_status(CHANNEL, platform_id, state, at, error)
            if state == "failed" and any(e.get("code") in UNDELIVERABLE_CODES for e in errors):
                await uow.conversations.mark_unreachable(CHANNEL, str(status.get("recipient_id")))
            await uow.commit()
        if not known:
            log.info("status for a message that is not ours", extra={"channel": CHANNEL})

    # --- outbound ----------------------------------------------------------------------------

    async def render(self, wa_id: str, reply: Reply) -> None:
        shape = functools.partial(self._shape, locale=reply.locale, wa_id=wa_id)
        for body, markup in coalesce(reply, shape, TEXT_LIMIT):
            if isinstance(markup, SendFile):
                sent = await self._send_document(wa_id, markup, reply.locale)
            elif isinstance(markup, Choice):
                sent = await self._send_choice(wa_id, markup, reply.locale, body=body)
            elif isinstance(markup, Interactive):
                sent = await self._send_interactive(wa_id, body, markup.content)
            else:
                sent = await self._send_text(wa_id, body)
            if not sent:
                return

    def _shape(
        self, message: Outbound, locale: str, wa_id: str = ""
    ) -> tuple[str, Choice | Interactive | SendFile | None]:
        if isinstance(message, Choice):
            return message.body, message
        if isinstance(message, RequestContact) and not wa_id.startswith(INDONESIA):
            # APL-01 takes an Indonesian mobile number (issue 16: "Pakai nomor ini" was offered
            # to a foreign number, then refused): it is typed instead
            return self.translator.translate(locale, "whatsapp.type_mobile"), None
        if isinstance(message, RequestContact):
            label = self.translator.translate(locale, "whatsapp.use_my_number")
            button = {"type": "reply", "reply": {"id": CONTACT_SELF, "title": label}}
            return message.body, Interactive({"type": "button", "action": {"buttons": [button]}})
        if isinstance(message, SendFile):
            return message.caption or message.file_name, message
        return message.body, None

    async def _send_document(self, wa_id: str, document: SendFile, locale: str) -> bool:
        """A stored document: uploaded to WhatsApp's media store, streamed from ours (never
        whole in memory), then sent by its media id. Only steps that checked who may see it
        ever produce one."""
        objects = self.objects
        problem = await document_problem(objects, document, CHANNEL, self.uow_factory)
        if problem is not None or objects is None:
            text = self.translator.translate(
                locale, problem or "store.open_unavailable", name=document.file_name
            )
            return await self._send_text(wa_id, text)
        try:
            media_id = await self.graph.upload(
                lambda: objects.get(document.object_key), document.file_name, document.mime_type
            )
        except (GraphError, ObjectStoreError) as error:
            log.error("whatsapp document upload failed", extra={"error": str(error)})
            return await self._send_text(
                wa_id, self.translator.translate(locale, "store.unavailable")
            )
        content = {"id": media_id, "filename": document.file_name}
        if document.caption:
            content["caption"] = document.caption
        return await self._send(wa_id, "document", content)

    async def _send_choice(
        self,
        wa_id: str,
        message: Choice,
        locale: str,
        page: int | None = None,
        body: str | None = None,
    ) -> bool:
        """A list's ``page``; by default the page this chat was on when the list is the one
        it saw last, else the first."""
        ids = frozenset(o.id for o in message.options)
        seen, seen_page = self._pages.pop(wa_id, (frozenset(), 0))
        if page is None:
            page = seen_page if seen == ids else 0
        self._pages[wa_id] = (ids, page)
        while len(self._pages) > REMEMBERED_PAGES:
            self._pages.popitem(last=False)
        words = functools.partial(self.translator.translate, locale)
        content = interactive(
            message.options, page, lambda key: words(key, count=len(message.options))
        )
        return await self._send_interactive(wa_id, body or message.body, content)

    async def _send_interactive(self, wa_id: str, body: str, content: dict[str, Any]) -> bool:
        """The body goes in the interactive message (at most 1024 characters): what does not
        fit is sent as text before it."""
        parts = split_text(body, BODY_LIMIT)
        for head in split_text("\n".join(parts[:-1]), TEXT_LIMIT) if len(parts) > 1 else []:
            if not await self._send_text(wa_id, head):
                return False
        return await self._send(wa_id, "interactive", {**content, "body": {"text": parts[-1]}})

    async def _send_text(self, wa_id: str, text: str) -> bool:
        for part in split_text(text, TEXT_LIMIT):
            if not await self._send(wa_id, "text", {"body": part, "preview_url": False}):
                return False
        return True

    async def _send(
        self, wa_id: str, kind: str, content: dict[str, Any], note: str = "reply"
    ) -> bool:
        """One message of a reply. A refusal that may pass (a rate limit, WhatsApp or the
        network down) is tried again for up to ``REPLY_PATIENCE`` seconds: the change the reply
        reports is already saved. What fails in the end is logged with its chat."""
        deadline = time.monotonic() + REPLY_PATIENCE
        wait = self._retry_delays[-1]
        while True:
            try:
                await self.pacer.reply_turn(CHANNEL, wa_id)
                platform_id = await self.graph.send(wa_id, kind, content)
                break
            except GraphError as error:
                undeliverable = error.code in UNDELIVERABLE_CODES
                if undeliverable:
                    await self._mark_unreachable(wa_id)
                limited = error.code in RATE_LIMIT_CODES or error.status == 429
                passing = not undeliverable and (
                    limited or error.status in {0} or error.status >= 500
                )
                if limited:
                    self.metrics.refusals.labels(CHANNEL, "reply").inc()
                    await self.pacer.refused(CHANNEL, wa_id, wait)
                if not passing or time.monotonic() + wait > deadline:
                    self.metrics.replies_failed.labels(CHANNEL).inc()
                    log.error(
                        "whatsapp send failed",
                        extra={"channel": CHANNEL, "code": error.code, "chat": wa_id},
                    )
                    return False
                log.warning("whatsapp reply waits", extra={"code": error.code, "seconds": wait})
                if not limited:  # a refusal's pause is the pacer's: the next turn waits it out
                    await asyncio.sleep(wait)
                wait = min(wait * 2, 30.0)
        await self._record(platform_id, wa_id, note)
        return True

    async def _mark_unreachable(self, wa_id: str) -> None:
        async with self.uow_factory() as uow:
            await uow.conversations.mark_unreachable(CHANNEL, wa_id)
            await uow.commit()

    # --- proactive messages ------------------------------------------------------------------

    async def notify(self, wa_id: str, locale: str, zone: str, notice: Notice) -> str:
        """Free text inside the 24-hour window, the approved template outside it (or when
        WhatsApp says the window has closed after all); the WhatsApp message id. Raises
        :class:`GraphError` when WhatsApp refuses it."""
        async with self.uow_factory() as uow:
            last = await uow.conversations.last_inbound_at(CHANNEL, wa_id)
        note = f"notice:{notice.kind}"
        if last is not None and self._clock() - last < WINDOW:
            text = notice.text(self.translator, locale, zone)
            try:
                platform_id = await self.graph.send(wa_id, "text", {"body": text})
            except GraphError as error:
                if error.code not in OUTSIDE_WINDOW_CODES:
                    raise
            else:
                await self._record(platform_id, wa_id, note)
                return platform_id
        values = notice.ordered(self.translator, locale, zone)
        template = {
            "name": self._templates.get(notice.kind, f"asesorbot_{notice.kind}"),
            "language": {"policy": "deterministic", "code": locale},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}
            ],
        }
        platform_id = await self.graph.send(wa_id, "template", template)
        await self._record(platform_id, wa_id, note)
        return platform_id

    async def _record(self, platform_id: str, wa_id: str, note: str) -> None:
        async with self.uow_factory() as uow:
            await uow.messages.record(CHANNEL, platform_id, wa_id, note, self._clock())
            await uow.commit()


def _values(payload: Any) -> list[dict[str, Any]]:
    """The ``value`` of every ``messages`` change in a webhook payload."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return []
    return [
        change["value"]
        for entry in payload.get("entry") or []
        if isinstance(entry, dict)
        for change in entry.get("changes") or []
        if isinstance(change, dict)
        and change.get("field") == "messages"
        and isinstance(change.get("value"), dict)
    ]


class WhatsAppSender:
    """Free text inside the 24-hour window, the approved template outside it."""

    def __init__(self, channel: WhatsAppChannel) -> None:
        self._channel = channel

    def parts(self, locale: str, zone: str, notice: Notice) -> int:
        return 1  # a text fits WhatsApp's 4096; a template is one message

    async def send(
        self, external_id: str, locale: str, zone: str, notice: Notice, part: int
    ) -> str:
        try:
            return await self._channel.notify(external_id, locale, zone, notice)
        except GraphError as error:
            if error.code in UNDELIVERABLE_CODES:
                raise Unreachable(str(error)) from error
            if error.code in RATE_LIMIT_CODES or error.status == 429:
                raise RetryLater(5.0) from error
            raise SendFailed(
                str(error), transient=error.status in {0, 429} or error.status >= 500
            ) from error

    async def close(self) -> None:
        return None  # the channel's Graph client is closed with the channel
