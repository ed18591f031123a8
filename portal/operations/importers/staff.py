"""The staff import: one row per role a person holds.

Columns: `Email`, `Name`, `Role` (the role's value or label, any case), `School URN` (a
designated teacher or lead), `Child reference` (a social worker, carer or Virtual School
adviser), `Starts on` (a carer's placement start, dd/mm/yyyy or yyyy-mm-dd). It adds people
and roles and corrects names and a carer's start; it never takes a role away (that is done
person by person, on their page), so importing the same file twice changes nothing. The one
exception: a child has one social worker, so a row making someone a child's social worker
replaces the one the child had (the child's timeline shows it), as the staff page does. A
switched-off account is given no child's case, as on the child's page: it cannot sign in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.academic import england_today
from portal.imports import Plan, Problem, Progress, RowChange, Rows
from portal.models import CareEpisode, Child, ImportKind, RoleGrant, School, User
from portal.operations import staff
from portal.operations.audit import Actor
from workflows.roles import CASE_ROLES, SCHOOL_ROLES, Role

EMAIL, NAME, ROLE, URN, CHILD, STARTS_ON = (
    "Email",
    "Name",
    "Role",
    "School URN",
    "Child reference",
    "Starts on",
)
COLUMNS = (EMAIL, NAME, ROLE, URN, CHILD, STARTS_ON)
PROGRESS_EVERY = 200
LOOKUP_CHUNK = 500
ROLE_WORDS = ", ".join(
    "Designated teacher (or Designated lead)" if role is Role.DESIGNATED_TEACHER else role.label
    for role in staff.GRANTABLE_ROLES
)


@dataclass(frozen=True)
class StaffRow:
    """One row as read: the cells as typed, and what they mean where they could be read."""

    row: int
    email: str
    name: str
    role: Role | None
    urn: str
    reference: str
    starts_on: date | None
    cells: tuple[str, ...]  # every cell, tidied, to find rows that repeat another exactly


@dataclass(frozen=True)
class PlannedGrant:
    row: int
    email: str
    role: Role
    school_id: Any = None
    child_id: Any = None
    starts_on: date | None = None


@dataclass(frozen=True)
class CaseHolder:
    """A child's social worker now, as the check compares and names them."""

    user_id: Any
    name: str


@dataclass
class StaffPlan(Plan):
    """What `apply` does: people to add, names to correct, roles to give, starts to move."""

    new_people: dict[str, tuple[int, str]] = field(default_factory=dict)  # email -> (row, name)
    renames: dict[str, tuple[int, str]] = field(default_factory=dict)
    grants: list[PlannedGrant] = field(default_factory=list)
    start_changes: list[tuple[int, Any, date]] = field(default_factory=list)  # row, grant id
    # (email, role, school id, child id) of every grant planned, so no grant is planned twice.
    planned: set[tuple[str, Role, Any, Any]] = field(default_factory=set)


