"""A database put straight into the state a use-case test needs: people with roles and
applications in a given state, made through the unit of work (no journey replayed), and each verb
called in its own transaction as an interface calls it."""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from hashlib import sha256
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels import ACCOUNTS
from bot.config import Settings
from bot.factory import build_object_store
from domain.application import plan_of
from domain.parts import Apl02
from domain.ports import DocumentRecord, NewPerson, Services, UnitOfWorkFactory
from scheme.apl02 import Answer, Verdict, questionnaire
from scheme.deadlines import certificate_expiry
from scheme.eligibility import assess
from scheme.lifecycle import ApplicationState
from scheme.model import Scheme
from storage.documents import DocumentInspector
from tests.fakes.memory import AuditRow, Memory, MemoryEraser, OutboxRow
from tests.scheme.test_eligibility import NEW_OK
from usecases.access import Caller, Refusal, Refused

APL01 = {
    "full_name": "Siti Rahayu", "nationality": "WNI", "birth_place": "Bandung",
    "birth_date": "1985-08-17", "sex": "P", "id_number": "3273015708850002",
    "home_address": "Jl. Merdeka No. 1, Bandung", "home_postcode": "40111",
    "mobile": "+6281234567890", "email": "siti@example.id", "education": "s1",
    "institution": "LSP Contoh", "position": "Asesor", "office_address": "Jl. Asia Afrika 2",
    "office_postcode": "40112", "office_phone": "+62224201234", "office_email": "lsp@example.id",
    "purpose": "sertifikasi",
}  # fmt: skip
"""APL-01 as it is stored once every answer passed its check: the NIK agrees with the birth
date and sex (day 17 + 40 for a woman, 08, 85)."""


class Wiring(Protocol):
    """What a world needs of the wiring: :class:`bot.factory.App` on a database, or
    :class:`MemoryWiring`."""

    @property
    def uow_factory(self) -> UnitOfWorkFactory: ...

    @property
    def services(self) -> Services: ...


@dataclass(frozen=True, slots=True)
class MemoryWiring:
    uow_factory: UnitOfWorkFactory
    services: Services


class Tables(Protocol):
    """What a test reads back beyond the ports: the outbox and the audit log as rows."""

    async def outbox(self) -> list[OutboxRow]: ...

    async def audit(self) -> list[AuditRow]: ...

    async def roles(self) -> list[tuple[int, str, str]]:
        """(person id, role, granted by), in that order."""
        ...

    async def documents(self) -> list[DocumentRecord]: ...


@dataclass(frozen=True, slots=True)
class SqlTables:
    engine: AsyncEngine
    uow_factory: UnitOfWorkFactory

    async def _rows(self, sql: str) -> list[Any]:
        async with self.engine.connect() as connection:
            return list(await connection.execute(text(sql)))

    async def outbox(self) -> list[OutboxRow]:
        rows = await self._rows(
            "SELECT id, person_id, kind, params, urgent, due_at, dedupe_key, subject, status"
            " FROM outbox ORDER BY id"
        )
        return [
            OutboxRow(
                r.id,
                r.person_id,
                r.kind,
                _json(r.params),
                bool(r.urgent),
                _utc(r.due_at),
                r.dedupe_key,
                r.subject,
                r.status,
            )
            for r in rows
        ]

    async def audit(self) -> list[AuditRow]:
        rows = await self._rows(
            "SELECT id, person_id, channel, action, target, allowed, details"
            " FROM audit_log ORDER BY id"
        )
        return [
            AuditRow(
                r.id,
                r.person_id,
                r.channel,
                r.action,
                r.target,
                bool(r.allowed),
                _json(r.details),
            )
            for r in rows
        ]

    async def roles(self) -> list[tuple[int, str, str]]:
        rows = await self._rows("SELECT person_id, role, granted_by FROM roles")
        return sorted((r.person_id, r.role, r.granted_by) for r in rows)

    async def documents(self) -> list[DocumentRecord]:
        rows = await self._rows("SELECT DISTINCT application_id FROM documents")
        async with self.uow_factory() as uow:
            found = [d for r in rows for d in await uow.applications.documents(r.application_id)]
        return sorted(found, key=lambda d: (d.created_at, d.id))


