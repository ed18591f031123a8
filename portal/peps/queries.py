"""Finding PEPs a person may see: through the children they may see."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, String, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.academic import Term, term_label
from portal.children.queries import peps_a_carer_may_read, roles_for_child, visible_children
from portal.models import Child, Pep, PepSection, School, User
from portal.peps.permissions import may_read_pep
from workflows.pep import PepState
from workflows.pep_types import PepType
from workflows.roles import SCHOOL_ROLES, Role


def find_visible_pep(session: Session, user: User, pep_id: uuid.UUID) -> Pep | None:
    """The PEP, or None when it does not exist, its child is not visible, or it is from before
    a carer's placement began (the same answer for each)."""
    visible_child_ids = visible_children(user).with_only_columns(Child.id)
    # The child (and its school) come in the same query: every PEP page shows them. Who last
    # saved each section is shown, but not what else that person may do.
    pep = session.scalar(
        select(Pep)
        .options(
            joinedload(Pep.child),
            selectinload(Pep.sections).joinedload(PepSection.last_saved_by).lazyload(User.grants),
        )
        .where(Pep.id == pep_id, Pep.child_id.in_(visible_child_ids))
    )
    if pep is None or not may_read_pep(user, pep, roles_for_child(user, pep.child)):
        return None
    return pep


class TaskKind(StrEnum):
    """What a PEP waits for this person to do: the groups of My tasks."""

    COMPLETE = "complete"
    APPROVE = "approve"
    QUALITY_ASSURANCE = "quality_assurance"

    @property
    def label(self) -> str:
        return TASK_KIND_LABELS[self]


TASK_KIND_LABELS = {
    TaskKind.COMPLETE: "Complete sections or submit",
    TaskKind.APPROVE: "Approve or return",
    TaskKind.QUALITY_ASSURANCE: "Quality-assure and sign off",
}

# The sections a role completes while the PEP is being written (drafts and returned PEPs).
COMPLETING_ROLES = (Role.DESIGNATED_TEACHER, Role.SOCIAL_WORKER, Role.CARER)
WRITING_STATES = (PepState.DRAFT.value, PepState.RETURNED.value)


@dataclass(frozen=True)
class TaskRow:
    """One task of My tasks, with exactly what its row shows."""

    pep_id: uuid.UUID
    kind: TaskKind
    role: Role
    child_id: uuid.UUID
    child_name: str
    child_reference: str
    school_name: str | None
    term_label: str
    state: PepState
    # None only for a PEP approved by a copy of the portal older than approval times.
    waiting_since: datetime | None
    form_key: str
    form_version: int
    pep_type: PepType = PepType.TERMLY
    meeting_date: date | None = None  # what the dates agreed at the meeting are judged against


def _task_sources(user: User) -> list[Select[Any]]:
    """One query per kind of task (and role) this person holds: the PEPs waiting for them.

    The same rules as ``roles_for_child``: the school's designated teacher, and the child's
    social worker and carer, act only while the child is in care; the Virtual School adviser of
    a child in care with no school place completes and submits in the designated teacher's
    place; reviewers quality-assure every approved PEP.

    The social work team manager and the Virtual School head oversee: no step of writing or
    signing off a PEP is theirs, so nothing here waits for them. What they chase comes to them
    by email instead, when a deadline is missed (portal.timeliness.reminders)."""
    grants = [(Role(grant.role), grant) for grant in user.grants]
    teacher_school_ids = {
        grant.school_id for role, grant in grants if role in SCHOOL_ROLES and grant.school_id
    }
    adviser_child_ids = {
        grant.child_id for role, grant in grants if role is Role.VS_ADVISER and grant.child_id
    }
    social_worker_ids = {
        grant.child_id for role, grant in grants if role is Role.SOCIAL_WORKER and grant.child_id
    }

    def source(
        kind: TaskKind,
        role: Role,
        *conditions: Any,
        through_child: bool = True,
        waiting_since: Any = Pep.updated_at_utc,
    ) -> Select[Any]:
        # Each source carries the PEP's own columns, so a page is ordered by the columns of the
        # PEPs the source found (an index on them can give the order) rather than by a second
        # copy of the PEP joined afterwards. A source whose rule is about the PEP alone (the
        # reviewers') does not join the child, so its count is read from an index alone.
        query = select(
            Pep.id.label("pep_id"),
            literal(kind.value, String).label("kind"),
            literal(role.value, String).label("role"),
            Pep.child_id,
            waiting_since.label("waiting_since"),
            Pep.academic_year,
            Pep.term,
            Pep.state,
            Pep.form_key,
            Pep.form_version,
            Pep.pep_type,
            Pep.meeting_date,
        )
        if through_child:
            query = query.join(Child, Child.id == Pep.child_id)
        return query.where(*conditions)

    in_care = Child.date_left_care.is_(None)
    being_written = Pep.state.in_(WRITING_STATES)
    sources: list[Select[Any]] = []
    if any(role is Role.REVIEWER for role, _ in grants):
        sources.append(
            source(
                TaskKind.QUALITY_ASSURANCE,
                Role.REVIEWER,
                Pep.state == PepState.APPROVED.value,
                through_child=False,
                # From the approval: a reviewer's saved notes change the PEP, not its place.
                waiting_since=Pep.approved_at_utc,
            )
        )
    if social_worker_ids:
        sources.append(
            source(
                TaskKind.APPROVE,
                Role.SOCIAL_WORKER,
                Pep.state == PepState.SUBMITTED.value,
                in_care,
                Child.id.in_(social_worker_ids),
                # From the submission: what is saved while it waits changes the PEP, not its
                # place. A PEP submitted before submission times were kept: its last change.
                waiting_since=func.coalesce(Pep.submitted_at_utc, Pep.updated_at_utc),
            )
        )
    teaching = []
    if teacher_school_ids:
        teaching.append(Child.current_school_id.in_(teacher_school_ids))
    if adviser_child_ids:
        teaching.append(and_(Child.current_school_id.is_(None), Child.id.in_(adviser_child_ids)))
    if teaching:
        sources.append(
            source(
                TaskKind.COMPLETE, Role.DESIGNATED_TEACHER, being_written, in_care, or_(*teaching)
            )
        )
    if social_worker_ids:
        sources.append(
            source(
                TaskKind.COMPLETE,
                Role.SOCIAL_WORKER,
                being_written,
                in_care,
                Child.id.in_(social_worker_ids),
            )
        )
    carer_ids = {grant.child_id for role, grant in grants if role is Role.CARER and grant.child_id}
    if carer_ids:
        # Only the PEPs a carer may read: from the placement's term on (`may_read_pep`).
        readable = peps_a_carer_may_read(user)
        sources.append(
            source(
                TaskKind.COMPLETE,
                Role.CARER,
                being_written,
                in_care,
                Child.id.in_(carer_ids),
                readable,
            )
        )
    return sources


