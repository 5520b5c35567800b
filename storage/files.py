"""Reading a local file as a stream of chunks without blocking the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

CHUNK = 256 * 1024


async def read_chunks(path: Path, size: int = CHUNK) -> AsyncIterator[bytes]:
    """The file's bytes, ``size`` at a time, each read in a worker thread."""
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, size):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)
