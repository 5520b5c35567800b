"""The small ports through which the conversations reach the world.

Adapters in ``storage/``, ``locales/`` and ``bot/`` implement these; tests may too.  Records are
plain frozen data: a repository never hands out a live database object and never commits.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypedDict, Unpack

from domain.parts import (
    Agreement,
    Apl02,
    Appeal,
    Assessment,
    Decision,
    Review,
    SurveillanceRecord,
)
from scheme.eligibility import Answers
from scheme.lifecycle import ApplicationState, CertificateState
from scheme.model import Rules, Scheme

if TYPE_CHECKING:  # notices word themselves with a Translator of this module
    from domain.schedule import Planned, Subject

JSONValue = Any
"""A value that survives a JSON round trip (str, int, float, bool, None, list, dict)."""


@dataclass(frozen=True, slots=True)
class Person:
    """A human being, whichever channels they use."""

    id: int
    locale: str
    locale_chosen: bool
    timezone: str
    timezone_chosen: bool = False
    """The person confirmed or picked their zone (else it is the default, and may be proposed)."""


@dataclass(frozen=True, slots=True)
class NewPerson:
    """What to give a person seen for the first time."""

    locale: str
    timezone: str
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationState:
    """Where one channel identity stands in its conversation."""

    identity_id: int
    person: Person
    step: str
    data: Mapping[str, JSONValue]
    is_new: bool
    duplicate: bool = False
    """The update's delivery id was claimed before: a re-delivery, to be ignored."""


class ConnectionLost(Exception):
    """The database connection dropped before the update's transaction committed: nothing of
    it was kept, and handling it again on a fresh connection is safe."""


class Conversations(Protocol):
    """Conversation state, one row per (channel, external user id)."""

    async def open_locked(
        self,
        channel: str,
        external_id: str,
        *,
        new_person: NewPerson,
        delivery_id: str | None = None,
    ) -> ConversationState:
        """Find or create the identity and its person, and lock the person until the
        transaction ends, so two events of one person never interleave.  A ``delivery_id`` is
        claimed in the same transaction (``duplicate`` says it was seen before)."""
        ...

    async def save(
        self,
        identity_id: int,
        step: str,
        data: Mapping[str, JSONValue],
        *,
        reply: Mapping[str, Any] | None = None,
    ) -> int | None:
        """Store the step the identity is now on (and mark it active now); with ``reply``, also
        keep that reply for the identity's account until it is sent (:class:`KeptReplies`,
        one statement on PostgreSQL): its id."""
        ...

    async def mark_unreachable(self, channel: str, external_id: str) -> None:
        """The platform refuses to deliver to this account (it blocked the bot)."""
        ...

    async def last_inbound_at(self, channel: str, external_id: str) -> datetime | None:
        """When this account last wrote to the bot (WhatsApp's 24-hour window starts there)."""
        ...


