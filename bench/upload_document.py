"""The largest document the bot takes, uploaded through the conversation into the S3 server
(moto, over HTTP), beside a baseline that holds the whole file in memory.

Walks a candidate to the KTP evidence item, then sends a valid PDF of exactly ``MAX_UPLOAD_MB``
(the default 20 MiB: the worst case the settings allow) streamed in 256 KiB chunks, and prints
the time, the throughput and the memory growth during that one upload: the Python peak
(tracemalloc) and the process's peak RSS growth. Each case runs in a process of its own (peak
RSS only grows): at the default part size (``S3_PART_SIZE_MB`` 8), at the smallest S3 allows
(5), and the baseline, which reads the file whole and sends it in one ``put_object``.
Target: growth under 16 MiB at the defaults.
Usage: ``python -m bench.upload_document [MiB]`` (default: the default ``MAX_UPLOAD_MB``).
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import boto3

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


def write_pdf_of(path: Path, size: int) -> None:
    """A valid PDF of exactly ``size`` bytes (its numbers' digits grow with it: measured)."""
    stream = size
    for _ in range(3):
        write_big_pdf(path, stream)
        stream += size - path.stat().st_size
    assert path.stat().st_size == size, path.stat().st_size


async def baseline(size: int) -> None:
    """What a bot that reads an upload whole does: the file in memory, one ``put_object``."""
    moto, endpoint = start_moto()
    with tempfile.TemporaryDirectory() as folder:
        document = Path(folder) / "scan.pdf"
        write_pdf_of(document, size)
        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="bench", aws_secret_access_key="bench",
        )  # fmt: skip
        client.create_bucket(Bucket="bench")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.perf_counter()
        data = document.read_bytes()
        await asyncio.to_thread(client.put_object, Bucket="bench", Key="scan", Body=data)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    moto.terminate()
    moto.wait()
    report("baseline: whole file, one put", size, elapsed, peak, rss_growth)


def report(label: str, size: int, elapsed: float, peak: int, rss_growth_kib: int) -> None:
    print(
        f"  {label:<34} {size / MiB:5.1f} MiB in {elapsed:5.2f} s = "
        f"{size / MiB / elapsed:5.1f} MiB/s; peak Python {peak / MiB:6.2f} MiB, "
        f"peak RSS growth {rss_growth_kib / 1024:6.2f} MiB"
    )


async def streamed(size: int, part_mb: int) -> None:
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
            S3_PART_SIZE_MB=str(part_mb),
            MAX_UPLOAD_MB=str(-(-size // MiB)),
        )
        document = work / "scan.pdf"
        write_pdf_of(document, size)
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
    report(f"streamed, {part_mb} MiB parts", size, elapsed, peak, rss_growth)


def main() -> None:
    from bot.config import AppSettings, S3Settings

    size = int(float(sys.argv[1]) * MiB) if len(sys.argv) > 1 else AppSettings().max_upload_mb * MiB
    default_part = S3Settings().part_size_mb
    print(f"one upload of {size / MiB:.1f} MiB through the conversation into S3 (moto, HTTP)")
    print("(target: peak RSS growth < 16 MiB at the defaults)")
    for case in (f"streamed:{default_part}", "streamed:5", "baseline"):
        subprocess.run(
            [sys.executable, "-m", "bench.upload_document", "--case", case, str(size)], check=True
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        kind, _, part = sys.argv[2].partition(":")
        total = int(sys.argv[3])
        asyncio.run(streamed(total, int(part)) if kind == "streamed" else baseline(total))
    else:
        main()
