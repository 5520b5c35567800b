"""The lifecycle state machines: only defined states, only the named actor, typed errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheme.lifecycle import (
    APPEAL,
    APPLICATION,
    CERTIFICATE,
    MACHINES,
    Actor,
    ActorNotAllowed,
    AppealState,
    ApplicationState,
    IllegalTransition,
    Machine,
    TransitionError,
)

A = ApplicationState
ALL_ACTIONS = sorted({t.action for m in MACHINES for t in m.transitions()})


def walk(machine: Machine, steps: list[tuple[str, Actor]]):  # type: ignore[type-arg]
    state = machine.initial
    for action, actor in steps:
        state = machine.apply(state, action, actor)
    return state


def test_the_happy_path_of_an_application() -> None:
    C, S, AS = Actor.CANDIDATE, Actor.STAFF, Actor.ASSESSOR
    steps = [
        ("submit", C),
        ("request_fix", S),
        ("resubmit", C),
        ("accept", S),
        ("assign_assessor", S),
        ("schedule", AS),
        ("recommend_competent", AS),
        ("decide_competent", S),
        ("issue_certificate", S),
    ]
    assert walk(APPLICATION, steps) == A.CERTIFIED


def test_appeal_path() -> None:
    C, S, AS, SYS = Actor.CANDIDATE, Actor.STAFF, Actor.ASSESSOR, Actor.SYSTEM
    decided = [
        ("submit", C),
        ("accept", S),
        ("assign_assessor", S),
        ("schedule", S),
        ("recommend_not_yet", AS),
        ("decide_not_yet", S),
    ]
    assert walk(APPLICATION, decided) == A.DECIDED_NOT_YET
    assert walk(APPLICATION, [*decided, ("appeal", C)]) == A.UNDER_APPEAL
    assert walk(APPLICATION, [*decided, ("close_appeal_window", SYS)]) == A.NOT_YET_COMPETENT
    with pytest.raises(IllegalTransition):
        walk(APPLICATION, [*decided, ("close_appeal_window", SYS), ("appeal", C)])
    assert walk(APPEAL, [("assign_panel", S), ("dismiss", S)]) == AppealState.DISMISSED


def test_wrong_actor_and_wrong_state_raise_typed_errors() -> None:
    with pytest.raises(ActorNotAllowed) as raised:
        APPLICATION.apply(A.SUBMITTED, "accept", Actor.CANDIDATE)
    assert raised.value.actor is Actor.CANDIDATE
    with pytest.raises(IllegalTransition) as illegal:
        APPLICATION.apply(A.DRAFT, "issue_certificate", Actor.STAFF)
    assert (illegal.value.state, illegal.value.action) == (A.DRAFT, "issue_certificate")
    with pytest.raises(ActorNotAllowed):
        APPLICATION.apply(A.SCHEDULED, "recommend_competent", Actor.STAFF)  # the assessor's


def test_final_states_have_no_way_out_and_every_state_is_reachable() -> None:
    for machine in MACHINES:
        for final in machine.finals:
            assert machine.actions(final) == ()
        reachable = {machine.initial}
        frontier = [machine.initial]
        while frontier:
            state = frontier.pop()
            for transition in machine.transitions():
                if transition.source == state and transition.target not in reachable:
                    reachable.add(machine.states(transition.target))
                    frontier.append(machine.states(transition.target))
        assert reachable == set(machine.states)
        for transition in machine.transitions():
            assert transition.clause  # every transition cites its clause


steps = st.lists(st.tuples(st.sampled_from(ALL_ACTIONS), st.sampled_from(list(Actor))), max_size=40)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
@given(sequence=steps)
def test_no_sequence_reaches_an_undefined_state(machine: Machine, sequence) -> None:  # type: ignore[type-arg]
    state = machine.initial
    for action, actor in sequence:
        transition = machine.table.get((state, action))
        # Refused exactly when undefined, or when this actor is not the one named.
        if transition is None:
            with pytest.raises(IllegalTransition):
                machine.apply(state, action, actor)
            continue
        if actor not in transition.actors:
            with pytest.raises(ActorNotAllowed):
                machine.apply(state, action, actor)
            continue
        after = machine.apply(state, action, actor)
        assert after in set(machine.states)
        assert after == transition.target
        state = after


@given(state=st.sampled_from(list(A)), action=st.sampled_from(ALL_ACTIONS))
def test_only_named_actors_can_act(state: ApplicationState, action: str) -> None:
    transition = APPLICATION.table.get((state, action))
    for actor in Actor:
        allowed = transition is not None and actor in transition.actors
        try:
            APPLICATION.apply(state, action, actor)
        except TransitionError:
            assert not allowed
        else:
            assert allowed


def test_certificate_can_be_frozen_and_revoked_only_by_staff() -> None:
    from scheme.lifecycle import CertificateState as CS

    assert CERTIFICATE.apply(CS.ACTIVE, "freeze", Actor.STAFF) == CS.FROZEN
    assert CERTIFICATE.apply(CS.FROZEN, "revoke", Actor.STAFF) == CS.REVOKED
    with pytest.raises(ActorNotAllowed):
        CERTIFICATE.apply(CS.ACTIVE, "revoke", Actor.ASSESSOR)
    assert CERTIFICATE.apply(CS.ACTIVE, "expire", Actor.SYSTEM) == CS.EXPIRED
