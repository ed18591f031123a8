"""Guards, reasons and locks: each refusal says what to do, in words a person can act on."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.engine import Accepted, Refused, apply, blocked_reasons, find_transition, is_locked
from workflows.pep import (
    LOCKED_STATES,
    QA_DECISIONS,
    QA_FEEDBACK_MAX_LENGTH,
    REASON_MAX_LENGTH,
    SYSTEM_ACTOR,
    Actor,
    PepEvent,
    PepFacts,
    PepState,
    child_voice_recorded,
    meeting_held,
    required_sections_complete,
)
from workflows.quality import load_scales, rating_passes
from workflows.roles import Role

DT = Actor(Role.DESIGNATED_TEACHER, "Ms Designated")
SW = Actor(Role.SOCIAL_WORKER, "Mr Social")
REVIEWER = Actor(Role.REVIEWER, "Dr Reviewer")
ADMIN = Actor(Role.ADMIN, "Ms Admin")

REASON_EVENTS = [
    (PepState.SUBMITTED, PepEvent.RETURNED, SW, "Enter a reason for returning the PEP"),
    (
        PepState.APPROVED,
        PepEvent.QA_RETURNED,
        REVIEWER,
        "Enter feedback for the designated teacher",
    ),
    (PepState.DRAFT, PepEvent.CANCELLED, ADMIN, "Enter a reason for cancelling the PEP"),
    (PepState.APPROVED, PepEvent.CANCELLED, REVIEWER, "Enter a reason for cancelling the PEP"),
]


def refusal(outcome: Accepted | Refused) -> list[str]:
    assert isinstance(outcome, Refused), outcome
    return outcome.reasons


# Submission: sections, the child's voice, the meeting.


@pytest.mark.parametrize("event", [PepEvent.SUBMITTED, PepEvent.RESUBMITTED])
def test_submission_names_each_incomplete_section(event, facts):
    state = PepState.DRAFT if event == PepEvent.SUBMITTED else PepState.RETURNED
    incomplete = (("Care details", Role.SOCIAL_WORKER), ("Attendance", Role.DESIGNATED_TEACHER))
    outcome = apply(facts(state, incomplete_sections=incomplete), event, DT)
    assert refusal(outcome) == [
        'The social worker\'s section "Care details" is not complete',
        'The designated teacher\'s section "Attendance" is not complete',
    ]


def test_approval_is_refused_while_a_section_is_incomplete(facts):
    pep = facts(PepState.SUBMITTED, incomplete_sections=(("My views", Role.CHILD),))
    assert refusal(apply(pep, PepEvent.APPROVED, SW)) == [
        'The child\'s section "My views" is not complete'
    ]


def test_meeting_date_in_the_future_is_refused(facts):
    pep = facts(meeting_date=facts().today + timedelta(days=1))
    assert meeting_held(pep) == ["The PEP meeting date cannot be in the future"]
    assert refusal(apply(pep, PepEvent.SUBMITTED, DT)) == [
        "The PEP meeting date cannot be in the future"
    ]


def test_meeting_today_is_allowed_and_a_missing_date_is_refused(facts):
    assert meeting_held(facts(meeting_date=facts().today)) == []
    assert refusal(apply(facts(meeting_date=None), PepEvent.SUBMITTED, DT)) == [
        "Enter the date of the PEP meeting"
    ]


@pytest.mark.parametrize("absent_reason", [None, "", "   "])
def test_no_child_voice_and_no_reason_is_refused(absent_reason, facts):
    pep = facts(child_voice_present=False, child_voice_absent_reason=absent_reason)
    assert refusal(apply(pep, PepEvent.SUBMITTED, DT)) == [
        "Record the child's views, or the reason they could not be gathered"
    ]


def test_child_voice_absent_with_a_recorded_reason_passes(facts):
    pep = facts(child_voice_present=False, child_voice_absent_reason="In hospital this week")
    assert child_voice_recorded(pep) == []
    assert isinstance(apply(pep, PepEvent.SUBMITTED, DT), Accepted)


def test_every_failed_condition_is_reported_at_once(facts):
    pep = facts(
        incomplete_sections=(("Targets", Role.DESIGNATED_TEACHER),),
        child_voice_present=False,
        meeting_date=None,
    )
    assert len(refusal(apply(pep, PepEvent.SUBMITTED, DT))) == 3
    assert required_sections_complete(facts()) == []


# Reasons.


@pytest.mark.parametrize(("state", "event", "actor", "prompt"), REASON_EVENTS)
@pytest.mark.parametrize("reason", [None, "", "  \n "])
def test_events_that_need_a_reason_refuse_without_one(state, event, actor, prompt, reason, facts):
    assert refusal(apply(facts(state), event, actor, reason)) == [prompt]


@pytest.mark.parametrize(("state", "event", "actor", "prompt"), REASON_EVENTS)
def test_reason_length_is_limited(state, event, actor, prompt, facts):
    if event in QA_DECISIONS:
        limit, message = QA_FEEDBACK_MAX_LENGTH, "Feedback must be 5,000 characters or fewer"
    else:
        limit, message = REASON_MAX_LENGTH, "The reason must be 2,000 characters or fewer"
    too_long = apply(facts(state), event, actor, "x" * (limit + 1))
    assert refusal(too_long) == [message]
    assert isinstance(apply(facts(state), event, actor, "x" * limit), Accepted)


@pytest.mark.parametrize("event", [PepEvent.SIGNED_OFF, PepEvent.QA_RETURNED])
def test_feedback_a_reviewer_may_save_never_blocks_their_decision(event, facts):
    """The feedback goes with a sign-off or return as its reason: what may be saved may be sent."""
    feedback = "x" * QA_FEEDBACK_MAX_LENGTH
    assert isinstance(apply(facts(PepState.APPROVED), event, REVIEWER, feedback), Accepted)


def test_reason_is_kept_stripped_with_the_outcome(facts):
    outcome = apply(facts(PepState.SUBMITTED), PepEvent.RETURNED, SW, "  Targets are vague \n")
    assert outcome == Accepted(
        PepState.SUBMITTED, PepEvent.RETURNED, PepState.RETURNED, SW, "Targets are vague"
    )


# Roles and states.


def test_wrong_role_is_told_who_can_act(facts):
    assert refusal(apply(facts(PepState.SUBMITTED), PepEvent.APPROVED, DT)) == [
        "Only the child's social worker can approve this PEP"
    ]
    assert refusal(apply(facts(PepState.DRAFT), PepEvent.SUBMITTED, SW)) == [
        "Only the designated teacher can submit this PEP"
    ]
    assert refusal(apply(facts(PepState.DRAFT), PepEvent.CANCELLED, SW, "Left care")) == [
        "Only a Virtual School admin or a Virtual School reviewer can cancel this PEP"
    ]


def test_right_role_in_the_wrong_state_is_told_the_status(facts):
    assert refusal(apply(facts(PepState.DRAFT), PepEvent.APPROVED, SW)) == [
        'You cannot approve this PEP while its status is "Draft"'
    ]


def test_locked_states():
    assert {state for state in PepState if is_locked(state)} == LOCKED_STATES
    assert {PepState.SIGNED_OFF, PepState.SUPERSEDED, PepState.CANCELLED} == LOCKED_STATES


@pytest.mark.parametrize("state", sorted(LOCKED_STATES))
@pytest.mark.parametrize("event", list(PepEvent))
@pytest.mark.parametrize("role", [*Role, None])
def test_locked_peps_refuse_everything_but_the_system_supersede(state, event, role, facts):
    actor = Actor(role, "Someone") if role else SYSTEM_ACTOR
    outcome = apply(facts(state), event, actor, "A reason")
    if (state, event, role) == (PepState.SIGNED_OFF, PepEvent.SUPERSEDED, None):
        assert outcome == Accepted(state, event, PepState.SUPERSEDED, SYSTEM_ACTOR, "A reason")
    else:
        assert refusal(outcome)


def test_signed_off_pep_says_it_cannot_be_changed(facts):
    assert refusal(apply(facts(PepState.SIGNED_OFF), PepEvent.CANCELLED, ADMIN, "Left")) == [
        "This PEP has been signed off and cannot be changed"
    ]
    assert refusal(apply(facts(PepState.SUPERSEDED), PepEvent.SUBMITTED, DT)) == [
        "This PEP has been superseded by a later PEP and cannot be changed"
    ]


def test_supersede_is_for_the_system_only_and_after_the_next_pep_is_signed_off(facts):
    assert refusal(apply(facts(PepState.SIGNED_OFF), PepEvent.SUPERSEDED, ADMIN)) == [
        "A PEP is superseded automatically when the child's next PEP is signed off"
    ]
    waiting = facts(PepState.SIGNED_OFF, next_pep_signed_off=False)
    assert refusal(apply(waiting, PepEvent.SUPERSEDED, SYSTEM_ACTOR)) == [
        "A PEP is superseded only when the child's next PEP has been signed off"
    ]


def test_the_system_cannot_act_for_a_person(facts):
    assert refusal(apply(facts(PepState.SUBMITTED), PepEvent.APPROVED, SYSTEM_ACTOR))


# Quality assurance.


def test_sign_off_needs_a_rating(facts):
    unrated = facts(PepState.APPROVED, qa_rating=None, qa_rating_label=None, qa_rating_passes=None)
    assert refusal(apply(unrated, PepEvent.SIGNED_OFF, REVIEWER)) == [
        "Rate the PEP before signing it off"
    ]
    assert refusal(apply(unrated, PepEvent.QA_RETURNED, REVIEWER, "Please add targets")) == [
        "Rate the PEP before returning it with feedback"
    ]


@pytest.mark.parametrize(
    ("scale", "rating", "threshold", "label"),
    [
        ("rag", "red", None, "Red"),
        ("ofsted", "inadequate", None, "Inadequate"),
        ("ofsted", "requires_improvement", "good", "Requires improvement"),
    ],
)
def test_rating_below_threshold_must_be_returned_not_signed_off(
    scale, rating, threshold, label, facts
):
    passes = rating_passes(load_scales()[scale], rating, threshold)
    pep = facts(PepState.APPROVED, qa_rating=rating, qa_rating_label=label, qa_rating_passes=passes)
    assert refusal(apply(pep, PepEvent.SIGNED_OFF, REVIEWER)) == [
        f"A rating of {label} must be returned with feedback, not signed off"
    ]
    returned = apply(pep, PepEvent.QA_RETURNED, REVIEWER, "Make the targets measurable")
    assert isinstance(returned, Accepted)
    assert returned.target == PepState.RETURNED


def test_passing_rating_can_be_returned_but_only_with_feedback(facts):
    pep = facts(PepState.APPROVED, qa_rating="amber", qa_rating_label="Amber")
    assert refusal(apply(pep, PepEvent.QA_RETURNED, REVIEWER)) == [
        "Enter feedback for the designated teacher"
    ]
    assert isinstance(apply(pep, PepEvent.QA_RETURNED, REVIEWER, "Name an owner"), Accepted)
    assert isinstance(apply(pep, PepEvent.SIGNED_OFF, REVIEWER), Accepted)


def test_saved_feedback_counts_as_the_reason_for_a_qa_return(facts):
    pep = facts(PepState.APPROVED, qa_feedback="  Add the carer's views ")
    outcome = apply(pep, PepEvent.QA_RETURNED, REVIEWER)
    assert isinstance(outcome, Accepted)
    assert outcome.reason == "Add the carer's views"


def test_sign_off_needs_every_criterion_judged(facts):
    pep = facts(PepState.APPROVED, qa_unjudged_criteria=("Targets are SMART",))
    assert refusal(apply(pep, PepEvent.SIGNED_OFF, REVIEWER)) == [
        'Record a judgement for "Targets are SMART"'
    ]


def test_a_rating_missing_from_the_scale_is_refused_not_raised(facts):
    pep = facts(PepState.APPROVED, qa_rating="purple", qa_rating_label=None, qa_rating_passes=None)
    assert refusal(apply(pep, PepEvent.SIGNED_OFF, REVIEWER)) == [
        "The rating purple is not on the authority's rating scale"
    ]


# Whatever the facts, apply answers and agrees with the table and blocked_reasons.

pep_facts = st.builds(
    PepFacts,
    state=st.sampled_from(PepState),
    today=st.just(date(2025, 3, 14)),
    meeting_date=st.none() | st.dates(date(2025, 3, 1), date(2025, 3, 31)),
    incomplete_sections=st.lists(
        st.tuples(st.text(max_size=20), st.sampled_from(Role)), max_size=2
    ).map(tuple),
    child_voice_present=st.booleans(),
    child_voice_absent_reason=st.none() | st.text(max_size=10),
    qa_rating=st.none() | st.sampled_from(["red", "amber", "green"]),
    qa_rating_passes=st.none() | st.booleans(),
    qa_unjudged_criteria=st.lists(st.text(max_size=10), max_size=2).map(tuple),
    qa_feedback=st.none() | st.text(max_size=10),
    next_pep_signed_off=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    pep=pep_facts,
    event=st.sampled_from(PepEvent),
    role=st.none() | st.sampled_from(Role),
    reason=st.none() | st.text(max_size=30),
)
def test_apply_never_raises_and_agrees_with_the_table(pep, event, role, reason):
    actor = Actor(role, "Someone") if role else SYSTEM_ACTOR
    outcome = apply(pep, event, actor, reason)
    blocked = blocked_reasons(pep, actor, event)
    if isinstance(outcome, Accepted):
        row = find_transition(pep.state, event)
        assert row is not None
        assert outcome.target == row.target
        assert blocked == []
    else:
        assert outcome.reasons
        assert set(blocked) <= set(outcome.reasons)
