"""Moving a PEP through its sign-off process, and the Virtual School's quality assurance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.completeness import SectionStatus, has_answers, pep_completeness
from forms.schema import SectionType
from portal.form_registry import definition_for
from portal.models import Pep, PepSection, User
from portal.operations import audit
from portal.operations.audit import Actor
from workflows.engine import Accepted, Refused, apply, find_transition
from workflows.pep import SYSTEM_ACTOR, PepEvent, PepFacts, PepState
from workflows.pep import Actor as WorkflowActor
from workflows.quality import Judgement, QaCriteria, Scale, load_qa_criteria, load_scales
from workflows.roles import Role

QA_SECTION = "quality_assurance"
VOICE_SECTION = "my_views"


def answers_of(pep: Pep, section_key: str) -> dict[str, Any]:
    try:
        return dict(pep.section(section_key).answers)
    except KeyError:
        return {}


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def qa_scale(settings: dict[str, Any]) -> tuple[Scale, str]:
    """The authority's configured scale and pass threshold (RAG by default)."""
    scales = load_scales()
    scale = scales[settings.get("QA_SCALE") or scales.default]
    threshold = settings.get("QA_THRESHOLD") or scale.default_threshold
    return scale, threshold


def pep_facts(pep: Pep, settings: dict[str, Any], today: date | None = None) -> PepFacts:
    """What the sign-off rules need to know about this PEP, read from its answers."""
    today = today or date.today()
    definition = definition_for(pep)
    answers = {section.section_key: section.answers for section in pep.sections}
    voice_section = next(
        (s for s in definition.sections if s.section_type is SectionType.CHILD_VOICE), None
    )
    voice_present = bool(
        voice_section and has_answers(voice_section, answers.get(voice_section.key))
    )
    absent_reason = getattr(pep, "child_voice_absent_reason", None)
    statuses = pep_completeness(definition, answers, today=today)
    incomplete = tuple(
        (section.title, section.owner)
        for section in definition.sections
        if section.key in statuses
        and statuses[section.key] is not SectionStatus.COMPLETED
        # With a recorded reason, missing views do not hold up submission (the guard checks it).
        and not (section.section_type is SectionType.CHILD_VOICE and absent_reason)
    )
    qa = answers.get(QA_SECTION, {})
    scale, threshold = qa_scale(settings)
    rating_key = qa.get("rating")
    rating_label, passes = None, None
    if rating_key in scale.keys:
        rating_label = scale.rating(rating_key).label
        passes = scale.passes(rating_key, threshold)
    criteria = load_qa_criteria()
    judgements = qa.get("judgements", {})
    unjudged = tuple(c.title for c in criteria.criteria if c.key not in judgements)
    meeting_date = _date(answers.get("meeting_details", {}).get("meeting_date"))
    return PepFacts(
        state=pep.state_enum,
        today=today,
        meeting_date=meeting_date,
        incomplete_sections=incomplete,
        child_voice_present=voice_present,
        child_voice_absent_reason=absent_reason,
        qa_rating=rating_key if rating_label else None,
        qa_rating_label=rating_label,
        qa_rating_passes=passes,
        qa_unjudged_criteria=unjudged,
        qa_feedback=qa.get("feedback") or None,
        next_pep_signed_off=False,
    )


def acting_role(pep_state: PepState, event: PepEvent, roles: frozenset[Role]) -> Role | None:
    """The role this person acts in for this event: one the process allows, if they hold it."""
    transition = find_transition(pep_state, event)
    allowed = transition.roles if transition else frozenset()
    permitted = sorted(roles & allowed)
    if permitted:
        return permitted[0]
    return min(roles) if roles else None


