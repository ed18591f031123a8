"""Which type of PEP a child's situation calls for, proposed when a PEP is started.

Pure: the dates that matter go in, a type and the sentence that explains it come out. The person
starting the PEP sees the proposal chosen already and may choose another type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflows.pep_types import PepType


@dataclass(frozen=True)
class PepTypeFacts:
    """What the proposal needs to know about a child: only dates, no one's name."""

    entered_care_on: date | None  # the start of the child's current period in care
    latest_pep_started_on: date | None  # the latest PEP (not cancelled), by the day it started
    latest_school_change_on: date | None = None  # a new school, or leaving one with no place
    latest_placement_change_on: date | None = None
    # No life event records a permanent exclusion yet: the type is then chosen by hand.
    latest_permanent_exclusion_on: date | None = None


@dataclass(frozen=True)
class PepTypeProposal:
    pep_type: PepType
    reason: str


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def propose_pep_type(facts: PepTypeFacts) -> PepTypeProposal:
    """Initial when the child has had no PEP since entering care; else the type of the latest
    life event that calls for a new PEP when it happened after the latest PEP started (a
    permanent exclusion first, then a change of school, then of placement, on the same day);
    else the termly review."""
    started = facts.latest_pep_started_on
    entered = facts.entered_care_on
    if entered is not None and (started is None or started < entered):
        return PepTypeProposal(
            PepType.INITIAL, f"Entered care on {_long(entered)} and has had no PEP since"
        )
    # Listed in the order that wins a tie: an exclusion is the most pressing.
    events = [
        (facts.latest_permanent_exclusion_on, PepType.AFTER_EXCLUSION, "Permanently excluded"),
        (facts.latest_school_change_on, PepType.CHANGE_OF_SCHOOL, "Changed school or setting"),
        (facts.latest_placement_change_on, PepType.CHANGE_OF_PLACEMENT, "Changed placement"),
    ]
    since_last_pep = [
        (on, -place, pep_type, words)
        for place, (on, pep_type, words) in enumerate(events)
        if on is not None and (started is None or on > started)
    ]
    if since_last_pep:
        on, _place, pep_type, words = max(since_last_pep)
        return PepTypeProposal(pep_type, f"{words} on {_long(on)}, after the latest PEP started")
    return PepTypeProposal(
        PepType.TERMLY, "No change in care, school or placement since the latest PEP started"
    )


def read_pep_type(text: str | None) -> PepType | None:
    """The type a form posted, or None when it is not one of the types."""
    try:
        return PepType((text or "").strip())
    except ValueError:
        return None
