"""Receiving a document: spooled to a temporary file, its kind decided from its bytes, and
checked (a PDF must open, an image must decode within a pixel limit) before it is stored.

Nothing is held whole in memory: bytes go to disk as they arrive, pypdf and Pillow read the file,
and the stored copy streams from the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from domain.ports import DocumentRejected, Inspection
from storage.files import read_chunks

CHUNK = 256 * 1024
MAX_PIXELS = 40_000_000
"""Larger than any scan or phone photo (a 12 MP camera, an A4 page at 600 dpi is 35 MP)."""
MIME = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
PHOTO_RATIO = 3 / 4
PHOTO_RATIO_TOLERANCE = 0.12
RED_SHARE = 0.5

log = logging.getLogger(__name__)


def sniff(head: bytes) -> str:
    """The kind of a file from its first bytes; refusals name what it really is."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")):
        raise DocumentRejected("file.executable")
    if head.startswith((b"PK\x03\x04", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        raise DocumentRejected("file.archive")  # checked first: a PDF inside a ZIP is still a ZIP
    if b"%PDF-" in head[:1024]:
        return "pdf"
    raise DocumentRejected("file.kind")


class ReceivedFile:
    """A received document on disk, checked; :meth:`chunks` streams it, :meth:`close` removes it."""

    def __init__(self, path: Path, inspection: Inspection) -> None:
        self.path = path
        self.inspection = inspection

    def chunks(self) -> AsyncIterator[bytes]:
        return read_chunks(self.path, CHUNK)

    async def close(self) -> None:
        await asyncio.to_thread(self.path.unlink, missing_ok=True)


class DocumentInspector:
    """Implements :class:`domain.ports.DocumentInspector`."""

    def __init__(self, scratch_dir: Path | None = None, max_pixels: int = MAX_PIXELS) -> None:
        self._scratch = scratch_dir
        self._max_pixels = max_pixels

    async def receive(
        self,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        allowed: frozenset[str],
        photo: bool = False,
    ) -> ReceivedFile:
        path = await self._spool(chunks, max_bytes)
        try:
            inspection = await asyncio.to_thread(self._inspect, path, allowed, photo)
        except BaseException:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        return ReceivedFile(path, inspection)

    async def _spool(self, chunks: AsyncIterable[bytes], max_bytes: int) -> Path:
        if self._scratch is not None:
            await asyncio.to_thread(self._scratch.mkdir, parents=True, exist_ok=True)
        descriptor, name = await asyncio.to_thread(
            tempfile.mkstemp, prefix="upload-", dir=self._scratch
        )
        path = Path(name)
        size = 0
        try:
            with os.fdopen(descriptor, "wb") as handle:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise DocumentRejected("file.too_large")
                    await asyncio.to_thread(handle.write, chunk)
            if size == 0:
                raise DocumentRejected("file.empty")
        except BaseException:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        return path

    def _inspect(self, path: Path, allowed: frozenset[str], photo: bool) -> Inspection:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            head = handle.read(1024)
            digest.update(head)
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        kind = sniff(head)
        if kind not in allowed:
            raise DocumentRejected("file.kind_not_allowed")
        size = path.stat().st_size
        if kind == "pdf":
            pages = _check_pdf(path)
            return Inspection(kind, MIME[kind], size, digest.hexdigest(), pages=pages)
        width, height, warnings_found = self._check_image(path, photo)
        return Inspection(
            kind,
            MIME[kind],
            size,
            digest.hexdigest(),
            width=width,
            height=height,
            warnings=warnings_found,
        )

    def _check_image(self, path: Path, photo: bool) -> tuple[int, int, tuple[str, ...]]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(path) as image:
                    width, height = image.size
                    if width * height > self._max_pixels:
                        raise DocumentRejected("image.too_many_pixels")
                    if image.format == "JPEG":
                        # Decode at 1/8 scale: every byte is still read (a truncated file
                        # fails) but a 12 MP photo needs 0.5 MB instead of 36 MB.
                        image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()
                    found = _photo_warnings(image) if photo else ()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise DocumentRejected("image.too_many_pixels") from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise DocumentRejected("image.corrupt") from error
        return width, height, found


def _check_pdf(path: Path) -> int:
    """The number of pages of a PDF that opens without a password."""
    try:
        # An open file, not a path: given a path, pypdf reads the whole file into memory.
        with _quiet_pypdf(), path.open("rb") as handle:
            reader = PdfReader(handle)
            if reader.is_encrypted and not reader.decrypt(""):
                raise DocumentRejected("pdf.encrypted")
            pages = len(reader.pages)
            for page in reader.pages:
                page.mediabox  # noqa: B018  (touches every page object: a truncated file fails)
    except DocumentRejected:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise DocumentRejected("pdf.corrupt") from error
    if pages == 0:
        raise DocumentRejected("pdf.empty")
    return pages


@contextlib.contextmanager
def _quiet_pypdf() -> Any:
    """pypdf logs every repair it makes; a candidate's broken scan is not our error log."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _photo_warnings(image: Image.Image) -> tuple[str, ...]:
    """A 3x4 photo with a red background (9.1.2 b): warn, the candidate may keep it anyway."""
    found: list[str] = []
    width, height = image.size
    if abs(width / height - PHOTO_RATIO) > PHOTO_RATIO * PHOTO_RATIO_TOLERANCE:
        found.append("photo.aspect")
    small = image.convert("RGB").resize((30, 40))
    border = [small.getpixel((x, y)) for x in range(30) for y in range(6)]  # top band
    border += [small.getpixel((x, y)) for y in range(6, 40) for x in (0, 1, 28, 29)]  # sides
    red = sum(1 for pixel in border if _is_red(pixel))
    if red < RED_SHARE * len(border):
        found.append("photo.background")
    return tuple(found)


def _is_red(pixel: Any) -> bool:
    r, g, b = pixel[:3]
    return bool(r >= 110 and r >= 1.6 * g and r >= 1.6 * b)
