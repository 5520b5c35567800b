"""What ``asesorbot roles`` and ``asesorbot audit`` do: outside any conversation, each in its
own transaction, and itself written to the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import AuditRow, ChannelIdentityRow, PersonRow, RoleRow, utcnow

CLI = "cli"


async def _person_of(connection: Any, channel: str, external_id: str, timezone: str) -> int:
    """The person behind a channel account; created when they have not written yet, so that
    staff can be set up before their first message."""
    found = await connection.execute(
        select(ChannelIdentityRow.person_id).where(
            ChannelIdentityRow.channel == channel, ChannelIdentityRow.external_id == external_id
        )
    )
    person = found.scalar_one_or_none()
    if person is not None:
        return int(person)
    now = utcnow()
    created = await connection.execute(
        insert(PersonRow)
        .values(
            locale="id", locale_chosen=False, timezone=timezone, phone_verified=False,
            created_at=now, updated_at=now,
        )
        .returning(PersonRow.id)
    )  # fmt: skip
    person = int(created.scalar_one())
    await connection.execute(
        insert(ChannelIdentityRow).values(
            channel=channel, external_id=external_id, person_id=person, step="menu",
            step_data={}, created_at=now, last_active_at=now,
        )
    )  # fmt: skip
    return person


async def grant(
    engine: AsyncEngine, channel: str, external_id: str, role: str, *, by: str, timezone: str
) -> int:
    async with engine.begin() as connection:
        person = await _person_of(connection, channel, external_id, timezone)
        upsert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
        await connection.execute(
            upsert(RoleRow)
            .values(person_id=person, role=role, granted_by=by, granted_at=utcnow())
            .on_conflict_do_nothing()
        )
        await _audit(connection, person, f"grant_{role}", f"{channel}:{external_id}", by)
    return person


async def revoke(
    engine: AsyncEngine, channel: str, external_id: str, role: str, *, by: str
) -> bool:
    async with engine.begin() as connection:
        found = await connection.execute(
            select(ChannelIdentityRow.person_id).where(
                ChannelIdentityRow.channel == channel, ChannelIdentityRow.external_id == external_id
            )
        )
        person = found.scalar_one_or_none()
        if person is None:
            return False
        removed = await connection.execute(
            delete(RoleRow).where(RoleRow.person_id == person, RoleRow.role == role)
        )
        await _audit(connection, person, f"revoke_{role}", f"{channel}:{external_id}", by)
        return bool(removed.rowcount)


async def _audit(connection: Any, person: int, action: str, target: str, by: str) -> None:
    await connection.execute(
        insert(AuditRow).values(
            at=utcnow(), person_id=person, channel=CLI, action=action, target=target,
            allowed=True, details={"by": by},
        )
    )  # fmt: skip


async def roles(engine: AsyncEngine) -> Sequence[Any]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(
                RoleRow.role, ChannelIdentityRow.channel, ChannelIdentityRow.external_id,
                RoleRow.granted_by, RoleRow.granted_at,
            )
            .join(ChannelIdentityRow, ChannelIdentityRow.person_id == RoleRow.person_id)
            .order_by(RoleRow.role, ChannelIdentityRow.channel, ChannelIdentityRow.external_id)
        )  # fmt: skip
        return list(rows)


async def audit(engine: AsyncEngine, limit: int) -> Sequence[Any]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(AuditRow.__table__).order_by(AuditRow.id.desc()).limit(limit)
        )
        return list(reversed(list(rows)))