class StaffImporter:
    kind = ImportKind.STAFF
    encodings: tuple[str, ...] = ("utf-8-sig",)
    required_columns: tuple[str, ...] = (EMAIL, NAME, ROLE)
    optional_columns: tuple[str, ...] = (URN, CHILD, STARTS_ON)

    def check(self, session: Session, rows: Rows, progress: Progress) -> StaffPlan:
        plan = StaffPlan()
        read: list[StaffRow] = []
        for count, (number, cells) in enumerate(rows, start=1):
            read.append(_read_row(number, cells, plan.problems))
            if count % PROGRESS_EVERY == 0:
                progress(count)

        people = _people(session, {row.email for row in read if row.email})
        schools = _by_key(session, School.urn, {row.urn for row in read if row.urn})
        children = _children(session, {row.reference for row in read if row.reference})
        case_holders = _case_holders(
            session,
            [
                children[row.reference.lower()].id
                for row in read
                if row.role is Role.SOCIAL_WORKER and row.reference.lower() in children
            ],
        )
        placement_starts = _placement_starts(
            session,
            [
                children[row.reference.lower()].id
                for row in read
                if row.role is Role.CARER and row.reference.lower() in children
            ],
        )

        rows_with_problems = {problem.row for problem in plan.problems}
        first_name_row: dict[str, StaffRow] = {}
        first_grant_row: dict[tuple[str, Role, str, str], StaffRow] = {}
        first_social_worker_row: dict[Any, StaffRow] = {}  # child id -> first row giving it
        for row in read:
            problems_before = len(plan.problems)
            school = schools.get(row.urn) if row.urn else None
            child = children.get(row.reference.lower()) if row.reference else None
            if row.role in SCHOOL_ROLES and row.urn and school is None:
                plan.problems.append(
                    Problem(
                        row.row,
                        URN,
                        f"No school or setting has the URN {row.urn}.",
                        "Check the URN in Get Information About Schools, or import or add the "
                        "setting first.",
                    )
                )
            if row.role in CASE_ROLES and row.reference and child is None:
                plan.problems.append(
                    Problem(
                        row.row,
                        CHILD,
                        f"No child has the reference {row.reference}.",
                        "Check the child's reference in the social-care system, or import the "
                        "children first.",
                    )
                )
            person = people.get(row.email) if row.email else None
            if (
                row.role is not None
                and row.role in CASE_ROLES
                and child is not None
                and person is not None
                and not person.active
                and _gives_the_case(person, row.role, child, case_holders.get(child.id, []))
            ):
                plan.problems.append(_switched_off_problem(row, row.role, person, child))
            if row.email and row.name.strip():
                first = first_name_row.setdefault(row.email, row)
                if first.name != row.name:
                    plan.problems.append(
                        Problem(
                            row.row,
                            NAME,
                            f"This person is named '{first.name}' in row {first.row} and "
                            f"'{row.name}' here.",
                            "Give one person the same name in every row.",
                        )
                    )
            if row.email and row.role is not None:
                key = (row.email, row.role, row.urn, row.reference.lower())
                earlier = first_grant_row.setdefault(key, row)
                if earlier is not row:
                    same = earlier.cells == row.cells
                    plan.problems.append(
                        Problem(
                            row.row,
                            None if same else STARTS_ON,
                            f"This row is the same as row {earlier.row}."
                            if same
                            else f"Row {earlier.row} gives this person the same role for the "
                            "same child with another start date.",
                            "Delete one of the two rows."
                            if same
                            else "Keep the row with the right start date, and delete the other.",
                        )
                    )
            if row.role is Role.SOCIAL_WORKER and child is not None and row.email:
                first_worker = first_social_worker_row.setdefault(child.id, row)
                if first_worker.email != row.email:
                    plan.problems.append(
                        Problem(
                            row.row,
                            CHILD,
                            f"Row {first_worker.row} makes {first_worker.email} the social "
                            f"worker of {staff.child_description(child)}; a child has one "
                            "social worker.",
                            "Keep the row for the child's social worker, and delete the other.",
                        )
                    )
            if len(plan.problems) > problems_before or row.row in rows_with_problems:
                continue
            if row.role is None or not row.email:
                continue
            if row.role in CASE_ROLES and child is None:
                continue
            if row.role in SCHOOL_ROLES and school is None:
                continue
            plan.changes.append(
                _change(
                    plan,
                    row,
                    people.get(row.email),
                    school,
                    child,
                    placement_starts,
                    case_holders.get(child.id, []) if child is not None else [],
                )
            )
        progress(len(read))
        # Row by row, each row's problems in the file's column order.
        order = {column: index for index, column in enumerate(COLUMNS)}
        plan.problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", len(order))))
        return plan

    def apply(self, session: Session, actor: Actor, plan: Plan) -> None:
        assert isinstance(plan, StaffPlan)
        emails = {*plan.new_people, *plan.renames, *(grant.email for grant in plan.grants)}
        people = _people(session, emails)
        # Every setting and child the grants name, read once (not a query, and a flush, a row).
        schools = _by_id(session, School, {g.school_id for g in plan.grants if g.school_id})
        children = _by_id(session, Child, {g.child_id for g in plan.grants if g.child_id})
        with session.no_autoflush:
            for email, (row, name) in plan.new_people.items():
                people[email] = staff.create_person(
                    session, actor, email, name, source="staff import", import_row=row
                )
            for email, (row, name) in plan.renames.items():
                staff.rename(
                    session, actor, people[email], name, source="staff import", import_row=row
                )
            for grant in plan.grants:
                if grant.role is Role.SOCIAL_WORKER:
                    # The child's one social worker: replaces the one they had, on their
                    # timeline.
                    staff.make_social_worker(
                        session,
                        actor,
                        people[grant.email],
                        children[grant.child_id],
                        england_today(),
                        source="staff import",
                        import_row=grant.row,
                    )
                    continue
                staff.add_grant(
                    session,
                    actor,
                    people[grant.email],
                    grant.role,
                    school=schools.get(grant.school_id),
                    child=children.get(grant.child_id),
                    starts_on=grant.starts_on,
                    source="staff import",
                    import_row=grant.row,
                )
            for row, grant_id, starts_on in plan.start_changes:
                held = session.get(RoleGrant, grant_id)
                if held is not None:
                    staff.change_grant_start(
                        session, actor, held, starts_on, source="staff import", import_row=row
                    )
        session.flush()


