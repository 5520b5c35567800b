"""What time alone decides, done by the system on the worker's sweep: an appeal window that ran
out unused makes the decision final (9.9.2), and a certificate past its validity expires (9.4.6).

Each change locks its row and checks again, so two workers (or a candidate appealing in the
last second) never both act on one application.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.ports import UnitOfWorkFactory
from domain.schedule import status_changed
from scheme.deadlines import local_date
from scheme.lifecycle import APPLICATION, CERTIFICATE, Actor, ApplicationState, CertificateState
from scheme.model import Rules

BATCH = 500


@dataclass(frozen=True, slots=True)
class Lapsed:
    appeal_windows_closed: int
    certificates_expired: int


RUNNING = frozenset({CertificateState.ACTIVE, CertificateState.FROZEN})
"""A certificate that ends on its expiry date (a frozen one too, 9.5)."""


async def close_lapsed(uow_factory: UnitOfWorkFactory, now: datetime, rules: Rules) -> Lapsed:
    closed = expired = 0
    async with uow_factory() as uow:
        waiting = await uow.applications.in_states([ApplicationState.DECIDED_NOT_YET], BATCH)
        for candidate in waiting:
            until = candidate.decision.appeal_until
            if until is None or until >= now:
                continue
            application = await uow.applications.get(candidate.id, lock=True)
            if application is None or application.state != ApplicationState.DECIDED_NOT_YET:
                continue
            state = APPLICATION.apply(
                ApplicationState.DECIDED_NOT_YET, "close_appeal_window", Actor.SYSTEM
            )
            await uow.applications.update(application.id, state=state)
            planned = status_changed(application.reference or "", state, now)
            await uow.outbox.schedule(application.person_id, planned)
            closed += 1
        today = local_date(now, ZoneInfo(rules.timezone))
        for certificate in await uow.certificates.lapsed(today):
            locked = await uow.certificates.get(certificate.number, lock=True)
            if locked is None or locked.state not in RUNNING:
                continue
            ended = CERTIFICATE.apply(locked.state, "expire", Actor.SYSTEM)
            await uow.certificates.update(locked.number, state=ended)
            expired += 1
        await uow.commit()
    return Lapsed(closed, expired)
