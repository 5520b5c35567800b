"""What is submitted is consistent and never stuck (issue 13, item 8).

Random sequences of what a candidate does after filling everything in — removing and uploading
documents, changing APL-02 answers, changing the birth date so that the NIK no longer agrees and
back — then submit: a complete, consistent application is always accepted, an incomplete or
inconsistent one never is, and whatever was refused can be put right.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.config import load_settings
from bot.factory import App, build_app
from storage import migrate
from tests.documents import pdf, photo
from tests.handlers.candidate import Candidate
from tests.handlers.test_candidate_journey import (
    APL01_NEW,
    fill_apl01,
    fill_apl02,
    upload_evidence,
)
from tests.journey import EVIDENCE_NEEDS

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
ACTIONS = ("remove", "upload", "apl02_edit", "wrong_birth_date", "right_birth_date")
PEOPLE = itertools.count()


@pytest.fixture
async def app(engine, clean_env) -> App:  # type: ignore[no-untyped-def]
    await migrate.upgrade(engine)
    return await build_app(load_settings(env_file=None), engine=engine, clock=lambda: NOW)


async def complete_draft(app: App) -> Candidate:
    siti = Candidate(app, who=f"siti{next(PEOPLE)}")
    await siti.command("start")
    await siti.option("id")
    await siti.option("apply")
    for value in ("0", "s1"):
        await siti.option(value)
    await siti.type("2")
    await siti.option("1")
    await siti.option("1")
    await fill_apl01(siti, APL01_NEW)
    await upload_evidence(siti, EVIDENCE_NEEDS)
    await fill_apl02(siti, 13)
    await siti.command("daftar")
    return siti


async def files_of(app: App, reference_person: str) -> dict[str, int]:
    async with app.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT d.evidence_id, count(*) FROM documents d "
                "JOIN applications a ON a.id = d.application_id "
                "JOIN channel_identities c ON c.person_id = a.person_id "
                "WHERE c.external_id = :who GROUP BY d.evidence_id"
            ),
            {"who": reference_person},
        )
        return {evidence: int(count) for evidence, count in rows}


async def do(siti: Candidate, action: str, item: str, counter: int) -> None:
    """One thing a candidate does, starting and ending at the hub."""
    if action in {"remove", "upload"}:
        await siti.option("evidence")
        await siti.option(item)
        removals = [o for o in siti.options if o.startswith("rm:")]
        if action == "remove" and removals:
            await siti.option(removals[0])
        elif action == "upload":
            if item == "photo":
                await siti.upload(photo(background=(200, 20, 30 + counter % 50)), "foto.jpg")
            else:
                await siti.upload(pdf(f"{item}-extra-{counter}"), f"{item}-extra-{counter}.pdf")
        await siti.command("daftar")
    elif action == "apl02_edit":
        await siti.option("apl02")
        edits = [o for o in siti.options if o.startswith("edit:")]
        if edits:
            await siti.option(edits[counter % len(edits)])
            verdict = "BK:" if counter % 2 else "K:"
            await siti.option(next(o for o in siti.options if o.startswith(verdict)))
            if verdict == "K:":
                await siti.option("done")
        await siti.command("daftar")
    else:
        typed = "18-08-1985" if action == "wrong_birth_date" else "17-08-1985"
        await siti.option("apl01")
        # From the review (or the NIK step when it disagrees), change the birth date.
        if "fix:birth_date" in siti.options:
            await siti.option("fix:birth_date")
        else:
            await siti.option("edit:birth_date")
        await siti.type(typed)
        await siti.option("confirm")
        await siti.command("daftar")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.sampled_from(sorted(EVIDENCE_NEEDS))),
        max_size=6,
    )
)
async def test_a_complete_application_can_always_be_submitted_and_an_inconsistent_one_never(
    app: App, steps: list[tuple[str, str]]
) -> None:
    siti = await complete_draft(app)
    birth_date_right = True
    for counter, (action, item) in enumerate(steps):
        await do(siti, action, item, counter)
        if action in {"wrong_birth_date", "right_birth_date"}:
            birth_date_right = action == "right_birth_date"
    have = await files_of(app, siti.who)
    evidence_complete = all(have.get(item, 0) >= need for item, need in EVIDENCE_NEEDS.items())
    should_submit = evidence_complete and birth_date_right  # APL-02 stays answered throughout
    await siti.option("submit")
    if "agree" in siti.options:  # the declaration is offered only to what can be sent
        await siti.option("agree")
    submitted = "Permohonan terkirim!" in siti.screen
    assert submitted == should_submit, (steps, have, siti.screen[-300:])
    if not submitted:
        # Never stuck: put right what the refusal named, then it goes through.
        assert "Permohonan belum bisa dikirim" in siti.screen
        assert siti.options == ["back"]
        await siti.option("back")
        if not birth_date_right:
            await do(siti, "right_birth_date", "ktp", 99)
        for item, need in EVIDENCE_NEEDS.items():
            for n in range(have.get(item, 0), need):
                await do(siti, "upload", item, 100 + n)
        await siti.option("submit")
        await siti.option("agree")
        assert "Permohonan terkirim!" in siti.screen, siti.screen[:400]