IMPORTER = StaffImporter()


def _read_row(number: int, cells: dict[str, str], problems: list[Problem]) -> StaffRow:
    """One row's cells, and a Problem for each that cannot be used."""
    email = cells.get(EMAIL, "").strip().lower()
    name = staff.tidy_name(cells.get(NAME, ""))
    role_text = cells.get(ROLE, "").strip()
    urn = cells.get(URN, "").strip()
    reference = cells.get(CHILD, "").strip()
    starts_text = cells.get(STARTS_ON, "").strip()

    email_problem = staff.email_problem(email)
    if email_problem:
        problems.append(
            Problem(
                number,
                EMAIL,
                f"'{cells.get(EMAIL, '')}' is not an email address."
                if email
                else "The email address is missing.",
                "Enter the address the person signs in with, like name@example.gov.uk.",
            )
        )
        email = ""
    name_problem = staff.name_problem(name)
    if name_problem:
        problems.append(
            Problem(
                number,
                NAME,
                "The name is missing." if not name.strip() else "The name is too long.",
                f"Enter the person's full name ({staff.MAX_NAME_LENGTH} characters at most).",
            )
        )
    role = staff.parse_role(role_text)
    if role is None:
        problems.append(
            Problem(
                number,
                ROLE,
                f"'{role_text}' is not a role." if role_text else "The role is missing.",
                f"Enter one of: {ROLE_WORDS}.",
            )
        )
    starts_on = None
    if role in SCHOOL_ROLES and not urn:
        problems.append(
            Problem(
                number,
                URN,
                "A designated teacher or lead needs the URN of their school or setting.",
                "Enter the setting's URN, one row for each setting.",
            )
        )
    if role in CASE_ROLES and not reference:
        problems.append(
            Problem(
                number,
                CHILD,
                f"{_a_role(role)} needs the reference of the child they work with.",
                "Enter the child's reference, one row for each child.",
            )
        )
    if role is not None and role not in SCHOOL_ROLES and urn:
        problems.append(
            Problem(
                number,
                URN,
                f"{_a_role(role)} is not given a school or setting.",
                "Leave School URN empty in this row, or change the role.",
            )
        )
    if role is not None and role not in CASE_ROLES and reference:
        problems.append(
            Problem(
                number,
                CHILD,
                f"{_a_role(role)} is not given a child.",
                "Leave Child reference empty in this row, or change the role.",
            )
        )
    if starts_text:
        starts_on = staff.parse_day(starts_text)
        if role is not None and role is not Role.CARER:
            problems.append(
                Problem(
                    number,
                    STARTS_ON,
                    "Only a carer's role has a start date.",
                    "Leave Starts on empty in this row.",
                )
            )
        elif starts_on is None:
            problems.append(
                Problem(
                    number,
                    STARTS_ON,
                    f"'{starts_text}' is not a date.",
                    "Enter the date the placement started as dd/mm/yyyy, like 01/09/2026.",
                )
            )
    return StaffRow(
        row=number,
        email=email,
        name=name,
        role=role,
        urn=urn,
        reference=reference,
        starts_on=starts_on,
        cells=(
            email,
            name,
            role.value if role else role_text,
            urn,
            reference.lower(),
            str(starts_on),
        ),
    )


