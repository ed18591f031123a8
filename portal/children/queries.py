"""Which children a user may see: least privilege, in one place."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, not_, or_, select
from sqlalchemy.orm import Session

from portal.academic import (
    Term,
    academic_year_start,
    england_today,
    term_label,
    year_group_label,
    year_group_on,
)
from portal.models import (
    AuditEvent,
    Child,
    ChildEvent,
    ChildTimeliness,
    ContributionInvite,
    Pep,
    School,
    TimelinessObligation,
    User,
)
from portal.peps.permissions import recorded_end_may_decide, term_ends_on, term_reaches
from portal.text_search import LIKE_ESCAPE, contains_pattern
from portal.timeliness.status import (
    NOT_WORKED_OUT,
    TERM_DATES_MISSING,
    child_due_on_sql,
    child_status_sql,
    obligation_status,
    status_label,
    status_tag_class,
)
from workflows.calendar import TERMS
from workflows.pep import PepState
from workflows.pep_types import PepType
from workflows.roles import AUTHORITY_ROLES, CASE_ROLES, SCHOOL_ROLES, Role
from workflows.timeliness import TimelinessStatus

# Case roles that end when the child leaves care (the social worker's, their team manager's
# and the carer's); the Virtual School adviser's does not.
CARE_TEAM_ROLES = CASE_ROLES - {Role.VS_ADVISER}


def visible_children(user: User) -> Select[tuple[Child]]:
    """Designated teachers: children in care on roll at their school; social workers, their
    team managers and carers: the children in care they are assigned (a team manager holds a
    grant for each child of the team's caseload, and sees no other); Virtual School advisers:
    their assigned children, in care or not; reviewers, the Virtual School head and admins: the
    authority's whole cohort.

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
            or (
                in_care
                and role in SCHOOL_ROLES
                # Never "no school" matching "no school place": as visible_children's rule.
                and grant.school_id is not None
                and grant.school_id == child.current_school_id
            )
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


# Role changes are recorded against the person given or losing the role; those about a child
# (a carer, social worker, adviser or team manager for the child) name the child in details.
CHILD_ROLE_ACTIONS = ("role.granted", "role.revoked", "role.start_changed")


def child_history_query(session: Session, child: Child) -> Select[tuple[AuditEvent]]:
    """Everything that happened to this child's records, newest first: with who was given, or
    lost, a role for the child, which is who the records were opened to (a subject access
    request asks exactly that)."""
    return (
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.object_id.in_(child_record_object_ids(session, child)),
                and_(
                    AuditEvent.action.in_(CHILD_ROLE_ACTIONS),
                    AuditEvent.details["child_id"].as_string() == str(child.id),
                ),
            )
        )
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


# ---------------------------------------------------------------------------------------------
# The children list: filtered, sorted and paginated in the database, a constant number of
# queries whatever the cohort. A row reads the child's own columns, the school's name and the
# latest PEP's term and state: never a child's PEPs, never a PEP's sections.

# The latest PEP, in the order a child's PEPs are listed everywhere (Child.peps).
LATEST_PEP_ORDER = (Pep.academic_year.desc(), Pep.term.desc(), Pep.created_at_utc.desc())
NO_PEP_YET = "none"


@dataclass(frozen=True)
class ChildrenListQuery:
    """What the list is asked for: every value already checked against what it may be."""

    text: str = ""
    school: str = ""
    # The lowest and highest year groups asked for (a key stage or one year group).
    year_groups: tuple[int, int] | None = None
    # A PepState value, NO_PEP_YET or "".
    latest_state: str = ""
    care_status: str = ""
    # A TimelinessStatus value (the child's most pressing, today), NOT_WORKED_OUT or "".
    timeliness: str = ""
    sort: str = "name"


@dataclass(frozen=True)
class LatestPep:
    academic_year: int
    term: str
    state: str
    pep_type: str = PepType.TERMLY.value

    @property
    def pep_type_label(self) -> str:
        return PepType(self.pep_type).label

    @property
    def term_label(self) -> str:
        return term_label(self.academic_year, Term(self.term))

    @property
    def state_enum(self) -> PepState:
        return PepState(self.state)