class People(Protocol):
    """Person records."""

    async def set_locale(self, person_id: int, locale: str) -> None:
        """Store the language the person chose."""
        ...

    async def set_timezone(self, person_id: int, zone: str) -> None:
        """Store the time zone the person confirmed or picked."""
        ...

    async def get(self, person_id: int) -> Person | None: ...

    async def set_phone(self, person_id: int, phone: str, *, verified: bool = False) -> None:
        """The person's own mobile number (+62…), shared from their messenger account
        (``verified``: the messenger vouches for it) or typed."""
        ...

    async def with_verified_phone(self, phone: str, *, other_than: int) -> int | None:
        """Another person whose messenger vouched for this number: the same human being."""
        ...

    async def merge_into(self, person_id: int, into: int) -> bool:
        """Move the person's channels (and application, when ``into`` has none) to ``into``
        and remove the emptied person; False, changing nothing, when both have applications."""
        ...

    async def by_identity(self, channel: str, external_id: str) -> int | None:
        """The person behind a messenger account that has written to the bot."""
        ...

    async def identities(self, person_id: int) -> Sequence[tuple[str, str]]:
        """The (channel, external id) pairs through which the person reaches the bot."""
        ...

    async def forget(self, person_id: int) -> None:
        """Erase the person's name and phone (the data deletion request of a draft)."""
        ...


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    """An application for certification (FR.APL.01 + evidence + FR.APL.02)."""

    id: int
    person_id: int
    scheme_code: str
    state: ApplicationState
    route: str | None
    method: str | None
    reference: str | None
    eligibility: Answers
    apl01: Mapping[str, str]
    apl02: Apl02
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    review: Review = field(default_factory=dict)
    """Staff's verdict per evidence item (9.1.5)."""
    assessment: Assessment = field(default_factory=Assessment)
    decision: Decision = field(default_factory=Decision)
    appeal: Appeal = field(default_factory=Appeal)
    renews: str | None = None
    """A re-certification's certificate number (9.7)."""


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """A certificate of competence (9.4.6) and what happened to it since (9.5, 9.6)."""

    id: int
    number: str
    application_id: int
    person_id: int
    issued_on: date
    expires_on: date
    state: CertificateState
    reason: str | None = None
    surveillance: tuple[SurveillanceRecord, ...] = ()
    agreement: Agreement | None = None
    """9.8, once the holder accepted it."""


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One uploaded document, filed under an evidence item of the route (9.1.2)."""

    id: str
    application_id: int
    evidence_id: str
    object_key: str
    sha256: str
    size: int
    mime_type: str
    file_name: str
    created_at: datetime
    warnings: tuple[str, ...] = ()
    lost_at: datetime | None = None
    """The store lost its bytes: it counts as not uploaded, and says so."""


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One line of staff's queue (``/antrian``): what the screen shows, read in one query with
    the others (issue 15: it used to be one query per line for the name)."""

    id: int
    reference: str | None
    state: str
    submitted_at: datetime | None
    applicant_name: str | None
    appeal_due_on: date | None
    """9.9.6: the appeal's decision due date, while one is open."""
    appeal_filed_at: datetime | None


@dataclass(frozen=True, slots=True)
class AppealCounts:
    """``/stats``: appeals open, and of them past their 9.9.6 due date (counted by the
    database, not by loading every appeal)."""

    open: int
    overdue: int


class ApplicationChanges(TypedDict, total=False):
    """What :meth:`Applications.update` may change, each part in its own type."""

    state: ApplicationState
    route: str | None
    method: str | None
    reference: str
    eligibility: Answers
    apl01: Mapping[str, str]
    apl02: Apl02
    submitted_at: datetime | None
    review: Review
    assessment: Assessment
    decision: Decision
    appeal: Appeal
    renews: str | None


APPLICATION_FIELDS = frozenset(ApplicationChanges.__annotations__)