def _gives_the_case(person: User, role: Role, child: Child, case_holders: list[CaseHolder]) -> bool:
    """Whether a row would give this person the child's case: a row restating a case they
    already hold alone changes nothing (a file imported again), so it is no problem."""
    if staff.existing_grant(person, role, None, child) is None:
        return True
    return role is Role.SOCIAL_WORKER and [h.user_id for h in case_holders] != [person.id]


def _switched_off_problem(row: StaffRow, role: Role, person: User, child: Child) -> Problem:
    """A case held by an account that cannot sign in is a case nobody holds (a social worker
    named here would replace the child's one who can)."""
    words = staff.role_in_a_sentence(role.label)
    return Problem(
        row.row,
        EMAIL,
        f"{person.display_name}'s account ({row.email}) is switched off, so they cannot be the "
        f"{words} of {staff.child_description(child)}.",
        f"Give the email address of the child's {words} now (or delete this row), or switch "
        "the account on from the staff pages if they are back at work, then upload this file "
        "again.",
    )


def _a_role(role: Role) -> str:
    return f"A {staff.role_in_a_sentence(role.label)}"


def _change(
    plan: StaffPlan,
    row: StaffRow,
    user: User | None,
    school: School | None,
    child: Child | None,
    placement_starts: dict[Any, date],
    case_holders: list[CaseHolder],
) -> RowChange:
    """What this row does, and the plan's part of it."""
    assert row.role is not None
    role = row.role
    covers = (
        staff.setting_description(school)
        if school
        else staff.child_description(child)
        if child
        else "the whole authority"
    )
    role_words = f"{staff.role_label(role, school)} for {covers}"
    fields: dict[str, tuple[str | None, str | None]] = {}
    if user is None:
        if row.email not in plan.new_people:
            plan.new_people[row.email] = (row.row, row.name)
            new_person = True
        else:
            new_person = False
        held = None
    else:
        new_person = False
        held = staff.existing_grant(user, role, school, child)
        if role is Role.SOCIAL_WORKER and [h.user_id for h in case_holders] != [user.id]:
            held = None  # the case is held by someone else too: this row makes it theirs alone
        if user.display_name != row.name and row.email not in plan.renames:
            plan.renames[row.email] = (row.row, row.name)
            fields[NAME] = (user.display_name, row.name)

    if held is None and not _planned(plan, row, role, school, child):
        starts_on = None
        if role is Role.CARER and child is not None:
            starts_on = row.starts_on or placement_starts.get(child.id)
        plan.grants.append(
            PlannedGrant(
                row.row,
                row.email,
                role,
                school.id if school else None,
                child.id if child else None,
                starts_on,
            )
        )
        fields[ROLE] = (None, role_words)
        if role is Role.SOCIAL_WORKER and child is not None:
            replaced = [h.name for h in case_holders if user is None or h.user_id != user.id]
            role_words = f"becomes the social worker of {staff.child_description(child)}"
            if replaced:
                role_words += f", replacing {', '.join(replaced)}"
                fields["Social worker"] = (", ".join(replaced), row.name)
        if starts_on is not None:
            fields[STARTS_ON] = (None, starts_on.strftime("%d/%m/%Y"))
    elif (
        held is not None
        and role is Role.CARER
        and row.starts_on is not None
        and held.starts_on != row.starts_on
    ):
        plan.start_changes.append((row.row, held.id, row.starts_on))
        before = held.starts_on.strftime("%d/%m/%Y") if held.starts_on else None
        fields[STARTS_ON] = (before, row.starts_on.strftime("%d/%m/%Y"))

    who = f"{row.name} <{row.email}>"
    if new_person:
        joined = f"who {role_words}" if role_words.startswith("becomes") else role_words
        return RowChange(row.row, row.email, "new", f"New person: {who}, {joined}", fields)
    if not fields:
        return RowChange(row.row, row.email, "unchanged", f"Unchanged: {who}, {role_words}")
    what = []
    if NAME in fields:
        what.append(f"name changed from '{fields[NAME][0]}'")
    if ROLE in fields:
        what.append(role_words if role_words.startswith("becomes") else f"new role: {role_words}")
    elif STARTS_ON in fields:
        what.append(f"placement start changed for {role_words}")
    return RowChange(row.row, row.email, "changed", f"{who}: {'; '.join(what)}", fields)


