"""The PEP sign-off process: states, events, guards and the one table of transitions."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Self

from workflows.roles import Role


class PepState(StrEnum):
    """Where a PEP is in its life; values are stored in the database."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    SIGNED_OFF = "signed_off"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]

    @property
    def is_open(self) -> bool:
        """An open PEP is still being worked on; a child has at most one."""
        return self in OPEN_STATES


STATE_LABELS: dict[PepState, str] = {
    PepState.DRAFT: "Draft",
    PepState.SUBMITTED: "Submitted",
    PepState.RETURNED: "Returned for changes",
    PepState.APPROVED: "Approved by social worker",
    PepState.SIGNED_OFF: "Signed off",
    PepState.SUPERSEDED: "Superseded",
    PepState.CANCELLED: "Cancelled",
}

OPEN_STATES = frozenset({PepState.DRAFT, PepState.SUBMITTED, PepState.RETURNED, PepState.APPROVED})

# Signed off, superseded and cancelled PEPs are the statutory record: nothing changes them,
# except that the system supersedes a signed-off PEP when the child's next PEP is signed off.
LOCKED_STATES = frozenset({PepState.SIGNED_OFF, PepState.SUPERSEDED, PepState.CANCELLED})

LOCKED_MESSAGES: dict[PepState, str] = {
    PepState.SIGNED_OFF: "This PEP has been signed off and cannot be changed",
    PepState.SUPERSEDED: "This PEP has been superseded by a later PEP and cannot be changed",
    PepState.CANCELLED: "This PEP has been cancelled and cannot be changed",
}


class PepEvent(StrEnum):
    """Something that happened to a PEP; past tense, stored in the audit trail."""

    SUBMITTED = "submitted"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    RETURNED = "returned"
    QA_RETURNED = "qa_returned"
    SIGNED_OFF = "signed_off"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"

    @property
    def button_label(self) -> str:
        return EVENT_BUTTON_LABELS[self]

    @property
    def timeline_label(self) -> str:
        return EVENT_TIMELINE_LABELS[self]

    @property
    def action(self) -> str:
        """What the person does, to finish "You cannot ..." and "Only ... can ..."."""
        return EVENT_ACTIONS[self]


EVENT_BUTTON_LABELS: dict[PepEvent, str] = {
    PepEvent.SUBMITTED: "Submit PEP",
    PepEvent.RESUBMITTED: "Resubmit PEP",
    PepEvent.APPROVED: "Approve",
    PepEvent.RETURNED: "Return to designated teacher",
    PepEvent.QA_RETURNED: "Return with feedback",
    PepEvent.SIGNED_OFF: "Sign off",
    PepEvent.SUPERSEDED: "Supersede",
    PepEvent.CANCELLED: "Cancel PEP",
}

EVENT_TIMELINE_LABELS: dict[PepEvent, str] = {
    PepEvent.SUBMITTED: "Submitted",
    PepEvent.RESUBMITTED: "Resubmitted",
    PepEvent.APPROVED: "Approved by social worker",
    PepEvent.RETURNED: "Returned by social worker",
    PepEvent.QA_RETURNED: "Returned by reviewer with feedback",
    PepEvent.SIGNED_OFF: "Signed off",
    PepEvent.SUPERSEDED: "Superseded by the next PEP",
    PepEvent.CANCELLED: "Cancelled",
}

EVENT_ACTIONS: dict[PepEvent, str] = {
    PepEvent.SUBMITTED: "submit this PEP",
    PepEvent.RESUBMITTED: "resubmit this PEP",
    PepEvent.APPROVED: "approve this PEP",
    PepEvent.RETURNED: "return this PEP to the designated teacher",
    PepEvent.QA_RETURNED: "return this PEP with quality assurance feedback",
    PepEvent.SIGNED_OFF: "sign off this PEP",
    PepEvent.SUPERSEDED: "supersede this PEP",
    PepEvent.CANCELLED: "cancel this PEP",
}

# What to ask for when an event needs a reason and none was given.
REASON_PROMPTS: dict[PepEvent, str] = {
    PepEvent.RETURNED: "Enter a reason for returning the PEP",
    PepEvent.QA_RETURNED: "Enter feedback for the designated teacher",
    PepEvent.CANCELLED: "Enter a reason for cancelling the PEP",
}

REASON_MAX_LENGTH = 2000
# A quality assurance decision's reason is the reviewer's feedback, which may run longer.
QA_FEEDBACK_MAX_LENGTH = 5000
QA_DECISIONS = frozenset({PepEvent.SIGNED_OFF, PepEvent.QA_RETURNED})


