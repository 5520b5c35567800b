"""Replies that wait instead of being dropped.

A reply is sent after the change it reports was committed, so dropping it would leave the person
with a changed state and no word of it. Each chat's replies go out in the order they were made,
one after the other; one chat waiting (a 429, the network, the platform down) never holds up
another. The webhook waits a little for its reply (the usual case: sent before the platform
gets its 200) and otherwise leaves it to go out in the background.

Still in memory: a process killed while a reply waits loses that reply (issue 14, item 4).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

WAIT_IN_WEBHOOK = 5.0
"""Seconds the webhook waits for its own reply before answering the platform anyway."""


@dataclass(slots=True)
class _Chat:
    jobs: collections.deque[tuple[float, Callable[[], Awaitable[None]], asyncio.Future[None]]] = (
        field(default_factory=collections.deque)
    )
    task: asyncio.Task[None] | None = None


class ReplyQueue:
    """Per chat, in order; across chats, at once."""

    def __init__(self, channel: str) -> None:
        self._channel = channel
        self._chats: dict[str, _Chat] = {}

    def put(self, chat: str, send: Callable[[], Awaitable[None]]) -> asyncio.Future[None]:
        """Queue ``send`` for ``chat``; the future is done when it has run (or failed)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._chats.setdefault(chat, _Chat())
        queue.jobs.append((time.monotonic(), send, done))
        if queue.task is None:
            queue.task = asyncio.create_task(self._work(chat, queue))
        return done

    async def send(self, chat: str, send: Callable[[], Awaitable[None]]) -> None:
        """Queue and wait up to ``WAIT_IN_WEBHOOK`` for it; past that it goes on alone."""
        done = self.put(chat, send)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(done), WAIT_IN_WEBHOOK)

    async def _work(self, chat: str, queue: _Chat) -> None:
        try:
            while queue.jobs:
                _, send, done = queue.jobs[0]
                try:
                    await send()
                except Exception:  # a bug in one reply must not stop the chat's next ones
                    log.exception("reply failed", extra={"channel": self._channel, "chat": chat})
                finally:
                    queue.jobs.popleft()
                    if not done.done():
                        done.set_result(None)
        finally:
            queue.task = None
            if not queue.jobs:
                self._chats.pop(chat, None)

    def depth(self) -> int:
        """Replies not yet sent, over every chat."""
        return sum(len(q.jobs) for q in self._chats.values())

    def oldest_age(self) -> float:
        """Seconds the oldest reply not yet sent has waited (0 when none waits)."""
        queued = [q.jobs[0][0] for q in self._chats.values() if q.jobs]
        return time.monotonic() - min(queued) if queued else 0.0

    async def close(self, grace: float = 10.0) -> None:
        """On shutdown: give what waits ``grace`` seconds to go out, then log what did not."""
        tasks = [q.task for q in self._chats.values() if q.task is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        if pending:
            log.error(
                "replies still waiting at shutdown",
                extra={"channel": self._channel, "count": self.depth()},
            )
            for task in pending:
                task.cancel()