@dataclass(frozen=True, slots=True)
class MemoryTables:
    memory: Memory

    async def outbox(self) -> list[OutboxRow]:
        return copy.deepcopy(self.memory.tables.outbox)

    async def audit(self) -> list[AuditRow]:
        return copy.deepcopy(self.memory.tables.audit)

    async def roles(self) -> list[tuple[int, str, str]]:
        return sorted((pid, role, by) for (pid, role), by in self.memory.tables.roles.items())

    async def documents(self) -> list[DocumentRecord]:
        found = self.memory.tables.documents.values()
        return sorted(found, key=lambda d: (d.created_at, d.id))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class World:
    """People and applications made directly through the unit of work."""

    app: Wiring
    tables: Tables

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
        assert candidate.person_id is not None
        async with self.app.uow_factory() as uow:
            created = await uow.applications.create(candidate.person_id, "asesor_kompetensi")
            await uow.applications.update(
                created.id, state=state, reference=f"AK-2026-{created.id:05d}",
                submitted_at=self.app.services.clock() - timedelta(days=9),
                apl01={"full_name": "Siti Rahayu"}, **parts,
            )  # fmt: skip
            await uow.commit()
        return created.id

    async def complete_draft(
        self, candidate: Caller, state: ApplicationState = ApplicationState.DRAFT
    ) -> int:
        """An application ready to submit: eligible on the new-candidate route (6.1), APL-01
        answered and consistent, every evidence item uploaded, every APL-02 element K."""
        scheme, now = self.app.services.scheme, self.app.services.clock()
        route = assess(scheme, NEW_OK).route
        assert candidate.person_id is not None
        async with self.app.uow_factory() as uow:
            created = await uow.applications.create(candidate.person_id, "asesor_kompetensi")
            draft = await uow.applications.update(
                created.id, state=str(state), eligibility=dict(NEW_OK), route=route,
                apl01=dict(APL01),
            )  # fmt: skip
            ids = []
            for need in plan_of(scheme, draft):
                for n in range(need.min):
                    ids.append(doc := f"{need.id}-{n}")
                    digest = sha256(doc.encode()).hexdigest()
                    await uow.applications.add_document(
                        DocumentRecord(
                            doc, created.id, need.id, f"objects/{doc}", digest, 1000,
                            "application/pdf", f"{doc}.pdf", now,
                        )
                    )  # fmt: skip
            apl02 = Apl02({q.ref: Answer(Verdict.K, tuple(ids[:1])) for q in questionnaire(scheme)})
            await uow.applications.update(created.id, apl02=apl02)
            await uow.commit()
        return created.id

    async def certificate(self, holder: Caller, number: str, issued_on: date) -> int:
        """A certified application of ``holder`` and its certificate, issued on ``issued_on``;
        the application's id."""
        app_id = await self.application(holder, ApplicationState.CERTIFIED)
        rules = self.app.services.scheme.rules
        assert holder.person_id is not None
        async with self.app.uow_factory() as uow:
            expires_on = certificate_expiry(issued_on, rules)
            await uow.certificates.issue(app_id, holder.person_id, number, issued_on, expires_on)
            await uow.commit()
        return app_id

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

    async def outbox(self) -> list[OutboxRow]:
        """Every outbox row, in the order it was queued."""
        return await self.tables.outbox()

    async def audit(self) -> list[AuditRow]:
        """The audit log, in order."""
        return await self.tables.audit()

    async def outbox_rows(
        self, *columns: str, order: str = "id", **where: object
    ) -> list[tuple[Any, ...]]:
        """Chosen columns of the outbox rows that match ``where``, ordered by ``order``."""
        rows = sorted(await self.outbox(), key=lambda row: getattr(row, order))
        return _select(rows, columns, where)

    async def audit_rows(self, *columns: str, **where: object) -> list[tuple[Any, ...]]:
        """Chosen columns of the audit rows that match ``where``, in order."""
        return _select(await self.audit(), columns, where)

    async def state(self, application_id: int) -> ApplicationState:
        async with self.app.uow_factory() as uow:
            application = await uow.applications.get(application_id)
        assert application is not None
        return application.state

    async def documents(self, evidence_id: str | None = None) -> list[DocumentRecord]:
        """Every document of every application (of one evidence item)."""
        found = await self.tables.documents()
        return [d for d in found if evidence_id is None or d.evidence_id == evidence_id]


NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
"""Wednesday 25 November 2026, 10:00 WIB: where every world's clock stands."""


def memory_world(settings: Settings, scheme: Scheme) -> World:
    """A world on the unit of work in memory, with the production services around it."""
    memory = Memory()
    objects = build_object_store(settings)
    services = Services(
        scheme=scheme,
        objects=objects,
        inspector=DocumentInspector(),
        clock=lambda: NOW,
        max_upload_bytes=settings.app.max_upload_mb * 1024 * 1024,
        eraser=MemoryEraser(memory, objects),
        accounts=ACCOUNTS,
    )
    return World(MemoryWiring(memory, services), MemoryTables(memory))


def _select(rows: list[Any], columns: tuple[str, ...], where: dict[str, object]) -> list[Any]:
    return [
        tuple(getattr(row, c) for c in columns)
        for row in rows
        if all(getattr(row, name) == value for name, value in where.items())
    ]


def refusal(outcome: object) -> Refusal:
    assert isinstance(outcome, Refused), outcome
    return outcome.reason
