"""Who may not act on an application (9.2.1, 9.10.7, 9.9.4)."""

from __future__ import annotations

from scheme.impartiality import Capacity, ConflictKind, conflict


def test_nobody_acts_on_their_own_application_in_any_capacity() -> None:
    for capacity, clause in [
        (Capacity.STAFF, "9.2.1"),
        (Capacity.ASSESSOR, "9.10.7"),
        (Capacity.PANEL, "9.9.4"),
    ]:
        found = conflict(7, capacity, candidate_id=7)
        assert found is not None
        assert (found.kind, found.clause) == (ConflictKind.OWN_APPLICATION, clause)
        assert conflict(8, capacity, candidate_id=7) is None


def test_the_panel_excludes_everyone_involved_in_the_decision() -> None:
    found = conflict(3, Capacity.PANEL, candidate_id=1, involved={2, 3})
    assert found is not None
    assert (found.kind, found.clause) == (ConflictKind.INVOLVED, "9.9.4")
    assert conflict(4, Capacity.PANEL, candidate_id=1, involved={2, 3}) is None
    # Having recorded the decision does not stop a staff member from other staff work.
    assert conflict(2, Capacity.STAFF, candidate_id=1, involved={2, 3}) is None
