"""What ``asesorbot roles list`` and ``asesorbot audit`` read (granting and revoking go through
``usecases.roles``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import AuditRow, ChannelIdentityRow, RoleRow


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