def transition_pep(
    session: Session,
    actor: Actor,
    user: User,
    pep: Pep,
    roles: frozenset[Role],
    event: PepEvent,
    settings: dict[str, Any],
    reason: str | None = None,
    today: date | None = None,
) -> Accepted | Refused:
    """Apply one event from the process table; record it, or record why it was refused."""
    facts = pep_facts(pep, settings, today)
    role = acting_role(pep.state_enum, event, roles)
    outcome = apply(facts, event, WorkflowActor(role, user.display_name), reason)
    if isinstance(outcome, Refused):
        audit.record(
            session,
            actor,
            "pep.transition_refused",
            "pep",
            pep.id,
            event=event.value,
            state=pep.state,
            reasons=outcome.reasons,
        )
        session.commit()
        return outcome
    pep.state = outcome.target.value
    if event in (PepEvent.SUBMITTED, PepEvent.RESUBMITTED):
        pep.meeting_date = facts.meeting_date
    audit.record(
        session,
        actor,
        "pep.transition",
        "pep",
        pep.id,
        event=event.value,
        source=outcome.source.value,
        target=outcome.target.value,
        role=role.value if role else None,
        role_label=role.label if role else None,
        reason=outcome.reason,
    )
    if outcome.target is PepState.SIGNED_OFF:
        _supersede_earlier_records(session, pep)
        from portal.operations.records import store_signed_off_record

        store_signed_off_record(session, actor, pep, settings)
    session.commit()
    return outcome


def _supersede_earlier_records(session: Session, pep: Pep) -> None:
    """The newly signed-off PEP becomes the record; earlier signed-off ones are superseded."""
    earlier = session.scalars(
        select(Pep).where(
            Pep.child_id == pep.child_id,
            Pep.id != pep.id,
            Pep.state == PepState.SIGNED_OFF.value,
        )
    )
    system = Actor.system("the next PEP was signed off")
    for previous in earlier:
        facts = PepFacts(state=PepState.SIGNED_OFF, today=date.today(), next_pep_signed_off=True)
        outcome = apply(facts, PepEvent.SUPERSEDED, SYSTEM_ACTOR)
        if isinstance(outcome, Accepted):
            previous.state = outcome.target.value
            audit.record(
                session,
                system,
                "pep.transition",
                "pep",
                previous.id,
                event=PepEvent.SUPERSEDED.value,
                source=outcome.source.value,
                target=outcome.target.value,
                role=None,
                role_label="System",
                reason=f"Superseded by the PEP for {pep.term_label}",
            )


@dataclass(frozen=True)
class QaEntry:
    rating: str | None
    judgements: dict[str, str]
    feedback: str


def qa_problems(entry: QaEntry, scale: Scale, criteria: QaCriteria) -> dict[str, str]:
    """Field id -> message, for a reviewer's QA that cannot be saved as it is."""
    problems: dict[str, str] = {}
    if entry.rating is not None and entry.rating not in scale.keys:
        problems["rating"] = "Select a rating from the list"
    for criterion in criteria.criteria:
        value = entry.judgements.get(criterion.key)
        if value is None:
            continue
        try:
            judgement = Judgement(value)
        except ValueError:
            problems[f"judgement-{criterion.key}"] = f"Select a judgement for {criterion.title}"
            continue
        if judgement is Judgement.NOT_APPLICABLE and not criterion.may_not_apply:
            problems[f"judgement-{criterion.key}"] = (
                f"{criterion.title} applies to every PEP: select met, partly met or not met"
            )
    if len(entry.feedback) > 5000:
        problems["feedback"] = "Feedback must be 5,000 characters or fewer"
    return problems


def save_quality_assurance(
    session: Session, actor: Actor, user: User, pep: Pep, entry: QaEntry, scale: Scale
) -> PepSection:
    """Keep the reviewer's judgements, rating and feedback with the PEP (its QA section)."""
    if pep.state_enum is not PepState.APPROVED:
        raise ValueError("Quality assurance is only for an approved PEP.")
    section = pep.section(QA_SECTION)
    section.answers = {
        "scale": scale.key,
        "rating": entry.rating,
        "judgements": entry.judgements,
        "feedback": entry.feedback,
    }
    section.last_saved_by_id = user.id
    audit.record(
        session,
        actor,
        "pep.qa_saved",
        "pep",
        pep.id,
        scale=scale.key,
        rating=entry.rating,
        judged=sorted(entry.judgements),
    )
    session.commit()
    return section


@dataclass(frozen=True)
class PreCheck:
    title: str
    passed: bool | None  # None: does not apply to this form
    detail: str


