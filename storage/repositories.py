"""Repositories: plain records in and out, never a commit (the unit of work commits)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.conversation import MENU
from handlers.ports import ConversationState, JSONValue, NewPerson, Person
from storage.models import ChannelIdentityRow, InboundDeliveryRow, PersonRow, utcnow


def _person(row: PersonRow) -> Person:
    return Person(
        id=row.id, locale=row.locale, locale_chosen=row.locale_chosen, timezone=row.timezone
    )


class SqlConversations:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open_locked(
        self, channel: str, external_id: str, *, new_person: NewPerson
    ) -> ConversationState:
        identity = await self._identity(channel, external_id)
        is_new = identity is None
        if identity is None:
            identity = await self._create(channel, external_id, new_person)
        # The person row is the lock: every event of this person, on any channel, queues here.
        person = (
            await self._session.execute(
                select(PersonRow)
                .where(PersonRow.id == identity.person_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        await self._session.refresh(identity)
        return ConversationState(
            identity_id=identity.id,
            person=_person(person),
            step=identity.step,
            data=dict(identity.step_data or {}),
            is_new=is_new,
        )

    async def _identity(self, channel: str, external_id: str) -> ChannelIdentityRow | None:
        return (
            await self._session.execute(
                select(ChannelIdentityRow).where(
                    ChannelIdentityRow.channel == channel,
                    ChannelIdentityRow.external_id == external_id,
                )
            )
        ).scalar_one_or_none()

    async def _create(
        self, channel: str, external_id: str, new_person: NewPerson
    ) -> ChannelIdentityRow:
        """Create person and identity; if another process just did, use theirs."""
        try:
            async with self._session.begin_nested():
                person = PersonRow(
                    display_name=new_person.display_name,
                    locale=new_person.locale,
                    timezone=new_person.timezone,
                )
                self._session.add(person)
                await self._session.flush()
                identity = ChannelIdentityRow(
                    channel=channel,
                    external_id=external_id,
                    person_id=person.id,
                    step=MENU,
                    step_data={},
                )
                self._session.add(identity)
                await self._session.flush()
                return identity
        except IntegrityError:
            existing = await self._identity(channel, external_id)
            if existing is None:
                raise
            return existing

    async def save(self, identity_id: int, step: str, data: Mapping[str, JSONValue]) -> None:
        await self._session.execute(
            update(ChannelIdentityRow)
            .where(ChannelIdentityRow.id == identity_id)
            .values(step=step, step_data=dict(data), last_active_at=utcnow())
        )

    async def claim_delivery(self, channel: str, delivery_id: str) -> bool:
        try:
            async with self._session.begin_nested():
                self._session.add(InboundDeliveryRow(channel=channel, delivery_id=delivery_id))
                await self._session.flush()
        except IntegrityError:
            return False
        return True


class SqlPeople:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def set_locale(self, person_id: int, locale: str) -> None:
        await self._session.execute(
            update(PersonRow)
            .where(PersonRow.id == person_id)
            .values(locale=locale, locale_chosen=True, updated_at=utcnow())
        )
