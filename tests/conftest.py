"""Shared fixtures: real databases (SQLite and PostgreSQL), a real S3 server over HTTP (moto),
and the production wiring from :func:`bot.factory.build_app`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import hypothesis
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings, environment_names, load_settings
from bot.factory import App, build_app, build_object_store
from bot.schemes import load_scheme
from handlers.conversation import Flow
from scheme.model import Scheme
from storage import migrate
from storage.db import make_engine
from storage.objects import S3ObjectStore
from tests.fakes.tcp_proxy import TcpProxy

# No per-example deadline: the first example of a year builds that year's holiday calendar, and
# a busy CI machine must not turn that into a flaky failure.
hypothesis.settings.register_profile("asesorbot", deadline=None, print_blob=True)
hypothesis.settings.load_profile("asesorbot")

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL; in CI an unreachable server fails the test instead of skipping."""

    url = make_url(TEST_DATABASE_URL)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=5).close()
    except OSError as error:
        message = f"PostgreSQL at {url.host}:{url.port} is unreachable: {error!r}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return TEST_DATABASE_URL


async def _execute(url: str, sql: str) -> None:
    """One statement on its own connection (schemas are made and dropped outside the engine)."""
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        database=parsed.database,
        password=parsed.password,
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _postgres_schema_engine(url: str) -> tuple[AsyncEngine, str]:
    """An engine whose tables live in a fresh schema of their own (dropped afterwards)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _execute(url, f'CREATE SCHEMA "{schema}"')
    return make_engine(url, search_path=schema, pool_size=10), schema


async def _drop_schema(url: str, schema: str) -> None:
    await _execute(url, f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file at the newest revision, made once: a test's database starts as a copy of
    it, as ``asesorbot db upgrade`` would leave it, without paying for every migration again."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"

    async def upgrade() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(engine)
        await engine.dispose()

    worker = threading.Thread(target=asyncio.run, args=(upgrade(),))  # outside the test's loop
    worker.start()
    worker.join()
    return path


@pytest.fixture(params=DATABASES)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database, SQLite file or PostgreSQL schema: empty, or on SQLite already at the newest
    revision (a copy of :func:`migrated_sqlite`) unless the test is marked ``empty_database``
    (the migration tests)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        if request.node.get_closest_marker("empty_database") is None:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        yield engine
        await engine.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    engine, schema = await _postgres_schema_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        await _drop_schema(url, schema)


@pytest.fixture
def drop_connections(engine: AsyncEngine, postgres_url: str) -> Callable[[], Awaitable[int]]:
    """What a PostgreSQL restart does to the pool: the server ends every idle connection."""

    async def drop() -> int:
        idle = engine.pool.checkedin()  # type: ignore[attr-defined]
        async with contextlib.AsyncExitStack() as stack:
            connections = [await stack.enter_async_context(engine.connect()) for _ in range(idle)]
            pids = [
                (await c.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one()
                for c in connections
            ]
        for pid in pids:
            await _execute(postgres_url, f"SELECT pg_terminate_backend({int(pid)})")
        return len(pids)

    return drop


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No setting from the machine leaks into a test; files go below ``tmp_path``."""
    for name in environment_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STORAGE_LOCAL_DIR", str(tmp_path / "objects"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    return monkeypatch


@pytest.fixture(scope="session")
def scheme() -> Scheme:
    """Read once: the scheme is frozen data, and reading it is most of a memory test's time."""
    return load_scheme(load_settings(env_file=None).app.scheme_file)


@pytest.fixture
def settings(clean_env: pytest.MonkeyPatch) -> Settings:
    return load_settings(env_file=None)


@pytest.fixture
async def make_app(settings: Settings, engine: AsyncEngine) -> Callable[..., Awaitable[App]]:
    """Build the production wiring on the test database (as often as a test restarts it)."""
    await migrate.upgrade(engine)  # what `asesorbot db upgrade` does before a server deploy

    async def make(flow: Flow | None = None, **wiring: Any) -> App:
        return await build_app(settings, engine=engine, flow=flow, **wiring)

    return make


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server, in its own process, spoken to over HTTP."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("moto S3 server did not start")
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_settings(clean_env: pytest.MonkeyPatch, s3_endpoint: str) -> Settings:
    """Settings for the S3 backend on the test server, with a bucket of the test's own."""
    clean_env.setenv("STORAGE_BACKEND", "s3")
    clean_env.setenv("S3_ENDPOINT_URL", s3_endpoint)
    clean_env.setenv("S3_BUCKET", f"test-{uuid.uuid4().hex[:16]}")
    clean_env.setenv("S3_ACCESS_KEY_ID", "testing")
    clean_env.setenv("S3_SECRET_ACCESS_KEY", "testing")
    clean_env.setenv("S3_PART_SIZE_MB", "5")
    return load_settings(env_file=None)


@pytest.fixture
async def s3_proxy(s3_settings: Settings, clean_env: pytest.MonkeyPatch) -> AsyncIterator[TcpProxy]:
    """The S3 server behind a proxy the test can cut or hang: S3_ENDPOINT_URL points at the
    proxy (moto itself stays at ``s3_endpoint``), with short timeouts and the bucket created."""
    assert s3_settings.s3.endpoint_url is not None
    upstream = s3_settings.s3.endpoint_url
    proxy = TcpProxy(str(upstream.host), int(upstream.port or 80))
    await proxy.start()
    clean_env.setenv("S3_ENDPOINT_URL", f"http://127.0.0.1:{proxy.port}")
    clean_env.setenv("S3_READ_TIMEOUT_SECONDS", "1")
    clean_env.setenv("S3_DEADLINE_SECONDS", "3")
    store = build_object_store(load_settings(env_file=None))
    assert isinstance(store, S3ObjectStore)
    await store.ensure_bucket()  # while the store still answers
    yield proxy
    await proxy.close()


@pytest.fixture
def hung_s3(s3_proxy: TcpProxy) -> Settings:
    """Settings for an S3 that accepts connections and never answers."""
    s3_proxy.hang()
    return load_settings(env_file=None)
