"""Within one transaction an application is read once (issue 15, item 3): ``current`` and an
unlocked ``get`` answer from what the unit of work read or wrote; a locked read and a merge of
two people ask the database again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.factory import App
from domain.ports import NewPerson


@contextmanager
def application_reads(app: App) -> Iterator[list[str]]:
    """The SELECTs on ``applications`` run meanwhile."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM applications" in statement:
            seen.append(statement)

    engine = app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def person(uow: Any, external_id: str) -> int:
    state = await uow.conversations.open_locked(
        "telegram", external_id, new_person=NewPerson("id", "Asia/Jakarta", "Siti")
    )
    return int(state.person.id)


async def test_an_application_is_read_once_per_transaction(
    make_app: Callable[..., Awaitable[App]],
) -> None:
    app = await make_app()
    try:
        async with app.uow_factory() as uow:
            siti = await person(uow, "1")
            created = await uow.applications.create(siti, "asesor_kompetensi")
            await uow.commit()
        async with app.uow_factory() as uow:
            with application_reads(app) as reads:
                first = await uow.applications.current(siti)
                again = await uow.applications.current(siti)
                by_id = await uow.applications.get(created.id)
                assert len(reads) == 1
                updated = await uow.applications.update(created.id, apl01={"full_name": "Siti"})
                assert (await uow.applications.current(siti)) == updated
                reads_before_lock = len(reads)
                locked = await uow.applications.get(created.id, lock=True)
                assert len(reads) == reads_before_lock + 1  # a lock always asks
            assert first == again == by_id
            assert locked == updated
            assert updated.apl01 == {"full_name": "Siti"}
    finally:
        await app.aclose()


async def test_after_a_delete_the_current_application_is_asked_again(
    make_app: Callable[..., Awaitable[App]],
) -> None:
    app = await make_app()
    try:
        async with app.uow_factory() as uow:
            budi = await person(uow, "2")
            older = await uow.applications.create(budi, "asesor_kompetensi")
            newer = await uow.applications.create(budi, "asesor_kompetensi")
            assert (await uow.applications.current(budi)) == newer
            await uow.applications.delete(newer.id)
            assert (await uow.applications.current(budi)) == older
            assert await uow.applications.get(newer.id) is None
    finally:
        await app.aclose()
