"""Replies that wait instead of being dropped.

A reply is sent after the change it reports was committed, so dropping it would leave the person
with a changed state and no word of it. Each chat's replies go out in the order they were made,
one after the other; one chat waiting (a 429, the network, the platform down) never holds up
another. The webhook waits a little for its reply (the usual case: sent before the platform
gets its 200) and otherwise leaves it to go out in the background.

A reply is also kept in the database with the change it reports (``storage/replies``), under
this process's lease, renewed every ``RENEW_SECONDS`` while it waits here and dropped once it
has gone (or has been given up on, and logged). Should the process die, another one claims it
when the lease has run out and sends it from there: a reply can go twice only when its process
died between sending it and forgetting it (issue 14, item 4).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from domain.ports import UnitOfWorkFactory
from handlers.messages import Reply, reply_from_document

log = logging.getLogger(__name__)

WAIT_IN_WEBHOOK = 5.0
"""Seconds the webhook waits for its own reply before answering the platform anyway."""
RENEW_SECONDS = 10.0
"""How often the leases of the kept replies still waiting are renewed (a third of the lease),
and how often replies whose process died are looked for."""
CLAIM_BATCH = 100


@dataclass(slots=True)
class _Job:
    queued_at: float
    send: Callable[[], Awaitable[None]]
    done: asyncio.Future[None]
    kept: int | None
    taken: bool = False
    """Its lease ran out (this process was cut off from the database) and another process
    claimed it: that one sends it, this one must not."""


@dataclass(slots=True)
class _Chat:
    jobs: collections.deque[_Job] = field(default_factory=collections.deque)
    task: asyncio.Task[None] | None = None


class ReplyQueue:
    """Per chat, in order; across chats, at once. ``uow_factory`` (the messengers) keeps the
    replies' durable copies; ``render`` sends a reply claimed from a process that died."""

    def __init__(
        self,
        channel: str,
        uow_factory: UnitOfWorkFactory | None = None,
        render: Callable[[str, Reply], Awaitable[None]] | None = None,
    ) -> None:
        self._channel = channel
        self._chats: dict[str, _Chat] = {}
        self._uow_factory = uow_factory
        self._render = render
        self._unforgotten: set[int] = set()
        self._sent: set[int] = set()
        self._forgetting: asyncio.Task[None] | None = None

    def put(
        self, chat: str, send: Callable[[], Awaitable[None]], kept: int | None = None
    ) -> asyncio.Future[None]:
        """Queue ``send`` for ``chat``; the future is done when it has run (or failed)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._chats.setdefault(chat, _Chat())
        queue.jobs.append(_Job(time.monotonic(), send, done, kept))
        if queue.task is None:
            queue.task = asyncio.create_task(self._work(chat, queue))
        return done

    async def send(
        self, chat: str, send: Callable[[], Awaitable[None]], kept: int | None = None
    ) -> None:
        """Queue and wait up to ``WAIT_IN_WEBHOOK`` for it; past that it goes on alone."""
        done = self.put(chat, send, kept)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(done), WAIT_IN_WEBHOOK)

    async def _work(self, chat: str, queue: _Chat) -> None:
        try:
            while queue.jobs:
                job = queue.jobs[0]
                stopped = False
                try:
                    if not job.taken:
                        await job.send()
                except Exception:  # a bug in one reply must not stop the chat's next ones
                    log.exception("reply failed", extra={"channel": self._channel, "chat": chat})
                except asyncio.CancelledError:  # shutting down: the next process sends it
                    stopped = True
                    raise
                finally:
                    queue.jobs.popleft()
                    if not job.done.done():
                        job.done.set_result(None)  # the webhook need not wait for the forgetting
                    if job.kept is not None and not stopped:
                        self._forget_soon(job.kept)
        finally:
            queue.task = None
            if not queue.jobs:
                self._chats.pop(chat, None)

    def _forget_soon(self, kept: int) -> None:
        """A sent reply's copy is dropped by one task for every chat: what is sent while it
        deletes goes in its next statement (one DELETE for many replies under load, one each
        when quiet), so the chats' next replies never wait for it."""
        self._sent.add(kept)
        if self._forgetting is None:
            self._forgetting = asyncio.create_task(self._forget_sent())

    async def _forget_sent(self) -> None:
        try:
            while self._sent:
                ids, self._sent = sorted(self._sent), set()
                await self._forget(ids)
        finally:
            self._forgetting = None

    async def _forget(self, ids: list[int]) -> None:
        """Drop sent replies' copies; one the database refuses now is dropped later."""
        if self._uow_factory is None:
            return
        try:
            async with self._uow_factory() as uow:
                await uow.replies.done(ids)
                await uow.commit()
        except Exception:  # the database away: still ours (renewed) until it is back
            self._unforgotten.update(ids)
            log.warning("kept reply not yet forgotten", extra={"channel": self._channel})
        else:
            self._unforgotten.difference_update(ids)

    def _waiting_kept(self) -> list[int]:
        return [j.kept for q in self._chats.values() for j in q.jobs if j.kept is not None]

    async def keep_alive(self, stop: asyncio.Event) -> None:
        """Until ``stop``: renew the leases of the replies waiting here, forget those sent
        while the database was away, and send the replies of processes that died. Never ends
        because of a fault: each round that fails is logged and the next one tries again."""
        while not stop.is_set():
            try:
                await self.keep_once()
            except Exception:  # a database outage, say: the next round tries again
                log.warning("kept replies: round failed", extra={"channel": self._channel})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RENEW_SECONDS)

    async def keep_once(self) -> int:
        """One round of :meth:`keep_alive`; how many replies it claimed."""
        if self._uow_factory is None:
            return 0
        waiting = self._waiting_kept()
        held = set(self._unforgotten)
        async with self._uow_factory() as uow:
            ours = await uow.replies.renew([*waiting, *held])
            await uow.commit()
        self._unforgotten &= ours
        for queue in self._chats.values():
            for job in list(queue.jobs)[1:]:  # the first may be on its way already
                if job.kept is not None and job.kept not in ours:
                    job.taken, job.kept = True, None
        if self._unforgotten:
            await self._forget(sorted(self._unforgotten))
        render = self._render
        if render is None:
            return 0
        async with self._uow_factory() as uow:
            claimed = await uow.replies.claim(self._channel, CLAIM_BATCH)
            await uow.commit()
        for kept in claimed:
            chat, reply = kept.external_id, reply_from_document(kept.document, kept.id)
            log.warning(
                "kept reply taken over from a process that stopped",
                extra={"channel": self._channel, "chat": chat},
            )
            self.put(chat, functools.partial(render, chat, reply), kept.id)
        return len(claimed)

    def depth(self) -> int:
        """Replies not yet sent, over every chat."""
        return sum(len(q.jobs) for q in self._chats.values())

    def oldest_age(self) -> float:
        """Seconds the oldest reply not yet sent has waited (0 when none waits)."""
        queued = [q.jobs[0].queued_at for q in self._chats.values() if q.jobs]
        return time.monotonic() - min(queued) if queued else 0.0

    async def close(self, grace: float = 10.0) -> None:
        """On shutdown: give what waits ``grace`` seconds to go out, then log what did not (it
        is kept: the next process sends it)."""
        tasks = [q.task for q in self._chats.values() if q.task is not None]
        if not tasks:
            await self._forgotten()
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        await self._forgotten()
        if pending:
            log.warning(
                "replies still waiting at shutdown, kept for the next process",
                extra={"channel": self._channel, "count": self.depth()},
            )
            for task in pending:
                task.cancel()

    async def _forgotten(self) -> None:
        """What was sent is forgotten before the process ends (else the next one sends it)."""
        if self._forgetting is not None:
            with contextlib.suppress(Exception):
                await self._forgetting
