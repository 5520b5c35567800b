"""A database put straight into the state a use-case test needs: people with roles and
applications in a given state, made through the unit of work (no journey replayed), and each verb
called in its own transaction as an interface calls it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from hashlib import sha256
from typing import Any

from sqlalchemy import text

from bot.factory import App
from domain.application import plan_of
from domain.parts import Apl02
from domain.ports import DocumentRecord, NewPerson
from scheme.apl02 import Answer, Verdict, questionnaire
from scheme.deadlines import certificate_expiry
from scheme.eligibility import assess
from scheme.lifecycle import ApplicationState
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