def _planned(
    plan: StaffPlan, row: StaffRow, role: Role, school: School | None, child: Child | None
) -> bool:
    """Whether an earlier row already plans this grant; notes this one if not."""
    key = (row.email, role, school.id if school else None, child.id if child else None)
    if key in plan.planned:
        return True
    plan.planned.add(key)
    return False


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(values)
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


def _people(session: Session, emails: set[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(emails):
        for user in session.scalars(select(User).where(func.lower(User.email).in_(chunk))):
            found[user.email.lower()] = user
    return found


def _by_key(session: Session, column: Any, keys: set[str]) -> dict[str, School]:
    found: dict[str, School] = {}
    for chunk in _chunks(keys):
        for school in session.scalars(select(School).where(column.in_(chunk))):
            found[str(school.urn)] = school
    return found


def _by_id(session: Session, model: Any, ids: set[Any]) -> dict[Any, Any]:
    found: dict[Any, Any] = {}
    unique = list(ids)
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        found.update(
            (row.id, row) for row in session.scalars(select(model).where(model.id.in_(chunk)))
        )
    return found


def _children(session: Session, references: set[str]) -> dict[str, Child]:
    """Children by reference, whatever its case (keys in lower case)."""
    found: dict[str, Child] = {}
    lowered = {reference.lower() for reference in references}
    for chunk in _chunks(lowered):
        for child in session.scalars(
            select(Child).where(func.lower(Child.authority_reference).in_(chunk))
        ):
            found[child.authority_reference.lower()] = child
    return found


def _case_holders(session: Session, child_ids: list[Any]) -> dict[Any, list[CaseHolder]]:
    """Each child's social workers now."""
    holders: dict[Any, list[CaseHolder]] = {}
    unique = list(dict.fromkeys(child_ids))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        for child_id, user_id, name in session.execute(
            select(RoleGrant.child_id, User.id, User.display_name)
            .join(User, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.SOCIAL_WORKER.value, RoleGrant.child_id.in_(chunk))
            .order_by(User.display_name)
        ):
            holders.setdefault(child_id, []).append(CaseHolder(user_id, name))
    return holders


def _placement_starts(session: Session, child_ids: list[Any]) -> dict[Any, date]:
    """Each child's current placement start: their latest episode of care's."""
    starts: dict[Any, date] = {}
    unique = list(dict.fromkeys(child_ids))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        for child_id, started_on in session.execute(
            select(CareEpisode.child_id, func.max(CareEpisode.started_on))
            .where(CareEpisode.child_id.in_(chunk))
            .group_by(CareEpisode.child_id)
        ):
            starts[child_id] = started_on
    return starts
