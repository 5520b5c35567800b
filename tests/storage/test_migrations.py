"""The schema is made only by migrations: every revision goes up, down and up again, and the
result matches the models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Integer,
    String,
    column,
    inspect,
    select,
    table,
)

from storage import migrate
from storage.models import ApplicationRow, Base

pytestmark = pytest.mark.empty_database


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


PERSONS_0010 = table(
    "persons", column("id", Integer), column("locale", String), column("timezone", String),
    column("created_at", DateTime(timezone=True)), column("updated_at", DateTime(timezone=True)),
    column("locale_chosen", Boolean), column("phone_verified", Boolean),
)  # fmt: skip
APPLICATIONS_0010 = table(
    "applications", column("id", Integer), column("person_id", Integer),
    column("scheme_code", String), column("state", String),
    *(column(name, JSON) for name in (
        "eligibility", "apl01", "apl02", "review", "assessment", "decision", "appeal",
    )),
    column("created_at", DateTime(timezone=True)), column("updated_at", DateTime(timezone=True)),
)  # fmt: skip
"""The tables as revision 0010 has them (the models are the newest revision's)."""


async def test_apl02_answers_per_kuk_are_carried_over_per_element(engine) -> None:
    """0011: an element is K when every answered KUK of it is K; the evidence goes with it; an
    open draft is marked so that the candidate is told and asked the new elements."""
    await migrate.upgrade(engine, "0010")
    per_kuk = {
        "P.85ASM00.001.2/1.1": {"verdict": "K", "evidence": ["d1"]},
        "P.85ASM00.001.2/1.2": {"verdict": "K", "evidence": ["d2", "d1"]},
        "P.85ASM00.001.2/2.1": {"verdict": "K", "evidence": ["d3"]},
        "P.85ASM00.001.2/2.2": {"verdict": "BK", "evidence": []},
        "P.854900.047.01/3.1": {"verdict": "K", "evidence": []},
    }
    now = datetime(2026, 12, 1, tzinfo=UTC)
    async with engine.begin() as connection:
        await connection.execute(
            PERSONS_0010.insert(),
            [{"id": 1, "locale": "id", "timezone": "Asia/Jakarta", "created_at": now,
              "updated_at": now, "locale_chosen": True, "phone_verified": False}],
        )  # fmt: skip
        for app_id, state in ((1, "draft"), (2, "submitted")):
            await connection.execute(
                APPLICATIONS_0010.insert(),
                [{"id": app_id, "person_id": 1, "scheme_code": "SKM-01/BNSP/VII/2020",
                  "state": state, "eligibility": {}, "apl01": {}, "apl02": per_kuk,
                  "review": {}, "assessment": {}, "decision": {}, "appeal": {},
                  "created_at": now, "updated_at": now}],
            )  # fmt: skip
    await migrate.upgrade(engine, "0011")
    async with engine.connect() as connection:
        rows = await connection.execute(select(ApplicationRow.id, ApplicationRow.apl02))
        stored = {int(row[0]): row[1] for row in rows}
    expected = {
        "P.85ASM00.001.2/1": {"verdict": "K", "evidence": ["d1", "d2"]},
        "P.85ASM00.001.2/2": {"verdict": "BK", "evidence": ["d3"]},
        "P.854900.047.01/3": {"verdict": "K", "evidence": []},
    }
    assert stored[1] == {**expected, "_from_kuk": True}
    assert stored[2] == expected  # submitted: converted, nothing to ask