@dataclass(frozen=True)
class ChildRow:
    id: uuid.UUID
    first_name: str
    last_name: str
    authority_reference: str
    date_of_birth: date
    school_name: str | None
    no_school_place: str | None
    latest: LatestPep | None
    # The child's most pressing timeliness status today and its due date.
    pep_due_status: str | None = None
    pep_due_on: date | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def pep_due_label(self) -> str:
        return status_label(self.pep_due_status)

    @property
    def pep_due_tag_class(self) -> str:
        return status_tag_class(self.pep_due_status)

    def year_group_label(self, on: date | None = None) -> str:
        return year_group_label(year_group_on(self.date_of_birth, on or england_today()))


def first_terms_ending_on_or_after(start: date) -> tuple[int, frozenset[Term]]:
    """The first academic year with a term ending on or after `start` (`term_ends_on`), and
    which of its terms do: every term of every later year does too."""
    # A term ending on or after a day from September on is in the academic year starting that
    # year; from January to August, in the one that started the year before.
    first_year = start.year if start.month >= 9 else start.year - 1
    return first_year, frozenset(t for t in Term if term_ends_on(first_year, t) >= start)


def terms_near(start: date) -> list[tuple[int, Term]]:
    """The terms whose end by the month is near enough `start` for the term dates the child's
    school follows to decide whether they reach it (`recorded_end_may_decide`): a spring term
    running into April, or ending in March, when a placement begins around Easter."""
    first_year, _ = first_terms_ending_on_or_after(start)
    return [
        (year, term)
        for year in (first_year - 1, first_year, first_year + 1)
        for term in Term
        if recorded_end_may_decide(year, term, start)
    ]


def _pep_of_term(academic_year: int, term: Term) -> ColumnElement[bool]:
    return and_(Pep.academic_year == academic_year, Pep.term == term.value)


def peps_of_terms_ending_on_or_after(child_id: uuid.UUID, start: date) -> ColumnElement[bool]:
    """The child's PEPs of the terms that end on or after `start` (`term_reaches`), in SQL: by
    the month, except the terms near `start` (`terms_near`), each of which `term_reaches`
    decides by the term dates the child's school follows. Only such a start costs a query."""
    first_year, terms = first_terms_ending_on_or_after(start)
    by_month: ColumnElement[bool] = or_(
        Pep.academic_year > first_year,
        and_(Pep.academic_year == first_year, Pep.term.in_(sorted(t.value for t in terms))),
    )
    near = terms_near(start)
    if not near:
        return and_(Pep.child_id == child_id, by_month)
    reaching = [
        _pep_of_term(year, term) for year, term in near if term_reaches(child_id, year, term, start)
    ]
    readable = and_(by_month, not_(or_(*(_pep_of_term(year, term) for year, term in near))))
    return and_(Pep.child_id == child_id, or_(readable, *reaching))


def peps_a_carer_may_read(user: User) -> ColumnElement[bool] | None:
    """For someone who is a carer: of the children they care for, only the PEPs of terms ending
    on or after the placement began (`may_read_pep`), in SQL; None when they care for no child.

    Someone who is a carer and also staff for the same child (rare) is held to the carer's rule
    here, in lists: the PEP pages themselves follow `may_read_pep`."""
    placements = [
        (grant.child_id, grant.placement_start)
        for grant in user.grants
        if Role(grant.role) is Role.CARER and grant.child_id
    ]
    if not placements:
        return None
    return or_(
        Pep.child_id.not_in({child_id for child_id, _ in placements}),
        *(peps_of_terms_ending_on_or_after(child_id, start) for child_id, start in placements),
    )


def _latest_pep_column(column: Any, readable: ColumnElement[bool] | None) -> Any:
    """One column of the child's latest PEP this person may read, as a subquery correlated
    with the child."""
    return (
        select(column)
        .where(Pep.child_id == Child.id, *_given(readable))
        .order_by(*LATEST_PEP_ORDER)
        .limit(1)
        .correlate(Child)
        .scalar_subquery()
    )


def born_between(year_groups: tuple[int, int], today: date) -> tuple[date, date]:
    """The dates of birth of the children in these year groups today (a range the database
    filters and an index serves, where a year group worked out per row would not)."""
    lowest, highest = year_groups
    this_year = academic_year_start(today)
    return date(this_year - 5 - highest, 9, 1), date(this_year - 4 - lowest, 8, 31)


def _given(condition: ColumnElement[bool] | None) -> tuple[ColumnElement[bool], ...]:
    return () if condition is None else (condition,)


