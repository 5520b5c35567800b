"""The benches' PostgreSQL (``TEST_DATABASE_URL``): a schema of their own, migrated to the head,
dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.engine import make_url

from storage import migrate
from storage.db import make_engine

DATABASE = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def connect() -> asyncpg.Connection:
    url = make_url(DATABASE)
    return await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database,
        password=url.password,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def bench_schema() -> AsyncIterator[tuple[str, asyncpg.Connection]]:
    """A fresh schema at the head revision, and a connection whose search path is it."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    db = await connect()
    await db.execute(f'CREATE SCHEMA "{schema}"')
    try:
        engine = make_engine(DATABASE, search_path=schema)
        await migrate.upgrade(engine)
        await engine.dispose()
        await db.execute(f'SET search_path TO "{schema}"')
        yield schema, db
    finally:
        await db.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await db.close()
