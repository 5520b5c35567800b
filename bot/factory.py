"""The composition root: the one place that builds the production wiring (tests use it too)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels import ACCOUNTS
from bot.channels.pacing import Pacer, pacer_for
from bot.config import Settings
from bot.metrics import Metrics
from bot.schemes import load_scheme
from domain.ports import LspContact, ObjectStore, Services, UnitOfWorkFactory
from handlers.conversation import Conversation, ConversationSettings, Flow
from handlers.flow import build_flow
from locales import DEFAULT_LOCALE, GettextTranslator
from scheme.model import Scheme
from storage import migrate
from storage.budget import SqlSchedule
from storage.db import make_engine, make_sessionmaker
from storage.documents import DocumentInspector
from storage.erasure import ObjectEraser
from storage.objects import LocalObjectStore, S3ObjectStore
from storage.uow import SqlUnitOfWork


class SchemaNotCurrent(Exception):
    """The database is behind the code; ``asesorbot db upgrade`` brings it up to date."""


@dataclass(slots=True)
class App:
    settings: Settings
    engine: AsyncEngine
    objects: ObjectStore
    translator: GettextTranslator
    conversation: Conversation
    scheme: Scheme
    uow_factory: UnitOfWorkFactory
    eraser: ObjectEraser
    metrics: Metrics
    pacer: Pacer
    services: Services
    """What the use cases need besides the database: the same for the chat, the CLI and tests."""

    async def aclose(self) -> None:
        await self.engine.dispose()


def build_object_store(settings: Settings) -> ObjectStore:
    if settings.storage.backend == "local":
        return LocalObjectStore(settings.storage.local_dir)
    s3 = settings.s3
    client_args: dict[str, Any] = {
        "region_name": s3.region,
        "config": BotoConfig(
            retries={"total_max_attempts": s3.max_attempts, "mode": "standard"},
            connect_timeout=s3.connect_timeout_seconds,
            read_timeout=s3.read_timeout_seconds,
            s3={"addressing_style": "path"} if s3.endpoint_url else {},
        ),
    }
    if s3.endpoint_url:
        client_args["endpoint_url"] = str(s3.endpoint_url).rstrip("/")
    if s3.access_key_id and s3.secret_access_key:
        client_args["aws_access_key_id"] = s3.access_key_id.get_secret_value()
        client_args["aws_secret_access_key"] = s3.secret_access_key.get_secret_value()
    client = boto3.session.Session().client("s3", **client_args)
    return S3ObjectStore(
        client,
        s3.bucket,
        part_size=s3.part_size_mb * 1024 * 1024,
        server_side_encryption=s3.sse or None,
        deadline=s3.deadline_seconds,
    )


async def prepare_schema(engine: AsyncEngine, *, upgrade: bool) -> None:
    """SQLite (embedded) is upgraded on start; a server database must already be current."""
    if upgrade:
        await migrate.upgrade(engine)
        return
    head = migrate.revisions()[-1]
    current = await migrate.current(engine)
    if current != head:
        raise SchemaNotCurrent(
            f"database schema is at {current or 'nothing'}, the code needs {head}: "
            "run `asesorbot db upgrade`"
        )


async def build_app(
    settings: Settings,
    *,
    flow: Flow | None = None,
    engine: AsyncEngine | None = None,
    objects: ObjectStore | None = None,
    clock: Callable[[], datetime] | None = None,
) -> App:
    """Wire the bot; ``engine``/``objects``/``flow`` let tests point it at their servers."""
    engine = engine or make_engine(
        settings.database.url,
        search_path=settings.database.schema_name,
        pool_size=settings.database.pool_size,
        max_overflow=settings.database.max_overflow,
    )
    try:
        await prepare_schema(engine, upgrade=engine.dialect.name == "sqlite")
        objects = objects or build_object_store(settings)
        if (
            settings.storage.backend == "s3"
            and settings.s3.create_bucket
            and isinstance(objects, S3ObjectStore)
        ):
            await objects.ensure_bucket()
        scheme = load_scheme(settings.app.scheme_file)
        translator = GettextTranslator()
        sessions = make_sessionmaker(engine)
        eraser = ObjectEraser(engine, objects, clock or (lambda: datetime.now(UTC)))

        holder = uuid.uuid4().hex  # this process, as the sender of the replies it keeps

        def uow_factory() -> SqlUnitOfWork:
            return SqlUnitOfWork(sessions, holder)

        services = Services(
            scheme=scheme,
            objects=objects,
            inspector=DocumentInspector(),
            clock=clock or (lambda: datetime.now(UTC)),
            max_upload_bytes=settings.app.max_upload_mb * 1024 * 1024,
            eraser=eraser,
            accounts=ACCOUNTS,
            contact=LspContact(**settings.lsp.model_dump()),
        )
        conversation = Conversation(
            uow_factory=uow_factory,
            translator=translator,
            flow=flow or build_flow(),
            settings=ConversationSettings(
                default_locale=DEFAULT_LOCALE,
                default_timezone=settings.app.default_timezone,
            ),
            services=services,
        )
    except BaseException:
        await engine.dispose()
        raise
    return App(
        settings=settings,
        engine=engine,
        objects=objects,
        translator=translator,
        conversation=conversation,
        scheme=scheme,
        uow_factory=uow_factory,
        eraser=eraser,
        metrics=Metrics(),
        pacer=pacer_for(
            settings, SqlSchedule(engine) if engine.dialect.name == "postgresql" else None
        ),
        services=services,
    )
