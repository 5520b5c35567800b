"""The object store's side of the records: durable deletions, and documents it lost.

Durable deletions: the bytes of a document that is removed leave the object store even when
the store is down at the time (Indonesia's PDP law: a deletion is a deletion).

The key is queued (``object_deletions``) in the same transaction that stops using the object;
after the commit the eraser deletes it at once, and what the store refuses is retried by the
worker's sweep, backing off, until it is gone. A queued key that a document still names (a
transaction that kept it after all) is never deleted: the queue row is dropped instead.

Lost documents: :func:`verify_documents` (``asesorbot objects verify``) asks the store for every
document's object and marks those it does not hold, as opening one does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.ports import ObjectStore, ObjectStoreError
from storage.models import DocumentRow, ObjectDeletionRow

log = logging.getLogger(__name__)

RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
_TABLE = cast(Table, ObjectDeletionRow.__table__)
_INSERT = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


async def _queue(session: AsyncSession, keys: Sequence[str], now: datetime) -> None:
    if not keys:
        return
    insert: Any = _INSERT[session.get_bind().dialect.name]
    await session.execute(
        insert(_TABLE)
        .values(
            [{"object_key": k, "requested_at": now, "due_at": now, "attempts": 0} for k in keys]
        )
        .on_conflict_do_nothing()
    )


class SqlDeletions:
    """The queue inside a unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def request(self, keys: Sequence[str], now: datetime) -> None:
        await _queue(self._session, keys, now)


class ObjectEraser:
    """Deletes queued objects from the store: at once after the commit that queued them, and
    again on every sweep for those the store refused."""

    def __init__(
        self,
        engine: AsyncEngine,
        objects: ObjectStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._objects = objects
        self._clock = clock

    async def erase(self, keys: Sequence[str]) -> bool:
        done, failed = await self._attempt(keys)
        try:
            async with self._sessions.begin() as session:
                await self._done(session, done)
                await self._failed(session, failed)
        except Exception:  # the rows stay due: the sweep deletes (again) and drops them
            log.warning("object deletions: could not record the outcome", exc_info=True)
        return not failed

    async def orphaned(self, keys: Sequence[str]) -> None:
        """Bytes stored for a transaction that was rolled back: no document names them."""
        _, failed = await self._attempt(keys)
        if not failed:
            return
        try:
            async with self._sessions.begin() as session:
                await _queue(session, list(failed), self._clock())
        except Exception:
            log.error(
                "object deletions: an orphaned object could not be queued",
                extra={"count": len(failed)},
                exc_info=True,
            )

    async def retry_due(self, limit: int = 100, *, every: bool = False) -> tuple[int, int]:
        """Delete what is due of the queue (``every``: all of it, due or not); (deleted, still
        waiting). A key a document still names is dropped from the queue, never deleted."""
        now = self._clock()
        async with self._sessions.begin() as session:
            due = list(
                (
                    await session.execute(
                        select(ObjectDeletionRow.object_key, ObjectDeletionRow.attempts)
                        .where(true() if every else ObjectDeletionRow.due_at <= now)
                        .order_by(ObjectDeletionRow.due_at)
                        .limit(limit)
                    )
                ).all()
            )
            if not due:
                return 0, 0
            named = set(
                (
                    await session.scalars(
                        select(DocumentRow.object_key).where(
                            DocumentRow.object_key.in_([key for key, _ in due])
                        )
                    )
                ).all()
            )
            await self._done(session, sorted(named))
        if named:
            log.error(
                "object deletions: a queued object is still in use; kept",
                extra={"count": len(named)},
            )
        keys = [key for key, _ in due if key not in named]
        attempts = dict(due)
        done, failed = await self._attempt(keys)
        async with self._sessions.begin() as session:
            await self._done(session, done)
            await self._failed(session, failed, attempts)
        if failed:
            log.warning(
                "object deletions: the store refused; tried again later",
                extra={"waiting": len(failed), "error": next(iter(failed.values()))},
            )
        return len(done), len(failed)

    async def waiting(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(_TABLE)) or 0)

    async def _attempt(self, keys: Sequence[str]) -> tuple[list[str], dict[str, str]]:
        """Delete ``keys`` at once: those gone, and the store's refusal for each of the rest."""
        results = await asyncio.gather(*(self._delete(key) for key in keys))
        done = [key for key, error in zip(keys, results, strict=True) if error is None]
        failed = {key: error for key, error in zip(keys, results, strict=True) if error}
        return done, failed

    async def _delete(self, key: str) -> str | None:
        try:
            await self._objects.delete(key)
        except ObjectStoreError as error:
            return str(error)
        return None

    async def _done(self, session: AsyncSession, keys: Sequence[str]) -> None:
        if keys:
            await session.execute(delete(_TABLE).where(_TABLE.c.object_key.in_(keys)))

    async def _failed(
        self, session: AsyncSession, failed: dict[str, str], attempts: dict[str, int] | None = None
    ) -> None:
        now = self._clock()
        for key, error in failed.items():
            tried = (attempts or {}).get(key, 0) + 1
            wait = min(RETRY_FIRST * 2 ** (tried - 1), RETRY_MAX)
            values: dict[str, Any] = {"attempts": tried, "last_error": error, "due_at": now + wait}
            await session.execute(update(_TABLE).where(_TABLE.c.object_key == key).values(values))


async def verify_documents(
    engine: AsyncEngine, objects: ObjectStore, now: datetime, *, parallel: int = 16
) -> tuple[int, list[str]]:
    """Every document not yet known lost, asked of the store (``parallel`` at a time); those
    it does not hold are marked lost. Returns (checked, keys newly found lost). A store that
    does not answer, or a bucket that is not there, stops it before anything is marked."""
    await objects.ping()
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    gate = asyncio.Semaphore(parallel)
    lost: list[str] = []
    checked = 0
    after = ""
    while True:
        async with sessions() as session:
            keys = list(
                (
                    await session.scalars(
                        select(DocumentRow.object_key)
                        .where(DocumentRow.lost_at.is_(None), DocumentRow.object_key > after)
                        .order_by(DocumentRow.object_key)
                        .limit(500)
                    )
                ).all()
            )
        if not keys:
            return checked, lost

        async def held(key: str) -> bool:
            async with gate:
                return await objects.exists(key)

        found = await asyncio.gather(*(held(key) for key in keys))
        gone = [key for key, here in zip(keys, found, strict=True) if not here]
        if gone:
            async with sessions.begin() as session:
                await session.execute(
                    update(DocumentRow).where(DocumentRow.object_key.in_(gone)).values(lost_at=now)
                )
            log.error(
                "documents missing in the object store",
                extra={"store": objects.name, "count": len(gone)},
            )
        checked += len(keys)
        lost += gone
        after = keys[-1]
