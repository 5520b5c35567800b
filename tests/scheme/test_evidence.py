"""The evidence plan: which files each candidate uploads (9.1.2, 6.2.2, 6.2.3, 6.2.7)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from scheme.eligibility import Answers, assess, next_question
from scheme.evidence import Basis, Need, counts, evidence_plan, missing
from scheme.model import Scheme
from tests.journey import EVIDENCE_NEEDS
from tests.scheme.test_eligibility import NEW_OK, RECERT_OK


def plan_for(scheme: Scheme, answers: Answers) -> dict[str, Need]:
    eligibility = assess(scheme, answers)
    route = scheme.route(eligibility.route)
    return {need.id: need for need in evidence_plan(scheme, route, answers, eligibility)}


def test_new_candidate_records_per_activity(asesor: Scheme) -> None:
    """9.1.2.1 d: planning, conducting and validating, 2 times each, and one photo file."""
    plan = plan_for(asesor, NEW_OK)
    assert {k: n.min for k, n in plan.items()} == EVIDENCE_NEEDS  # what the journeys upload
    assert {n.basis for n in plan.values()} == {Basis.REQUIRED}
    two_planning = ["practice_planning"] * 2
    assert [n.id for n, _ in missing(tuple(plan.values()), two_planning)] == [
        "ktp",
        "photo",
        "diploma",
        "practice_conducting",
        "practice_validating",
        "training_certificate",
        "technical_competence",
    ]


def test_option_a_of_6_2_2_and_6_2_3(asesor: Scheme) -> None:
    plan = plan_for(asesor, RECERT_OK)
    option_b = {"plan_organise_spt", "planning_record", "tools_spt", "validation_record"}
    assert not option_b & set(plan)
    assert (plan["planning_spt"].min, plan["planning_spt"].basis) == (2, Basis.ALTERNATIVE)
    assert (plan["planning_spt"].alternative, plan["planning_spt"].alternatives) == (1, 2)
    assert plan["conducting_spt"].min == 6


def test_option_b_of_6_2_2_needs_three_files(asesor: Scheme) -> None:
    """ "2 SPT ... atau 2 SPT merencanakan dan mengorganisasikan dan 1 rekaman": 3 files."""
    answers = {**RECERT_OK, "planning_spt": 0, "plan_organise_spt": 2, "planning_records": 1}
    plan = plan_for(asesor, answers)
    assert "planning_spt" not in plan
    assert plan["plan_organise_spt"].min + plan["planning_record"].min == 3
    assert plan["planning_record"].alternative == 2
    have = ["plan_organise_spt", "plan_organise_spt"]
    assert [n.id for n, _ in missing(tuple(plan.values()), have)][3:4] == ["planning_record"]


def test_6_2_3_option_b(asesor: Scheme) -> None:
    answers = {**RECERT_OK, "validation_spt": 1, "tools_spt": 2, "validation_records": 1}
    plan = plan_for(asesor, answers)
    assert "validation_spt" not in plan
    assert (plan["tools_spt"].min, plan["validation_record"].min) == (2, 1)


def test_6_2_7_takes_what_the_candidate_has(asesor: Scheme) -> None:
    """4 of the 6 SPT melaksanakan asesmen: 6.2.7 applies and the 4 are enough to submit."""
    answers = {**RECERT_OK, "conducting_spt": 4}
    assert assess(asesor, answers).fallback_clause == "6.2.7"
    plan = plan_for(asesor, answers)
    conducting = plan["conducting_spt"]
    assert (conducting.min, conducting.max, conducting.basis) == (4, 6, Basis.PARTIAL)
    assert conducting.clause == "6.2.7"
    files = [need.id for need in plan.values() for _ in range(need.min)]
    assert files.count("conducting_spt") == 4
    assert missing(tuple(plan.values()), files) == ()


def test_6_2_7_without_any_planning_spt_chooses_the_closer_option(asesor: Scheme) -> None:
    answers = {**RECERT_OK, "planning_spt": 0, "plan_organise_spt": 1, "planning_records": 1}
    plan = plan_for(asesor, answers)
    assert "planning_spt" not in plan
    assert (plan["plan_organise_spt"].min, plan["planning_record"].min) == (1, 1)
    assert plan["plan_organise_spt"].basis == Basis.PARTIAL


def test_counts_ignore_files_of_items_not_asked(asesor: Scheme) -> None:
    plan = tuple(plan_for(asesor, RECERT_OK).values())
    assert counts(plan, ["planning_record", "ktp"])["ktp"] == 1
    assert "planning_record" not in counts(plan, ["planning_record"])


@st.composite
def eligibility_answers(draw: st.DrawFn, scheme: Scheme) -> dict[str, int | str]:
    """Answers given the way the bot asks them: one question at a time until none is left."""
    answers: dict[str, int | str] = {}
    levels = [level.id for level in scheme.education_levels]
    kinds = {fact.id: fact.kind for fact in scheme.facts}
    while (fact_id := next_question(scheme, answers)) is not None:
        kind = kinds[fact_id]
        if kind == "education":
            answers[fact_id] = draw(st.sampled_from(levels))
        elif kind == "yes_no":
            answers[fact_id] = draw(st.sampled_from([0, 1]))
        else:
            answers[fact_id] = draw(st.integers(0, 9))
    return answers


@settings(max_examples=300)
@given(data=st.data())
def test_no_eligible_route_is_ever_unsubmittable(asesor: Scheme, data: st.DataObject) -> None:
    """For every eligible answer set, 6.2.7 included: each item asks for no more files than it
    accepts nor than the candidate said they have, and uploading that many completes it."""
    check_submittable(asesor, data.draw(eligibility_answers(asesor)))


def test_every_6_2_7_combination_is_submittable(asesor: Scheme) -> None:
    """Every count of the six SPT and record facts around their thresholds (2, 1, 6)."""
    spt, records, conducting = range(4), range(3), range(8)
    seen_partial = 0
    for values in itertools.product(spt, spt, records, spt, spt, records, conducting):
        answers = {
            **RECERT_OK,
            **dict(
                zip(
                    (
                        "planning_spt",
                        "plan_organise_spt",
                        "planning_records",
                        "validation_spt",
                        "tools_spt",
                        "validation_records",
                        "conducting_spt",
                    ),
                    values,
                    strict=True,
                )
            ),
        }
        seen_partial += check_submittable(asesor, answers)
    assert seen_partial > 10_000


def check_submittable(asesor: Scheme, answers: Answers) -> bool:
    """Asserts the plan of eligible answers can be completed; says whether 6.2.7 applied."""
    eligibility = assess(asesor, answers)
    if not eligibility.eligible:
        return False
    route = asesor.route(eligibility.route)
    plan = evidence_plan(asesor, route, answers, eligibility)
    for need in plan:
        assert 0 <= need.min <= need.max
        declared = answers.get(need.evidence.fact or "")
        if isinstance(declared, int) and need.basis != Basis.REQUIRED:
            assert need.min <= declared, (need.id, answers)
        if need.basis == Basis.REQUIRED:
            assert need.min == need.evidence.min
    # Every requirement that evidence proves is still asked for, by one alternative at most.
    proved = {clause for need in plan for clause in need.evidence.proves}
    assert proved == {clause for item in route.evidence for clause in item.proves}
    chosen = {(need.evidence.proves, need.alternative) for need in plan if need.alternative}
    assert len({proves for proves, _ in chosen}) == len(chosen)
    files = [need.id for need in plan for _ in range(need.min)]
    assert missing(plan, files) == ()
    return eligibility.fallback_clause is not None
