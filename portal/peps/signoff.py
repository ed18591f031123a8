"""Sign-off actions, the Virtual School's quality assurance, the timeline and my tasks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from forms.completeness import SectionStatus, pep_completeness
from forms.fields import format_date_for_people
from forms.judging_days import JudgingDays
from forms.parsing import clean_text
from portal.academic import england_today
from portal.admin.listing import ListFilters, page_count, page_number
from portal.auth import access
from portal.children.queries import roles_for_child
from portal.extensions import db
from portal.form_registry import form_registry
from portal.models import AuditEvent, Pep, User
from portal.operations.audit import Actor
from portal.operations.workflow import (
    QA_SECTION,
    Overtaken,
    QaEntry,
    QaSaved,
    answers_of,
    automated_pre_checks,
    pep_facts,
    qa_problems,
    qa_scale,
    quality_assurance_closed,
    record_quality_assurance,
    transition_pep,
)
from portal.peps.queries import (
    TASK_SORTS,
    TaskKind,
    TaskRow,
    answers_of_sections,
    find_visible_pep,
    task_counts,
    task_page,
)
from portal.peps.views import blueprint, render_pep_page
from workflows.engine import Accepted, Refused, available_events, find_transition
from workflows.pep import Actor as WorkflowActor
from workflows.pep import PepEvent, PepState
from workflows.quality import Judgement, QaCriteria, Scale, load_qa_criteria
from workflows.roles import Role

REASON_LABELS = {
    PepEvent.RETURNED: "Why are you returning the PEP? Say what needs to change.",
    PepEvent.QA_RETURNED: "Feedback for the designated teacher",
    PepEvent.CANCELLED: "Why is this PEP being cancelled? For example, the child has left care.",
}


@dataclass(frozen=True)
class ActionOffer:
    event: PepEvent
    needs_reason: bool
    reason_label: str
    blocked: list[str]


def action_offers(pep: Pep, roles: frozenset[Role]) -> list[ActionOffer]:
    """The buttons this person sees, each with what still stops it (if anything)."""
    facts = pep_facts(pep, current_app.config)
    offers: dict[PepEvent, ActionOffer] = {}
    for role in sorted(roles):
        actor = WorkflowActor(role, g.user.display_name)
        for event in available_events(facts, actor):
            if event in offers or event is PepEvent.QA_RETURNED or event is PepEvent.SIGNED_OFF:
                continue  # the reviewer acts from the quality assurance page
            transition = find_transition(facts.state, event)
            assert transition is not None  # available_events only offers events in the table
            offers[event] = ActionOffer(
                event,
                transition.needs_reason,
                REASON_LABELS.get(event, "Reason"),
                # What stops it now; the reason box is filled in when the button is pressed.
                transition.guard(facts) if transition.guard else [],
            )
    return list(offers.values())


def timeline(pep: Pep) -> list[dict[str, Any]]:
    """Who did what to this PEP, in which role, when, and why (for returns)."""
    rows = db.session.execute(
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(
            AuditEvent.object_id == str(pep.id),
            AuditEvent.action.in_(["pep.started", "pep.transition"]),
        )
        .order_by(AuditEvent.occurred_at_utc)
    )
    entries = []
    for event, name in rows:
        if event.action == "pep.started":
            label, role = "Started", None
        else:
            label = PepEvent(event.details["event"]).timeline_label
            role = event.details.get("role_label")
        entries.append(
            {
                "label": label,
                "who": name or event.actor_description,
                "role": role,
                "when": event.occurred_at_utc,
                "reason": event.details.get("reason"),
            }
        )
    return entries


def _pep_or_404(pep_id: uuid.UUID) -> Pep:
    pep = find_visible_pep(db.session, g.user, pep_id)
    if pep is None:
        abort(404)
    return pep


def _posted_text(name: str) -> str | None:
    """Free text from the form, without characters that cannot be stored (a NUL, say)."""
    value = request.form.get(name)
    return None if value is None else clean_text(value, multiline=True)


@blueprint.post("/peps/<uuid:pep_id>/events/<event_name>")
@access.signed_in
def record_event(pep_id: uuid.UUID, event_name: str) -> Response | tuple[str, int]:
    """Submit, approve, return, resubmit or cancel: whatever the process allows this person."""
    pep = _pep_or_404(pep_id)
    try:
        event = PepEvent(event_name)
    except ValueError:
        abort(404)
    if event is PepEvent.SUPERSEDED:
        abort(403)
    roles = roles_for_child(g.user, pep.child)
    outcome = transition_pep(
        db.session,
        Actor.for_user(g.user, request.remote_addr),
        g.user,
        pep,
        roles,
        event,
        current_app.config,
        reason=_posted_text("reason"),
    )
    if isinstance(outcome, Overtaken):
        # Someone else acted at the same moment: say who and when, above the PEP as it is now.
        return render_pep_page(pep, refusal=outcome.reasons), 409
    if isinstance(outcome, Refused):
        return render_pep_page(pep, refusal=outcome.reasons, refused_event=event), 400
    flash(f"{event.timeline_label}. The PEP is now {outcome.target.label.lower()}.")
    return redirect(url_for("peps.show_pep", pep_id=pep.id), 303)


QA_DECISIONS = {PepEvent.SIGNED_OFF.value, PepEvent.QA_RETURNED.value}


@blueprint.route("/peps/<uuid:pep_id>/quality-assurance", methods=["GET", "POST"])
@access.roles(Role.REVIEWER)
def quality_assurance(pep_id: uuid.UUID) -> Response | tuple[str, int]:
    """The reviewer's pre-checks, judgements, rating and feedback; then sign off or return."""
    pep = _pep_or_404(pep_id)
    scale, threshold = qa_scale(current_app.config)
    criteria = load_qa_criteria()
    saved = answers_of(pep, QA_SECTION)
    problems: dict[str, str] = {}
    status = 200
    entry = QaEntry(
        saved.get("rating"), dict(saved.get("judgements", {})), saved.get("feedback", "")
    )
    if request.method == "POST":
        entry = QaEntry(
            request.form.get("rating") or None,
            {
                c.key: request.form[f"judgement-{c.key}"]
                for c in criteria.criteria
                if request.form.get(f"judgement-{c.key}")
            },
            _posted_text("feedback") or "",
        )
        if pep.state_enum is not PepState.APPROVED:
            # Signed off or returned since the page was shown, perhaps by another reviewer.
            problems, status = {"decision-0": quality_assurance_closed(db.session, pep)}, 403
        else:
            problems = qa_problems(entry, scale, criteria)
            status = 400 if problems else 200
        if not problems:
            decision = request.form.get("decision")
            outcome = record_quality_assurance(
                db.session,
                Actor.for_user(g.user, request.remote_addr),
                g.user,
                pep,
                roles_for_child(g.user, pep.child),
                entry,
                scale,
                current_app.config,
                PepEvent(decision) if decision in QA_DECISIONS else None,
            )
            if isinstance(outcome, QaSaved):
                flash("Your quality assurance has been saved.")
                return redirect(url_for("peps.quality_assurance", pep_id=pep.id), 303)
            if isinstance(outcome, Accepted):
                flash(f"{outcome.event.timeline_label}.")
                return redirect(url_for("peps.show_pep", pep_id=pep.id), 303)
            problems = _problems_by_field(outcome.reasons, criteria)
            status = 409 if isinstance(outcome, Overtaken) else 400
    return render_template(
        "peps/quality_assurance.html",
        pep=pep,
        checks=automated_pre_checks(pep),
        criteria=criteria,
        judgements=list(Judgement),
        scale=scale,
        threshold=scale.rating(threshold),
        entry=entry,
        problems=problems,
        editable=pep.state_enum is PepState.APPROVED,
        returned=_last_return(saved, scale),
    ), status


