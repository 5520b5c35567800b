"""What an application needs, read from its own answers: its route, its evidence plan, its
APL-02 answers (9.1.2, 9.1.3). Shared by the chat, the use cases and the staff screens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.parts import ItemVerdict, Mark
from domain.ports import ApplicationRecord, DocumentRecord
from scheme.apl02 import Answer, backing
from scheme.eligibility import assess
from scheme.evidence import Need, counts, evidence_plan
from scheme.lifecycle import ApplicationState
from scheme.model import Route, Scheme


def route_of(scheme: Scheme, application: ApplicationRecord) -> Route:
    """The route the eligibility answers lead to (the new-candidate route until answered)."""
    if application.route:
        return scheme.route(application.route)
    return scheme.routes[-1]


def apl02_answers(
    application: ApplicationRecord, documents: Sequence[DocumentRecord]
) -> dict[str, Answer]:
    """The APL-02 answers, pointing only at documents still uploaded (9.1.3)."""
    return application.apl02.pointing_at({d.id for d in documents})


def plan_of(scheme: Scheme, application: ApplicationRecord) -> tuple[Need, ...]:
    """The evidence this application must carry, from its eligibility answers (9.1.2)."""
    answers = application.eligibility
    return evidence_plan(scheme, route_of(scheme, application), answers, assess(scheme, answers))


def evidence_counts(plan: tuple[Need, ...], documents: Sequence[DocumentRecord]) -> dict[str, int]:
    """Files per planned item; one the store lost does not count (it must be uploaded again)."""
    return counts(plan, present(documents))


def present(documents: Sequence[DocumentRecord]) -> list[str]:
    """The evidence ids of the documents whose bytes the store still holds."""
    return [d.evidence_id for d in documents if d.lost_at is None]


def flagged(application: ApplicationRecord) -> dict[str, ItemVerdict]:
    """After a send-back (9.1.5): the items staff marked as not meeting the requirement or
    missing that the candidate has not changed since (a new or removed file of the item clears
    its verdict, for staff to review again)."""
    if application.state != ApplicationState.NEEDS_FIX:
        return {}
    return {item: v for item, v in application.review.items() if v.mark is not Mark.OK}


def still_to_do(
    plan: Sequence[Need], have: Mapping[str, int], application: ApplicationRecord
) -> list[Need]:
    """The evidence items not yet done: short of their count, or sent back and not changed."""
    sent_back = flagged(application)
    return [need for need in plan if not need.done(have[need.id]) or need.id in sent_back]


def relevant_to(
    scheme: Scheme, documents: Sequence[DocumentRecord], unit_code: str
) -> list[DocumentRecord]:
    """The uploads relevant to a unit's FR.APL.02 elements (the scheme's ``backs``, 9.1.3),
    none the store lost: what "K for the whole unit" points to and the picker offers."""
    items = backing(scheme, unit_code)
    return [d for d in documents if d.evidence_id in items and d.lost_at is None]
