"""Real files made on the fly for upload tests: PDFs, photos, and every kind of bad file."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from pypdf import PdfWriter


def pdf(label: str = "dokumen", pages: int = 1) -> bytes:
    """A valid PDF; ``label`` goes into its metadata so each one has its own sha256."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": label})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="rahasia", owner_password="rahasia")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    whole = pdf("terpotong", pages=3)
    return whole[: len(whole) // 3]


def empty_pdf() -> bytes:
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


def photo(
    size: tuple[int, int] = (300, 400),
    background: tuple[int, int, int] = (200, 20, 30),
    kind: str = "JPEG",
) -> bytes:
    """A portrait with a coloured background and a grey 'face' in the middle."""
    image = Image.new("RGB", size, background)
    width, height = size
    image.paste((120, 120, 120), (width // 3, height // 3, 2 * width // 3, height))
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    whole = photo((600, 800))
    return whole[: len(whole) // 2]


def pixel_bomb() -> bytes:
    """A tiny PNG that claims 30000 x 30000 pixels (900 megapixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )


def windows_executable() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 + b"This program cannot be run in DOS mode"


def zip_archive() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("ktp.pdf", pdf("di dalam zip"))
    return out.getvalue()
