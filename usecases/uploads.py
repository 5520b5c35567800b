"""A file becoming a document of an application (9.1.2, 9.6.3, 9.9.3), and documents' bytes
leaving the store.

A file's kind is decided from its bytes; it is checked (PDF opens, image decodes, size limit)
before it is stored; the same file sent twice is recognised. The object is stored first and the
row written after: if the transaction does not commit, the object is deleted again. Bytes leave
the store only through a deletion request written in the same transaction as what made them
moot, so a store that is down at the time never keeps a document for good (UU PDP).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.application import present
from domain.ports import (
    DocumentRecord,
    DocumentRejected,
    ObjectStoreError,
    ObjectTooLarge,
    Services,
    UnitOfWork,
)
from scheme.model import Evidence
from usecases.drafting import item_changed


class NotStoredWhy(StrEnum):
    FULL = "full"
    """The item already holds its most files."""
    TOO_LARGE = "too_large"
    REJECTED = "rejected"
    """The bytes failed a check; ``NotStored.detail`` is the check's reason (``pdf.encrypted``)."""
    DUPLICATE = "duplicate"
    """The very file is already there; ``NotStored.detail`` is its name."""
    STORE_DOWN = "store_down"
    """The object store did not take the bytes; nothing is lost, the person sends it again."""


@dataclass(frozen=True, slots=True)
class NotStored:
    why: NotStoredWhy
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as it arrives: its bytes as a stream, never whole, and what the sender says."""

    open: Callable[[], AsyncIterator[bytes]]
    file_name: str | None = None
    size: int | None = None


def safe_name(name: str | None, evidence: Evidence, kind: str, number: int = 1) -> str:
    """A display name only (never a storage key): no path, no control or format characters —
    a right-to-left override would show "gpj.exe" as "exe.jpg" (issue 16) — short. A file
    sent without a name (a photo) is named by its item and place: ``photo-2.jpeg``, so two
    are told apart."""
    last = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in last if unicodedata.category(ch) not in {"Cc", "Cf"}).strip()
    return base[:100] if base else f"{evidence.id}-{number}.{kind}"


async def store_document(
    uow: UnitOfWork,
    services: Services,
    application_id: int,
    item: Evidence,
    upload: Upload,
    *,
    on_rollback: list[Callable[[], Awaitable[None]]],
    documents: Sequence[DocumentRecord] | None = None,
) -> DocumentRecord | NotStored:
    """Check ``upload`` against ``item`` and store it as a document of the application, whose
    access the caller has checked; a file the store lost comes back in place of its row.
    ``on_rollback`` gets the deletion of the stored bytes, for a transaction never committed;
    ``documents``: the application's, when the caller has just read them."""
    every = documents if documents is not None else await uow.applications.documents(application_id)
    max_bytes = services.max_upload_bytes
    if present(every).count(item.id) >= item.max:
        return NotStored(NotStoredWhy.FULL)
    if upload.size is not None and upload.size > max_bytes:
        return NotStored(NotStoredWhy.TOO_LARGE)
    try:
        received = await services.inspector.receive(
            upload.open(), max_bytes=max_bytes, allowed=frozenset(item.kinds),
            photo=item.photo_3x4_red,
        )  # fmt: skip
    except DocumentRejected as rejected:
        return NotStored(NotStoredWhy.REJECTED, rejected.reason)
    try:
        inspection = received.inspection
        same = next((d for d in every if d.sha256 == inspection.sha256), None)
        if same is not None and same.lost_at is not None:  # the very file the store lost: back
            await uow.applications.remove_document(application_id, same.id)
        elif same is not None:
            return NotStored(NotStoredWhy.DUPLICATE, same.file_name)
        try:
            stored = await services.objects.put(
                "documents", received.chunks(), content_type=inspection.mime_type,
                max_bytes=max_bytes,
            )  # fmt: skip
        except ObjectTooLarge:
            return NotStored(NotStoredWhy.TOO_LARGE)
        except ObjectStoreError:
            return NotStored(NotStoredWhy.STORE_DOWN)

        async def forget_bytes() -> None:
            await services.eraser.orphaned([stored.key])

        on_rollback.append(forget_bytes)
        document = DocumentRecord(
            id=uuid.uuid4().hex,
            application_id=application_id,
            evidence_id=item.id,
            object_key=stored.key,
            sha256=stored.sha256,
            size=stored.size,
            mime_type=inspection.mime_type,
            file_name=safe_name(
                upload.file_name, item, inspection.kind, present(every).count(item.id) + 1
            ),
            created_at=services.clock(),
            warnings=inspection.warnings,
        )
        await uow.applications.add_document(document)
        await item_changed(uow, application_id, item.id)
    finally:
        await received.close()
    return document


async def request_erasure(uow: UnitOfWork, services: Services, keys: Sequence[str]) -> None:
    """The bytes of ``keys`` are to leave the store: written in this transaction, erased once
    it is committed, retried by the worker while the store refuses."""
    if keys:
        await uow.deletions.request(keys, services.clock())
