"""Throughput and memory of streaming a document into each object store backend.

Starts moto's S3 server on a free local port, streams a generated document (20 MiB by default)
into it and into the local store, and prints MiB/s and the peak Python memory during the put
(tracemalloc) next to the document's size.  Usage: ``python -m bench.object_store [MiB]``.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import boto3

from domain.ports import ObjectStore
from storage.objects import LocalObjectStore, S3ObjectStore

MiB = 1024 * 1024


async def document(total: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    block = bytes(range(256)) * (chunk // 256)
    sent = 0
    while sent < total:
        piece = block[: min(chunk, total - sent)]
        sent += len(piece)
        yield piece


async def measure(name: str, store: ObjectStore, total: int) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    stored = await store.put("bench", document(total), content_type="application/pdf")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert stored.size == total
    print(
        f"{name:6} {total / MiB:6.1f} MiB in {elapsed:6.3f} s = {total / MiB / elapsed:7.1f} MiB/s;"
        f" peak memory {peak / MiB:5.2f} MiB"
    )


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return process, endpoint
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("moto server did not start")


async def main(total: int) -> None:
    process, endpoint = start_moto()
    try:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        s3 = S3ObjectStore(client, "bench")
        await s3.ensure_bucket()
        await measure("s3", s3, total)
        with tempfile.TemporaryDirectory() as folder:
            await measure("local", LocalObjectStore(Path(folder)), total)
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    asyncio.run(main(int(float(sys.argv[1]) * MiB) if len(sys.argv) > 1 else 20 * MiB))