class Applications(Protocol):
    """Applications and their documents."""

    async def current(self, person_id: int) -> ApplicationRecord | None:
        """The person's newest application, whatever its state."""
        ...

    async def create(self, person_id: int, scheme_code: str) -> ApplicationRecord: ...

    async def update(
        self, application_id: int, **changes: Unpack[ApplicationChanges]
    ) -> ApplicationRecord:
        """Change some of the parts (and mark the draft active now)."""
        ...

    async def delete(self, application_id: int) -> None: ...

    async def get(self, application_id: int, *, lock: bool = False) -> ApplicationRecord | None:
        """One application by id (``lock``: until the transaction ends, for a staff action)."""
        ...

    async def in_states(self, states: Sequence[str], limit: int) -> Sequence[ApplicationRecord]:
        """Applications in any of ``states``, the longest waiting first (staff's queue)."""
        ...

    async def assigned_to(
        self, assessor_id: int, states: Sequence[str]
    ) -> Sequence[ApplicationRecord]:
        """Every application in ``states`` assigned to this assessor (9.2.2), oldest first."""
        ...

    async def applicant_name(self, application_id: int) -> str | None: ...

    async def queue(self, states: Sequence[str], limit: int) -> Sequence[QueueEntry]:
        """The lines of staff's queue: applications in any of ``states``, the longest waiting
        first, with the applicant's name and an open appeal's dates."""
        ...

    async def appeal_counts(self, today: date) -> AppealCounts:
        """Appeals under way, and how many of them are due before ``today`` (9.9.6)."""
        ...

    async def count_by_state(self, states: Sequence[str] | None = None) -> Mapping[str, int]:
        """Applications per state (only ``states``, if given: counted through the index)."""
        ...

    async def documents(self, application_id: int) -> Sequence[DocumentRecord]: ...

    async def add_document(self, document: DocumentRecord) -> None: ...

    async def remove_document(
        self, application_id: int, document_id: str
    ) -> DocumentRecord | None: ...

    async def mark_lost(self, object_key: str, at: datetime) -> bool:
        """The store does not hold this document's bytes; True the first time it is found."""
        ...


class OutboundMessages(Protocol):
    """Messages sent on platforms that report their fate (WhatsApp statuses)."""

    async def record(
        self, channel: str, platform_id: str, external_id: str, kind: str, at: datetime
    ) -> None:
        """A message the platform accepted (status ``accepted``)."""
        ...

    async def update_status(
        self, channel: str, platform_id: str, status: str, at: datetime, error: str | None
    ) -> bool:
        """A status report; a late report never moves a message back (read stays read).
        False when the message is not ours."""
        ...


class Outbox(Protocol):
    """Proactive messages, scheduled in the transaction of the change that causes them."""

    async def schedule(self, person_id: int, planned: Planned) -> bool:
        """Queue one message; False when one with its dedupe key exists already."""
        ...

    async def cancel(self, subject: Subject) -> int:
        """Cancel the messages of ``subject`` not sent yet (the change made them moot)."""
        ...


class Roles(Protocol):
    """Roles beyond candidate (everyone): assessor, staff, admin."""

    async def of(self, person_id: int) -> frozenset[str]: ...

    async def people_with(self, role: str) -> Sequence[tuple[int, str]]:
        """(person id, name) of everyone holding ``role``."""
        ...

    async def grant(self, person_id: int, role: str, *, by: str) -> bool:
        """False when the person holds the role already."""
        ...

    async def revoke(self, person_id: int, role: str) -> bool:
        """False when the person did not hold the role."""
        ...


class CertificateChanges(TypedDict, total=False):
    """What :meth:`Certificates.update` may change."""

    state: CertificateState
    reason: str | None
    surveillance: tuple[SurveillanceRecord, ...]
    agreement: Agreement


class Certificates(Protocol):
    async def issue(
        self, application_id: int, person_id: int, number: str, issued_on: date, expires_on: date
    ) -> bool:
        """False when the number is taken already."""
        ...

    async def expiring(self, start: date, end: date) -> int:
        """Active certificates expiring between ``start`` and ``end`` (inclusive)."""
        ...

    async def get(self, number: str, *, lock: bool = False) -> CertificateRecord | None: ...

    async def of_person(self, person_id: int) -> Sequence[CertificateRecord]:
        """The person's certificates, the newest first."""
        ...

    async def update(
        self, number: str, **changes: Unpack[CertificateChanges]
    ) -> CertificateRecord: ...

    async def lapsed(self, today: date) -> Sequence[CertificateRecord]:
        """Active or frozen certificates whose validity ended before ``today``."""
        ...


@dataclass(frozen=True, slots=True)
class CollectiveLeaveRecord:
    """A year's cuti bersama set by staff (9.9.6), with the decree it comes from."""

    year: int
    days: tuple[date, ...]
    source: str
    set_by: int | None
    set_at: datetime