@dataclass(frozen=True)
class LastReturn:
    """What the reviewer judged when they last returned the PEP with feedback."""

    returned_on: str | None  # in words, as people write a date
    rating_label: str | None
    feedback_lines: list[str]


def _last_return(saved: dict[str, Any], scale: Scale) -> LastReturn | None:
    returned = saved.get("returned")
    if not isinstance(returned, dict):
        return None
    rating = returned.get("rating")
    try:
        returned_on = format_date_for_people(date.fromisoformat(returned.get("returned_on") or ""))
    except ValueError:
        returned_on = None
    return LastReturn(
        returned_on,
        scale.rating(rating).label if rating in scale.keys else None,
        str(returned.get("feedback") or "").splitlines(),
    )


TASKS_PER_PAGE = 50


@dataclass(frozen=True)
class TaskFilters(ListFilters):
    kind: str = ""
    sort: str = "waiting"

    ARGUMENTS: ClassVar[dict[str, str]] = {"kind": "kind", "sort": "sort"}
    DEFAULT_SORT: ClassVar[str] = "waiting"

    @classmethod
    def allowed(cls, field: str) -> Any:
        return {"kind": {kind.value for kind in TaskKind}, "sort": TASK_SORTS}.get(field)

    @property
    def task_kind(self) -> TaskKind | None:
        return TaskKind(self.kind) if self.kind else None


