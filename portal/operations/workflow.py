"""Moving a PEP through its sign-off process, and the Virtual School's quality assurance."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from forms.completeness import SectionStatus, has_answers, pep_completeness
from forms.conditions import is_answered
from forms.fields import format_date_for_people
from forms.schema import FormDefinition, SectionType
from portal.academic import england_today
from portal.form_registry import definition_for, snapshot_child_facts
from portal.judging_days import judging_days_for, meeting_date_in
from portal.models import AuditEvent, Pep, PepSection, User
from portal.models.base import utc_now
from portal.operations import audit
from portal.operations.audit import Actor
from portal.operations.notifications import notify_pep_event
from portal.operations.rate_limit import REFUSED_TRANSITIONS, Limit, count_hit
from portal.operations.timeliness import refresh_timeliness
from portal.presentation import UK, local_time
from workflows.engine import Accepted, Refused, apply, find_transition
from workflows.pep import SYSTEM_ACTOR, TRANSITIONS, PepEvent, PepFacts, PepState, reason_too_long
from workflows.pep import Actor as WorkflowActor
from workflows.quality import Judgement, QaCriteria, Scale, load_qa_criteria, load_scales
from workflows.roles import Role

logger = logging.getLogger(__name__)

QA_SECTION = "quality_assurance"
# At most this many refused sign-off attempts per person per PEP are audited in the window.
REFUSAL_AUDIT_MAX = 5
REFUSAL_AUDIT_WINDOW_SECONDS = 600
VOICE_SECTION = "my_views"


def answers_of(pep: Pep, section_key: str) -> dict[str, Any]:
    try:
        return dict(pep.section(section_key).answers)
    except KeyError:
        return {}


def qa_scale(settings: dict[str, Any]) -> tuple[Scale, str]:
    """The authority's configured scale and pass threshold (RAG by default)."""
    scales = load_scales()
    scale = scales[settings.get("QA_SCALE") or scales.default]
    threshold = settings.get("QA_THRESHOLD") or scale.default_threshold
    return scale, threshold


def pep_facts(pep: Pep, settings: dict[str, Any], today: date | None = None) -> PepFacts:
    """What the sign-off rules need to know about this PEP, read from its answers."""
    today = today or england_today()
    definition = definition_for(pep)
    answers = {section.section_key: section.answers for section in pep.sections}
    voice_section = next(
        (s for s in definition.sections if s.section_type is SectionType.CHILD_VOICE), None
    )
    voice_present = bool(
        voice_section and has_answers(voice_section, answers.get(voice_section.key))
    )
    absent_reason = getattr(pep, "child_voice_absent_reason", None)
    # Dates agreed at the PEP meeting are judged against it: an agreed deadline that has
    # passed since does not hold up submission, approval or quality assurance.
    statuses = pep_completeness(definition, answers, days=judging_days_for(pep, today))
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
    meeting_date = meeting_date_in(answers)
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


# --------------------------------------------------------------------------------------------
# Races: two people acting on the same PEP at the same moment
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overtaken(Refused):
    """Someone else changed the PEP at the same moment: nothing of this request was kept."""


# How the sentence after a lost race names what the other person did.
EVENTS_IN_WORDS: dict[PepEvent, str] = {
    PepEvent.SUBMITTED: "submitted",
    PepEvent.RESUBMITTED: "resubmitted",
    PepEvent.APPROVED: "approved",
    PepEvent.RETURNED: "returned to the designated teacher",
    PepEvent.QA_RETURNED: "returned with quality assurance feedback",
    PepEvent.SIGNED_OFF: "signed off",
    PepEvent.SUPERSEDED: "superseded",
    PepEvent.CANCELLED: "cancelled",
}
# Audited actions that change a PEP, the newest of which explains why a request lost a race.
PEP_CHANGES = (
    "pep.transition",
    "pep.qa_saved",
    "pep.section_saved",
    "pep.child_voice_note_saved",
    "pep.child_voice_absent_reason_recorded",
    "pep.child_voice_absent_reason_cleared",
)
# PostgreSQL's serialization failure and deadlock: the database chose this request to lose.
_LOST_RACE_SQLSTATES = frozenset({"40001", "40P01"})


def lost_race(error: BaseException) -> bool:
    """Whether a database error means another request changed the same rows first."""
    if isinstance(error, StaleDataError | IntegrityError):
        return True
    if isinstance(error, OperationalError):
        sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        # SQLite answers "database is locked" when another writer kept the database too long.
        return sqlstate in _LOST_RACE_SQLSTATES or "database is locked" in str(error.orig)
    return False


def _moment_in_words(moment: datetime) -> str:
    """ "10:42 on 27 November 2026", in UK time."""
    return f"{local_time(moment)} on {format_date_for_people(moment.astimezone(UK).date())}"


