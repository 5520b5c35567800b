"""The object store, local folder and S3 over HTTP (moto's server), with the same tests."""

from __future__ import annotations

import hashlib
import re
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import boto3
import pytest

from bot.config import Settings, load_settings
from bot.factory import build_object_store
from domain.ports import ObjectNotFound, ObjectStore, ObjectStoreUnavailable, ObjectTooLarge
from storage.objects import S3ObjectStore

MiB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest) -> ObjectStore:
    if request.param == "local":
        return build_object_store(request.getfixturevalue("settings"))
    store = build_object_store(request.getfixturevalue("s3_settings"))
    assert isinstance(store, S3ObjectStore)
    await store.ensure_bucket()
    return store


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def generated(total: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """``total`` bytes made on the fly, so the test itself holds one chunk at a time."""
    block = bytes(range(256)) * (chunk // 256)
    sent = 0
    while sent < total:
        piece = block[: min(chunk, total - sent)]
        sent += len(piece)
        yield piece


async def read_all(store: ObjectStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.get(key)])


async def test_put_get_delete_round_trip(store: ObjectStore) -> None:
    data = b"%PDF-1.7 fake scan " * 1000
    stored = await store.put("documents", chunks_of(data), content_type="application/pdf")
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.key.startswith("documents/")
    assert await store.exists(stored.key)
    assert await read_all(store, stored.key) == data
    await store.delete(stored.key)
    assert not await store.exists(stored.key)
    with pytest.raises(ObjectNotFound):
        await read_all(store, stored.key)


async def test_keys_never_hold_user_supplied_names(store: ObjectStore) -> None:
    stored = await store.put("documents", chunks_of(b"x"), content_type="text/plain")
    assert re.fullmatch(r"documents/[0-9a-f]{32}", stored.key)
    with pytest.raises(ValueError, match="namespace"):
        await store.put("../etc", chunks_of(b"x"), content_type="text/plain")
    for hostile in ("../../etc/passwd", "documents/../../x", "KTP Budi.pdf"):
        assert not await store.exists(hostile)
        with pytest.raises(ObjectNotFound):
            await read_all(store, hostile)


async def test_empty_object(store: ObjectStore) -> None:
    stored = await store.put("documents", chunks_of(b""), content_type="application/pdf")
    assert stored.size == 0
    assert await read_all(store, stored.key) == b""


async def test_too_large_keeps_nothing(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(ObjectTooLarge):
        await store.put(
            "documents", generated(12 * MiB), content_type="application/pdf", max_bytes=11 * MiB
        )
    if isinstance(store, S3ObjectStore):
        client, bucket = store._client, store._bucket
        assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
        assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    else:
        assert [p for p in (tmp_path / "objects").rglob("*") if p.is_file()] == []


async def test_thirty_megabytes_stream_with_bounded_memory(store: ObjectStore) -> None:
    total = 30 * MiB
    expected = hashlib.sha256()
    async for piece in generated(total):
        expected.update(piece)
    tracemalloc.start()
    try:
        stored = await store.put("documents", generated(total), content_type="application/pdf")
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        received = hashlib.sha256()
        size = 0
        async for chunk in store.get(stored.key):
            received.update(chunk)
            size += len(chunk)
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == size == total
    assert stored.sha256 == received.hexdigest() == expected.hexdigest()
    # A 5 MiB multipart part being filled (and the last one, until boto lets go of it),
    # never the 30 MiB object.
    assert put_peak < 16 * MiB, f"put peaked at {put_peak / MiB:.1f} MiB"
    assert get_peak < 4 * MiB, f"get peaked at {get_peak / MiB:.1f} MiB"


async def test_s3_requests_server_side_encryption(s3_settings: Settings) -> None:
    store = build_object_store(s3_settings)
    assert isinstance(store, S3ObjectStore)
    await store.ensure_bucket()
    small = await store.put("documents", chunks_of(b"ktp"), content_type="image/jpeg")
    large = await store.put("documents", generated(6 * MiB), content_type="application/pdf")
    client = boto3.client(
        "s3",
        endpoint_url=str(s3_settings.s3.endpoint_url),
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for stored, content_type in ((small, "image/jpeg"), (large, "application/pdf")):
        head = client.head_object(Bucket=s3_settings.s3.bucket, Key=stored.key)
        assert head["ServerSideEncryption"] == "AES256"
        assert head["ContentType"] == content_type
        assert head["ContentLength"] == stored.size


async def test_dead_s3_is_reported_as_unavailable(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("STORAGE_BACKEND", "s3")
    clean_env.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    clean_env.setenv("S3_ACCESS_KEY_ID", "testing")
    clean_env.setenv("S3_SECRET_ACCESS_KEY", "testing")
    store = build_object_store(load_settings(env_file=None))
    with pytest.raises(ObjectStoreUnavailable):
        await store.put("documents", chunks_of(b"data"), content_type="application/pdf")
    with pytest.raises(ObjectStoreUnavailable):
        await store.ping()


async def test_s3_missing_bucket_is_unavailable_not_a_crash(s3_settings: Settings) -> None:
    store = build_object_store(s3_settings)  # the bucket was never created
    with pytest.raises(ObjectStoreUnavailable):
        await store.put("documents", chunks_of(b"data"), content_type="application/pdf")


@pytest.mark.parametrize("call", ["put", "get", "delete", "ping"])
async def test_a_hung_s3_fails_within_its_deadline(hung_s3: Settings, call: str) -> None:
    """A store that accepts connections and never answers: every call gives up in seconds,
    as unavailable (the person hears "try again"), not after minutes."""
    store = build_object_store(hung_s3)
    calls = {
        "put": lambda: store.put("documents", generated(6 * MiB), content_type="application/pdf"),
        "get": lambda: read_all(store, "documents/" + "0" * 32),
        "delete": lambda: store.delete("documents/" + "0" * 32),
        "ping": store.ping,
    }
    started = time.monotonic()
    with pytest.raises(ObjectStoreUnavailable):
        await calls[call]()
    assert time.monotonic() - started < hung_s3.s3.deadline_seconds + 1.5
