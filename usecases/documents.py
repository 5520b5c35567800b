"""Reading an uploaded document: identity papers and portfolios are private to their owner, the
application's assigned assessor and staff (UU PDP); every opening is in the audit log, allowed or
not."""

from __future__ import annotations

from domain.ports import DocumentRecord, UnitOfWork
from usecases.access import STAFF_ROLES, Caller, Refusal, Refused


async def open_document(
    uow: UnitOfWork, caller: Caller, application_id: int, document_id: str
) -> DocumentRecord | Refused:
    """The document, when it belongs to the application and the caller may read it: staff, the
    application's owner, or the assessor assigned to it now."""
    application = await uow.applications.get(application_id)
    may = application is not None and (
        caller.person_id is None
        or caller.person_id in {application.person_id, application.assessment.assessor}
        or bool(await uow.roles.of(caller.person_id) & STAFF_ROLES)
    )
    documents = await uow.applications.documents(application_id) if may else ()
    document = next((d for d in documents if d.id == document_id), None)
    await uow.audit.record(
        caller.person_id, caller.channel, "open_document", f"document:{document_id}",
        allowed=document is not None,
    )  # fmt: skip
    return document if document is not None else Refused(Refusal.NOT_ALLOWED)