def last_change_to(
    session: Session, pep: Pep, actions: tuple[str, ...] = PEP_CHANGES
) -> str | None:
    """The latest change to this PEP as a sentence ("This PEP was signed off by … at …"), or
    None when nothing has changed it."""
    row = session.execute(
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(
            AuditEvent.object_type == "pep",
            AuditEvent.object_id == str(pep.id),
            AuditEvent.action.in_(actions),
        )
        .order_by(AuditEvent.occurred_at_utc.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    event, name = row
    if name:
        who = name
    elif event.actor_description.startswith("System:"):
        who = "the portal"
    else:
        who = event.actor_description
    when = _moment_in_words(event.occurred_at_utc)
    if event.action == "pep.transition":
        try:
            done = EVENTS_IN_WORDS[PepEvent(event.details.get("event"))]
        except ValueError:
            done = "changed"
        return f"This PEP was {done} by {who} at {when}."
    if event.action == "pep.qa_saved":
        return f"{who} saved quality assurance for this PEP at {when}."
    return f"This PEP was changed by {who} at {when}."


def what_happened_to(session: Session, pep: Pep) -> str:
    """Why a request on this PEP lost a race, as a sentence."""
    return last_change_to(session, pep) or "Someone else changed this PEP at the same moment."


def overtaken(session: Session, pep: Pep, error: Exception, consequence: str) -> Overtaken:
    """Undo everything this request did, then say what the other person did and what it means."""
    session.rollback()  # first: until then, even reading the PEP's id would fail
    session.refresh(pep)
    logger.info("A change to PEP %s lost a race and was undone: %r", pep.id, error)
    return Overtaken([f"{what_happened_to(session, pep)} {consequence}"])


def touch_pep(pep: Pep) -> None:
    """Mark the PEP as changed, so that this transaction commits only if nobody else changed the
    PEP since it was read (its version column is checked and moved on)."""
    pep.updated_at_utc = utc_now()


def refusal_audit_limit(settings: dict[str, Any]) -> Limit:
    """How many refused sign-off attempts of one person on one PEP are audited per window."""
    return Limit(
        REFUSED_TRANSITIONS,
        int(settings.get("REFUSAL_AUDIT_MAX", REFUSAL_AUDIT_MAX)),
        int(settings.get("REFUSAL_AUDIT_WINDOW_SECONDS", REFUSAL_AUDIT_WINDOW_SECONDS)),
    )


def _moved_on_from(state: PepState, event: PepEvent) -> bool:
    """Whether this event was possible from an earlier state but not from this one."""
    return find_transition(state, event) is None and any(row.event is event for row in TRANSITIONS)


def _stage_transition(
    session: Session,
    actor: Actor,
    user: User,
    pep: Pep,
    roles: frozenset[Role],
    event: PepEvent,
    settings: dict[str, Any],
    reason: str | None,
    today: date | None,
) -> Accepted | Refused:
    """Apply one event to the session (the new state and its record, or the refusal's record);
    the caller commits."""
    facts = pep_facts(pep, settings, today)
    role = acting_role(pep.state_enum, event, roles)
    outcome = apply(facts, event, WorkflowActor(role, user.display_name), reason)
    if isinstance(outcome, Refused):
        # The person always sees the refusal, but the audit trail keeps only the first few of
        # one person's refusals on one PEP in a window: pressing a button again and again (or
        # a script) must not fill the trail. The count is in the database, seen by every worker.
        limit = refusal_audit_limit(settings)
        if count_hit(session, limit, f"{user.id}:{pep.id}") <= limit.max_hits:
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
        moved_on = _moved_on_from(pep.state_enum, event) and last_change_to(
            session, pep, ("pep.transition",)
        )
        if moved_on:
            # The page this person acted on is out of date: say who moved the PEP on.
            return Refused([moved_on, *outcome.reasons])
        return outcome
    pep.state = outcome.target.value
    if outcome.target is PepState.APPROVED:
        # When the approval was made: the moment the audit trail records for it too.
        pep.approved_at_utc = (actor.acting_at_utc or utc_now()).astimezone(UTC)
    elif outcome.target is PepState.SUBMITTED:
        pep.submitted_at_utc = (actor.acting_at_utc or utc_now()).astimezone(UTC)
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
        # The child's facts as they are now, fixed on the PEP before its record is made.
        pep.snapshot = snapshot_child_facts(session, pep)
        _supersede_earlier_records(session, pep)
        from portal.operations.records import store_signed_off_record

        store_signed_off_record(session, actor, pep, settings)
    # Emails to whoever acts next are recorded in this same transaction (kept only if the
    # change is) and sent after the commit, by this process's sender in the background or by
    # the next send-reminders run: a slow or failing mail server never fails nor slows this.
    notify_pep_event(session, actor, pep, event, outcome.reason, settings)
    return outcome


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
    """Apply one event from the process table; record it, or record why it was refused.

    Someone else moving the PEP on at the same moment gives Overtaken, with nothing saved.
    """
    try:
        outcome = _stage_transition(
            session, actor, user, pep, roles, event, settings, reason, today
        )
        session.commit()
    except Exception as error:
        if not lost_race(error):
            raise
        return overtaken(session, pep, error, "Nothing you sent was saved.")
    refresh_timeliness(session, [] if isinstance(outcome, Refused) else [pep.child_id], today)
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
        facts = PepFacts(state=PepState.SIGNED_OFF, today=england_today(), next_pep_signed_off=True)
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
    if too_long := reason_too_long(PepEvent.QA_RETURNED, entry.feedback):
        problems["feedback"] = too_long
    return problems


@dataclass(frozen=True)
class QaSaved:
    """The reviewer's quality assurance is kept; no decision was asked for."""

    section: PepSection


def quality_assurance_closed(session: Session, pep: Pep) -> str:
    """Why quality assurance cannot be saved for this PEP now: it is not (or no longer) approved."""
    state = f"This PEP is {pep.state_enum.label.lower()}, so quality assurance cannot be saved."
    moved_on = last_change_to(session, pep, ("pep.transition",))
    return f"{moved_on} {state}" if moved_on else state


def record_quality_assurance(
    session: Session,
    actor: Actor,
    user: User,
    pep: Pep,
    roles: frozenset[Role],
    entry: QaEntry,
    scale: Scale,
    settings: dict[str, Any],
    decision: PepEvent | None = None,
) -> QaSaved | Accepted | Refused:
    """Keep the reviewer's judgements, rating and feedback with the PEP (its QA section) and,
    with a decision, sign off or return it: one transaction, so both are kept or neither is.

    A decision the process refuses keeps the quality assurance and records the refusal.
    """
    if pep.state_enum is not PepState.APPROVED:
        return Refused([quality_assurance_closed(session, pep)])
    if decision not in (None, PepEvent.SIGNED_OFF, PepEvent.QA_RETURNED):
        raise ValueError(f"{decision} is not a quality assurance decision.")
    try:
        section = pep.section(QA_SECTION)
        section.answers = {
            "scale": scale.key,
            "rating": entry.rating,
            "judgements": entry.judgements,
            "feedback": entry.feedback,
        }
        section.last_saved_by_id = user.id
        section.last_saved_at_utc = utc_now()
        # Saved quality assurance belongs to the PEP as it was read: a sign-off or return by
        # someone else in the meantime must make this save lose, not land after it.
        touch_pep(pep)
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
        outcome: QaSaved | Accepted | Refused = QaSaved(section)
        if decision is not None:
            outcome = _stage_transition(
                session,
                actor,
                user,
                pep,
                roles,
                decision,
                settings,
                entry.feedback or None,
                None,
            )
            if isinstance(outcome, Accepted) and outcome.event is PepEvent.QA_RETURNED:
                # The PEP comes back, changed and approved again, for a judgement of the PEP as
                # it is then: this round's is kept apart for the reviewer to read, never carried
                # into the next decision (a sign-off would record feedback asking for changes
                # already made). The audit trail and the timeline keep it too.
                section.answers = {
                    "scale": scale.key,
                    "returned": {
                        "rating": entry.rating,
                        "judgements": entry.judgements,
                        "feedback": entry.feedback,
                        "returned_on": england_today().isoformat(),
                    },
                }
        session.commit()
    except Exception as error:
        if not lost_race(error):
            raise
        return overtaken(session, pep, error, "Your quality assurance was not saved.")
    refresh_timeliness(session, [pep.child_id] if isinstance(outcome, Accepted) else [])
    return outcome


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


def _has_field(definition: FormDefinition, section_key: str, field_key: str) -> bool:
    """Whether the PEP's form version asks this question (later versions add some)."""
    try:
        section = definition.section(section_key)
    except KeyError:
        return False
    return any(candidate.key == field_key for candidate in section.fields)


# Attendance is recorded when the sessions possible and attended this term are (version 3 on).
_SESSIONS_RECORDED = ("sessions_possible_term", "sessions_attended_term")


def _sessions_recorded(answers: dict[str, Any]) -> bool:
    return all(is_answered(answers.get(key)) for key in _SESSIONS_RECORDED)


def _attendance_state(
    pep: Pep, definition: FormDefinition, keys: set[str]
) -> tuple[bool, str | None]:
    """Whether attendance is recorded (or does not apply), and why it does not apply.

    From version 3, attendance is counted in sessions: the school-age form always asks for
    them, the early years form when the child is in a setting, the post-16 form when the young
    person's attendance is recorded at all. Versions 1 and 2 keep their percentage.
    """
    if _has_field(definition, "attendance_exclusions", "sessions_possible_term"):
        return _sessions_recorded(answers_of(pep, "attendance_exclusions")), None
    if _has_field(definition, "setting", "in_setting"):
        setting = answers_of(pep, "setting")
        if setting.get("in_setting") is False:
            return True, "the child is not in an early years setting"
        return _sessions_recorded(setting), None
    if _has_field(definition, "attendance", "attendance_recorded"):
        attendance = answers_of(pep, "attendance")
        if attendance.get("attendance_recorded") is False:
            return True, "the young person's attendance is not recorded"
        return _sessions_recorded(attendance), None
    section = "attendance_exclusions" if "attendance_exclusions" in keys else "attendance"
    if section not in keys:
        return True, None
    return bool(answers_of(pep, section).get("attendance_this_term")), None


def _attainment_state(pep: Pep, definition: FormDefinition, keys: set[str]) -> tuple[bool, str]:
    """Whether attainment is recorded, and what is missing if not."""
    if _has_field(definition, "attainment_progress", "key_stage"):
        attainment = answers_of(pep, "attainment_progress")
        missing = [
            words
            for key, words in (("key_stage", "key stage"), ("progress_summary", "progress summary"))
            if not is_answered(attainment.get(key))
        ]
        return not missing, "The " + " and the ".join(missing) + " of attainment " + (
            "are" if len(missing) > 1 else "is"
        ) + " missing."
    if _has_field(definition, "course_provider", "education_status"):
        course = answers_of(pep, "course_provider")
        status = course.get("education_status")
        if not is_answered(status):
            return False, "What the young person is doing now is missing."
        # A young person who is NEET, in a job without training or doing something else is
        # asked for a plan to get back, not grades: the form's own condition says which.
        if "reengagement_plan" in definition.section("course_provider").shown_keys(course):
            return is_answered(course.get("reengagement_plan")), (
                "The plan to get back into education, employment or training is missing."
            )
        if status == "in_education":
            return bool(_rows(pep, "course_provider", "qualifications")), (
                "The qualifications and grades are missing."
            )
        # Training, an apprenticeship or a job with training may lead to no qualification
        # yet (a supported internship, an apprentice before end-point assessment): progress
        # on the course is their attainment.
        return is_answered(course.get("progress_on_course")), (
            "The progress on the course is missing."
        )
    if "attainment_progress" in keys:
        attainment = answers_of(pep, "attainment_progress")
        recorded = bool(attainment.get("subjects") or attainment.get("progress_summary"))
    elif "eyfs_development" in keys:
        recorded = bool(answers_of(pep, "eyfs_development"))
    else:
        recorded = bool(answers_of(pep, "course_provider"))
    return recorded, "Current attainment is missing."


def _attendance_and_attainment(pep: Pep, definition: FormDefinition, keys: set[str]) -> PreCheck:
    attendance_ok, not_applicable = _attendance_state(pep, definition, keys)
    attainment_ok, attainment_missing = _attainment_state(pep, definition, keys)
    if not attendance_ok:
        detail = "Attendance this term is missing."
    elif not attainment_ok:
        detail = attainment_missing
    elif not_applicable:
        detail = f"Attainment is recorded; attendance does not apply: {not_applicable}."
    else:
        detail = "Both are recorded."
    return PreCheck("Attendance and attainment recorded", attendance_ok and attainment_ok, detail)


def _pupil_premium_check(
    pep: Pep, definition: FormDefinition, section_key: str, targets: list[dict[str, Any]]
) -> PreCheck:
    """The request against the total linked to targets.

    From version 3 the request must equal the targets' total exactly, or the difference must
    be explained. Versions 1 and 2 have nowhere to explain a difference, and the reviewer's
    page shows these checks live for signed-off PEPs too, so they keep the rule they were
    judged by: enough linked to targets to cover the request.
    """
    answers = answers_of(pep, section_key)
    requested = _money(answers.get("amount_requested"))
    linked = sum((_money(row.get("pp_plus_amount")) for row in targets), Decimal("0"))
    figures = f"£{requested:,.2f} requested; £{linked:,.2f} is linked to targets"
    title = "Pupil Premium Plus costed and linked to targets"
    if not _has_field(definition, section_key, "difference_explained"):
        return PreCheck(title, requested == 0 or linked >= requested, figures + ".")
    if requested == linked:
        return PreCheck(title, True, figures + ".")
    explanation = answers.get("difference_explained")
    if is_answered(explanation):
        return PreCheck(
            title,
            True,
            f"{figures}; the difference is explained: {str(explanation).strip()}",
        )
    # Said to the reviewer, who reads the checks: the teacher is the one to explain it.
    return PreCheck(title, False, f"{figures}; the difference is not explained.")


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

    checks.append(_attendance_and_attainment(pep, definition, keys))

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
        checks.append(_pupil_premium_check(pep, definition, pp_section, targets))
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
