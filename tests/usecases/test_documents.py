"""Who reads an uploaded document: its owner, staff and the assigned assessor, nobody else —
each opening in the audit log, allowed or not."""

from __future__ import annotations

from domain.parts import Assessment
from domain.ports import DocumentRecord
from scheme.lifecycle import ApplicationState as A
from tests.usecases.world import World, refusal
from usecases.access import Caller, Refusal
from usecases.documents import open_document


async def test_a_document_reaches_its_owner_staff_and_the_assigned_assessor_only(
    world: World,
) -> None:
    siti, budi = await world.person("siti"), await world.person("budi", "staff")
    rina, andi = await world.person("rina", "assessor"), await world.person("andi", "assessor")
    eko = await world.person("eko")
    app_id = await world.complete_draft(siti)
    await world.call(
        lambda uow, _s: uow.applications.update(
            app_id, state=A.SCHEDULED, assessment=Assessment(rina.person_id)
        )
    )
    [document_id] = [d.id for d in await world.documents("ktp")]

    async def opening(reader: Caller, application_id: int = app_id) -> object:
        return await world.call(
            lambda uow, _s: open_document(uow, reader, application_id, document_id)
        )

    for reader in (siti, budi, rina):
        opened = await opening(reader)
        assert isinstance(opened, DocumentRecord)
        assert opened.id == document_id
    for stranger in (andi, eko):
        assert refusal(await opening(stranger)) is Refusal.NOT_ALLOWED
    assert refusal(await opening(budi, app_id + 1)) is Refusal.NOT_ALLOWED

    audit = await world.audit_rows("person_id", "action", "target", "allowed")
    people = [siti, budi, rina, andi, eko, budi]
    assert [(p, a, t, bool(ok)) for p, a, t, ok in audit] == [
        (c.person_id, "open_document", f"document:{document_id}", ok)
        for c, ok in zip(people, [True, True, True, False, False, False], strict=True)
    ]
