"""A database put straight into the state a use-case test needs: people with roles and
applications in a given state, made through the unit of work (no journey replayed), and each verb
called in its own transaction as an interface calls it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from bot.factory import App
from domain.ports import NewPerson
from scheme.lifecycle import ApplicationState
from usecases.access import Caller, Refusal, Refused


@dataclass
class World:
    """People and applications made directly through the unit of work."""

    app: App

    async def person(self, name: str, *roles: str, zone: str = "Asia/Jakarta") -> Caller:
        async with self.app.uow_factory() as uow:
            state = await uow.conversations.open_locked(
                "telegram", name, new_person=NewPerson("id", zone, name)
            )
            for role in roles:
                await uow.roles.grant(state.person.id, role, by="test")
            await uow.commit()
        return Caller(state.person.id, "telegram")

    async def application(self, candidate: Caller, state: ApplicationState, **parts: Any) -> int:
        async with self.app.uow_factory() as uow:
            created = await uow.applications.create(candidate.person_id, "asesor_kompetensi")
            await uow.applications.update(
                created.id, state=str(state), reference=f"AK-2026-{created.id:05d}",
                submitted_at=self.app.services.clock() - timedelta(days=9),
                apl01={"full_name": "Siti Rahayu"}, **parts,
            )  # fmt: skip
            await uow.commit()
        return created.id

    async def call(self, verb: Callable[..., Awaitable[Any]], *args: Any, **kw: Any) -> Any:
        """A verb in its own transaction, committed as the chat commits an update."""
        async with self.app.uow_factory() as uow:
            outcome = await verb(uow, self.app.services, *args, **kw)
            await uow.commit()
        return outcome

    async def query(self, read: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """A read-only use case (what a screen offers), in a transaction of its own."""
        async with self.app.uow_factory() as uow:
            return await read(uow, *args)

    async def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self.app.engine.connect() as connection:
            return [tuple(r) for r in await connection.execute(text(sql), params)]

    async def state(self, application_id: int) -> str:
        [(state,)] = await self.rows(
            "SELECT state FROM applications WHERE id = :i", i=application_id
        )
        return str(state)


def refusal(outcome: object) -> Refusal:
    assert isinstance(outcome, Refused), outcome
    return outcome.reason