class CollectiveLeave(Protocol):
    """The years of cuti bersama staff set in the chat; they override the scheme file's."""

    async def years(self) -> Sequence[CollectiveLeaveRecord]: ...

    async def set_year(
        self, year: int, days: Sequence[date], source: str, *, by: int | None, now: datetime
    ) -> None:
        """Replace the year's list (an empty list says: this year has none)."""
        ...


class Audit(Protocol):
    """Every staff and assessor action, allowed or refused (``person_id`` None: the operator on
    the server)."""

    async def record(
        self,
        person_id: int | None,
        channel: str,
        action: str,
        target: str | None,
        *,
        allowed: bool,
        details: Mapping[str, JSONValue] | None = None,
    ) -> None: ...


class Broadcasts(Protocol):
    async def reach(self, segment: str, now: datetime, rules: Rules) -> int:
        """How many people a segment reaches (candidates with a channel), counted by the
        database; dates ("expiring within", "surveillance due") are days in the scheme's zone,
        by the scheme's rules."""
        ...

    async def create(
        self, created_by: int, segment: str, texts: Mapping[str, str], now: datetime, rules: Rules
    ) -> tuple[int, int]:
        """The broadcast and its outbox rows: (broadcast id, people reached)."""
        ...


class Deletions(Protocol):
    """Objects whose bytes must go: queued in the transaction that stops using them, so a
    deletion the store refused is retried until it is done (PDP: a deletion is a deletion)."""

    async def request(self, keys: Sequence[str], now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class KeptReply:
    """A reply saved with the change it reports, not yet sent."""

    id: int
    external_id: str
    document: Mapping[str, Any]


class KeptReplies(Protocol):
    """Replies kept until their channel has sent them (issue 14, item 4): saved in the
    update's transaction under this process's name and a lease it renews while the reply waits;
    a reply whose process died (its lease ran out) is claimed by another and sent from there."""

    async def keep(self, channel: str, external_id: str, document: Mapping[str, Any]) -> int:
        """Save a reply (inside the update's transaction); its id."""
        ...

    async def done(self, ids: Sequence[int]) -> None:
        """Sent (or given up on, and logged): forgotten."""
        ...

    async def renew(self, ids: Sequence[int]) -> set[int]:
        """Extend this process's lease on the replies it still has waiting; those still its."""
        ...

    async def claim(self, channel: str, limit: int) -> list[KeptReply]:
        """Replies of ``channel`` whose lease ran out (their process died): now this one's."""
        ...


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """A question a person put to staff (7.1.2), with the context staff need to answer it and,
    once answered, the answer."""

    id: int
    person_id: int
    application_id: int | None
    text: str
    asked_at: datetime
    asked_in: str
    """The channel it came from (the answer goes back to the person, on every channel)."""
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by: int | None = None

    @property
    def open(self) -> bool:
        return self.answered_at is None


class Questions(Protocol):
    """Questions to staff (7.1.2) and their answers."""

    async def ask(
        self, person_id: int, application_id: int | None, text: str, channel: str, now: datetime
    ) -> QuestionRecord: ...

    async def get(self, question_id: int, *, lock: bool = False) -> QuestionRecord | None: ...

    async def open(self, limit: int) -> Sequence[QuestionRecord]:
        """Unanswered questions, the oldest first."""
        ...

    async def of_person(self, person_id: int, limit: int) -> Sequence[QuestionRecord]:
        """The person's questions, the newest first."""
        ...

    async def answer(
        self, question_id: int, answer: str, *, by: int | None, now: datetime
    ) -> QuestionRecord: ...


class UnitOfWork(Protocol):
    """One database transaction: nothing is stored unless :meth:`commit` is called."""

    @property
    def conversations(self) -> Conversations: ...

    @property
    def people(self) -> People: ...

    @property
    def applications(self) -> Applications: ...

    @property
    def messages(self) -> OutboundMessages: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def roles(self) -> Roles: ...

    @property
    def audit(self) -> Audit: ...

    @property
    def certificates(self) -> Certificates: ...

    @property
    def broadcasts(self) -> Broadcasts: ...

    @property
    def collective_leave(self) -> CollectiveLeave: ...

    @property
    def deletions(self) -> Deletions: ...

    @property
    def replies(self) -> KeptReplies: ...

    @property
    def questions(self) -> Questions: ...

    async def commit(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class Translator(Protocol):
    """Turns a message key into text in one language."""

    @property
    def locales(self) -> tuple[str, ...]: ...

    def translate(self, locale: str, key: str, /, **params: object) -> str: ...


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object safely in the store: its generated key, size and sha256 (hex)."""

    key: str
    size: int
    sha256: str


class ObjectStoreError(Exception):
    """Base of what the object store raises."""


class ObjectStoreUnavailable(ObjectStoreError):
    """The store cannot be reached or refused the operation; trying again later may work."""


class ObjectTooLarge(ObjectStoreError):
    """The stream went past the size limit; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"object larger than {limit} bytes")
        self.limit = limit


class ObjectNotFound(ObjectStoreError):
    """No object under that key."""


class ObjectStore(Protocol):
    """Documents' bytes.  Keys are generated by the store, never taken from a user."""

    async def put(
        self,
        namespace: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> StoredObject:
        """Stream ``chunks`` into a new object under ``namespace``; never buffer it whole."""
        ...

    def get(self, key: str) -> AsyncIterator[bytes]:
        """Stream an object's bytes."""
        ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    @property
    def name(self) -> str:
        """Which store, for the log ("local", "s3:<bucket>"): never a credential."""
        ...

    async def ping(self) -> None:
        """Raise :class:`ObjectStoreUnavailable` unless the store answers."""
        ...


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a received file really is, decided from its bytes."""

    kind: str
    mime_type: str
    size: int
    sha256: str
    pages: int | None = None
    width: int | None = None
    height: int | None = None
    warnings: tuple[str, ...] = ()


class DocumentRejected(Exception):
    """A file refused for a reason the person must hear (``file.too_large``, ``pdf.encrypted``…)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReceivedDocument(Protocol):
    """A received, checked file waiting to be stored; always closed afterwards."""

    @property
    def inspection(self) -> Inspection: ...

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def close(self) -> None: ...


class DocumentInspector(Protocol):
    async def receive(
        self,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        allowed: frozenset[str],
        photo: bool = False,
    ) -> ReceivedDocument:
        """Take a file's bytes, decide its kind and check it; raise :class:`DocumentRejected`."""
        ...


class Eraser(Protocol):
    """Deletes objects from the store now if it can; what it cannot stays queued for later."""

    async def erase(self, keys: Sequence[str]) -> bool:
        """Delete the queued ``keys`` now (after the commit that queued them); True when all
        are gone, False when some wait for the store to come back."""
        ...

    async def orphaned(self, keys: Sequence[str]) -> None:
        """Objects stored for a transaction that was rolled back: gone now, or queued."""
        ...


@dataclass(frozen=True, slots=True)
class AccountFormat:
    """How an admin types an account of one channel: the channel's name, and its reading of
    what was typed — the account's external id, or None when it is not that channel's."""

    channel: str
    read: Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class LspContact:
    """How to reach the LSP besides the bot (shown in /bantuan); None is not shown."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    hours: str | None = None


@dataclass(frozen=True, slots=True)
class Services:
    """What the candidate's conversations need besides the database."""

    scheme: Scheme
    objects: ObjectStore
    inspector: DocumentInspector
    clock: Callable[[], datetime]
    max_upload_bytes: int
    eraser: Eraser
    accounts: tuple[AccountFormat, ...] = ()
    """The channels' account formats, for finding a person by a typed account."""
    contact: LspContact = field(default_factory=LspContact)
