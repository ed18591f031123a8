"""The PEP type a child's situation proposes, for each situation."""

from datetime import date

import pytest

from workflows.pep_type_proposal import PepTypeFacts, propose_pep_type, read_pep_type
from workflows.pep_types import PepType

ENTERED = date(2026, 1, 5)


def propose(**facts):
    return propose_pep_type(PepTypeFacts(**{"entered_care_on": ENTERED, **facts}))


def test_no_pep_since_entering_care_proposes_the_initial_pep():
    proposal = propose(latest_pep_started_on=None)
    assert proposal.pep_type is PepType.INITIAL
    assert proposal.reason == "Entered care on 5 January 2026 and has had no PEP since"
    # A PEP from an earlier period in care does not count.
    assert propose(latest_pep_started_on=date(2025, 6, 1)).pep_type is PepType.INITIAL


def test_a_change_after_the_latest_pep_proposes_its_type():
    pep = date(2026, 3, 2)
    school = propose(latest_pep_started_on=pep, latest_school_change_on=date(2026, 4, 20))
    assert school.pep_type is PepType.CHANGE_OF_SCHOOL
    assert (
        school.reason == "Changed school or setting on 20 April 2026, after the latest PEP started"
    )
    placement = propose(latest_pep_started_on=pep, latest_placement_change_on=date(2026, 4, 20))
    assert placement.pep_type is PepType.CHANGE_OF_PLACEMENT
    # The latest change wins; on the same day, the school before the placement.
    later = propose(
        latest_pep_started_on=pep,
        latest_school_change_on=date(2026, 4, 1),
        latest_placement_change_on=date(2026, 5, 1),
    )
    assert later.pep_type is PepType.CHANGE_OF_PLACEMENT
    same_day = propose(
        latest_pep_started_on=pep,
        latest_school_change_on=date(2026, 5, 1),
        latest_placement_change_on=date(2026, 5, 1),
    )
    assert same_day.pep_type is PepType.CHANGE_OF_SCHOOL
    excluded = propose(
        latest_pep_started_on=pep,
        latest_school_change_on=date(2026, 5, 1),
        latest_permanent_exclusion_on=date(2026, 5, 1),
    )
    assert excluded.pep_type is PepType.AFTER_EXCLUSION


@pytest.mark.parametrize("change_on", [date(2026, 3, 1), date(2026, 3, 2)])
def test_a_change_before_or_on_the_day_of_the_latest_pep_proposes_the_termly_review(change_on):
    proposal = propose(
        latest_pep_started_on=date(2026, 3, 2),
        latest_school_change_on=change_on,
        latest_placement_change_on=change_on,
    )
    assert proposal.pep_type is PepType.TERMLY


def test_posted_types_are_read_strictly():
    assert read_pep_type("change_of_school") is PepType.CHANGE_OF_SCHOOL
    assert read_pep_type(" termly ") is PepType.TERMLY
    for text in (None, "", "Termly", "annual", "termly; drop"):
        assert read_pep_type(text) is None