def _listed(
    user: User, asked: ChildrenListQuery, today: date, readable: ColumnElement[bool] | None
) -> Select[Any]:
    """The visible children matching the filters, with their school joined: one SELECT. A
    child's PEPs are those this person may read (`readable`: a carer's from the placement on)."""
    visibility = visible_children(user).whereclause
    query = (
        select(
            Child.id,
            Child.first_name,
            Child.last_name,
            Child.authority_reference,
            Child.date_of_birth,
            School.name,
            Child.no_school_place,
            child_status_sql(today).label("pep_due_status"),
            child_due_on_sql().label("pep_due_on"),
        )
        .select_from(Child)
        .outerjoin(School, Child.current_school_id == School.id)
        .outerjoin(ChildTimeliness, ChildTimeliness.child_id == Child.id)
    )
    if visibility is not None:
        query = query.where(visibility)
    if asked.text:
        pattern = contains_pattern(asked.text.lower())
        query = query.where(
            func.lower(Child.first_name + " " + Child.last_name).like(pattern, escape=LIKE_ESCAPE)
            | func.lower(Child.authority_reference).like(pattern, escape=LIKE_ESCAPE)
        )
    if asked.school:
        pattern = contains_pattern(asked.school.lower())
        query = query.where(func.lower(School.name).like(pattern, escape=LIKE_ESCAPE))
    if asked.year_groups is not None:
        earliest, latest = born_between(asked.year_groups, today)
        query = query.where(Child.date_of_birth.between(earliest, latest))
    if asked.latest_state == NO_PEP_YET:
        query = query.where(
            ~select(Pep.id).where(Pep.child_id == Child.id, *_given(readable)).exists()
        )
    elif asked.latest_state:
        query = query.where(_latest_pep_column(Pep.state, readable) == asked.latest_state)
    if asked.timeliness == NOT_WORKED_OUT:
        # Never worked out, or stored so because the term dates it needs are missing.
        query = query.where(
            or_(ChildTimeliness.id.is_(None), ChildTimeliness.settled_status == NOT_WORKED_OUT)
        )
    elif asked.timeliness:
        query = query.where(child_status_sql(today) == asked.timeliness)
    status = asked.care_status
    if status == "in_care":
        query = query.where(Child.date_left_care.is_(None))
    elif status == "left_care":
        query = query.where(Child.date_left_care.is_not(None))
    elif status == "previously_looked_after":
        query = query.where(Child.previously_looked_after.is_(True))
    elif status == "no_school_place":
        query = query.where(Child.current_school_id.is_(None))
    elif status == "uasc":
        query = query.where(Child.uasc.is_(True))
    return query


def _ordered(query: Select[Any], sort: str, readable: ColumnElement[bool] | None) -> Select[Any]:
    name = (Child.last_name, Child.first_name, Child.id)
    if sort == "reference":
        return query.order_by(Child.authority_reference)
    if sort == "year_group":  # youngest first, as year groups count up
        return query.order_by(Child.date_of_birth.desc(), *name)
    if sort == "school":
        return query.order_by(School.name.is_(None), School.name, *name)
    if sort == "pep_due":
        # Something still open first, soonest (or longest overdue) first; then the settled
        # (done or exempt) by their date; never worked out last.
        open_due, settled_due = ChildTimeliness.open_due_on, ChildTimeliness.settled_due_on
        return query.order_by(
            open_due.is_(None), open_due, settled_due.is_(None), settled_due, *name
        )
    if sort == "latest_pep":  # the most recent PEP first; children with none last
        year = _latest_pep_column(Pep.academic_year, readable)
        term = _latest_pep_column(Pep.term, readable)
        return query.order_by(year.is_(None), year.desc(), term.desc(), *name)
    return query.order_by(*name)


def _latest_peps(child_ids: Any, readable: ColumnElement[bool] | None) -> Select[Any]:
    """The latest readable PEP's year, term, state and type of each child named (a list of
    ids or a subquery): one SELECT with a window function, whatever the number of children."""
    ranked = (
        select(
            Pep.child_id,
            Pep.academic_year,
            Pep.term,
            Pep.state,
            Pep.pep_type,
            func.row_number()
            .over(partition_by=Pep.child_id, order_by=LATEST_PEP_ORDER)
            .label("place"),
        )
        .where(Pep.child_id.in_(child_ids), *_given(readable))
        .subquery()
    )
    return select(
        ranked.c.child_id,
        ranked.c.academic_year,
        ranked.c.term,
        ranked.c.state,
        ranked.c.pep_type,
    ).where(ranked.c.place == 1)