def _rows(pep: Pep, section_key: str, field_key: str) -> list[dict[str, Any]]:
    value = answers_of(pep, section_key).get(field_key)
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _money(value: object) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def automated_pre_checks(pep: Pep) -> list[PreCheck]:
    """What the reviewer can trust the portal to check before judging the plan themselves."""
    definition = definition_for(pep)
    keys = {section.key for section in definition.sections}
    checks: list[PreCheck] = []

    voice = answers_of(pep, VOICE_SECTION)
    reason = getattr(pep, "child_voice_absent_reason", None)
    checks.append(
        PreCheck(
            "Child's views captured",
            bool(voice.get("answers")) or bool(reason),
            "The child's views are recorded."
            if voice.get("answers")
            else f"Not gathered: {reason}"
            if reason
            else "The child's views are missing.",
        )
    )

    previous = _rows(pep, "review_previous_targets", "previous_targets")
    unevaluated = [row for row in previous if not row.get("outcome")]
    checks.append(
        PreCheck(
            "Previous targets evaluated",
            None if not previous else not unevaluated,
            "There were no previous targets."
            if not previous
            else f"{len(unevaluated)} of {len(previous)} previous targets have no outcome."
            if unevaluated
            else f"All {len(previous)} previous targets have an outcome.",
        )
    )

    attendance_section = (
        "attendance_exclusions" if "attendance_exclusions" in keys else "attendance"
    )
    attendance = answers_of(pep, attendance_section).get("attendance_this_term")
    attainment = answers_of(pep, "attainment_progress")
    if "attainment_progress" in keys:
        attainment_ok = bool(attainment.get("subjects") or attainment.get("progress_summary"))
    elif "eyfs_development" in keys:
        attainment_ok = bool(answers_of(pep, "eyfs_development"))
    else:
        attainment_ok = bool(answers_of(pep, "course_provider"))
    attendance_applies = attendance_section in keys
    checks.append(
        PreCheck(
            "Attendance and attainment recorded",
            attainment_ok and (bool(attendance) or not attendance_applies),
            "Both are recorded."
            if attainment_ok and (attendance or not attendance_applies)
            else "Attendance this term is missing."
            if not attendance and attendance_applies
            else "Current attainment is missing.",
        )
    )

    targets = _rows(pep, "smart_targets", "targets")
    vague = [
        index
        for index, row in enumerate(targets, start=1)
        if not (row.get("success_measure") and row.get("by_when") and row.get("action_who"))
    ]
    checks.append(
        PreCheck(
            "Every target has a success measure, a deadline and an owner",
            bool(targets) and not vague,
            "There are no targets."
            if not targets
            else "Targets "
            + ", ".join(map(str, vague))
            + " need a success measure, deadline or owner."
            if vague
            else f"All {len(targets)} targets do.",
        )
    )

    pp_section = next(
        (k for k in ("pupil_premium_plus", "early_years_pupil_premium") if k in keys), None
    )
    if pp_section:
        requested = _money(answers_of(pep, pp_section).get("amount_requested"))
        linked = sum((_money(row.get("pp_plus_amount")) for row in targets), Decimal("0"))
        checks.append(
            PreCheck(
                "Pupil Premium Plus costed and linked to targets",
                requested == 0 or linked >= requested,
                f"£{requested:,.2f} requested; £{linked:,.2f} is linked to targets.",
            )
        )
    else:
        checks.append(
            PreCheck(
                "Pupil Premium Plus costed and linked to targets",
                None,
                "This form has no Pupil Premium Plus request.",
            )
        )

    next_date = answers_of(pep, "meeting_details").get("next_pep_date")
    checks.append(
        PreCheck(
            "Next PEP date set",
            bool(next_date),
            "The next PEP meeting date is set." if next_date else "The next PEP date is missing.",
        )
    )
    carers = answers_of(pep, "carers_views")
    checks.append(
        PreCheck(
            "Carer's views present",
            bool(carers),
            "The carer's views are recorded." if carers else "The carer's views are missing.",
        )
    )
    return checks
