"""A 20 MB document uploaded through the conversation into the S3 server (moto, over HTTP).

Walks a candidate to the KTP evidence item, then sends a valid 20 MB PDF streamed in 256 KiB
chunks, and prints the time, the throughput and the memory growth during that one upload:
the Python peak (tracemalloc) and the process's peak RSS growth.  Target: growth under 16 MB.
Usage: ``python -m bench.upload_document [MiB]``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.object_store import start_moto
from bot.channels.terminal import file_chunks
from bot.config import load_settings
from bot.factory import build_app
from handlers.messages import CommandIn, FileIn, Inbound, OptionIn, TextIn, Update
from storage.objects import S3ObjectStore

MiB = 1024 * 1024


def write_big_pdf(path: Path, size: int) -> None:
    """A valid one-page PDF whose page carries one large stream, written piece by piece."""
    offsets: list[int] = []
    with path.open("wb") as out:

        def obj(body: bytes) -> None:
            offsets.append(out.tell())
            out.write(body)

        out.write(b"%PDF-1.7\n")
        obj(b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
        obj(b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n")
        obj(
            b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/PieceInfo << /Bench << /Data 4 0 R >> >> >> endobj\n"
        )
        offsets.append(out.tell())
        out.write(b"4 0 obj << /Length %d >> stream\n" % size)
        block = os.urandom(MiB)
        for start in range(0, size, MiB):
            out.write(block[: min(MiB, size - start)])
        out.write(b"\nendstream endobj\n")
        xref = out.tell()
        out.write(b"xref\n0 5\n0000000000 65535 f \n")
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(b"trailer << /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)


async def main(size: int) -> None:
    moto, endpoint = start_moto()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        os.environ.update(
            DATABASE_URL=f"sqlite+aiosqlite:///{work / 'bench.db'}",
            STORAGE_BACKEND="s3",
            S3_ENDPOINT_URL=endpoint,
            S3_BUCKET="bench",
            S3_ACCESS_KEY_ID="bench",
            S3_SECRET_ACCESS_KEY="bench",
            S3_PART_SIZE_MB="5",
            MAX_UPLOAD_MB=str(size // MiB + 1),
        )
        document = work / "scan.pdf"
        write_big_pdf(document, size)
        app = await build_app(load_settings(env_file=None))
        assert isinstance(app.objects, S3ObjectStore)
        await app.objects.ensure_bucket()
        try:
            steps: list[Inbound] = [CommandIn("start"), OptionIn("id"), OptionIn("apply")]
            steps += [OptionIn("0"), OptionIn("s1"), TextIn("2"), OptionIn("1"), OptionIn("1")]
            steps += [OptionIn("evidence"), OptionIn("ktp")]
            for event in steps:
                await app.conversation.handle(Update("bench", "u1", event))
            upload = FileIn(open=file_chunks(document), file_name="scan.pdf", size=None)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            started = time.perf_counter()
            reply = await app.conversation.handle(Update("bench", "u1", upload))
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
            body = getattr(reply.messages[0], "body", "")
            assert "Diterima" in body, body
        finally:
            await app.aclose()
    moto.terminate()
    moto.wait()
    print(
        f"uploaded {size / MiB:.1f} MiB through the conversation into S3 (moto) in {elapsed:.2f} s "
        f"= {size / MiB / elapsed:.1f} MiB/s"
    )
    print(f"peak Python memory during the upload: {peak / MiB:.2f} MiB (tracemalloc)")
    print(f"peak RSS growth during the upload: {rss_growth / 1024:.2f} MiB (target < 16 MiB)")


if __name__ == "__main__":
    asyncio.run(main(int(float(sys.argv[1]) * MiB) if len(sys.argv) > 1 else 20 * MiB))