def count_children(
    session: Session, user: User, asked: ChildrenListQuery, today: date | None = None
) -> int:
    """How many children this user may see match."""
    listed = _listed(user, asked, today or england_today(), peps_a_carer_may_read(user))
    return session.scalar(select(func.count()).select_from(listed.subquery())) or 0


def children_page(
    session: Session,
    user: User,
    asked: ChildrenListQuery,
    page: int,
    per_page: int,
    today: date | None = None,
) -> list[ChildRow]:
    """One page of the children this user may see that match: their rows, schools and
    timeliness in one query, their latest PEPs in another, whatever the cohort."""
    readable = peps_a_carer_may_read(user)
    listed = _listed(user, asked, today or england_today(), readable)
    page_query = (
        _ordered(listed, asked.sort, readable).limit(per_page).offset((page - 1) * per_page)
    )
    children = list(session.execute(page_query))
    if not children:
        return []
    latest = {
        child_id: LatestPep(year, term, state, pep_type)
        for child_id, year, term, state, pep_type in session.execute(
            _latest_peps([row[0] for row in children], readable)
        )
    }
    return [_row(values, latest.get(values[0])) for values in children]


def children_matching(
    session: Session, user: User, asked: ChildrenListQuery, today: date | None = None
) -> list[ChildRow]:
    """Every child this user may see that matches, in the order asked: the children and their
    latest PEPs in two queries, however many there are."""
    readable = peps_a_carer_may_read(user)
    listed = _listed(user, asked, today or england_today(), readable)
    latest = {
        child_id: LatestPep(year, term, state, pep_type)
        for child_id, year, term, state, pep_type in session.execute(
            _latest_peps(listed.with_only_columns(Child.id), readable)
        )
    }
    return [
        _row(values, latest.get(values[0]))
        for values in session.execute(_ordered(listed, asked.sort, readable))
    ]


def _row(values: Any, latest: LatestPep | None) -> ChildRow:
    (
        child_id,
        first_name,
        last_name,
        reference,
        born,
        school_name,
        no_school_place,
        pep_due_status,
        pep_due_on,
    ) = values
    return ChildRow(
        id=child_id,
        first_name=first_name,
        last_name=last_name,
        authority_reference=reference,
        date_of_birth=born,
        school_name=school_name,
        no_school_place=no_school_place,
        latest=latest,
        pep_due_status=pep_due_status,
        pep_due_on=pep_due_on,
    )


# ---------------------------------------------------------------------------------------------
# A child's timeliness: every obligation, and the terms of this academic year.


@dataclass(frozen=True)
class ObligationRow:
    """One stored obligation with today's status."""

    stored: TimelinessObligation
    status: TimelinessStatus

    @property
    def label(self) -> str:
        return status_label(self.status.value)

    @property
    def tag_class(self) -> str:
        return status_tag_class(self.status.value)


def _term_place(row: TimelinessObligation) -> tuple[int, int]:
    term = row.term or ""
    return (row.academic_year or 0, TERMS.index(term) if term in TERMS else 0)


def child_timeliness(
    session: Session, child: Child, today: date | None = None
) -> tuple[list[ObligationRow], list[ObligationRow]]:
    """The child's obligations, soonest due first, and this academic year's terms: one query.
    The caller has already found the child visible to the person asking."""
    today = today or england_today()
    stored = list(
        session.scalars(
            select(TimelinessObligation).where(TimelinessObligation.child_id == child.id)
        )
    )
    rows = [ObligationRow(row, obligation_status(row, today)) for row in stored]
    obligations = sorted(
        (row for row in rows if row.stored.due_on is not None),
        key=lambda row: (row.stored.due_on, row.stored.key),
    )
    this_year = academic_year_start(today)
    terms = sorted(
        (
            row
            for row in rows
            if row.stored.term is not None
            # The notice of missing term dates is shown whichever year it is about: in August
            # it is the coming year's, while this year is still the one ending in August.
            and (row.stored.academic_year == this_year or row.stored.rule == TERM_DATES_MISSING)
        ),
        key=lambda row: _term_place(row.stored),
    )
    return obligations, terms
