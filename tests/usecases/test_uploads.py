"""A file becoming a document, through the production inspector and object store: stored once,
the same bytes recognised, an item's most files kept, a disguised program refused — and the bytes
of a transaction that never committed deleted again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from scheme.lifecycle import ApplicationState as A
from tests import documents as files
from tests.usecases.world import World
from usecases.uploads import NotStored, NotStoredWhy, Upload, store_document


def upload(data: bytes, name: str) -> Upload:
    async def chunks() -> AsyncIterator[bytes]:
        yield data

    return Upload(chunks, name, len(data))


async def test_a_file_is_stored_once_and_the_item_keeps_its_most(world: World) -> None:
    siti = await world.person("siti")
    app_id = await world.application(siti, A.DRAFT)
    item = next(
        e
        for e in world.app.services.scheme.route("new_candidate").evidence
        if e.id == "practice_planning"
    )
    undo: list[Callable[[], Awaitable[None]]] = []

    async def store(data: bytes, name: str) -> object:
        return await world.call(
            lambda uow, services: store_document(
                uow, services, app_id, item, upload(data, name), on_rollback=undo
            )
        )

    first = await store(files.pdf("KTP Siti"), "../../etc/ktp.pdf")
    again = await store(files.pdf("KTP Siti"), "ktp lagi.pdf")
    program = await store(files.windows_executable(), "ktp.pdf")
    more = [await store(files.pdf(f"SPT {n}"), f"{n}.pdf") for n in range(item.max)]

    assert not isinstance(first, NotStored)
    assert first.file_name == "ktp.pdf"  # a display name only: no path
    assert first.mime_type == "application/pdf"
    assert again == NotStored(NotStoredWhy.DUPLICATE, "ktp.pdf")
    assert isinstance(program, NotStored)
    assert program.why is NotStoredWhy.REJECTED
    assert more[-1] == NotStored(NotStoredWhy.FULL)
    assert len(await world.documents()) == item.max
    assert len(undo) == item.max  # each stored object has its deletion, were it rolled back
