"""Engines and sessions.

SQLite (the embedded default) gets ``BEGIN IMMEDIATE`` transactions, WAL and a busy timeout so
that concurrent writers wait for each other instead of failing; PostgreSQL locks rows instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_S = 30


def _json_dumps(value: Any) -> str:
    """JSON columns written by orjson: every update writes two or three (the step's data, the
    application's part, the kept reply) and reads several, at a fraction of the standard
    library's cost."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


JSON_CODEC = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


def make_engine(url: str | URL, *, search_path: str | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``; ``search_path`` puts PostgreSQL tables in one schema."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    connect_args: dict[str, Any] = kwargs.pop("connect_args", {})
    if search_path:
        connect_args.setdefault("server_settings", {})["search_path"] = search_path
    # No pool_pre_ping: a dropped connection surfaces as ConnectionLost and the update is handled
    # again (storage.uow), instead of one extra round trip on every update.
    return create_async_engine(parsed, connect_args=connect_args, **(JSON_CODEC | kwargs))


def _sqlite_engine(url: URL, **kwargs: Any) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **(JSON_CODEC | kwargs)
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see "begin").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: two writers then queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
