"""The unit of work: one session, one transaction, per inbound update."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.ports import ConnectionLost
from storage.broadcasts import SqlBroadcasts
from storage.erasure import SqlDeletions
from storage.outbox import SqlOutbox
from storage.replies import SqlKeptReplies
from storage.repositories import (
    SqlApplications,
    SqlAudit,
    SqlCertificates,
    SqlCollectiveLeave,
    SqlConversations,
    SqlOutboundMessages,
    SqlPeople,
    SqlQuestions,
    SqlRoles,
)


class SqlUnitOfWork:
    """Opens a session on enter; rolls back on exit unless :meth:`commit` was called.

    A dropped database connection leaves as :class:`~domain.ports.ConnectionLost` (SQLAlchemy
    has then discarded the pool's stale connections), so the caller may try again at once; this
    is what lets the pool skip a ping before every checkout."""

    conversations: SqlConversations
    people: SqlPeople
    applications: SqlApplications
    messages: SqlOutboundMessages
    outbox: SqlOutbox
    roles: SqlRoles
    audit: SqlAudit
    certificates: SqlCertificates
    broadcasts: SqlBroadcasts
    collective_leave: SqlCollectiveLeave
    deletions: SqlDeletions
    replies: SqlKeptReplies
    questions: SqlQuestions

    def __init__(self, sessions: async_sessionmaker[AsyncSession], holder: str = "") -> None:
        self._sessions = sessions
        self._holder = holder
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session = self._sessions()
        await session.begin()
        self._session = session
        self.conversations = SqlConversations(session, self._holder)
        self.applications = SqlApplications(session)
        self.people = SqlPeople(session, applications_moved=self.applications.forget)
        self.messages = SqlOutboundMessages(session)
        self.outbox = SqlOutbox(session)
        self.roles = SqlRoles(session)
        self.audit = SqlAudit(session)
        self.certificates = SqlCertificates(session)
        self.broadcasts = SqlBroadcasts(session)
        self.collective_leave = SqlCollectiveLeave(session)
        self.deletions = SqlDeletions(session)
        self.replies = SqlKeptReplies(session, self._holder)
        self.questions = SqlQuestions(session)
        return self

    async def commit(self) -> None:
        assert self._session is not None, "unit of work not entered"
        await self._session.commit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            if self._session.in_transaction():
                await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            raise ConnectionLost(str(exc.orig)) from exc
