"""The schema is made only by migrations: every revision goes up, down and up again, and the
result matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage import migrate
from storage.models import Base


async def tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return names - {"alembic_version"}


async def test_stairway(engine) -> None:
    revisions = migrate.revisions()
    assert revisions, "no migrations found"
    previous = "base"
    for revision in revisions:
        await migrate.upgrade(engine, revision)
        assert await migrate.current(engine) == revision
        await migrate.downgrade(engine, previous)
        assert await migrate.current(engine) == (None if previous == "base" else previous)
        await migrate.upgrade(engine, revision)
        previous = revision
    await migrate.downgrade(engine, "base")
    assert await tables(engine) == set()


async def test_migrations_match_the_models(engine) -> None:
    await migrate.upgrade(engine)
    assert await tables(engine) == set(Base.metadata.tables)
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert differences == []
