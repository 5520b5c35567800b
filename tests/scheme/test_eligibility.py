"""Route and eligibility, 6.1, 6.2 and 6.2.7, from the candidate's answers."""

from __future__ import annotations

import pytest

from scheme.eligibility import assess
from scheme.model import Scheme

NEW_OK = {
    "assessor_certificate": 0,
    "education": "s1",
    "practice_records": 2,
    "assessor_training": 1,
    "technical_competence": 1,
}
RECERT_OK = {
    "assessor_certificate": 1,
    "planning_spt": 2,
    "plan_organise_spt": 0,
    "planning_records": 0,
    "validation_spt": 2,
    "tools_spt": 0,
    "validation_records": 0,
    "conducting_spt": 6,
    "refreshment": 1,
    "technical_competence": 1,
}


def test_new_candidate_meeting_everything(asesor: Scheme) -> None:
    result = assess(asesor, NEW_OK)
    assert (result.route, result.route_clause, result.method) == (
        "new_candidate",
        "6.1",
        "competency_test",
    )
    assert result.eligible
    assert result.missing == ()


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"education": "smp"}, ("6.1.1",)),
        ({"education": "sma"}, ()),
        ({"practice_records": 1}, ("6.1.2",)),
        ({"assessor_training": 0}, ("6.1.3",)),
        ({"technical_competence": 0, "education": "sd"}, ("6.1.1", "6.1.4")),
    ],
)
def test_new_candidate_missing_requirements(asesor: Scheme, change, missing) -> None:
    result = assess(asesor, {**NEW_OK, **change})
    assert result.missing == missing
    assert result.eligible is (not missing)


def test_recertification_by_portfolio(asesor: Scheme) -> None:
    result = assess(asesor, RECERT_OK)
    assert (result.route, result.method, result.fallback_clause) == (
        "recertification",
        "portfolio",
        None,
    )
    assert result.eligible


def test_6_2_2_and_6_2_3_alternatives(asesor: Scheme) -> None:
    alternative = {
        **RECERT_OK,
        "planning_spt": 0,
        "plan_organise_spt": 2,
        "planning_records": 1,
        "validation_spt": 1,
        "tools_spt": 2,
        "validation_records": 1,
    }
    result = assess(asesor, alternative)
    assert result.method == "portfolio"
    assert result.eligible
    # 2 SPT for planning-and-organising without the planning record is not enough.
    result = assess(asesor, {**alternative, "planning_records": 0})
    assert [r.clause for r in result.requirements if not r.met] == ["6.2.2"]


@pytest.mark.parametrize(
    "change",
    [{"conducting_spt": 4}, {"planning_spt": 1}, {"validation_spt": 0, "conducting_spt": 0}],
)
def test_6_2_7_partly_met_means_competency_test(asesor: Scheme, change) -> None:
    result = assess(asesor, {**RECERT_OK, **change})
    assert result.route == "recertification"
    assert result.method == "competency_test"
    assert result.fallback_clause == "6.2.7"
    assert result.eligible  # the group no longer blocks: it decides the method
    assert result.waived == frozenset({"6.2.2", "6.2.3", "6.2.4"})


def test_6_2_7_does_not_waive_other_requirements(asesor: Scheme) -> None:
    result = assess(asesor, {**RECERT_OK, "conducting_spt": 3, "refreshment": 0})
    assert result.method == "competency_test"
    assert result.missing == ("6.2.5",)
    assert not result.eligible


def test_unanswered_facts_are_listed_not_guessed(asesor: Scheme) -> None:
    result = assess(asesor, {"assessor_certificate": 1, "planning_spt": 2})
    assert result.route == "recertification"
    assert not result.eligible
    assert result.fallback_clause is None  # cannot tell yet
    assert "conducting_spt" in result.unanswered
    assert "planning_spt" not in result.unanswered


def test_no_answers_is_the_new_candidate_route(asesor: Scheme) -> None:
    assert assess(asesor, {}).route == "new_candidate"


def test_made_up_scheme_follows_its_own_file(barista: Scheme) -> None:
    assert assess(barista, {"license": 1, "cups": 100}).route == "renewal"
    assert assess(barista, {"license": 1, "cups": 100}).eligible
    first = assess(barista, {"school": "none", "cups": 50})
    assert (first.route, first.missing) == ("first", ("6.1.1",))


def test_questions_asked_in_order_and_only_while_needed(asesor: Scheme) -> None:
    from scheme.eligibility import next_question

    answers: dict[str, int | str] = {}
    asked = []
    script = {
        "assessor_certificate": 1,
        "planning_spt": 1,  # not enough: the alternative of 6.2.2 must be asked
        "plan_organise_spt": 2,
        "planning_records": 1,
        "validation_spt": 3,
        "conducting_spt": 6,
        "refreshment": 1,
        "technical_competence": 1,
    }
    while (fact := next_question(asesor, answers)) is not None:
        asked.append(fact)
        answers[fact] = script[fact]
    assert asked == list(script)  # tools_spt and validation_records never asked
    result = assess(asesor, answers)
    assert result.eligible
    assert result.method == "portfolio"


def test_new_candidate_questions(asesor: Scheme) -> None:
    from scheme.eligibility import next_question

    answers: dict[str, int | str] = {"assessor_certificate": 0}
    asked = []
    while (fact := next_question(asesor, answers)) is not None:
        asked.append(fact)
        answers[fact] = "sma" if fact == "education" else 0
    assert asked == ["education", "practice_records", "assessor_training", "technical_competence"]