def task_counts(session: Session, user: User) -> dict[TaskKind, int]:
    """How many tasks of each kind wait for this person (one query)."""
    sources = _task_sources(user)
    if not sources:
        return {}
    tasks = union_all(*sources).subquery("tasks")
    rows = session.execute(select(tasks.c.kind, func.count()).group_by(tasks.c.kind))
    return {TaskKind(kind): count for kind, count in rows}


TASK_SORTS = {
    "waiting": "Waiting longest",
    "child": "Child's name",
    "term": "Term",
}


def task_page(
    session: Session,
    user: User,
    *,
    kind: TaskKind | None,
    sort: str,
    page: int,
    per_page: int,
) -> list[TaskRow]:
    """One page of this person's tasks, each row's child, school and PEP in the same query;
    never a PEP's sections."""
    sources = _task_sources(user)
    if not sources:
        return []
    tasks = union_all(*sources).subquery("tasks")
    query = (
        select(
            tasks.c.pep_id,
            tasks.c.kind,
            tasks.c.role,
            Child.id.label("child_id"),
            Child.first_name,
            Child.last_name,
            Child.authority_reference,
            School.name.label("school_name"),
            tasks.c.academic_year,
            tasks.c.term,
            tasks.c.state,
            tasks.c.waiting_since,
            tasks.c.form_key,
            tasks.c.form_version,
            tasks.c.pep_type,
            tasks.c.meeting_date,
        )
        .select_from(tasks)
        .join(Child, Child.id == tasks.c.child_id)
        .outerjoin(School, School.id == Child.current_school_id)
    )
    if kind is not None:
        query = query.where(tasks.c.kind == kind.value)
    # Every order ends with the task's own identity, so a page never repeats or skips a row.
    # Waiting longest (the default) leads with the time each task has waited from (a PEP's
    # approval for a reviewer, its last change otherwise): for a reviewer, PostgreSQL walks
    # ix_peps_approved_by_approval and stops after the page.
    identity = (tasks.c.pep_id, tasks.c.kind, tasks.c.role)
    # A PEP approved before approval times were kept has none: last, on either database
    # (PostgreSQL's index order; SQLite would put it first).
    waited_from = tasks.c.waiting_since.asc().nulls_last()
    by_name = (func.lower(Child.last_name), func.lower(Child.first_name))
    if sort == "child":
        query = query.order_by(*by_name, waited_from, *identity)
    elif sort == "term":
        query = query.order_by(tasks.c.academic_year, tasks.c.term, *by_name, *identity)
    else:
        query = query.order_by(waited_from, *by_name, *identity)
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page))
    return [
        TaskRow(
            pep_id=row.pep_id,
            kind=TaskKind(row.kind),
            role=Role(row.role),
            child_id=row.child_id,
            child_name=f"{row.first_name} {row.last_name}",
            child_reference=row.authority_reference,
            school_name=row.school_name,
            term_label=term_label(row.academic_year, Term(row.term)),
            state=PepState(row.state),
            waiting_since=row.waiting_since,
            form_key=row.form_key,
            form_version=row.form_version,
            pep_type=PepType(row.pep_type),
            meeting_date=row.meeting_date,
        )
        for row in rows
    ]


def answers_of_sections(
    session: Session, pep_ids: Iterable[uuid.UUID], section_keys: Iterable[str]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The saved answers of just these sections of just these PEPs (one query), by PEP."""
    pep_ids, section_keys = set(pep_ids), set(section_keys)
    answers: dict[uuid.UUID, dict[str, Any]] = {pep_id: {} for pep_id in pep_ids}
    if not pep_ids or not section_keys:
        return answers
    rows = session.execute(
        select(PepSection.pep_id, PepSection.section_key, PepSection.answers).where(
            PepSection.pep_id.in_(pep_ids), PepSection.section_key.in_(section_keys)
        )
    )
    for pep_id, section_key, section_answers in rows:
        answers[pep_id][section_key] = section_answers
    return answers