@dataclass(frozen=True)
class Task:
    row: TaskRow
    what: str
    href: str


def _task_words(row: TaskRow, answers: dict[str, Any]) -> str:
    """What the task asks, by the same rules as the PEP's own completeness: the sections this
    person's role still has to complete, or (for the designated teacher) submitting."""
    if row.kind is TaskKind.QUALITY_ASSURANCE:
        return "Quality-assure and sign off"
    if row.kind is TaskKind.APPROVE:
        return "Check and approve, or return"
    definition = form_registry().get(row.form_key, row.form_version)
    # Judged as the submission will be: dates agreed at the meeting against the meeting.
    days = JudgingDays(today=england_today(), meeting_date=row.meeting_date)
    statuses = pep_completeness(definition, answers, days=days, owner=row.role)
    left = [key for key, status in statuses.items() if status is not SectionStatus.COMPLETED]
    if left:
        return f"Complete {len(left)} section{'s' if len(left) != 1 else ''}"
    if row.role is Role.DESIGNATED_TEACHER:
        verb = "Resubmit" if row.state is PepState.RETURNED else "Submit"
        return f"{verb} after the PEP meeting"
    return "Check your completed sections before the PEP meeting"


def describe_tasks(rows: list[TaskRow]) -> list[Task]:
    """The page's tasks in words; only the page's completing roles' own sections are read (the
    meeting date their agreed dates are judged against comes with each row)."""
    completing = [row for row in rows if row.kind is TaskKind.COMPLETE]
    section_keys = {
        section.key
        for row in completing
        for section in form_registry().get(row.form_key, row.form_version).sections
        if section.owner is row.role
    }
    answers = answers_of_sections(db.session, (row.pep_id for row in completing), section_keys)
    tasks = []
    for row in rows:
        if row.kind is TaskKind.QUALITY_ASSURANCE:
            href = url_for("peps.quality_assurance", pep_id=row.pep_id)
        else:
            href = url_for("peps.show_pep", pep_id=row.pep_id)
        tasks.append(Task(row, _task_words(row, answers.get(row.pep_id, {})), href))
    return tasks


@blueprint.get("/tasks")
@access.signed_in
def my_tasks() -> str:
    """What is waiting for this person: sections to complete, PEPs to approve or to check.

    Worked out in the database, a page at a time: the same few queries at any cohort size."""
    filters = TaskFilters.from_args(request.args)
    counts = task_counts(db.session, g.user)
    kind = filters.task_kind
    total = counts.get(kind, 0) if kind else sum(counts.values())
    pages = page_count(total, TASKS_PER_PAGE)
    page = min(page_number(), pages)
    rows = (
        task_page(
            db.session, g.user, kind=kind, sort=filters.sort, page=page, per_page=TASKS_PER_PAGE
        )
        if total
        else []
    )
    return render_template(
        "peps/tasks.html",
        tasks=describe_tasks(rows),
        filters=filters,
        counts=counts,
        all_tasks=sum(counts.values()),
        kinds=list(TaskKind),
        sorts=TASK_SORTS,
        total=total,
        page=page,
        pages=pages,
    )


def _problems_by_field(reasons: list[str], criteria: QaCriteria) -> dict[str, str]:
    """Each refusal under the field it is about, so that the error summary links to that field
    and the field shows its message; a sentence about no field (someone else acted first) is
    linked to the decision buttons."""
    criterion_keys = {criterion.title: criterion.key for criterion in criteria.criteria}
    problems: dict[str, str] = {}
    for number, reason in enumerate(reasons):
        about = getattr(reason, "about", "")
        field_id = f"decision-{number}"
        if about in {"rating", "feedback"}:
            field_id = about
        elif about.startswith("criterion:") and about[10:] in criterion_keys:
            field_id = f"judgement-{criterion_keys[about[10:]]}"
        problems.setdefault(field_id, reason)
    return problems
