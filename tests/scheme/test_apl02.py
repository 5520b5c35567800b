"""APL-02 self-assessment generated from the data file, and its completeness rules."""

from __future__ import annotations

from scheme.apl02 import Answer, Problem, UnitSummary, check, questionnaire
from scheme.model import Scheme


def test_questionnaire_follows_the_data_file(asesor: Scheme) -> None:
    questions = questionnaire(asesor)
    assert len(questions) == 27
    first = questions[0]
    assert (first.ref, first.unit_code, first.element_number) == (
        "P.85ASM00.001.2/1.1",
        "P.85ASM00.001.2",
        1,
    )
    assert not first.verified
    verified = [q.ref for q in questions if q.verified]
    assert "P.85ASM00.001.2/3.2" in verified
    # Element 3 of unit 003.2 is itself unconfirmed, so its KUK are shown as such too.
    assert "P.85ASM00.003.2/3.1" not in verified
    assert len({q.ref for q in questions}) == len(questions)


def test_complete_answers(barista: Scheme) -> None:
    questions = questionnaire(barista)
    answers = {
        "KOPI.01/1.1": Answer("K", ("doc-1",)),
        "KOPI.01/1.2": Answer("BK"),
    }
    result = check(questions, answers, uploaded={"doc-1"})
    assert result.complete
    assert result.summary == (UnitSummary("KOPI.01", k=1, bk=1, unanswered=0),)


def test_incomplete_answers_name_each_problem(barista: Scheme) -> None:
    questions = questionnaire(barista)
    answers = {
        "KOPI.01/1.1": Answer("K"),
        "KOPI.99/9.9": Answer("BK"),
    }
    result = check(questions, answers, uploaded=set())
    assert not result.complete
    assert set(result.problems) == {
        Problem("unknown_kuk", "KOPI.99/9.9"),
        Problem("k_without_evidence", "KOPI.01/1.1"),
        Problem("unanswered", "KOPI.01/1.2"),
    }
    result = check(questions, {"KOPI.01/1.1": Answer("K", ("deleted-doc",))}, uploaded={"x"})
    assert Problem("unknown_evidence", "KOPI.01/1.1") in result.problems
    assert result.summary == (UnitSummary("KOPI.01", k=1, bk=0, unanswered=1),)
