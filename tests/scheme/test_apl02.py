"""APL-02 as FR.APL.02 asks it: one question per element, the KUK beneath, evidence optional."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from scheme.apl02 import (
    Answer,
    UnitSummary,
    Verdict,
    answers_from,
    check,
    questionnaire,
)
from scheme.model import Scheme
from storage import migrations


def test_one_question_per_element_of_every_unit(asesor: Scheme) -> None:
    questions = questionnaire(asesor)
    assert [q.ref for q in questions] == [
        *(f"P.85ASM00.001.2/{n}" for n in range(1, 5)),
        *(f"P.85ASM00.003.2/{n}" for n in range(1, 7)),
        *(f"P.854900.047.01/{n}" for n in range(1, 4)),
    ]
    first = questions[0]
    assert first.ask.id == "menentukan pendekatan asesmen"
    assert first.ask.get("en") == "determine the assessment approach"
    # An element with no KUK known yet (MAPA 4) is still asked; KUK cut off in every source
    # (MAPA 3.4, MA 3.6, MKVA 3.3) are not put to candidates.
    assert questions[3].kuk == ()
    mapa_3 = questions[2]
    assert mapa_3.ask.id == "mengidentifikasi persyaratan modifikasi dan kontekstualisasi"
    assert [k.number for k in mapa_3.kuk] == ["3.1", "3.2", "3.3", "3.4"]
    assert [k.number for k in mapa_3.shown_kuk] == ["3.1", "3.2", "3.3"]
    mkva_1 = questions[10]
    assert [k.number for k in mkva_1.shown_kuk] == ["1.1", "1.2", "1.3", "1.4", "1.5"]


def test_evidence_is_optional_and_a_removed_document_only_drops_out(barista: Scheme) -> None:
    questions = questionnaire(barista)
    stored = {"KOPI.01/1": {"verdict": "K", "evidence": ["doc-1", "gone"]}}
    answers = answers_from(stored, uploaded={"doc-1"})
    assert answers == {"KOPI.01/1": Answer(Verdict.K, ("doc-1",))}
    assert answers_from(stored, uploaded=set()) == {"KOPI.01/1": Answer(Verdict.K)}
    result = check(questions, answers_from(stored, uploaded=set()))
    assert result.complete
    assert result.summary == (UnitSummary("KOPI.01", k=1, bk=0, unanswered=0),)


def test_unanswered_elements_are_named_and_stray_answers_ignored(asesor: Scheme) -> None:
    questions = questionnaire(asesor)
    stored = {"P.85ASM00.001.2/1": {"verdict": "BK"}, "X/9": {"verdict": "K"}, "junk": 3}
    result = check(questions, answers_from(stored, uploaded=()))
    assert not result.complete
    assert len(result.unanswered) == 12
    assert result.summary[0] == UnitSummary("P.85ASM00.001.2", k=0, bk=1, unanswered=3)


def test_answers_per_kuk_are_carried_over_per_element() -> None:
    """The conversion of migration 0011 (its own code, so that it never changes later)."""
    path = Path(migrations.__file__).parent / "versions" / "0011_apl02_per_element.py"
    spec = importlib.util.spec_from_file_location("apl02_per_element", path)
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    element_of_kuk_ref, merge_kuk_answers = migration._element, migration.per_element
    assert element_of_kuk_ref("P.85ASM00.001.2/3.2") == "P.85ASM00.001.2/3"
    assert element_of_kuk_ref("P.85ASM00.001.2/3") is None
    merged = merge_kuk_answers(
        {
            "U.1/1.1": {"verdict": "K", "evidence": ["a"]},
            "U.1/1.2": {"verdict": "BK", "evidence": ["b", "a"]},
            "U.1/2.1": {"verdict": "K", "evidence": []},
            "U.1/3": {"verdict": "K", "evidence": []},
        }
    )
    assert merged == {
        "U.1/1": {"verdict": "BK", "evidence": ["a", "b"]},
        "U.1/2": {"verdict": "K", "evidence": []},
        "U.1/3": {"verdict": "K", "evidence": []},
    }
