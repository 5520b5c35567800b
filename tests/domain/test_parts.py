"""The typed parts of an application and their JSON: what is written reads back the same, the
keys stay those the stored rows and the SQL on them use, and a value that does not read becomes
the field's default instead of a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.parts import (
    Agreement,
    Appeal,
    Assessment,
    Decision,
    ItemVerdict,
    Mark,
    SurveillanceOutcome,
    SurveillanceRecord,
    UnitResult,
    read_review,
    read_surveillance,
    review_json,
)
from scheme.apl02 import Verdict
from scheme.lifecycle import AppealState, ApplicationState

AT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def test_review_round_trips_and_keeps_the_reason_only_where_given() -> None:
    review = {"ktp": ItemVerdict(Mark.OK), "ijazah": ItemVerdict(Mark.NOT_OK, "buram")}

    stored = review_json(review)

    assert stored == {"ktp": {"mark": "ok"}, "ijazah": {"mark": "not_ok", "reason": "buram"}}
    assert read_review(stored) == review


def test_an_unreadable_verdict_is_no_verdict() -> None:
    stored = {"ktp": {"mark": "maybe"}, "foto": "ok", "cv": {"mark": "missing", "reason": 7}}

    assert read_review(stored) == {"cv": ItemVerdict(Mark.MISSING)}
    assert read_review(None) == {}


def test_an_assessment_round_trips_with_the_keys_the_queries_read() -> None:
    units = {"M.74SKK00.001.1": UnitResult(Verdict.BK, "kurang")}
    assessment = Assessment(7, AT, "TUK Sewaktu Jakarta", units, accepted_at=AT)

    stored = assessment.to_json()

    assert stored["assessor"] == 7  # storage's assigned_to reads this key as an integer
    assert stored["starts_at"] == AT.isoformat()
    assert stored["declared"] == "none"  # 9.10.7, as the rows before the types said it
    assert stored["units"] == {"M.74SKK00.001.1": {"verdict": "BK", "note": "kurang"}}
    assert Assessment.read(stored) == assessment


def test_a_declined_assessment_keeps_only_who_declined_and_why() -> None:
    declined = Assessment(declined_by=7, conflict="sepupu saya")

    assert declined.to_json() == {"declined_by": 7, "conflict": "sepupu saya"}
    assert Assessment.read(declined.to_json()) == declined


@pytest.mark.parametrize(
    "stored",
    [
        None,
        [],
        {"assessor": "7", "starts_at": "besok", "units": {"X": {"verdict": "maybe"}}},
        {"assessor": True, "units": "K"},
    ],
)
def test_an_unreadable_assessment_reads_as_none_assigned(stored: object) -> None:
    assert Assessment.read(stored) == Assessment()


def test_a_decision_round_trips() -> None:
    decision = Decision(ApplicationState.DECIDED_NOT_YET, AT, by=3, record="BA-17", appeal_until=AT)

    stored = decision.to_json()

    assert stored == {
        "result": "decided_not_yet", "decided_at": AT.isoformat(), "by": 3, "record": "BA-17",
        "appeal_until": AT.isoformat(),
    }  # fmt: skip
    assert Decision.read(stored) == decision
    assert Decision.read({"result": "won", "by": None}) == Decision()


def test_an_appeal_round_trips_with_its_due_date_as_a_day() -> None:
    appeal = Appeal(
        AppealState.UNDER_REVIEW, "Bukti tidak dinilai", filed_at=AT, due_on=date(2027, 1, 6),
        documents=("d1", "d2"), panel=9,
    )  # fmt: skip

    stored = appeal.to_json()

    assert stored["due_on"] == "2027-01-06"  # storage's appeal_counts compares it as text
    assert stored["documents"] == ["d1", "d2"]
    assert Appeal.read(stored) == appeal
    assert Appeal.read({"state": "lost", "documents": [1, "d1"]}) == Appeal(documents=("d1",))


def test_a_certificates_surveillance_and_agreement_round_trip() -> None:
    record = SurveillanceRecord(date(2027, 12, 1), SurveillanceOutcome.MAINTAINED, "baik", 4)
    agreement = Agreement(AT, "id", "v1", "telegram")

    assert read_surveillance([record.to_json(), {"on": "kemarin"}, "x"]) == (record,)
    assert read_surveillance(None) == ()
    assert record.to_json()["on"] == "2027-12-01"
    assert Agreement.read(agreement.to_json()) == agreement
    assert Agreement.read({"locale": "id"}) is None  # no time: not an agreement