def reason_too_long(event: PepEvent, text: str) -> str | None:
    """What to say when the reason (or the feedback) given with an event is too long."""
    if event in QA_DECISIONS:
        if len(text) > QA_FEEDBACK_MAX_LENGTH:
            return f"Feedback must be {QA_FEEDBACK_MAX_LENGTH:,} characters or fewer"
        return None
    if len(text) > REASON_MAX_LENGTH:
        return f"The reason must be {REASON_MAX_LENGTH:,} characters or fewer"
    return None


# How a role reads in "Only ... can approve this PEP" and in "The ...'s section".
ROLE_PHRASES: dict[Role, str] = {
    Role.DESIGNATED_TEACHER: "the designated teacher",
    Role.SOCIAL_WORKER: "the child's social worker",
    Role.CARER: "the carer",
    Role.VS_ADVISER: "the Virtual School adviser",
    Role.REVIEWER: "a Virtual School reviewer",
    Role.ADMIN: "a Virtual School admin",
    Role.SW_TEAM_MANAGER: "the social work team manager",
    Role.VS_HEAD: "the Virtual School head",
    Role.CHILD: "the child",
}

SECTION_OWNER_PHRASES: dict[Role, str] = {
    Role.DESIGNATED_TEACHER: "designated teacher's",
    Role.SOCIAL_WORKER: "social worker's",
    Role.CARER: "carer's",
    Role.VS_ADVISER: "Virtual School adviser's",
    Role.REVIEWER: "reviewer's",
    Role.ADMIN: "Virtual School admin's",
    Role.SW_TEAM_MANAGER: "social work team manager's",
    Role.VS_HEAD: "Virtual School head's",
    Role.CHILD: "child's",
}


@dataclass(frozen=True)
class Actor:
    """Who acts, in the role they hold FOR THIS PEP (the portal decides the relationship)."""

    role: Role | None
    name: str

    @property
    def is_system(self) -> bool:
        return self.role is None


SYSTEM_ACTOR = Actor(role=None, name="OpenPEP")


@dataclass(frozen=True)
class PepFacts:
    """What the portal knows about one PEP when someone acts on it; the engine decides from this.

    incomplete_sections: (section title, owner role) for each required section not yet complete.
    The portal leaves out the child's views section when a reason for their absence is recorded.
    qa_*: the reviewer's quality assurance so far; qa_rating_passes comes from
    workflows.quality.rating_passes with the authority's scale and threshold.
    """

    state: PepState
    today: date
    meeting_date: date | None = None
    incomplete_sections: tuple[tuple[str, Role], ...] = ()
    child_voice_present: bool = False
    child_voice_absent_reason: str | None = None
    qa_rating: str | None = None
    qa_rating_label: str | None = None
    qa_rating_passes: bool | None = None
    qa_unjudged_criteria: tuple[str, ...] = ()
    qa_feedback: str | None = None
    next_pep_signed_off: bool = False


class Reason(str):
    """A refusal's sentence, carrying what it is about so that a page can link the sentence to
    the thing to fix: ``section:<title>``, ``meeting_date``, ``child_voice``, ``rating``,
    ``feedback`` or ``criterion:<title>``. It is still the plain string it reads as."""

    about: str

    def __new__(cls, text: str, about: str = "") -> Self:
        reason = super().__new__(cls, text)
        reason.about = about
        return reason


Check = Callable[[PepFacts], list[str]]


@dataclass(frozen=True)
class Guard:
    """A named condition on a transition: returns the reasons it refuses (empty: allowed)."""

    name: str
    checks: tuple[Check, ...]

    def __call__(self, facts: PepFacts) -> list[str]:
        return [reason for check in self.checks for reason in check(facts)]


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def required_sections_complete(facts: PepFacts) -> list[str]:
    return [
        Reason(
            f'The {SECTION_OWNER_PHRASES[owner]} section "{title}" is not complete',
            f"section:{title}",
        )
        for title, owner in facts.incomplete_sections
    ]


def child_voice_recorded(facts: PepFacts) -> list[str]:
    if facts.child_voice_present or not _blank(facts.child_voice_absent_reason):
        return []
    return [
        Reason("Record the child's views, or the reason they could not be gathered", "child_voice")
    ]


def meeting_held(facts: PepFacts) -> list[str]:
    if facts.meeting_date is None:
        return [Reason("Enter the date of the PEP meeting", "meeting_date")]
    if facts.meeting_date > facts.today:
        return [Reason("The PEP meeting date cannot be in the future", "meeting_date")]
    return []


