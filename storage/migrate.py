"""Schema changes, only ever through Alembic migrations, run on a live async connection."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def upgrade(engine: AsyncEngine, target: str = "head") -> None:
    await _run(engine, lambda config: command.upgrade(config, target))


async def downgrade(engine: AsyncEngine, target: str) -> None:
    await _run(engine, lambda config: command.downgrade(config, target))


async def current(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None for an empty one)."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def _run(engine: AsyncEngine, action: object) -> None:
    def run(sync: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = sync
        assert callable(action)
        action(config)

    async with engine.begin() as connection:
        await connection.run_sync(run)
