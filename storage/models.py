"""Tables.  Times are stored in UTC; the person's own time zone is applied on screen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PersonRow(Base):
    """A human being; channels they use are :class:`ChannelIdentityRow`."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(8))
    locale_chosen: Mapped[bool] = mapped_column(default=False)
    timezone: Mapped[str] = mapped_column(String(64))
    timezone_chosen: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    phone_verified: Mapped[bool] = mapped_column(default=False)
    """The messenger vouched for the number (WhatsApp's sender, Telegram's own shared contact);
    only such a number links the person's channels (a typed one could be anybody's)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ChannelIdentityRow(Base):
    """One account on one channel, and where its conversation stands."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(64))
    step_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set when the platform says the person blocked the bot; cleared when they write again."""


class InboundDeliveryRow(Base):
    """Platform delivery ids already handled, so a re-delivery has no second effect."""

    __tablename__ = "inbound_deliveries"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ApplicationRow(Base):
    """An application for certification: APL-01 answers, APL-02 answers, where it stands."""

    __tablename__ = "applications"
    __table_args__ = (
        # Staff's queue: the longest waiting of one state, read in order (storage's ``queue``).
        Index("ix_applications_state_submitted", "state", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    scheme_code: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32), index=True)
    route: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    apl01: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    apl02: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    """Last change by the candidate: a draft idle for 3 days gets a reminder (issue 7)."""
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Staff's verdict per evidence item (9.1.5): mark and reason."""
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The assessor (9.2.2), schedule and TUK (9.3.2), their declaration (9.10.7) and the
    recommendation per unit (9.3.4–9.3.5)."""
    decision: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The technical team's decision (9.4): result, meeting record, when, appeal deadline."""
    appeal: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The candidate's appeal (9.9): reasons, when, panel, decision."""
    renews: Mapped[str | None] = mapped_column(String(64))
    """The number of the certificate a re-certification application renews (9.7)."""


class DocumentRow(Base):
    """An uploaded document; its bytes are in the object store under ``object_key``."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("application_id", "sha256"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(128), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    mime_type: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the store was found not to hold the bytes any more: the document counts as missing."""


class OutboundMessageRow(Base):
    """A message the bot sent on a platform that reports what became of it (WhatsApp's sent,
    delivered, read and failed statuses)."""

    __tablename__ = "outbound_messages"
    __table_args__ = (UniqueConstraint("channel", "platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    platform_id: Mapped[str] = mapped_column(String(128))
    external_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    """``reply``, or the kind of proactive message (``notice:status_changed``...)."""
    status: Mapped[str] = mapped_column(String(16))
    status_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


OUTBOX_OPEN = ("pending", "failed")
"""Outbox states a dispatcher may claim once due (``failed``: to be tried again)."""


class OutboxRow(Base):
    """A proactive message waiting to be sent, being sent, or done with.

    Scheduled in the transaction of the state change that causes it; ``dedupe_key`` makes
    scheduling the same message twice one row; ``subject`` groups the messages a later change
    may make moot (a renewal request cancels the remaining renewal reminders)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_due",
            "due_at",
            postgresql_where=text("status IN ('pending', 'failed')"),
            sqlite_where=text("status IN ('pending', 'failed')"),
        ),
        Index(
            "ix_outbox_lease",
            "lease_until",
            postgresql_where=text("status = 'sending'"),
            sqlite_where=text("status = 'sending'"),
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    """None: the person's most recently used reachable channel, decided at send time."""
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgent: Mapped[bool] = mapped_column(default=False)
    """Sent in quiet hours too (appeal deadlines)."""
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_token: Mapped[str | None] = mapped_column(String(32))
    """Written by each claim; the worker that holds it is the only one that records the row."""
    parts_sent: Mapped[int] = mapped_column(default=0)
    """Parts of a long message already out: a resumed send starts after them."""
    sent_via: Mapped[str | None] = mapped_column(String(20))
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


ROLES = ("assessor", "staff", "admin")


class RoleRow(Base):
    """What a person may do beyond being a candidate; granted and revoked by staff admins."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditRow(Base):
    """Every staff and assessor action, allowed or refused: who, what, on what, when, where."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(100))
    allowed: Mapped[bool]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CertificateRow(Base):
    """A certificate issued on a decision of competence (9.4.6–9.4.7)."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it was frozen or revoked (9.5)."""
    surveillance: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Each surveillance result (9.6.4): when, outcome, note, by whom."""
    agreement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The holder's 9.8 agreement: when, in which language, which wording; none yet: the
    certificate is not handed over (9.4.7)."""


class BroadcastRow(Base):
    """A staff broadcast: who it went to, what it said, and whether its creator has had the
    progress message and the final report."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    segment: Mapped[str] = mapped_column(String(40))
    text_id: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    total: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    progress_sent: Mapped[bool] = mapped_column(default=False)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class CollectiveLeaveRow(Base):
    """A year's cuti bersama as staff set it in the chat (it overrides the scheme file's list
    for that year), so that a new SKB needs no release (9.9.6)."""

    __tablename__ = "collective_leave"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    days: Mapped[list[str]] = mapped_column(JSON, default=list)
    """ISO dates."""
    source: Mapped[str] = mapped_column(Text)
    """The decree the list comes from."""
    set_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ObjectDeletionRow(Base):
    """An object to delete from the store: written with the change that stops using it, gone
    when the store has deleted it (retried while the store refuses)."""

    __tablename__ = "object_deletions"

    object_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class RateScheduleRow(Base):
    """The next free send slot of one platform account (a bot, a WhatsApp number), in seconds
    since the epoch by the database's clock: the rate budget every process books from."""

    __tablename__ = "rate_schedule"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_slot: Mapped[float] = mapped_column(Double(), default=0.0)


class KeptReplyRow(Base):
    """A reply saved with the change it reports, until its channel has sent it: ``holder`` is
    the process that sends it, for as long as it renews ``held_until``."""

    __tablename__ = "kept_replies"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    holder: Mapped[str] = mapped_column(String(32))
    held_until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class QuestionRow(Base):
    """A question to staff (7.1.2): who asked, about which application, and the answer."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_open", "answered_at", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    asked_in: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
