"""Runs the PEP table: what a person may do now, and the outcome when they try.

Pure: the engine never raises for a person's mistake and never saves anything. It returns
Accepted (the portal persists the new state and writes the audit event) or Refused with
sentences to show the person.
"""

from dataclasses import dataclass, field

from workflows.pep import (
    LOCKED_MESSAGES,
    LOCKED_STATES,
    REASON_PROMPTS,
    ROLE_PHRASES,
    TRANSITIONS,
    Actor,
    PepEvent,
    PepFacts,
    PepState,
    Transition,
    reason_too_long,
)
from workflows.roles import Role


@dataclass(frozen=True)
class Accepted:
    """The event may happen: the PEP moves from source to target; reason is stripped."""

    source: PepState
    event: PepEvent
    target: PepState
    actor: Actor
    reason: str | None = None

    @property
    def accepted(self) -> bool:
        return True


@dataclass(frozen=True)
class Refused:
    """The event may not happen, and why, in sentences a person can act on."""

    reasons: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return False


Outcome = Accepted | Refused


def is_locked(state: PepState) -> bool:
    """Locked PEPs are the statutory record (only the system may supersede a signed-off one)."""
    return state in LOCKED_STATES


def find_transition(state: PepState, event: PepEvent) -> Transition | None:
    """The table row for this event from this state, if there is one."""
    for row in TRANSITIONS:
        if row.source == state and row.event == event:
            return row
    return None


def may_act(roles: frozenset[Role], actor: Actor) -> bool:
    """An empty role set means only the system may act."""
    return actor.is_system if not roles else actor.role in roles


def available_events(facts: PepFacts, actor: Actor) -> list[PepEvent]:
    """Events this actor could choose now (guards not applied: see blocked_reasons)."""
    events: list[PepEvent] = []
    for row in TRANSITIONS:
        if row.source == facts.state and may_act(row.roles, actor) and row.event not in events:
            events.append(row.event)
    return events


def blocked_reasons(facts: PepFacts, actor: Actor, event: PepEvent) -> list[str]:
    """Why this actor cannot do this event now (empty: they can, given any reason it needs)."""
    row = find_transition(facts.state, event)
    if row is None:
        if is_locked(facts.state):
            return [LOCKED_MESSAGES[facts.state]]
        if not any(may_act(other.roles, actor) for other in TRANSITIONS if other.event == event):
            return [_wrong_role(event)]
        return [f'You cannot {event.action} while its status is "{facts.state.label}"']
    if not may_act(row.roles, actor):
        return [_wrong_role(event)]
    return row.guard(facts) if row.guard else []


def apply(facts: PepFacts, event: PepEvent, actor: Actor, reason: str | None = None) -> Outcome:
    """Decide whether the event may happen; returns Accepted or Refused, never raises.

    For qa_returned the reviewer's saved feedback (facts.qa_feedback) is the reason when none
    is passed.
    """
    refusals = blocked_reasons(facts, actor, event)
    row = find_transition(facts.state, event)
    if row is None or (refusals and not may_act(row.roles, actor)):
        return Refused(refusals)
    if reason is None and event == PepEvent.QA_RETURNED:
        reason = facts.qa_feedback
    text = reason.strip() if reason else ""
    if row.needs_reason and not text:
        refusals.append(REASON_PROMPTS.get(event, "Enter a reason"))
    if too_long := reason_too_long(event, text):
        refusals.append(too_long)
    if refusals:
        return Refused(refusals)
    return Accepted(facts.state, event, row.target, actor, text or None)


def _wrong_role(event: PepEvent) -> str:
    roles = {role for row in TRANSITIONS if row.event == event for role in row.roles}
    if event == PepEvent.SUPERSEDED:
        return "A PEP is superseded automatically when the child's next PEP is signed off"
    if not roles:
        return f"Only the system can {event.action}"
    who = " or ".join(ROLE_PHRASES[role] for role in sorted(roles))
    return f"Only {who} can {event.action}"
