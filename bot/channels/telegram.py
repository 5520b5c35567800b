"""The Telegram channel on aiogram 3: updates in, Bot API calls out.

Every update becomes one core :class:`~handlers.messages.Update` (its ``update_id`` is the delivery
id, so a re-delivered update has no second effect); replies become messages with inline keyboards
(paged when long), a contact-request keyboard, or plain text.  Documents and photos stream from
``getFile`` straight into the object store.  Polling for development, webhooks for production.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import aiohttp
import orjson
from aiogram import Bot, Dispatcher, Router, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    User,
)
from aiogram.types import Update as TelegramUpdate
from aiohttp import web
from pydantic import ValidationError

from bot.channels import TELEGRAM, Route
from bot.channels.common import (
    RetryLater,
    SendFailed,
    Unreachable,
    bold_spans,
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
from domain.ports import ObjectStore, Translator, UnitOfWorkFactory
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

CHANNEL = TELEGRAM
WEBHOOK_PATH = "/webhook/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
ALLOWED_UPDATES = ["message", "callback_query"]
MESSAGE_LIMIT = 4096
BUTTON_TEXT = 64
"""Characters of a button's text kept (cut at a word's end, never mid-word)."""
PAGE_SIZE = 8
"""Options shown per page when a choice has more than ``PAGE_SIZE + 2``."""
CALLBACK_LIMIT = 64
JSON_HEADERS = {"Content-Type": "application/json"}
DOWNLOAD_CHUNK = 256 * 1024
RETRIES = 4
REPLY_PATIENCE = 600.0
"""Seconds a reply's message is tried for (429s waited out, network errors backed off)."""
COMMANDS = (
    "start",
    "menu",
    "daftar",
    "status",
    "banding",
    "sertifikat",
    "data",
    "bahasa",
    "batal",
    "help",
)

log = logging.getLogger(__name__)
T = TypeVar("T")


def callback_data(option: Option, index: int) -> str:
    """The option id when it fits in 64 bytes, else its number (which the core also accepts)."""
    if len(option.id.encode()) <= CALLBACK_LIMIT - 2:
        return option.id
    return f"n:{index}"


def keyboard(options: Sequence[Option], page: int, labels: tuple[str, str]) -> InlineKeyboardMarkup:
    """One button a row; more than ``PAGE_SIZE + 2`` options are paged with ◀️ ▶️."""
    if len(options) <= PAGE_SIZE + 2:
        shown, pages = list(enumerate(options, 1)), 1
    else:
        shown, page, pages = page_of(options, page, PAGE_SIZE)
    rows = [
        [
            InlineKeyboardButton(
                text=shorten(option.label, BUTTON_TEXT), callback_data=callback_data(option, n)
            )
        ]
        for n, option in shown
    ]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(InlineKeyboardButton(text=labels[0], callback_data=f"pg:{page - 1}"))
        if page < pages - 1:
            nav.append(InlineKeyboardButton(text=labels[1], callback_data=f"pg:{page + 1}"))
        rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def text_payload(chat_id: int, text: str, markup: Any = None) -> dict[str, Any]:
    """``sendMessage``'s (and ``editMessageText``'s) fields as the JSON the Bot API takes: the
    text, its ``*bold*`` as entities, the keyboard."""
    plain, bold = bold_spans(text)
    payload: dict[str, Any] = {"chat_id": chat_id, "text": plain}
    if bold:
        payload["entities"] = [{"type": "bold", "offset": o, "length": n} for o, n in bold]
    if markup is not None:
        payload["reply_markup"] = markup.model_dump(exclude_none=True)
    return payload


