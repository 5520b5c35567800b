"""Kept replies between two processes (issue 14, item 4): a reply whose lease ran out is claimed
by another process and sent from there, and the process that lost it no longer sends it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from bot.channels.replies import ReplyQueue
from bot.factory import App
from handlers.messages import Reply, Text, reply_document
from storage.models import KeptReplyRow

GREETING = Reply("id", (Text("Selamat datang"),))


async def kept_rows(app: App) -> int:
    async with app.engine.connect() as connection:
        return int((await connection.execute(select(func.count(KeptReplyRow.id)))).scalar_one())


async def test_a_reply_claimed_by_another_process_goes_from_that_one_only(
    make_app: Callable[[], Awaitable[App]],
) -> None:
    first, second = await make_app(), await make_app()  # two processes' wiring, one database
    async with first.uow_factory() as uow:
        kept = await uow.replies.keep("telegram", "42", reply_document(GREETING))
        await uow.commit()
    sent: list[tuple[str, str, Reply]] = []
    held = asyncio.Event()

    async def blocking() -> None:  # the chat's earlier reply, waiting for the platform
        await held.wait()

    async def first_sends() -> None:
        sent.append(("first", "42", GREETING))

    async def second_renders(chat: str, reply: Reply) -> None:
        sent.append(("second", chat, reply))

    waiting = ReplyQueue("telegram", first.uow_factory)
    waiting.put("42", blocking)
    done = waiting.put("42", first_sends, kept)
    assert await waiting.keep_once() == 0  # renewed: still the first process's
    # The first process is cut off for longer than the lease: it runs out.
    async with first.engine.begin() as connection:
        await connection.execute(
            update(KeptReplyRow).values(held_until=datetime(2000, 1, 1, tzinfo=UTC))
        )
    taking = ReplyQueue("telegram", second.uow_factory, second_renders)
    assert await taking.keep_once() == 1
    async with asyncio.timeout(5):
        while not sent:  # noqa: ASYNC110  (the claimed reply goes out in the background)
            await asyncio.sleep(0.01)
    assert await waiting.keep_once() == 0  # learns it lost the reply
    held.set()
    await asyncio.wait_for(done, 5)
    assert sent == [("second", "42", Reply("id", GREETING.messages, kept))]
    async with asyncio.timeout(5):
        while await kept_rows(first):  # noqa: ASYNC110  (forgotten once sent)
            await asyncio.sleep(0.01)
