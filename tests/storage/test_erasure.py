"""Durable deletions: a document removed, or a whole draft deleted through /data, while S3 is
unreachable leaves the store once it is back, and the person is told the truth meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings, load_settings
from bot.factory import App, build_app
from domain.ports import ObjectStoreUnavailable
from handlers.messages import Choice, Text
from storage import migrate
from storage.erasure import verify_documents
from storage.models import DocumentRow, ObjectDeletionRow
from tests import documents as files
from tests.fakes.tcp_proxy import TcpProxy
from tests.handlers.candidate import Candidate
from tests.handlers.test_bad_input import candidate_at_ktp

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@dataclass
class Rig:
    app: App
    proxy: TcpProxy
    settings: Settings
    clock: list[datetime]
    upstream: str

    def bucket(self) -> set[str]:
        """What is really in the bucket, asked of moto directly (not through the proxy)."""
        client = boto3.client(
            "s3",
            endpoint_url=self.upstream,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        listed = client.list_objects_v2(Bucket=self.settings.s3.bucket)
        return {o["Key"] for o in listed.get("Contents", [])}

    async def queued(self) -> list[ObjectDeletionRow]:
        async with self.app.engine.connect() as connection:
            rows = await connection.execute(select(ObjectDeletionRow))
            return list(rows)


@pytest.fixture
async def rig(engine: AsyncEngine, s3_proxy: TcpProxy, s3_endpoint: str) -> AsyncIterator[Rig]:
    settings = load_settings(env_file=None)
    await migrate.upgrade(engine)
    clock = [NOW]
    app = await build_app(settings, engine=engine, clock=lambda: clock[0])
    yield Rig(app, s3_proxy, settings, clock, s3_endpoint)
    await app.aclose()


async def candidate_with_ktp(rig: Rig) -> tuple[Candidate, str]:
    person = await candidate_at_ktp(rig.app)
    await person.upload(files.pdf("ktp"), "ktp.pdf")
    (key,) = rig.bucket()
    return person, key


async def open_checklist(person: Candidate, item: str | None = None) -> None:
    await person.command("menu")
    await person.option("apply")
    await person.option("evidence")
    if item is not None:
        await person.option(item)


def texts(person: Candidate) -> list[str]:
    return [m.body for m in person.last.messages if isinstance(m, Text | Choice)]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
async def test_a_document_removed_while_s3_is_down_leaves_the_store_when_it_is_back(
    rig: Rig,
) -> None:
    person, key = await candidate_with_ktp(rig)
    await open_checklist(person, "ktp")
    (remove,) = [o for o in person.options if o.startswith("rm:")]
    rig.proxy.cut()
    await person.option(remove)
    first = texts(person)[0]
    assert "ktp.pdf dihapus dari permohonan Anda" in first
    assert "akan kami hapus otomatis" in first  # the truth: not yet gone from the store
    assert person.asks_for_file()  # the step goes on; nothing else is lost
    assert [row.object_key for row in await rig.queued()] == [key]
    assert rig.bucket() == {key}

    assert await rig.app.eraser.retry_due() == (0, 0)  # not due yet: backing off
    rig.clock[0] += timedelta(minutes=1)
    assert await rig.app.eraser.retry_due() == (0, 1)  # still down: waits longer
    (row,) = await rig.queued()
    assert row.attempts == 2
    assert "S3" in str(row.last_error)

    rig.proxy.restore()
    rig.clock[0] += timedelta(hours=1)
    assert await rig.app.eraser.retry_due() == (1, 0)
    assert rig.bucket() == set()
    assert await rig.queued() == []


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_a_document_removed_while_s3_is_up_is_gone_at_once(rig: Rig) -> None:
    person, _ = await candidate_with_ktp(rig)
    await open_checklist(person, "ktp")
    (remove,) = [o for o in person.options if o.startswith("rm:")]
    await person.option(remove)
    assert texts(person)[0] == "🗑 ktp.pdf dihapus."
    assert rig.bucket() == set()
    assert await rig.queued() == []


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_deleting_my_data_while_s3_is_down_is_finished_by_the_worker(rig: Rig) -> None:
    person, key = await candidate_with_ktp(rig)
    await person.command("data")
    await person.option("delete")
    rig.proxy.cut()
    await person.option("yes")
    assert "1 berkas Anda akan kami hapus dari sana otomatis" in person.screen
    assert "telah dihapus" in person.screen  # the draft data is: that part is true
    assert rig.bucket() == {key}
    rig.proxy.restore()
    rig.clock[0] += timedelta(minutes=1)
    assert await rig.app.eraser.retry_due() == (1, 0)
    assert rig.bucket() == set()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_an_upload_rolled_back_while_s3_went_down_is_queued_not_left(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes went in, the row was never written, and the store is gone before the clean-up:
    the orphan is queued and deleted later."""
    from storage.repositories import SqlApplications

    person = await candidate_at_ktp(rig.app)

    async def broken(self, document) -> None:  # type: ignore[no-untyped-def]
        rig.proxy.cut()
        raise RuntimeError("database went away")

    monkeypatch.setattr(SqlApplications, "add_document", broken)
    await person.upload(files.pdf("ktp"), "ktp.pdf")
    (key,) = rig.bucket()
    assert [row.object_key for row in await rig.queued()] == [key]
    rig.proxy.restore()
    rig.clock[0] += timedelta(minutes=1)
    assert await rig.app.eraser.retry_due() == (1, 0)
    assert rig.bucket() == set()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_a_queued_key_that_a_document_still_names_is_never_deleted(rig: Rig) -> None:
    """A queue row that outlived its reason (a bug, a manual edit): the document wins."""
    _, key = await candidate_with_ktp(rig)
    async with rig.app.engine.begin() as connection:
        await connection.execute(
            ObjectDeletionRow.__table__.insert().values(
                object_key=key, requested_at=NOW, due_at=NOW, attempts=0
            )
        )
    assert await rig.app.eraser.retry_due() == (0, 0)
    assert rig.bucket() == {key}
    assert await rig.queued() == []
    async with rig.app.engine.connect() as connection:
        assert (await connection.execute(select(DocumentRow.object_key))).scalar_one() == key


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_a_document_the_store_lost_is_missing_on_the_checklist_until_sent_again(
    rig: Rig,
) -> None:
    """`asesorbot objects verify` finds the object gone: the checklist no longer says ✅, the
    item says what happened, and the very same file is taken again."""
    person, key = await candidate_with_ktp(rig)
    await open_checklist(person)
    assert "✅" in next(line for line in person.screen.splitlines() if "KTP" in line)
    client = boto3.client(
        "s3", endpoint_url=rig.upstream, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    client.delete_object(Bucket=rig.settings.s3.bucket, Key=key)  # lost behind the bot's back
    assert await verify_documents(rig.app.engine, rig.app.objects, NOW) == (1, [key])
    assert await verify_documents(rig.app.engine, rig.app.objects, NOW) == (0, [])  # known

    await open_checklist(person)
    assert "✅" not in next(line for line in person.screen.splitlines() if "KTP" in line)
    await person.option("ktp")
    assert "ktp.pdf (" in person.screen
    assert "hilang dari penyimpanan berkas; hapus dan unggah ulang" in person.screen
    assert person.asks_for_file()
    await person.upload(files.pdf("ktp"), "ktp.pdf")  # the same bytes: not a "duplicate"
    assert "sama persis" not in person.screen
    assert "✅ Diterima: ktp.pdf" in person.screen
    async with rig.app.engine.connect() as connection:
        kept = (await connection.execute(select(DocumentRow.object_key, DocumentRow.lost_at))).all()
    assert len(kept) == 1
    assert kept[0].lost_at is None
    assert kept[0].object_key in rig.bucket()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_verifying_against_a_store_that_is_down_marks_nothing(rig: Rig) -> None:
    await candidate_with_ktp(rig)
    rig.proxy.cut()
    with pytest.raises(ObjectStoreUnavailable):
        await verify_documents(rig.app.engine, rig.app.objects, NOW)
    async with rig.app.engine.connect() as connection:
        lost = (await connection.execute(select(DocumentRow.lost_at))).scalars().all()
    assert lost == [None]