def response_types() -> tuple[type, ...]:
    """aiogram parses each answer with ``Response[T]``, a pydantic generic that pydantic caches
    only while something holds it: unheld, it is rebuilt on every call (~17 ms of CPU each,
    measured with cProfile under load). The channel holds the ones it uses."""
    return tuple(
        Response[method.__returning__]  # type: ignore[name-defined]
        for method in (
            methods.SendMessage,
            methods.SendDocument,
            methods.AnswerCallbackQuery,
            methods.EditMessageReplyMarkup,
            methods.GetFile,
            methods.GetMe,
            methods.GetUpdates,
            methods.SetMyCommands,
            methods.SetWebhook,
            methods.DeleteWebhook,
        )
    )


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class StoredFile(InputFile):
    """A document of the object store as an aiogram upload, read chunk by chunk."""

    def __init__(self, objects: ObjectStore, key: str, file_name: str) -> None:
        super().__init__(filename=file_name)
        self._objects = objects
        self._key = key

    async def read(self, bot: Bot) -> AsyncGenerator[bytes, None]:
        async for chunk in self._objects.get(self._key):
            yield chunk


class TelegramChannel:
    """One bot: the aiogram Dispatcher with its Router, the renderer, and the webhook handler
    (a :class:`~bot.channels.Channel`)."""

    name = CHANNEL

    def __init__(
        self,
        conversation: Conversation,
        translator: Translator,
        uow_factory: UnitOfWorkFactory,
        settings: Settings,
        *,
        retry_delays: Sequence[float] = (0.5, 1.0, 2.0),
        objects: ObjectStore | None = None,
        metrics: Metrics | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.metrics = metrics or Metrics()
        self.pacer = pacer or pacer_for(settings)
        self.replies = ReplyQueue(CHANNEL, uow_factory, self._render_kept)
        self.metrics.watch_replies(CHANNEL, self.replies)
        token = settings.telegram.bot_token
        assert token is not None, "TelegramChannel needs BOT_TOKEN"
        api_base = settings.telegram.api_base
        self.file_limit = settings.telegram.file_limit_mb * 1024 * 1024
        json_options: dict[str, Any] = {"json_loads": orjson.loads, "json_dumps": _dumps}
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(str(api_base)), **json_options)
            if api_base
            else AiohttpSession(**json_options)
        )
        self.bot = Bot(token.get_secret_value(), session=session)
        self._session = session
        self.conversation = conversation
        self.translator = translator
        self.uow_factory = uow_factory
        self.settings = settings
        self.retry_delays = tuple(retry_delays)
        self.objects = objects
        self.dispatcher = Dispatcher(disable_fsm=True)  # the conversation state is ours
        self._response_types = response_types()
        self.dispatcher.include_router(self._router())

    # --- inbound -------------------------------------------------------------------------

    def _router(self) -> Router:
        router = Router(name="asesorbot")
        router.message.register(self._on_message)
        router.callback_query.register(self._on_callback)
        return router

    async def _on_message(self, message: Message, event_update: TelegramUpdate) -> None:
        user = message.from_user
        if user is None or user.is_bot or message.chat.type != "private":
            return
        event = await self._inbound(message, user)
        if event is None:
            return
        await self.deliver(user, message.chat.id, event, event_update.update_id)

    async def _inbound(self, message: Message, user: User) -> Inbound | None:
        if message.contact is not None:
            if message.contact.user_id != user.id:
                return UnreadableIn(Unreadable.NOT_OWN_CONTACT)
            return ContactIn(message.contact.phone_number)
        if message.document is not None:
            document = message.document
            return await self._file(
                message,
                user,
                file_id=document.file_id,
                size=document.file_size,
                name=document.file_name,
                mime=document.mime_type,
                is_photo=False,
            )
        if message.photo:
            largest = max(message.photo, key=lambda size: size.width * size.height)
            return await self._file(
                message,
                user,
                file_id=largest.file_id,
                size=largest.file_size,
                name=None,  # a photo has no name: numbered when stored (issue 16)
                mime="image/jpeg",
                is_photo=True,
            )
        if message.text is not None:
            return command_of(message.text) or TextIn(message.text)
        return UnreadableIn(Unreadable.KIND)  # a sticker, a voice note: said, in their language

    async def _file(
        self,
        message: Message,
        user: User,
        *,
        file_id: str,
        size: int | None,
        name: str | None,
        mime: str | None,
        is_photo: bool,
    ) -> Inbound | None:
        if size is not None and size > self.file_limit:  # in the chosen language (issue 16)
            return UnreadableIn(Unreadable.OVER_PLATFORM_LIMIT)
        return FileIn(
            open=self._download(file_id),
            file_name=name,
            mime_type=mime,
            size=size,
            is_photo=is_photo,
        )

    def _download(self, file_id: str) -> Callable[[], AsyncIterator[bytes]]:
        """Stream a file from the Bot API: ``getFile``, then its bytes chunk by chunk."""

        async def chunks() -> AsyncIterator[bytes]:
            info = await self._call(lambda: self.bot.get_file(file_id))
            if info is None or info.file_path is None:
                raise TelegramBadRequest(method=None, message="file is not available")  # type: ignore[arg-type]
            url = self.bot.session.api.file_url(self.bot.token, info.file_path)
            async for chunk in self.bot.session.stream_content(
                url, timeout=120, chunk_size=DOWNLOAD_CHUNK
            ):
                yield chunk

        return chunks

    async def _on_callback(
        self, query: CallbackQuery, event_update: TelegramUpdate, answer_in_reply: bool = False
    ) -> None:
        if answer_in_reply:  # the webhook's response answers it (see :meth:`webhook`)
            await self._on_press(query, event_update)
            return
        # Stop the button's spinner while the press is being handled, not after.
        answered = asyncio.create_task(self._call(lambda: self.bot.answer_callback_query(query.id)))
        try:
            await self._on_press(query, event_update)
        finally:
            await answered

    async def _on_press(self, query: CallbackQuery, event_update: TelegramUpdate) -> None:
        data = query.data or ""
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        if data.startswith("pg:") and data[3:].isdigit() and query.message is not None:
            await self._turn_page(query, int(data[3:]), event_update.update_id)
            return
        event: Inbound = TextIn(data[2:]) if data.startswith("n:") else OptionIn(data)
        pressed = query.message if isinstance(query.message, Message) else None
        await self.deliver(query.from_user, chat_id, event, event_update.update_id, pressed)

    async def _turn_page(self, query: CallbackQuery, page: int, update_id: int) -> None:
        """Show another page of the current step's options (nothing changes in the core)."""
        reply = await self.conversation.handle(
            Update(CHANNEL, str(query.from_user.id), ResumeIn(), delivery_id=str(update_id))
        )
        choices = [m for m in reply.messages if isinstance(m, Choice)]
        if not choices or len(choices[-1].options) <= PAGE_SIZE + 2 or query.message is None:
            return
        markup = keyboard(choices[-1].options, page, self._nav_labels(reply.locale))
        message_id = query.message.message_id
        chat_id = query.message.chat.id
        await self._call(
            lambda: self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=markup
            ),
            chat=chat_id,
        )

    async def deliver(
        self,
        user: User,
        chat_id: int,
        event: Inbound,
        update_id: int,
        pressed: Message | None = None,
    ) -> None:
        """Hand one event to the core and send what it answers; ``pressed``: the message whose
        button it was, which the answer may replace (:meth:`_edited`)."""
        reply = await self.conversation.handle(
            Update(
                CHANNEL,
                str(user.id),
                event,
                delivery_id=str(update_id),
                language_hint=user.language_code,
                display_name=user.full_name,
                keep_reply=True,
            )
        )
        await self.replies.send(
            str(chat_id), lambda: self.render(chat_id, str(user.id), reply, pressed), reply.kept
        )

    # --- outbound ------------------------------------------------------------------------

    def _nav_labels(self, locale: str) -> tuple[str, str]:
        return (
            self.translator.translate(locale, "telegram.previous"),
            self.translator.translate(locale, "telegram.next"),
        )

    async def _render_kept(self, external_id: str, reply: Reply) -> None:
        """A kept reply, taken over from a process that died (the chat is the person's own)."""
        await self.render(int(external_id), external_id, reply)

    async def render(
        self, chat_id: int, external_id: str, reply: Reply, pressed: Message | None = None
    ) -> None:
        """Send a reply as few messages as it reads well in: plain texts are joined to the
        message that follows them (fewer notifications, and fewer calls against the rate limit);
        the same choice again, after a press on it, replaces the message pressed."""
        if pressed is not None and await self._edited(chat_id, reply, pressed):
            return
        shape = functools.partial(self._shape, locale=reply.locale)
        for body, markup in coalesce(reply, shape, MESSAGE_LIMIT):
            if isinstance(markup, SendFile):
                await self._send_document(chat_id, markup, reply.locale)
                continue
            parts = split_text(body, MESSAGE_LIMIT)
            for n, part in enumerate(parts, 1):
                payload = text_payload(chat_id, part, markup if n == len(parts) else None)
                sent = await self._call(
                    functools.partial(self._post, methods.SendMessage, payload),
                    external_id=external_id,
                    patient=True,
                    chat=chat_id,
                )
                if sent is None:
                    return

    async def _edited(self, chat_id: int, reply: Reply, pressed: Message) -> bool:
        """A reply that is only the choice pressed, its options the same (a tick in a picker):
        the message on screen is edited, on the page it was on (issue 16: each tick posted a
        copy, filling the chat). False when it is anything else, or Telegram refuses."""
        old = pressed.reply_markup
        if len(reply.messages) != 1 or old is None:
            return False
        choice = reply.messages[0]
        if not isinstance(choice, Choice) or len(choice.body) > MESSAGE_LIMIT:
            return False
        seen = {(b.callback_data, b.text) for row in old.inline_keyboard for b in row}
        labels = self._nav_labels(reply.locale)
        for page in range(len(choice.options)):  # the page the pressed message showed
            markup = keyboard(choice.options, page, labels)
            shown = {(b.callback_data, b.text) for row in markup.inline_keyboard for b in row}
            if {data for data, _ in shown} == {data for data, _ in seen}:
                break
        else:
            return False
        if shown == seen:  # the same buttons, labels too: another question, not a toggle
            return False
        payload = {**text_payload(chat_id, choice.body, markup), "message_id": pressed.message_id}
        try:
            edited = await self._call(
                functools.partial(self._post, methods.EditMessageText, payload),
                patient=True,
                chat=chat_id,
            )
        except TelegramBadRequest:  # too old to edit, or deleted: a new message then
            return False
        return edited is not None

    def _shape(self, message: Outbound, locale: str) -> tuple[str, Any]:
        """A message's text and keyboard."""
        if isinstance(message, Choice):
            return message.body, keyboard(message.options, 0, self._nav_labels(locale))
        if isinstance(message, RequestContact):
            markup = ReplyKeyboardMarkup(
                keyboard=[[KeyboardButton(text=message.button_label, request_contact=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
            )
            return message.body, markup
        if isinstance(message, SendFile):
            return message.caption or message.file_name, message
        return message.body, None

    async def _send_document(self, chat_id: int, document: SendFile, locale: str) -> None:
        """A stored document, streamed from the object store to the Bot API (never whole in
        memory); only steps that checked who may see it ever produce one. One the store lost
        or cannot give now is said so, by name."""
        problem = await document_problem(self.objects, document, CHANNEL, self.uow_factory)
        if problem is not None or self.objects is None:
            text = self.translator.translate(
                locale, problem or "store.open_unavailable", name=document.file_name
            )
            await self._call(
                lambda: self.bot.send_message(chat_id=chat_id, text=text),
                patient=True,
                chat=chat_id,
            )
            return
        upload = StoredFile(self.objects, document.object_key, document.file_name)
        await self._call(
            lambda: self.bot.send_document(
                chat_id=chat_id, document=upload, caption=document.caption
            ),
            patient=True,
            chat=chat_id,
        )

    async def _post(self, method: type[TelegramMethod[Any]], payload: dict[str, Any]) -> object:
        """A reply's Bot API call as one JSON post, its answer checked for ``ok`` only: aiogram's
        own path (a pydantic method, a form, the answer parsed into a ``Message``) costs about
        0.5 ms of CPU more per message, measured against the fake Bot API. A refusal is
        aiogram's own exception (its check reads the answer), so :meth:`_call` treats both
        paths alike."""
        session = self._session
        http = await session.create_session()
        url = session.api.api_url(token=self.bot.token, method=method.__api_method__)
        try:
            async with http.post(
                url,
                data=orjson.dumps(payload),
                headers=JSON_HEADERS,
                timeout=aiohttp.ClientTimeout(total=session.timeout),
            ) as response:
                raw = await response.read()
        except TimeoutError as error:
            raise TelegramNetworkError(
                method=method(**payload), message="Request timeout error"
            ) from error
        except aiohttp.ClientError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(method=method(**payload), message=message) from error
        with contextlib.suppress(ValueError):
            answer = orjson.loads(raw)
            if 200 <= response.status < 300 and isinstance(answer, dict) and answer.get("ok"):
                return answer.get("result", True)
        session.check_response(
            self.bot, method(**payload), response.status, raw.decode(errors="replace")
        )
        raise TelegramServerError(method=method(**payload), message="not ok")  # an odd "ok": false

    async def _call(
        self,
        request: Callable[[], Awaitable[T]],
        *,
        external_id: str | None = None,
        patient: bool = False,
        chat: int | None = None,
    ) -> T | None:
        """A Bot API call that honours RetryAfter, retries network errors with backoff, and
        marks a chat that blocked the bot as unreachable. ``patient`` (a reply's messages):
        tried for up to ``REPLY_PATIENCE`` seconds, not ``RETRIES`` times, since the change it
        reports is already saved; what fails in the end is logged with its chat. A call that
        sends to ``chat`` takes its turn in the bot's rate budget first (replies go first)."""
        deadline = time.monotonic() + (REPLY_PATIENCE if patient else 0.0)
        attempt = 0
        while True:
            try:
                if chat is not None:
                    await self.pacer.reply_turn(CHANNEL, str(chat))
                return await request()
            except TelegramRetryAfter as error:
                self.metrics.refusals.labels(CHANNEL, "reply").inc()
                log.warning(
                    "telegram asked to slow down",
                    extra={"attempt": attempt, "retry_after": error.retry_after, "chat": chat},
                )
                wait = float(error.retry_after)
                if chat is not None:
                    await self.pacer.refused(CHANNEL, str(chat), wait)
                    wait = 0.0  # the pacer holds the chat (or the bot) for as long as asked
            except TelegramForbiddenError:
                if external_id is not None:
                    await self._mark_unreachable(external_id)
                return None
            except (TelegramNetworkError, TelegramServerError):
                log.warning("telegram call failed; retrying", extra={"attempt": attempt})
                wait = self.retry_delays[min(attempt, len(self.retry_delays) - 1)] * (
                    2 ** max(0, attempt - len(self.retry_delays) + 1)
                )
                wait = min(wait, 30.0)
            attempt += 1
            if attempt >= RETRIES and time.monotonic() + wait > deadline:
                break
            await asyncio.sleep(wait)
        self.metrics.replies_failed.labels(CHANNEL).inc()
        log.error("telegram call gave up", extra={"attempt": attempt, "chat": external_id})
        return None

    async def _mark_unreachable(self, external_id: str) -> None:
        async with self.uow_factory() as uow:
            await uow.conversations.mark_unreachable(CHANNEL, external_id)
            await uow.commit()

    # --- set-up, polling and webhooks --------------------------------------------------------

    async def register_commands(self) -> None:
        """``setMyCommands`` in Indonesian (also the default) and English."""
        for language in ("id", "en", None):
            locale = language or "id"
            commands = [
                BotCommand(
                    command=name,
                    description=self.translator.translate(locale, f"telegram.command.{name}"),
                )
                for name in COMMANDS
            ]
            await self._call(
                lambda commands=commands, language=language: self.bot.set_my_commands(  # type: ignore[misc]
                    commands=commands, scope=BotCommandScopeDefault(), language_code=language
                )
            )

    async def run_polling(self) -> None:
        await self.register_commands()
        await self._call(lambda: self.bot.delete_webhook(drop_pending_updates=False))
        await self.dispatcher.start_polling(
            self.bot,
            allowed_updates=ALLOWED_UPDATES,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=10,
        )

    async def stop_polling(self) -> None:
        await self.dispatcher.stop_polling()

    async def set_webhook(self) -> None:
        base = self.settings.webhook.base_url
        secret = self.settings.webhook.secret
        assert base is not None
        assert secret is not None
        await self.register_commands()
        await self._call(
            lambda: self.bot.set_webhook(
                url=str(base).rstrip("/") + WEBHOOK_PATH,
                secret_token=secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
        )

    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /webhook/telegram``: the secret is checked before the body is even read."""
        secret = self.settings.webhook.secret
        given = request.headers.get(SECRET_HEADER, "")
        if secret is None or not hmac.compare_digest(
            given.encode(), secret.get_secret_value().encode()
        ):
            return web.Response(status=403, text="forbidden")
        try:
            raw = orjson.loads(await request.read())
            update = TelegramUpdate.model_validate(raw, context={"bot": self.bot})
        except (ValueError, ValidationError) as error:  # malformed: a 4xx and a line, not a 500
            log.warning("telegram: malformed update refused", extra={"error": type(error).__name__})
            return web.Response(status=400, text="bad request")
        press = update.callback_query
        # straight to the two handlers the router has (the kinds asked for, ALLOWED_UPDATES):
        # the dispatcher's middlewares and observers cost more than the routing they do
        if update.message is not None:
            await self._on_message(update.message, update)
        elif press is not None:
            await self._on_callback(press, update, answer_in_reply=True)
        if press is not None:
            # Telegram runs a method given as the webhook's response: answering the button
            # press there saves a Bot API request. Its failure would go unseen, which is
            # harmless for this one (the spinner stops by itself); messages are never sent so.
            return web.json_response(
                {"method": "answerCallbackQuery", "callback_query_id": press.id}
            )
        return web.json_response({})

    def routes(self) -> list[Route]:
        """The webhook, unless it polls (no ``WEBHOOK_BASE_URL``)."""
        if self.settings.webhook.base_url is None:
            return []
        return [("POST", WEBHOOK_PATH, self.webhook)]

    async def serve(self, stop: asyncio.Event) -> None:
        if self.settings.webhook.base_url is not None:
            await self.set_webhook()
            await stop.wait()
            return
        log.info("telegram: polling")
        poller = asyncio.create_task(self.run_polling())
        await stop.wait()
        try:
            await self.stop_polling()
        except RuntimeError:  # stopped before polling had started
            poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller

    def sender(self) -> TelegramSender:
        return TelegramSender(self.settings, self.translator)

    async def close(self) -> None:
        await self.replies.close()
        await self.bot.session.close()


class TelegramSender:
    """``sendMessage`` straight over aiohttp: at broadcast rates aiogram's pydantic models for
    every request and answer cost more CPU than the rest of the dispatcher (the bench)."""

    def __init__(self, settings: Settings, translator: Translator) -> None:
        token = settings.telegram.bot_token
        assert token is not None, "Telegram needs BOT_TOKEN"
        base = str(settings.telegram.api_base or "https://api.telegram.org").rstrip("/")
        self._url = f"{base}/bot{token.get_secret_value()}/sendMessage"
        self._translator = translator
        self._http: aiohttp.ClientSession | None = None

    def _texts(self, locale: str, zone: str, notice: Notice) -> list[str]:
        return split_text(notice.text(self._translator, locale, zone), MESSAGE_LIMIT)

    def parts(self, locale: str, zone: str, notice: Notice) -> int:
        return len(self._texts(locale, zone, notice))

    async def send(
        self, external_id: str, locale: str, zone: str, notice: Notice, part: int
    ) -> str:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        body = orjson.dumps(text_payload(int(external_id), self._texts(locale, zone, notice)[part]))
        try:
            async with self._http.post(self._url, data=body, headers=JSON_HEADERS) as response:
                answer = orjson.loads(await response.read())
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as error:
            raise SendFailed(f"network: {error!r}") from error
        if answer.get("ok"):
            return str(answer["result"]["message_id"])
        code = answer.get("error_code")
        description = str(answer.get("description", ""))
        if code == 429:
            raise RetryLater(float((answer.get("parameters") or {}).get("retry_after", 1)))
        if code == 403:
            raise Unreachable(description)
        raise SendFailed(f"{code} {description}", transient=code is None or code >= 500)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