def qa_rated(facts: PepFacts) -> list[str]:
    if facts.qa_rating is None:
        return [Reason("Rate the PEP before returning it with feedback", "rating")]
    return []


def qa_rating_passes(facts: PepFacts) -> list[str]:
    if facts.qa_rating is None:
        return [Reason("Rate the PEP before signing it off", "rating")]
    label = facts.qa_rating_label or facts.qa_rating
    if facts.qa_rating_passes is None:
        return [Reason(f"The rating {label} is not on the authority's rating scale", "rating")]
    if facts.qa_rating_passes:
        return []
    return [Reason(f"A rating of {label} must be returned with feedback, not signed off", "rating")]


def qa_criteria_judged(facts: PepFacts) -> list[str]:
    return [
        Reason(f'Record a judgement for "{title}"', f"criterion:{title}")
        for title in facts.qa_unjudged_criteria
    ]


def next_pep_signed_off(facts: PepFacts) -> list[str]:
    if facts.next_pep_signed_off:
        return []
    return ["A PEP is superseded only when the child's next PEP has been signed off"]


READY_TO_SUBMIT = Guard(
    "sections complete, child's voice, meeting held",
    (required_sections_complete, child_voice_recorded, meeting_held),
)
SECTIONS_COMPLETE = Guard("sections complete", (required_sections_complete,))
RATED = Guard("rated", (qa_rated,))
QA_PASSED = Guard("rating passes, criteria judged", (qa_rating_passes, qa_criteria_judged))
NEXT_PEP_SIGNED_OFF = Guard("next PEP signed off", (next_pep_signed_off,))


@dataclass(frozen=True)
class Transition:
    """One row of the process: from source, event leads to target, for these roles only."""

    source: PepState
    event: PepEvent
    target: PepState
    roles: frozenset[Role]  # empty: only the system may do it
    guard: Guard | None = None
    needs_reason: bool = False


S, E = PepState, PepEvent
DT, SW = frozenset({Role.DESIGNATED_TEACHER}), frozenset({Role.SOCIAL_WORKER})
REVIEWER, VS_STAFF = frozenset({Role.REVIEWER}), frozenset({Role.REVIEWER, Role.ADMIN})
SYSTEM_ONLY: frozenset[Role] = frozenset()

# fmt: off
TRANSITIONS: tuple[Transition, ...] = (
    #          source        event            target        roles        guard              reason
    Transition(S.DRAFT,      E.SUBMITTED,     S.SUBMITTED,  DT,          READY_TO_SUBMIT),
    Transition(S.RETURNED,   E.RESUBMITTED,   S.SUBMITTED,  DT,          READY_TO_SUBMIT),
    Transition(S.SUBMITTED,  E.APPROVED,      S.APPROVED,   SW,          SECTIONS_COMPLETE),
    Transition(S.SUBMITTED,  E.RETURNED,      S.RETURNED,   SW,          None,              True),
    Transition(S.APPROVED,   E.SIGNED_OFF,    S.SIGNED_OFF, REVIEWER,    QA_PASSED),
    Transition(S.APPROVED,   E.QA_RETURNED,   S.RETURNED,   REVIEWER,    RATED,             True),
    Transition(S.SIGNED_OFF, E.SUPERSEDED,    S.SUPERSEDED, SYSTEM_ONLY, NEXT_PEP_SIGNED_OFF),
    Transition(S.DRAFT,      E.CANCELLED,     S.CANCELLED,  VS_STAFF,    None,              True),
    Transition(S.SUBMITTED,  E.CANCELLED,     S.CANCELLED,  VS_STAFF,    None,              True),
    Transition(S.RETURNED,   E.CANCELLED,     S.CANCELLED,  VS_STAFF,    None,              True),
    Transition(S.APPROVED,   E.CANCELLED,     S.CANCELLED,  VS_STAFF,    None,              True),
)
# fmt: on


def describe_process() -> list[str]:
    """The process as text, one line per transition: for documentation and review."""
    rows = [("FROM", "EVENT", "TO", "WHO", "NEEDS", "REASON")]
    for row in TRANSITIONS:
        who = " or ".join(role.value for role in sorted(row.roles)) or "system"
        guard = row.guard.name if row.guard else "-"
        reason = "required" if row.needs_reason else "-"
        rows.append((row.source, row.event, row.target, who, guard, reason))
    widths = [max(len(cells[column]) for cells in rows) for column in range(6)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in rows
    ]
