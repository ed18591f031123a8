"""Which children a user may see: least privilege, in one place."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from portal.models import AuditEvent, Child, ChildEvent, ContributionInvite, Pep, User
from workflows.roles import AUTHORITY_ROLES, CASE_ROLES, SCHOOL_ROLES, Role

# Case roles that end when the child leaves care; the Virtual School adviser's does not.
CARE_TEAM_ROLES = CASE_ROLES - {Role.VS_ADVISER}


def visible_children(user: User) -> Select[tuple[Child]]:
    """Designated teachers: children in care on roll at their school; social workers and
    carers: the children in care they are assigned; Virtual School advisers: their assigned
    children, in care or not; reviewers and admins: the authority's whole cohort.

    A child who has left care stays readable by the Virtual School (their records are kept
    and a previously looked-after child is advised), and by no one else."""
    grants = user.grants
    if any(Role(grant.role) in AUTHORITY_ROLES for grant in grants):
        return select(Child)
    school_ids = {g.school_id for g in grants if Role(g.role) in SCHOOL_ROLES and g.school_id}
    while_in_care_ids = {
        g.child_id for g in grants if Role(g.role) in CARE_TEAM_ROLES and g.child_id
    }
    adviser_ids = {g.child_id for g in grants if Role(g.role) is Role.VS_ADVISER and g.child_id}
    in_care = Child.date_left_care.is_(None)
    conditions = []
    if school_ids:
        conditions.append(and_(in_care, Child.current_school_id.in_(school_ids)))
    if while_in_care_ids:
        conditions.append(and_(in_care, Child.id.in_(while_in_care_ids)))
    if adviser_ids:
        conditions.append(Child.id.in_(adviser_ids))
    return select(Child).where(or_(*conditions) if conditions else false())


def list_visible_children(session: Session, user: User) -> list[Child]:
    query = visible_children(user).order_by(Child.last_name, Child.first_name)
    return list(session.scalars(query).unique())


def find_visible_child(session: Session, user: User, child_id: uuid.UUID) -> Child | None:
    """The child, or None when it does not exist or the user may not see it (the same answer)."""
    return session.scalars(visible_children(user).where(Child.id == child_id)).unique().first()


def roles_for_child(user: User, child: Child) -> frozenset[Role]:
    """The roles this user holds in relation to this particular child.

    The school's designated teacher and the child's social worker and carer hold theirs only
    while the child is in care. For a child with no school place there is no designated
    teacher: the Virtual School adviser assigned to the child completes the setting's
    sections and submits the PEP in their place, so they also act as the designated teacher."""
    held = set()
    in_care = child.in_care
    for grant in user.grants:
        role = Role(grant.role)
        if (
            role in AUTHORITY_ROLES
            or (in_care and role in SCHOOL_ROLES and grant.school_id == child.current_school_id)
            or (in_care and role in CARE_TEAM_ROLES and grant.child_id == child.id)
            or (role is Role.VS_ADVISER and grant.child_id == child.id)
        ):
            held.add(role)
    if Role.VS_ADVISER in held and in_care and child.current_school_id is None:
        held.add(Role.DESIGNATED_TEACHER)
    return frozenset(held)


def child_record_object_ids(session: Session, child: Child) -> list[str]:
    """The audit trail's names for this child's records: the child, its PEPs and its links."""
    pep_ids = list(session.scalars(select(Pep.id).where(Pep.child_id == child.id)))
    invite_ids = list(
        session.scalars(select(ContributionInvite.id).where(ContributionInvite.pep_id.in_(pep_ids)))
    )
    return [str(child.id), *(str(i) for i in pep_ids), *(str(i) for i in invite_ids)]


def child_history_query(session: Session, child: Child) -> Select[tuple[AuditEvent]]:
    """Everything that happened to this child's records, newest first."""
    return (
        select(AuditEvent)
        .where(AuditEvent.object_id.in_(child_record_object_ids(session, child)))
        .order_by(AuditEvent.occurred_at_utc.desc(), AuditEvent.id.desc())
    )


def child_history_page(
    session: Session, child: Child, page: int, per_page: int
) -> tuple[list[AuditEvent], int]:
    """One page of the child's history and the number of events in all."""
    query = child_history_query(session, child)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    events = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return events, total or 0


def child_timeline_page(
    session: Session, child: Child, page: int, per_page: int
) -> tuple[list[ChildEvent], int]:
    """One page of the changes in the child's life, newest first, and how many there are."""
    total = session.scalar(
        select(func.count()).select_from(ChildEvent).where(ChildEvent.child_id == child.id)
    )
    events = session.scalars(
        select(ChildEvent)
        .where(ChildEvent.child_id == child.id)
        .order_by(ChildEvent.occurred_on.desc(), ChildEvent.created_at_utc.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(events), total or 0
