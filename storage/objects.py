"""The object store for documents: a local folder (embedded default) or any S3 endpoint.

Bytes always stream: a put reads its chunks into at most one multipart part at a time, a get
yields chunks as they arrive.  Keys are ``<namespace>/<random hex>``: never a name a user gave.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from domain.ports import (
    ObjectNotFound,
    ObjectStoreUnavailable,
    ObjectTooLarge,
    StoredObject,
)
from storage.files import read_chunks

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

READ_CHUNK = 256 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024
"""S3's smallest multipart part (except the last)."""

_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}/[0-9a-f]{32}$")
T = TypeVar("T")


def new_key(namespace: str) -> str:
    if not _NAMESPACE.match(namespace):
        raise ValueError(f"bad object namespace {namespace!r}")
    return f"{namespace}/{uuid.uuid4().hex}"


def _check_key(key: str) -> str:
    if not _KEY.match(key):
        raise ObjectNotFound(key)
    return key


class _Meter:
    """Counts and hashes bytes as they pass; refuses to pass more than the limit."""

    def __init__(self, max_bytes: int | None) -> None:
        self.size = 0
        self.max_bytes = max_bytes
        self._sha = hashlib.sha256()

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise ObjectTooLarge(self.max_bytes)
        self._sha.update(chunk)

    def stored(self, key: str) -> StoredObject:
        return StoredObject(key=key, size=self.size, sha256=self._sha.hexdigest())


class LocalObjectStore:
    """Objects as files below one folder; a put is written aside and renamed in when whole."""

    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def name(self) -> str:
        return "local"

    def _path(self, key: str) -> Path:
        return self._root / _check_key(key)

    async def put(
        self,
        namespace: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> StoredObject:
        key = new_key(namespace)
        meter = _Meter(max_bytes)
        partial = self._root / ".partial" / uuid.uuid4().hex
        try:
            await asyncio.to_thread(partial.parent.mkdir, parents=True, exist_ok=True)
            handle = await asyncio.to_thread(partial.open, "wb")
            try:
                async for chunk in chunks:
                    meter.feed(chunk)
                    await asyncio.to_thread(handle.write, chunk)
                await asyncio.to_thread(_flush, handle)
            finally:
                await asyncio.to_thread(handle.close)
            final = self._path(key)
            await asyncio.to_thread(final.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(os.replace, partial, final)
        except OSError as error:
            raise ObjectStoreUnavailable(f"local store: {error.strerror}") from error
        finally:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
        return meter.stored(key)

    async def get(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            async for chunk in read_chunks(path, READ_CHUNK):
                yield chunk
        except FileNotFoundError as error:
            raise ObjectNotFound(key) from error
        except OSError as error:
            raise ObjectStoreUnavailable(f"local store: {error.strerror}") from error

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        try:
            return await asyncio.to_thread(self._path(key).is_file)
        except ObjectNotFound:
            return False

    async def ping(self) -> None:
        try:
            await asyncio.to_thread(self._root.mkdir, parents=True, exist_ok=True)
            if not os.access(self._root, os.W_OK):
                raise ObjectStoreUnavailable("local store is not writable")
        except OSError as error:
            raise ObjectStoreUnavailable(f"local store: {error.strerror}") from error


def _flush(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _is_missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


class S3ObjectStore:
    """Objects in an S3-compatible bucket, through boto3 (run in worker threads)."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        part_size: int = MIN_PART_SIZE,
        server_side_encryption: str | None = "AES256",
        deadline: float = 30.0,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError("S3 parts are at least 5 MiB")
        self._deadline = deadline
        self._client = client
        self.name = f"s3:{bucket}"
        self._bucket = bucket
        self._part_size = part_size
        self._sse = server_side_encryption

    async def _call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """One call under the overall deadline: botocore's timeouts bound each try, this bounds
        them all (the worker thread, which cannot be cancelled, ends at its own timeout)."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(fn, **kwargs), self._deadline)
        except TimeoutError as error:
            name = getattr(fn, "__name__", "call")
            raise ObjectStoreUnavailable(
                f"S3: {name} got no answer in {self._deadline} s"
            ) from error
        except ClientError as error:
            if _is_missing(error):
                raise ObjectNotFound(str(kwargs.get("Key", ""))) from error
            raise ObjectStoreUnavailable(f"S3: {error.response.get('Error', {})}") from error
        except BotoCoreError as error:
            raise ObjectStoreUnavailable(f"S3: {type(error).__name__}") from error

    def _encryption(self) -> dict[str, Any]:
        return {"ServerSideEncryption": self._sse} if self._sse else {}

    async def put(
        self,
        namespace: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> StoredObject:
        key = new_key(namespace)
        meter = _Meter(max_bytes)
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                meter.feed(chunk)
                buffer += chunk
                if len(buffer) >= self._part_size:
                    if upload_id is None:
                        upload_id = await self._start_multipart(key, content_type)
                    parts.append(await self._upload_part(key, upload_id, len(parts) + 1, buffer))
                    buffer = bytearray()
            if upload_id is None:
                await self._call(
                    self._client.put_object,
                    Bucket=self._bucket,
                    Key=key,
                    Body=bytes(buffer),
                    ContentType=content_type,
                    **self._encryption(),
                )
            else:
                if buffer:
                    parts.append(await self._upload_part(key, upload_id, len(parts) + 1, buffer))
                await self._call(
                    self._client.complete_multipart_upload,
                    Bucket=self._bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if upload_id is not None:
                await self._abort(key, upload_id)
            raise
        return meter.stored(key)

    async def _start_multipart(self, key: str, content_type: str) -> str:
        response = await self._call(
            self._client.create_multipart_upload,
            Bucket=self._bucket,
            Key=key,
            ContentType=content_type,
            **self._encryption(),
        )
        return response["UploadId"]

    async def _upload_part(
        self, key: str, upload_id: str, number: int, data: bytearray
    ) -> dict[str, Any]:
        response = await self._call(
            self._client.upload_part,
            Bucket=self._bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
        )
        return {"ETag": response["ETag"], "PartNumber": number}

    async def _abort(self, key: str, upload_id: str) -> None:
        """Best effort: a failed abort leaves parts that the bucket's lifecycle rule expires."""
        with contextlib.suppress(ObjectStoreUnavailable):
            await self._call(
                self._client.abort_multipart_upload,
                Bucket=self._bucket,
                Key=key,
                UploadId=upload_id,
            )

    async def get(self, key: str) -> AsyncIterator[bytes]:
        response = await self._call(
            self._client.get_object, Bucket=self._bucket, Key=_check_key(key)
        )
        body = response["Body"]
        try:
            while chunk := await self._call(body.read, amt=READ_CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(body.close)

    async def delete(self, key: str) -> None:
        await self._call(self._client.delete_object, Bucket=self._bucket, Key=_check_key(key))

    async def exists(self, key: str) -> bool:
        try:
            await self._call(self._client.head_object, Bucket=self._bucket, Key=_check_key(key))
        except ObjectNotFound:
            return False
        return True

    async def ping(self) -> None:
        await self._call(self._client.head_bucket, Bucket=self._bucket)

    async def ensure_bucket(self) -> None:
        """Create the bucket when it is missing (development and tests)."""
        try:
            await self.ping()
        except ObjectNotFound:
            region = self._client.meta.region_name
            where: dict[str, Any] = (
                {"CreateBucketConfiguration": {"LocationConstraint": region}}
                if region and region != "us-east-1"
                else {}
            )
            await self._call(self._client.create_bucket, Bucket=self._bucket, **where)
