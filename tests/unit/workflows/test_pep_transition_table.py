"""The PEP sign-off table: every allowed move works, every other combination is refused."""

import itertools

import pytest

from workflows.engine import Accepted, Refused, apply, available_events, blocked_reasons
from workflows.pep import (
    OPEN_STATES,
    SYSTEM_ACTOR,
    TRANSITIONS,
    Actor,
    PepEvent,
    PepState,
    describe_process,
)
from workflows.roles import Role

ACTORS = [Actor(role=role, name=role.label) for role in Role] + [SYSTEM_ACTOR]


def _actor_id(actor: Actor) -> str:
    return actor.role.value if actor.role else "system"


def _allowed(state: PepState, event: PepEvent, actor: Actor) -> bool:
    for row in TRANSITIONS:
        if row.source == state and row.event == event:
            return actor.role in row.roles if row.roles else actor.is_system
    return False


ALLOWED = [
    pytest.param(row, actor, id=f"{row.source}-{row.event}-{_actor_id(actor)}")
    for row in TRANSITIONS
    for actor in ACTORS
    if _allowed(row.source, row.event, actor)
]

REFUSED = [
    pytest.param(state, event, actor, id=f"{state}-{event}-{_actor_id(actor)}")
    for state, event, actor in itertools.product(PepState, PepEvent, ACTORS)
    if not _allowed(state, event, actor)
]


def test_the_cross_product_is_complete():
    assert len(ALLOWED) + len(REFUSED) == len(PepState) * len(PepEvent) * len(ACTORS)
    assert len(ALLOWED) == 15  # 7 rows for one role each, 4 cancel rows for two roles


def test_each_state_and_event_has_at_most_one_row():
    pairs = [(row.source, row.event) for row in TRANSITIONS]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize(("row", "actor"), ALLOWED)
def test_allowed_transition_lands_in_its_target(row, actor, facts):
    outcome = apply(facts(row.source), row.event, actor, reason="  The reason given.  ")
    assert outcome == Accepted(row.source, row.event, row.target, actor, "The reason given.")
    assert row.event in available_events(facts(row.source), actor)
    assert blocked_reasons(facts(row.source), actor, row.event) == []


@pytest.mark.parametrize(("state", "event", "actor"), REFUSED)
def test_every_other_combination_is_refused_with_a_reason(state, event, actor, facts):
    outcome = apply(facts(state), event, actor, reason="The reason given.")
    assert isinstance(outcome, Refused)
    assert outcome.reasons
    assert all(reason.strip() and reason[0].isupper() for reason in outcome.reasons)
    assert event not in available_events(facts(state), actor)
    assert blocked_reasons(facts(state), actor, event) == outcome.reasons


def test_available_events_follow_the_table(facts):
    def events(state: PepState, role: Role) -> list[PepEvent]:
        return available_events(facts(state), Actor(role, "Someone"))

    assert events(PepState.DRAFT, Role.DESIGNATED_TEACHER) == [PepEvent.SUBMITTED]
    assert events(PepState.SUBMITTED, Role.SOCIAL_WORKER) == [PepEvent.APPROVED, PepEvent.RETURNED]
    assert events(PepState.APPROVED, Role.REVIEWER) == [
        PepEvent.SIGNED_OFF,
        PepEvent.QA_RETURNED,
        PepEvent.CANCELLED,
    ]
    assert events(PepState.RETURNED, Role.ADMIN) == [PepEvent.CANCELLED]
    assert events(PepState.SIGNED_OFF, Role.ADMIN) == []
    assert available_events(facts(PepState.SIGNED_OFF), SYSTEM_ACTOR) == [PepEvent.SUPERSEDED]


def test_open_pep_can_always_be_cancelled_by_virtual_school_staff():
    cancellable = {row.source for row in TRANSITIONS if row.event == PepEvent.CANCELLED}
    assert cancellable == OPEN_STATES


def test_every_event_has_labels_and_is_in_the_table():
    assert {row.event for row in TRANSITIONS} == set(PepEvent)
    for event in PepEvent:
        assert event.button_label and event.timeline_label and event.action


def test_the_process_reads_in_one_screen():
    lines = describe_process()
    assert len(lines) <= 40
    assert all(len(line) <= 120 for line in lines)
    assert len(lines) == len(TRANSITIONS) + 1
    assert any("approved" in line and "social_worker" in line for line in lines)
