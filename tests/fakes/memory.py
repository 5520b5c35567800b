"""The unit of work in memory: every port of ``domain/ports.py`` over plain Python tables, for
the fast tier of tests (use cases and steps) that need no database.

It keeps the SQL adapters' meaning — what a read returns and in which order, dedupe keys, what a
rollback leaves — and ``tests/usecases`` runs the same cases on it and on PostgreSQL, which is
what keeps the two in step. It does not model concurrency: the tests that need locks, leases
and two processes run on the real databases.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self, Unpack
from zoneinfo import ZoneInfo

from domain.notices import NoticeKind
from domain.parts import Apl02
from domain.ports import (
    APPLICATION_FIELDS,
    AppealCounts,
    ApplicationChanges,
    ApplicationRecord,
    CertificateChanges,
    CertificateRecord,
    CollectiveLeaveRecord,
    ConversationState,
    DocumentRecord,
    JSONValue,
    KeptReply,
    NewPerson,
    ObjectStore,
    ObjectStoreUnavailable,
    Person,
    QuestionRecord,
    QueueEntry,
)
from domain.schedule import Planned, Subject, broadcast_rows
from handlers.conversation import MENU
from scheme.deadlines import add_months, local_date, surveillance_issue_ranges
from scheme.lifecycle import ApplicationState, CertificateState
from scheme.model import Rules

SURVEILLANCE_AHEAD = timedelta(days=30)
OPEN = ("pending", "sending")
"""Outbox rows not sent yet (``storage/outbox.py``'s ``OUTBOX_OPEN``)."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PersonRow:
    id: int
    locale: str
    timezone: str
    display_name: str | None = None
    locale_chosen: bool = False
    timezone_chosen: bool = False
    phone: str | None = None
    phone_verified: bool = False

    def record(self) -> Person:
        return Person(self.id, self.locale, self.locale_chosen, self.timezone, self.timezone_chosen)


@dataclass
class IdentityRow:
    id: int
    channel: str
    external_id: str
    person_id: int
    step: str = MENU
    data: dict[str, JSONValue] = field(default_factory=dict)
    last_active_at: datetime | None = None
    unreachable_at: datetime | None = None


@dataclass
class OutboxRow:
    """What a test reads of the outbox: the columns the SQL one has for the use cases."""

    id: int
    person_id: int
    kind: str
    params: dict[str, str]
    urgent: bool
    due_at: datetime
    dedupe_key: str
    subject: str | None
    status: str = "pending"


@dataclass
class AuditRow:
    id: int
    person_id: int | None
    channel: str
    action: str
    target: str | None
    allowed: bool
    details: dict[str, JSONValue]


class _Sequence:
    def __init__(self) -> None:
        self._numbers = itertools.count(1)

    def next(self) -> int:
        return next(self._numbers)

    def __deepcopy__(self, memo: dict[int, Any]) -> _Sequence:
        return self  # shared by every copy of the tables


@dataclass
class Tables:
    """The whole database; a unit of work works on a copy and commits it back."""

    people: dict[int, PersonRow] = field(default_factory=dict)
    identities: dict[int, IdentityRow] = field(default_factory=dict)
    deliveries: set[tuple[str, str]] = field(default_factory=set)
    applications: dict[int, ApplicationRecord] = field(default_factory=dict)
    documents: dict[str, DocumentRecord] = field(default_factory=dict)
    outbox: list[OutboxRow] = field(default_factory=list)
    roles: dict[tuple[int, str], str] = field(default_factory=dict)
    certificates: dict[str, CertificateRecord] = field(default_factory=dict)
    audit: list[AuditRow] = field(default_factory=list)
    collective_leave: dict[int, CollectiveLeaveRecord] = field(default_factory=dict)
    broadcasts: dict[int, tuple[int, str, int]] = field(default_factory=dict)
    """id → (created by, segment, total)."""
    deletions: dict[str, datetime] = field(default_factory=dict)
    replies: dict[int, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)
    messages: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    questions: dict[int, QuestionRecord] = field(default_factory=dict)
    ids: _Sequence = field(default_factory=_Sequence)
    """One sequence for every table (the tests need only uniqueness and order); like a
    database's, a rollback does not give its numbers back."""

    def next_id(self) -> int:
        return self.ids.next()


class MemoryEraser:
    """Services' eraser over the memory's queue: deletes from the object store at once, and
    keeps queued what the store refuses (as ``storage/erasure.py``'s does)."""

    def __init__(self, memory: Memory, objects: ObjectStore) -> None:
        self._memory, self._objects = memory, objects

    async def erase(self, keys: Sequence[str]) -> bool:
        gone = True
        for key in keys:
            try:
                await self._objects.delete(key)
            except ObjectStoreUnavailable:
                gone = False
                continue
            self._memory.tables.deletions.pop(key, None)
        return gone

    async def orphaned(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._memory.tables.deletions.setdefault(key, _now())
        await self.erase(keys)


class Memory:
    """The database every unit of work of one test opens."""

    def __init__(self) -> None:
        self.tables = Tables()

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)


class _Part:
    def __init__(self, t: Tables) -> None:
        self.t = t


class MemoryConversations(_Part):
    async def open_locked(
        self,
        channel: str,
        external_id: str,
        *,
        new_person: NewPerson,
        delivery_id: str | None = None,
    ) -> ConversationState:
        duplicate = False
        if delivery_id is not None:
            duplicate = (channel, delivery_id) in self.t.deliveries
            self.t.deliveries.add((channel, delivery_id))
        identity = self._identity(channel, external_id)
        is_new = identity is None
        if identity is None:
            person = PersonRow(
                self.t.next_id(), new_person.locale, new_person.timezone, new_person.display_name
            )
            self.t.people[person.id] = person
            identity = IdentityRow(self.t.next_id(), channel, external_id, person.id)
            self.t.identities[identity.id] = identity
        person = self.t.people[identity.person_id]
        if person.display_name is None and new_person.display_name:
            person.display_name = new_person.display_name
        return ConversationState(
            identity.id, person.record(), identity.step, dict(identity.data), is_new, duplicate
        )

    def _identity(self, channel: str, external_id: str) -> IdentityRow | None:
        return next(
            (
                i
                for i in self.t.identities.values()
                if (i.channel, i.external_id) == (channel, external_id)
            ),
            None,
        )

    async def save(
        self,
        identity_id: int,
        step: str,
        data: Mapping[str, JSONValue],
        *,
        reply: Mapping[str, Any] | None = None,
    ) -> int | None:
        identity = self.t.identities[identity_id]
        identity.step, identity.data, identity.last_active_at = step, dict(data), _now()
        if reply is None:
            return None
        reply_id = self.t.next_id()
        self.t.replies[reply_id] = (identity.channel, identity.external_id, dict(reply))
        return reply_id

    async def mark_unreachable(self, channel: str, external_id: str) -> None:
        identity = self._identity(channel, external_id)
        if identity is not None:
            identity.unreachable_at = _now()

    async def last_inbound_at(self, channel: str, external_id: str) -> datetime | None:
        identity = self._identity(channel, external_id)
        return identity.last_active_at if identity is not None else None


class MemoryPeople(_Part):
    async def set_locale(self, person_id: int, locale: str) -> None:
        person = self.t.people[person_id]
        person.locale, person.locale_chosen = locale, True

    async def set_timezone(self, person_id: int, zone: str) -> None:
        person = self.t.people[person_id]
        person.timezone, person.timezone_chosen = zone, True

    async def get(self, person_id: int) -> Person | None:
        person = self.t.people.get(person_id)
        return person.record() if person is not None else None

    async def set_phone(self, person_id: int, phone: str, *, verified: bool = False) -> None:
        person = self.t.people[person_id]
        person.phone, person.phone_verified = phone, verified

    async def with_verified_phone(self, phone: str, *, other_than: int) -> int | None:
        return min(
            (
                p.id
                for p in self.t.people.values()
                if p.phone == phone and p.phone_verified and p.id != other_than
            ),
            default=None,
        )

    async def merge_into(self, person_id: int, into: int) -> bool:
        owners = {a.person_id for a in self.t.applications.values()}
        if {person_id, into} <= owners:
            return False
        for identity in self.t.identities.values():
            if identity.person_id == person_id:
                identity.person_id = into
        for app_id, application in list(self.t.applications.items()):
            if application.person_id == person_id:
                self.t.applications[app_id] = replace(application, person_id=into)
        del self.t.people[person_id]
        return True

    async def by_identity(self, channel: str, external_id: str) -> int | None:
        identity = MemoryConversations(self.t)._identity(channel, external_id)
        return identity.person_id if identity is not None else None

    async def identities(self, person_id: int) -> Sequence[tuple[str, str]]:
        return sorted(
            (i.channel, i.external_id)
            for i in self.t.identities.values()
            if i.person_id == person_id
        )

    async def forget(self, person_id: int) -> None:
        person = self.t.people[person_id]
        person.display_name = person.phone = None


def _waiting(application: ApplicationRecord) -> tuple[datetime, int]:
    """The SQL order (submitted_at, id), NULLs last as PostgreSQL sorts them."""
    far = datetime.max.replace(tzinfo=UTC)
    return (application.submitted_at or far, application.id)


class MemoryApplications(_Part):
    async def current(self, person_id: int) -> ApplicationRecord | None:
        mine = [a for a in self.t.applications.values() if a.person_id == person_id]
        return max(mine, key=lambda a: a.id, default=None)

    async def create(self, person_id: int, scheme_code: str) -> ApplicationRecord:
        now = _now()
        record = ApplicationRecord(
            id=self.t.next_id(),
            person_id=person_id,
            scheme_code=scheme_code,
            state=ApplicationState.DRAFT,
            route=None,
            method=None,
            reference=None,
            eligibility={},
            apl01={},
            apl02=Apl02(),
            created_at=now,
            updated_at=now,
        )
        self.t.applications[record.id] = record
        return record

    async def update(
        self, application_id: int, **changes: Unpack[ApplicationChanges]
    ) -> ApplicationRecord:
        unknown = set(changes) - APPLICATION_FIELDS
        if unknown:
            raise ValueError(f"not application fields: {sorted(unknown)}")
        typed: dict[str, Any] = dict(changes)
        if "state" in typed:
            typed["state"] = ApplicationState(typed["state"])
        record = replace(self.t.applications[application_id], **typed, updated_at=_now())
        self.t.applications[application_id] = record
        return record

    async def delete(self, application_id: int) -> None:
        self.t.applications.pop(application_id, None)
        for key, document in list(self.t.documents.items()):
            if document.application_id == application_id:
                del self.t.documents[key]

    async def get(self, application_id: int, *, lock: bool = False) -> ApplicationRecord | None:
        return self.t.applications.get(application_id)

    async def in_states(self, states: Sequence[str], limit: int) -> Sequence[ApplicationRecord]:
        found = [a for a in self.t.applications.values() if a.state in states]
        return sorted(found, key=_waiting)[:limit]

    async def assigned_to(
        self, assessor_id: int, states: Sequence[str]
    ) -> Sequence[ApplicationRecord]:
        found = [
            a
            for a in self.t.applications.values()
            if a.state in states and a.assessment.assessor == assessor_id
        ]
        return sorted(found, key=_waiting)

    async def applicant_name(self, application_id: int) -> str | None:
        application = self.t.applications.get(application_id)
        return (application.apl01.get("full_name") or None) if application else None

    async def queue(self, states: Sequence[str], limit: int) -> Sequence[QueueEntry]:
        found = sorted(await self.in_states(states, limit), key=_waiting)
        return [
            QueueEntry(
                a.id,
                a.reference,
                a.state,
                a.submitted_at,
                a.apl01.get("full_name") or None,
                a.appeal.due_on,
                a.appeal.filed_at,
            )
            for a in found
        ]

    async def appeal_counts(self, today: date) -> AppealCounts:
        appeals = [
            a.appeal
            for a in self.t.applications.values()
            if a.state == ApplicationState.UNDER_APPEAL
        ]
        overdue = sum(1 for a in appeals if a.due_on is not None and a.due_on < today)
        return AppealCounts(len(appeals), overdue)

    async def count_by_state(self, states: Sequence[str] | None = None) -> Mapping[str, int]:
        counts: dict[str, int] = {}
        for application in self.t.applications.values():
            if states is None or application.state in states:
                counts[str(application.state)] = counts.get(str(application.state), 0) + 1
        return counts

    async def documents(self, application_id: int) -> Sequence[DocumentRecord]:
        mine = [d for d in self.t.documents.values() if d.application_id == application_id]
        return sorted(mine, key=lambda d: (d.created_at, d.id))

    async def add_document(self, document: DocumentRecord) -> None:
        if document.id in self.t.documents:
            raise ValueError(f"document {document.id} exists")
        self.t.documents[document.id] = document
        application = self.t.applications[document.application_id]
        self.t.applications[application.id] = replace(application, updated_at=_now())

    async def remove_document(self, application_id: int, document_id: str) -> DocumentRecord | None:
        document = self.t.documents.get(document_id)
        if document is None or document.application_id != application_id:
            return None
        return self.t.documents.pop(document_id)

    async def mark_lost(self, object_key: str, at: datetime) -> bool:
        for key, document in self.t.documents.items():
            if document.object_key == object_key and document.lost_at is None:
                self.t.documents[key] = replace(document, lost_at=at)
                return True
        return False


STATUS_ORDER = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


class MemoryOutboundMessages(_Part):
    async def record(
        self, channel: str, platform_id: str, external_id: str, kind: str, at: datetime
    ) -> None:
        self.t.messages[(channel, platform_id)] = [external_id, kind, "accepted", at, None]

    async def update_status(
        self, channel: str, platform_id: str, status: str, at: datetime, error: str | None
    ) -> bool:
        message = self.t.messages.get((channel, platform_id))
        if message is None:
            return False
        if STATUS_ORDER.get(status, -1) > STATUS_ORDER.get(message[2], -1):
            message[2:] = [status, at, error[:300] if error else None]
        return True


class MemoryOutbox(_Part):
    async def schedule(self, person_id: int, planned: Planned) -> bool:
        if any(row.dedupe_key == planned.dedupe_key for row in self.t.outbox):
            return False
        notice = planned.notice
        self.t.outbox.append(
            OutboxRow(
                self.t.next_id(),
                person_id,
                str(notice.kind),
                dict(notice.params),
                notice.urgent,
                planned.due_at,
                planned.dedupe_key,
                None if planned.subject is None else str(planned.subject),
            )
        )
        return True

    async def cancel(self, subject: Subject) -> int:
        moot = [r for r in self.t.outbox if r.subject == str(subject) and r.status in OPEN]
        for row in moot:
            row.status = "cancelled"
        return len(moot)


class MemoryRoles(_Part):
    async def of(self, person_id: int) -> frozenset[str]:
        return frozenset(role for pid, role in self.t.roles if pid == person_id)

    async def people_with(self, role: str) -> Sequence[tuple[int, str]]:
        people = sorted(pid for pid, held in self.t.roles if held == role)
        return [(pid, self.t.people[pid].display_name or f"#{pid}") for pid in people]

    async def grant(self, person_id: int, role: str, *, by: str) -> bool:
        if (person_id, role) in self.t.roles:
            return False
        self.t.roles[(person_id, role)] = by
        return True

    async def revoke(self, person_id: int, role: str) -> bool:
        return self.t.roles.pop((person_id, role), None) is not None


class MemoryCertificates(_Part):
    async def issue(
        self, application_id: int, person_id: int, number: str, issued_on: date, expires_on: date
    ) -> bool:
        if number in self.t.certificates:
            return False
        self.t.certificates[number] = CertificateRecord(
            self.t.next_id(),
            number,
            application_id,
            person_id,
            issued_on,
            expires_on,
            CertificateState.ACTIVE,
        )
        return True

    async def expiring(self, start: date, end: date) -> int:
        return sum(
            1
            for c in self.t.certificates.values()
            if c.state == CertificateState.ACTIVE and start <= c.expires_on <= end
        )

    async def get(self, number: str, *, lock: bool = False) -> CertificateRecord | None:
        return self.t.certificates.get(number)

    async def of_person(self, person_id: int) -> Sequence[CertificateRecord]:
        mine = [c for c in self.t.certificates.values() if c.person_id == person_id]
        return sorted(mine, key=lambda c: c.id, reverse=True)

    async def update(self, number: str, **changes: Unpack[CertificateChanges]) -> CertificateRecord:
        unknown = set(changes) - set(CertificateChanges.__annotations__)
        if unknown:
            raise ValueError(f"not certificate fields: {sorted(unknown)}")
        typed: dict[str, Any] = dict(changes)
        if "state" in typed:
            typed["state"] = CertificateState(typed["state"])
        if "surveillance" in typed:
            typed["surveillance"] = tuple(typed["surveillance"])
        record = replace(self.t.certificates[number], **typed)
        self.t.certificates[number] = record
        return record

    async def lapsed(self, today: date) -> Sequence[CertificateRecord]:
        running = {CertificateState.ACTIVE, CertificateState.FROZEN}
        return [
            c for c in self.t.certificates.values() if c.state in running and c.expires_on < today
        ]


class MemoryAudit(_Part):
    async def record(
        self,
        person_id: int | None,
        channel: str,
        action: str,
        target: str | None,
        *,
        allowed: bool,
        details: Mapping[str, JSONValue] | None = None,
    ) -> None:
        self.t.audit.append(
            AuditRow(
                self.t.next_id(),
                person_id,
                channel,
                action,
                target,
                allowed,
                copy.deepcopy(dict(details or {})),
            )
        )


class MemoryCollectiveLeave(_Part):
    async def years(self) -> Sequence[CollectiveLeaveRecord]:
        return [self.t.collective_leave[year] for year in sorted(self.t.collective_leave)]

    async def set_year(
        self, year: int, days: Sequence[date], source: str, *, by: int | None, now: datetime
    ) -> None:
        self.t.collective_leave[year] = CollectiveLeaveRecord(
            year, tuple(sorted(set(days))), source, by, now
        )


class MemoryQuestions(_Part):
    async def ask(
        self, person_id: int, application_id: int | None, text: str, channel: str, now: datetime
    ) -> QuestionRecord:
        question = QuestionRecord(self.t.next_id(), person_id, application_id, text, now, channel)
        self.t.questions[question.id] = question
        return question

    async def get(self, question_id: int, *, lock: bool = False) -> QuestionRecord | None:
        return self.t.questions.get(question_id)

    async def open(self, limit: int) -> Sequence[QuestionRecord]:
        waiting = [q for q in self.t.questions.values() if q.open]
        return sorted(waiting, key=lambda q: (q.asked_at, q.id))[:limit]

    async def of_person(self, person_id: int, limit: int) -> Sequence[QuestionRecord]:
        mine = [q for q in self.t.questions.values() if q.person_id == person_id]
        return sorted(mine, key=lambda q: (q.asked_at, q.id), reverse=True)[:limit]

    async def answer(
        self, question_id: int, answer: str, *, by: int | None, now: datetime
    ) -> QuestionRecord:
        answered = replace(
            self.t.questions[question_id], answer=answer, answered_at=now, answered_by=by
        )
        self.t.questions[question_id] = answered
        return answered


class MemoryBroadcasts(_Part):
    def _audience(self, segment: str, now: datetime, rules: Rules) -> list[int]:
        """``storage/broadcasts.py``'s segments: people with a channel, never staff or
        assessors, narrowed by the segment."""
        kind, _, value = segment.partition(":")
        today = local_date(now, ZoneInfo(rules.timezone))
        with_role = {pid for pid, _ in self.t.roles}
        reached = []
        for person in sorted(self.t.people.values(), key=lambda p: p.id):
            identities = [i for i in self.t.identities.values() if i.person_id == person.id]
            if not identities or person.id in with_role:
                continue
            if kind == "state":
                keep = any(
                    a.person_id == person.id and a.state == value
                    for a in self.t.applications.values()
                )
            elif kind == "channel":
                keep = any(i.channel == value and i.unreachable_at is None for i in identities)
            elif kind == "lang":
                keep = person.locale == value
            elif kind in {"expiring", "surveillance"}:
                keep = any(
                    c.person_id == person.id
                    and c.state == CertificateState.ACTIVE
                    and self._certificate_fits(kind, value, c, today, rules)
                    for c in self.t.certificates.values()
                )
            else:
                keep = True
            if keep:
                reached.append(person.id)
        return reached

    @staticmethod
    def _certificate_fits(
        kind: str, value: str, certificate: CertificateRecord, today: date, rules: Rules
    ) -> bool:
        if kind == "expiring":
            return today <= certificate.expires_on <= add_months(today, int(value))
        ranges = surveillance_issue_ranges(today, today + SURVEILLANCE_AHEAD, rules)
        return any(a <= certificate.issued_on <= b for a, b in ranges)

    async def reach(self, segment: str, now: datetime, rules: Rules) -> int:
        return len(self._audience(segment, now, rules))

    async def create(
        self, created_by: int, segment: str, texts: Mapping[str, str], now: datetime, rules: Rules
    ) -> tuple[int, int]:
        broadcast_id = self.t.next_id()
        subject, key_prefix = broadcast_rows(broadcast_id)
        people = self._audience(segment, now, rules)
        for person in people:
            self.t.outbox.append(
                OutboxRow(
                    self.t.next_id(),
                    person,
                    str(NoticeKind.ANNOUNCEMENT),
                    dict(texts),
                    False,
                    now,
                    f"{key_prefix}{person}",
                    str(subject),
                )
            )
        self.t.broadcasts[broadcast_id] = (created_by, segment, len(people))
        return broadcast_id, len(people)


class MemoryDeletions(_Part):
    async def request(self, keys: Sequence[str], now: datetime) -> None:
        for key in keys:
            self.t.deletions.setdefault(key, now)


class MemoryKeptReplies(_Part):
    async def keep(self, channel: str, external_id: str, document: Mapping[str, Any]) -> int:
        reply_id = self.t.next_id()
        self.t.replies[reply_id] = (channel, external_id, dict(document))
        return reply_id

    async def done(self, ids: Sequence[int]) -> None:
        for reply_id in ids:
            self.t.replies.pop(reply_id, None)

    async def renew(self, ids: Sequence[int]) -> set[int]:
        return {i for i in ids if i in self.t.replies}

    async def claim(self, channel: str, limit: int) -> list[KeptReply]:
        return []  # one process: nothing is ever left behind by another


class MemoryUnitOfWork:
    """A transaction: works on a copy of the tables, which :meth:`commit` makes the database's;
    leaving without a commit leaves the database as it was."""

    def __init__(self, memory: Memory) -> None:
        self._memory = memory

    def _begin(self) -> None:
        """A fresh copy of the committed tables, and the ports over it."""
        self._tables = t = copy.deepcopy(self._memory.tables)
        self.conversations = MemoryConversations(t)
        self.people = MemoryPeople(t)
        self.applications = MemoryApplications(t)
        self.messages = MemoryOutboundMessages(t)
        self.outbox = MemoryOutbox(t)
        self.roles = MemoryRoles(t)
        self.audit = MemoryAudit(t)
        self.certificates = MemoryCertificates(t)
        self.broadcasts = MemoryBroadcasts(t)
        self.collective_leave = MemoryCollectiveLeave(t)
        self.deletions = MemoryDeletions(t)
        self.replies = MemoryKeptReplies(t)
        self.questions = MemoryQuestions(t)

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    async def commit(self) -> None:
        self._memory.tables = self._tables
        self._begin()  # what follows in this unit of work is a transaction of its own

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None
