"""A fake Telegram Bot API server (aiohttp) that checks every request against the real spec.

It serves ``getUpdates`` (long polling), ``getFile`` and file downloads, answers the sending
methods with well-formed objects, records every call, and records a violation for a request that
names an unknown method, lacks a required field, carries an unknown one, or has a value of the
wrong basic type.  Tests assert that no violation happened.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

SPEC = Path(__file__).resolve().parent / "specs" / "telegram-bot-api" / "api.json"
SCALARS = {"Integer", "String", "Boolean", "Float", "InputFile"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None
    """What the fake answered (a sent message, with its id)."""


@dataclass
class FakeFile:
    data: bytes
    path: str


@dataclass
class FakeBotApi:
    token: str
    spec: dict[str, Any] = field(default_factory=lambda: json.loads(SPEC.read_text()))
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    files: dict[str, FakeFile] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    downloads: int = 0
    fail_next: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    """(method, error_code, parameters): the next call of ``method`` fails like Telegram would."""
    rate_limit: int | None = None
    """Like Telegram's flood control: a ``sendMessage`` beyond this many in the last second is
    refused with 429 and ``retry_after`` (and counted in ``too_many``)."""
    per_chat_seconds: float | None = None
    """Like Telegram's limit for one chat (about one message a second): a ``sendMessage`` to a
    chat sooner than this after the last accepted one is refused with 429 (``too_many``)."""
    too_many: int = 0
    too_many_chat: int = 0
    """Of ``too_many``, those refused for the per-chat spacing (the rest: the overall rate)."""
    delay: float = 0.0
    """Seconds each ``sendMessage`` takes (a slow platform, to catch a worker mid-batch)."""
    blocked: set[str] = field(default_factory=set)
    uploads: list[tuple[str, bytes]] = field(default_factory=list)
    """Files the bot uploaded (``sendDocument``), by name."""
    """Chat ids whose user blocked the bot: 403."""
    _recent: collections.deque[float] = field(default_factory=collections.deque)
    _chat_last: dict[str, float] = field(default_factory=dict)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _message_id: int = 1000
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        app.router.add_get("/_fake/state", self._state)  # for a test in another process
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

    # --- what tests use -------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._new_update.set()

    def add_file(self, file_id: str, data: bytes, name: str) -> None:
        self.files[file_id] = FakeFile(data, f"documents/{file_id}/{name}")

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def webhook_reply(self, body: dict[str, Any]) -> None:
        """A method the bot returned as its webhook response: checked and recorded like a call."""
        params = dict(body)
        name = str(params.pop("method", ""))
        method = next((m for m in self.spec["methods"] if m.lower() == name.lower()), None)
        if method is None:
            self.violations.append(f"webhook reply: unknown method {name!r}")
            return
        self._check(method, params)
        self.calls.append(Call(method, params))

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    # --- the server ------------------------------------------------------------------------

    async def _state(self, request: web.Request) -> web.Response:
        """What a test in another process needs: every call and its arrival, the refusals."""
        calls = [{"method": c.method, "params": c.params, "at": c.at} for c in self.calls]
        state = {"calls": calls, "too_many": self.too_many, "violations": self.violations}
        return web.json_response(state, dumps=lambda v: json.dumps(v, default=str))

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = value
            else:  # an uploaded file: kept for the test to compare
                self.uploads.append((value.filename, value.file.read()))
                params[key] = "<file>"
        # A part that a field refers to as "attach://<name>" is the field's file, not a field.
        attached = {v.removeprefix("attach://") for v in params.values() if isinstance(v, str)}
        params = {k: v for k, v in params.items() if not (v == "<file>" and k in attached)}
        params.update(request.query)
        return params

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        name = request.match_info["method"]
        params = await self._params(request)
        method = next((m for m in self.spec["methods"] if m.lower() == name.lower()), None)
        if method is None:
            self.violations.append(f"unknown method {name}")
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        self._check(method, params)
        if method == "sendMessage" and (refused := await self._flood_control(params)):
            return refused
        call = Call(method, params)
        self.calls.append(call)
        for index, (failing, code, extra) in enumerate(self.fail_next):
            if failing == method:
                del self.fail_next[index]
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": code,
                        "description": "fake failure",
                        "parameters": extra,
                    },
                    status=code,
                )
        call.result = result = await self._result(method, params)
        return web.json_response({"ok": True, "result": result})

    async def _flood_control(self, params: dict[str, Any]) -> web.Response | None:
        now = time.monotonic()
        if self.rate_limit is not None:
            while self._recent and self._recent[0] <= now - 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.rate_limit:
                self.too_many += 1
                return _failure(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        chat = str(params.get("chat_id"))
        if self.per_chat_seconds is not None:
            if now - self._chat_last.get(chat, -1e9) < self.per_chat_seconds:
                self.too_many += 1
                self.too_many_chat += 1
                return _failure(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._chat_last[chat] = now
        if self.rate_limit is not None:
            self._recent.append(now)
        if self.delay:
            await asyncio.sleep(self.delay)
        if chat in self.blocked:
            return _failure(403, "Forbidden: bot was blocked by the user", {})
        return None

    def _check(self, method: str, params: dict[str, Any]) -> None:
        fields = {f["name"]: f for f in self.spec["methods"][method].get("fields", [])}
        for name, spec in fields.items():
            if spec["required"] and name not in params:
                self.violations.append(f"{method}: required field {name} missing")
        for name, value in params.items():
            spec = fields.get(name)
            if spec is None:
                self.violations.append(f"{method}: unknown field {name}")
            elif not any(self._fits(kind, value) for kind in spec["types"]):
                self.violations.append(f"{method}: {name}={value!r} is not {spec['types']}")

    def _fits(self, kind: str, value: Any, *, decoded: bool = False) -> bool:
        """``value`` as sent in a form (objects and arrays JSON-encoded) unless ``decoded``."""
        if not decoded and isinstance(value, str) and kind not in {"String", "InputFile"}:
            try:
                value = json.loads(value)
            except ValueError:
                return False
        if kind == "Integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if kind == "Float":
            return isinstance(value, int | float) and not isinstance(value, bool)
        if kind == "Boolean":
            return isinstance(value, bool)
        if kind in {"String", "InputFile"}:
            return isinstance(value, str)
        if kind.startswith("Array of "):
            inner = kind.removeprefix("Array of ")
            return isinstance(value, list) and all(
                self._fits(inner, v, decoded=True) for v in value
            )
        if kind in self.spec["types"]:
            return isinstance(value, dict) and self._fits_type(kind, value)
        return False

    def _fits_type(self, kind: str, value: dict[str, Any]) -> bool:
        """An object: known fields of the right types and every required field present."""
        spec = self.spec["types"][kind]
        if spec.get("subtypes"):
            return any(self._fits_type(sub, value) for sub in spec["subtypes"])
        fields = {f["name"]: f for f in spec.get("fields", [])}
        if any(name not in fields for name in value):
            return False
        if any(f["required"] and name not in value for name, f in fields.items()):
            return False
        return all(
            any(self._fits(t, v, decoded=True) for t in fields[n]["types"])
            for n, v in value.items()
        )

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        self._message_id += 1
        chat = params.get("chat_id", 0)
        message: dict[str, Any] = {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat) if str(chat).lstrip("-").isdigit() else 0, "type": "private"},
        }
        if "text" in params:
            message["text"] = params["text"]
        return message

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "getMe":
            return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Asesorbot"}
        if method == "getFile":
            stored = self.files.get(str(params.get("file_id")))
            if stored is None:
                return None
            return {
                "file_id": params["file_id"],
                "file_unique_id": f"u{params['file_id']}",
                "file_size": len(stored.data),
                "file_path": stored.path,
            }
        if method in {"editMessageText", "editMessageReplyMarkup"}:
            edited = {**self._message(params), "message_id": int(params.get("message_id", 0))}
            self._message_id -= 1  # an edit keeps its message's id
            return edited
        if method in {"sendMessage", "sendDocument", "sendPhoto"}:
            return self._message(params)
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        deadline = time.monotonic() + min(timeout, 2.0)
        while True:
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline:
                return pending
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                return []

    async def _download(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.path == path), None)
        if stored is None or request.match_info["token"] != self.token:
            return web.Response(status=404)
        self.downloads += 1
        response = web.StreamResponse()
        response.content_length = len(stored.data)
        await response.prepare(request)
        for start in range(0, len(stored.data), 64 * 1024):
            await response.write(stored.data[start : start + 64 * 1024])
        await response.write_eof()
        return response


def _failure(code: int, description: str, parameters: dict[str, Any]) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def serve(token: str, rate_limit: int | None, per_chat_seconds: float | None) -> None:
    """Run a fake in a process of its own (``python -m tests.fakes.telegram TOKEN RATE
    PER_CHAT``): its clock is then not held up by whatever the test's own process is doing.
    Prints its URL, serves until SIGTERM."""
    import signal

    api = FakeBotApi(token, rate_limit=rate_limit, per_chat_seconds=per_chat_seconds)
    print(await api.start(), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await api.close()


if __name__ == "__main__":
    import sys

    token, rate, per_chat = sys.argv[1:4]
    asyncio.run(serve(token, int(rate) or None, float(per_chat) or None))
