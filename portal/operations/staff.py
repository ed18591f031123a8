"""Staff and their roles: add a person, rename them, give and take away roles, switch an
account off and on, unlink its sign-in, and move a social worker's caseload.

Each operation either commits its change with an audit event, or changes nothing and returns
a refusal in plain English (never an exception a person would see). The parts an import needs
(`create_person`, `rename`, `add_grant`) change the session without committing, so an import
commits all its rows at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.academic import england_today
from portal.models import Child, RoleGrant, School, SchoolPhase, SettingSource, User
from portal.operations import audit
from portal.operations.audit import Actor
from portal.operations.invites import Contributor, LinksStopped, stop_links_of_child
from portal.operations.sessions import switch_off_account, switch_on_account
from portal.operations.sign_in import unlink_sign_in
from portal.operations.workflow import lost_race
from portal.text_search import contains_pattern
from workflows.roles import AUTHORITY_ROLES, CASE_ROLES, SCHOOL_ROLES, Role

# Roles an admin gives to staff (a child never has an account role).
GRANTABLE_ROLES: tuple[Role, ...] = (
    Role.DESIGNATED_TEACHER,
    Role.SOCIAL_WORKER,
    Role.SW_TEAM_MANAGER,
    Role.CARER,
    Role.VS_ADVISER,
    Role.REVIEWER,
    Role.VS_HEAD,
    Role.ADMIN,
)
DESIGNATED_LEAD = "Designated lead"
# Early-years and post-16 settings are not schools: their designated person is a lead.
NOT_SCHOOL_PHASES = frozenset({SchoolPhase.EARLY_YEARS.value, SchoolPhase.POST_16.value})
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
# One address, no spaces, a dot in the domain: the provider confirms it at sign-in.
_EMAIL = re.compile(r"[^@\s,;<>()\[\]\"]+@[^@\s,;<>()\[\]\"]+\.[^@\s,;<>()\[\]\".]+")
# How many near matches a lookup names when a setting or child is not found exactly.
MOST_MATCHES_NAMED = 5


@dataclass(frozen=True)
class Outcome:
    """What an operation did, or why it did nothing (`refused`), as a sentence to show."""

    message: str
    refused: bool = False
    # The form field a refusal is about, for the error summary's link.
    field: str | None = None
    user: User | None = None

    @classmethod
    def done(cls, message: str, user: User | None = None) -> Outcome:
        return cls(message, user=user)

    @classmethod
    def refusal(cls, message: str, field: str | None = None) -> Outcome:
        return cls(message, refused=True, field=field)


# ---------------------------------------------------------------------------------------------
# Words: pure helpers the pages, the CLI and the import share.


def is_school(school: School) -> bool:
    """A school has a designated teacher; other settings (early years, post-16, settings added
    by hand) have a designated lead."""
    return school.phase not in NOT_SCHOOL_PHASES and school.source != SettingSource.MANUAL.value


def role_label(role: Role | str, school: School | None = None) -> str:
    """The role in words; for a setting that is not a school, 'Designated lead'."""
    role = Role(role)
    if role is Role.DESIGNATED_TEACHER and school is not None and not is_school(school):
        return DESIGNATED_LEAD
    return role.label


def parse_role(text: str) -> Role | None:
    """A role from its value or its label, in any case ('social_worker', 'Social worker',
    'Designated lead'); None when it names no role an admin can give."""
    words = " ".join(text.replace("_", " ").split()).lower()
    if not words:
        return None
    for role in GRANTABLE_ROLES:
        if words in {role.value.replace("_", " "), role.label.lower()}:
            return role
    return _ROLE_SYNONYMS.get(words)


_ROLE_SYNONYMS: dict[str, Role] = {
    DESIGNATED_LEAD.lower(): Role.DESIGNATED_TEACHER,
    "designated teacher or lead": Role.DESIGNATED_TEACHER,
    "vs adviser": Role.VS_ADVISER,
    "virtual school advisor": Role.VS_ADVISER,
    "reviewer": Role.REVIEWER,
    "team manager": Role.SW_TEAM_MANAGER,
    "social work manager": Role.SW_TEAM_MANAGER,
    "sw team manager": Role.SW_TEAM_MANAGER,
    # Never "head" alone: a school's head teacher is not the Virtual School's.
    "vs head": Role.VS_HEAD,
    "head of the virtual school": Role.VS_HEAD,
    "virtual school headteacher": Role.VS_HEAD,
    "virtual school head teacher": Role.VS_HEAD,
    "admin": Role.ADMIN,
}


def email_problem(address: str) -> str | None:
    """Why an address cannot be used, or None when it can."""
    address = address.strip()
    if not address:
        return "Enter an email address"
    if len(address) > MAX_EMAIL_LENGTH:
        return f"An email address must be {MAX_EMAIL_LENGTH} characters or fewer"
    if not _EMAIL.fullmatch(address):
        return "Enter an email address in the correct format, like name@example.gov.uk"
    return None


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "Enter the person's full name"
    if len(name) > MAX_NAME_LENGTH:
        return f"A name must be {MAX_NAME_LENGTH} characters or fewer"
    return None


def tidy_name(name: str) -> str:
    """Spaces around a name go; anything else stays exactly as typed, a leading '=' or tab
    included (it is text here, and neutralised only in exports)."""
    return name.strip(" ")


def parse_day(text: str) -> date | None:
    """A date written dd/mm/yyyy (as people write it) or yyyy-mm-dd; None when it is not."""
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def setting_description(school: School) -> str:
    return f"{school.name} (URN {school.urn})" if school.urn else school.name


def child_description(child: Child) -> str:
    return f"{child.full_name} ({child.authority_reference})"


def person_named(user: User) -> str:
    """A person as a role change's audit row names them: the row's record is their account, and
    a child's history (which lists the role changes for the child) must say who it was."""
    return f"{user.display_name} <{user.email}>"


def grant_description(grant: RoleGrant) -> str:
    """What a grant covers, in words: a setting, a child, or the whole authority."""
    if grant.school is not None:
        return setting_description(grant.school)
    if grant.child is not None:
        text = child_description(grant.child)
        if grant.starts_on is not None:
            text += f", placement from {grant.starts_on.strftime('%d/%m/%Y')}"
        return text
    return "The whole authority"


# ---------------------------------------------------------------------------------------------
# Finding people, settings and children from what an admin types.


def person_by_email(session: Session, address: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == address.strip().lower()))


@dataclass(frozen=True)
class Lookup:
    """Things found from lines an admin typed, or why a line found none or several."""

    found: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _like(text: str) -> str:
    return contains_pattern(text.lower())


def find_settings(session: Session, lines: Iterable[str]) -> Lookup:
    """Settings by URN (exactly) or by name (a part of it, when only one setting matches)."""
    found: list[School] = []
    problems: list[str] = []
    for line in _lines(lines):
        school = session.scalar(select(School).where(School.urn == line))
        if school is None:
            matches = list(
                session.scalars(
                    select(School)
                    .where(func.lower(School.name).like(_like(line), escape="\\"))
                    .order_by(School.name)
                    .limit(MOST_MATCHES_NAMED + 1)
                )
            )
            exact = [match for match in matches if match.name.lower() == line.lower()]
            if len(exact) == 1:
                matches = exact
            if not matches:
                problems.append(
                    f"No setting has the URN or name '{line}'. Check the URN in Get "
                    "Information About Schools, or add the setting first."
                )
                continue
            if len(matches) > 1:
                named = "; ".join(setting_description(m) for m in matches[:MOST_MATCHES_NAMED])
                more = " and more" if len(matches) > MOST_MATCHES_NAMED else ""
                problems.append(
                    f"More than one setting matches '{line}': {named}{more}. Enter the URN."
                )
                continue
            school = matches[0]
        if school not in found:
            found.append(school)
    return Lookup(found, problems)


def find_children(session: Session, lines: Iterable[str]) -> Lookup:
    """Children by reference (any case) or by name (a part of it, when only one matches)."""
    found: list[Child] = []
    problems: list[str] = []
    full_name = func.lower(Child.first_name + " " + Child.last_name)
    for line in _lines(lines):
        child = session.scalar(
            select(Child).where(func.lower(Child.authority_reference) == line.lower())
        )
        if child is None:
            matches = list(
                session.scalars(
                    select(Child)
                    .where(full_name.like(_like(line), escape="\\"))
                    .order_by(Child.last_name, Child.first_name)
                    .limit(MOST_MATCHES_NAMED + 1)
                )
            )
            if not matches:
                problems.append(
                    f"No child has the reference or name '{line}'. Check the child's "
                    "reference in the social-care system."
                )
                continue
            if len(matches) > 1:
                named = "; ".join(child_description(m) for m in matches[:MOST_MATCHES_NAMED])
                more = " and more" if len(matches) > MOST_MATCHES_NAMED else ""
                problems.append(
                    f"More than one child matches '{line}': {named}{more}. Enter the "
                    "child's reference."
                )
                continue
            child = matches[0]
        if child not in found:
            found.append(child)
    return Lookup(found, problems)


def find_person(session: Session, text: str) -> Lookup:
    """One person by email address, or by a part of their name when only one matches."""
    text = text.strip()
    if not text:
        return Lookup([], ["Enter the email address or name of the person"])
    user = person_by_email(session, text)
    if user is not None:
        return Lookup([user])
    matches = list(
        session.scalars(
            select(User)
            .where(func.lower(User.display_name).like(_like(text), escape="\\"))
            .order_by(User.display_name)
            .limit(MOST_MATCHES_NAMED + 1)
        )
    )
    if not matches:
        return Lookup([], [f"No one has the email address or name '{text}'"])
    if len(matches) > 1:
        named = "; ".join(f"{m.display_name} <{m.email}>" for m in matches[:MOST_MATCHES_NAMED])
        return Lookup(
            [], [f"More than one person matches '{text}': {named}. Enter their email address"]
        )
    return Lookup(matches)


def _lines(lines: Iterable[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip()]


def placement_start(session: Session, child: Child) -> date | None:
    """The day the child's current placement began: their latest episode of care's start."""
    from portal.operations.child_events import current_care_episode

    episode = current_care_episode(session, child)
    return episode.started_on if episode is not None else None


def caseload_of(session: Session, worker: User) -> list[Child]:
    """The children a social worker holds, by reference."""
    return list(
        session.scalars(
            select(Child)
            .join(RoleGrant, RoleGrant.child_id == Child.id)
            .where(RoleGrant.user_id == worker.id, RoleGrant.role == Role.SOCIAL_WORKER.value)
            .order_by(Child.authority_reference)
        )
    )


# ---------------------------------------------------------------------------------------------
# Changes without a commit, shared with the staff import.


def create_person(session: Session, actor: Actor, email: str, name: str, **details: object) -> User:
    """A new account (not yet signed in), in the caller's transaction."""
    user = User(id=uuid.uuid4(), email=email, display_name=tidy_name(name), active=True)
    session.add(user)
    audit.record(
        session,
        actor,
        "user.added",
        "user",
        user.id,
        email=user.email,
        name=user.display_name,
        **details,
    )
    return user


def rename(session: Session, actor: Actor, user: User, name: str, **details: object) -> bool:
    name = tidy_name(name)
    if user.display_name == name:
        return False
    audit.record(
        session,
        actor,
        "user.renamed",
        "user",
        user.id,
        before=user.display_name,
        after=name,
        **details,
    )
    user.display_name = name
    return True


def add_grant(
    session: Session,
    actor: Actor,
    user: User,
    role: Role,
    *,
    school: School | None = None,
    child: Child | None = None,
    starts_on: date | None = None,
    **details: object,
) -> RoleGrant:
    """One new grant, in the caller's transaction."""
    grant = RoleGrant(
        id=uuid.uuid4(),
        role=role.value,
        school_id=school.id if school else None,
        child_id=child.id if child else None,
        starts_on=starts_on if role is Role.CARER else None,
    )
    grant.school, grant.child = school, child
    user.grants.append(grant)
    session.add(grant)
    audit.record(
        session,
        actor,
        "role.granted",
        "user",
        user.id,
        person=person_named(user),
        role=role.value,
        role_label=role_label(role, school),
        grant_id=str(grant.id),
        school_id=str(school.id) if school else None,
        urn=school.urn if school else None,
        child_id=str(child.id) if child else None,
        child_reference=child.authority_reference if child else None,
        starts_on=grant.starts_on.isoformat() if grant.starts_on else None,
        **details,
    )
    return grant


def change_grant_start(
    session: Session, actor: Actor, grant: RoleGrant, starts_on: date, **details: object
) -> bool:
    """A carer's placement start, corrected."""
    if grant.starts_on == starts_on:
        return False
    audit.record(
        session,
        actor,
        "role.start_changed",
        "user",
        grant.user_id,
        person=person_named(grant.user) if grant.user is not None else None,
        grant_id=str(grant.id),
        role=grant.role,
        child_id=str(grant.child_id),
        before=grant.starts_on.isoformat() if grant.starts_on else None,
        after=starts_on.isoformat(),
        **details,
    )
    grant.starts_on = starts_on
    return True


def existing_grant(
    user: User, role: Role, school: School | None = None, child: Child | None = None
) -> RoleGrant | None:
    for grant in user.grants:
        if (
            grant.role == role.value
            and grant.school_id == (school.id if school else None)
            and grant.child_id == (child.id if child else None)
        ):
            return grant
    return None


def social_workers_of(session: Session, child: Child) -> list[User]:
    """Who holds the child's case now (one person, unless old data gave it to more)."""
    return list(
        session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.child_id == child.id, RoleGrant.role == Role.SOCIAL_WORKER.value)
            .order_by(User.display_name)
        )
    )


def make_social_worker(
    session: Session, actor: Actor, user: User, child: Child, on: date, **details: object
) -> list[User] | None:
    """``user`` becomes the child's social worker, in the caller's transaction: a child has
    one, so whoever held the case loses it, and the child's timeline shows the change (as when
    a caseload moves, or an admin changes it on the child's page). Returns the people it
    replaced, or None when ``user`` already held the case alone (nothing changes)."""
    from portal.operations.child_events import change_social_worker

    previous = social_workers_of(session, child)
    if change_social_worker(session, actor, child, user, on) is None:
        return None
    replaced = [holder for holder in previous if holder.id != user.id]
    audit.record(
        session,
        actor,
        "role.granted",
        "user",
        user.id,
        person=person_named(user),
        role=Role.SOCIAL_WORKER.value,
        role_label=Role.SOCIAL_WORKER.label,
        child_id=str(child.id),
        child_reference=child.authority_reference,
        replacing=[holder.email for holder in replaced],
        **details,
    )
    return replaced


def replacing_words(replaced: Sequence[User]) -> str:
    return f", replacing {_listed([p.display_name for p in replaced])}" if replaced else ""


# ---------------------------------------------------------------------------------------------
# Operations: each commits, or changes nothing and says why.


def add_person(session: Session, actor: Actor, email: str, name: str) -> Outcome:
    """A new person, with no role yet; an address already in use (any case) is refused."""
    address = email.strip().lower()
    problem = email_problem(address)
    if problem:
        return Outcome.refusal(problem, "email")
    problem = name_problem(name)
    if problem:
        return Outcome.refusal(problem, "name")
    holder = person_by_email(session, address)
    if holder is not None:
        return Outcome.refusal(_address_in_use(address, holder), "email")
    user = create_person(session, actor, address, name)
    try:
        session.commit()
    except IntegrityError:  # added by someone else at this moment
        session.rollback()
        holder = person_by_email(session, address)
        return Outcome.refusal(_address_in_use(address, holder), "email")
    return Outcome.done(f"{user.display_name} ({user.email}) has been added.", user)


def _address_in_use(address: str, holder: User | None) -> str:
    who = f" by {holder.display_name}" if holder is not None else ""
    return f"The email address {address} is already used{who}. Find them in the staff list."


def change_name(session: Session, actor: Actor, user: User, name: str) -> Outcome:
    problem = name_problem(name)
    if problem:
        return Outcome.refusal(problem, "name")
    before = user.display_name
    if not rename(session, actor, user, name):
        return Outcome.done(f"The name is already {before}: nothing changed.", user)
    session.commit()
    return Outcome.done(f"{before} is now called {user.display_name}.", user)


def grant_role(
    session: Session,
    actor: Actor,
    user: User,
    role: Role,
    *,
    schools: Sequence[School] = (),
    children: Sequence[Child] = (),
    starts_on: date | None = None,
) -> Outcome:
    """Give a role: for settings (designated teacher or lead), for children (social worker,
    social work team manager, carer, Virtual School adviser), or across the authority
    (reviewer, Virtual School head, admin). A carer's grant
    starts on the day given, or else on the day the child's current placement began. A child
    has one social worker, so giving that role replaces the one they had (see
    `make_social_worker`); carers add up (a foster couple are two carers)."""
    if role not in GRANTABLE_ROLES:
        return Outcome.refusal("Choose a role", "role")
    if role in SCHOOL_ROLES and not schools:
        return Outcome.refusal(
            "Enter at least one setting, by URN or name, this person is the designated "
            "teacher or lead for",
            "schools",
        )
    if role in CASE_ROLES and not children:
        return Outcome.refusal(
            f"Enter at least one child, by reference or name, this person is the "
            f"{role_in_a_sentence(role.label)} for",
            "children",
        )
    if role is Role.SOCIAL_WORKER:
        return _give_cases(session, actor, user, children)
    scopes: list[tuple[School | None, Child | None]]
    if role in SCHOOL_ROLES:
        scopes = [(school, None) for school in schools]
    elif role in CASE_ROLES:
        scopes = [(None, child) for child in children]
    else:
        scopes = [(None, None)]

    added: list[str] = []
    corrected: list[str] = []
    for school, child in scopes:
        held = existing_grant(user, role, school, child)
        carer_start = None
        if role is Role.CARER and child is not None:
            carer_start = starts_on or placement_start(session, child)
        if held is not None:
            if (
                role is Role.CARER
                and starts_on is not None
                and change_grant_start(session, actor, held, starts_on)
            ):
                corrected.append(grant_description(held))
            continue
        grant = add_grant(
            session, actor, user, role, school=school, child=child, starts_on=carer_start
        )
        added.append(grant_description(grant) if (school or child) else "")
    if not added and not corrected:
        return Outcome.done(f"{user.display_name} already holds that role: nothing changed.", user)
    try:
        session.commit()
    except (IntegrityError, StaleDataError):
        session.rollback()
        return Outcome.refusal(
            "Someone changed this person's roles at the same moment. Check their roles, "
            "and try again.",
            "role",
        )
    label = role_label(role, schools[0] if len(schools) == 1 else None)
    if role in SCHOOL_ROLES and len(schools) > 1:
        label = "Designated teacher or lead"
    parts = []
    if added:
        covered = f" for {_listed(added)}" if any(added) else ""
        words = role_in_a_sentence(label)
        parts.append(f"{user.display_name} is now {_article(words)} {words}{covered}.")
    if corrected:
        parts.append(f"The placement start was changed for {_listed(corrected)}.")
    return Outcome.done(" ".join(parts), user)


def _give_cases(session: Session, actor: Actor, user: User, children: Sequence[Child]) -> Outcome:
    """``user`` becomes the social worker of each child, replacing whoever held the case."""
    if not user.active:
        return _switched_off_worker_refusal(user, "role")
    given: list[str] = []
    for child in children:
        replaced = make_social_worker(session, actor, user, child, england_today())
        if replaced is not None:
            given.append(child_description(child) + replacing_words(replaced))
    if not given:
        return Outcome.done(
            f"{user.display_name} is already the social worker for "
            f"{_listed([child_description(child) for child in children])}: nothing changed.",
            user,
        )
    try:
        session.commit()
    except (IntegrityError, StaleDataError):
        session.rollback()
        return Outcome.refusal(
            "Someone changed these children's social workers at the same moment. Check their "
            "roles, and try again.",
            "role",
        )
    return Outcome.done(
        f"{user.display_name} is now the social worker for {'; '.join(given)}. Each child's "
        "timeline shows the change.",
        user,
    )


def role_in_a_sentence(label: str) -> str:
    """'social worker', but 'Virtual School adviser': the team's name keeps its capitals."""
    return label if label.startswith("Virtual School") else label.lower()


def _article(label: str) -> str:
    return "an" if label[0].lower() in "aeiou" else "a"


def _listed(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def revoke_grant(session: Session, actor: Actor, user: User, grant_id: uuid.UUID) -> Outcome:
    """Take away one of a person's grants (the person page's button)."""
    grant = next((grant for grant in user.grants if grant.id == grant_id), None)
    if grant is None:
        return Outcome.done("That role had already been taken away: nothing changed.", user)
    return revoke_grants(session, actor, user, [grant])


def grants_matching(
    user: User,
    role: Role,
    *,
    schools: Sequence[School] = (),
    children: Sequence[Child] = (),
) -> list[RoleGrant]:
    """A person's grants of a role, for the settings or children named (all, when none are)."""
    school_ids = {school.id for school in schools}
    child_ids = {child.id for child in children}
    return [
        grant
        for grant in user.grants
        if grant.role == role.value
        and (not school_ids or grant.school_id in school_ids)
        and (not child_ids or grant.child_id in child_ids)
    ]


def revoke_grants(
    session: Session, actor: Actor, user: User, grants: Sequence[RoleGrant]
) -> Outcome:
    """Take grants away; never the admin role from the last active admin."""
    if not grants:
        return Outcome.done(f"{user.display_name} did not hold that role: nothing changed.", user)
    if any(grant.role == Role.ADMIN.value for grant in grants):
        refusal = _refuse_losing_last_admin(session, actor, user, taking_role=True)
        if refusal is not None:
            return refusal
    described = []
    for grant in grants:
        label = role_label(grant.role, grant.school)
        described.append(
            label if grant.role in AUTHORITY_ROLES else f"{label} for {grant_description(grant)}"
        )
        audit.record(
            session,
            actor,
            "role.revoked",
            "user",
            user.id,
            person=person_named(user),
            role=grant.role,
            role_label=label,
            grant_id=str(grant.id),
            school_id=str(grant.school_id) if grant.school_id else None,
            urn=grant.school.urn if grant.school else None,
            child_id=str(grant.child_id) if grant.child_id else None,
            child_reference=grant.child.authority_reference if grant.child else None,
        )
        user.grants.remove(grant)
        session.delete(grant)
    stopped = []
    removed = {grant.id for grant in grants}
    for child in {grant.child for grant in grants if grant.role == Role.CARER.value}:
        if child is None:
            continue
        # As when the child's page changes the carer: a link to the carer's views is not tied
        # to one account, and one held by someone no longer the carer must not work. Where
        # another carer goes on (a foster couple, a new carer given the role before the old
        # one's was taken away), the links made for them, from their placement on, go on.
        remaining = session.scalars(
            select(RoleGrant).where(
                RoleGrant.child_id == child.id,
                RoleGrant.role == Role.CARER.value,
                RoleGrant.id.not_in(removed),
            )
        ).all()
        stopped += stop_links_of_child(
            session,
            actor,
            child,
            LinksStopped.CARER_CHANGED,
            contributor=Contributor.CARER,
            made_before=min((grant.placement_start for grant in remaining), default=None),
        )
    try:
        session.commit()
    except (IntegrityError, StaleDataError, OperationalError) as error:
        session.rollback()
        if not lost_race(error):
            raise
        return Outcome.refusal(
            "Someone changed this person's roles at the same moment. Check their roles, "
            "and try again."
        )
    message = f"{user.display_name} no longer holds: {'; '.join(described)}."
    if stopped:
        links = "link" if len(stopped) == 1 else "links"
        message += (
            f" The {links} to the carer's views on the child's open PEP stopped working: make"
            " a new one for whoever looks after the child now."
        )
    return Outcome.done(message, user)


def switch_off(session: Session, actor: Actor, user: User) -> Outcome:
    """Switch an account off (it cannot sign in; its sessions end at once), unless it is the
    last active admin."""
    if not user.active:
        return Outcome.done(f"{user.display_name}'s account was already switched off.", user)
    refusal = _refuse_losing_last_admin(session, actor, user, taking_role=False)
    if refusal is not None:
        return refusal
    try:
        ended = switch_off_account(session, actor, user)
    except OperationalError as error:
        session.rollback()
        if not lost_race(error):
            raise
        return Outcome.refusal(_ADMINS_CHANGED)
    sessions = f"{ended} open session{'' if ended == 1 else 's'} ended"
    return Outcome.done(
        f"{user.display_name}'s account is switched off: they cannot sign in, and {sessions}.",
        user,
    )


def switch_on(session: Session, actor: Actor, user: User) -> Outcome:
    if switch_on_account(session, actor, user):
        return Outcome.done(
            f"{user.display_name}'s account is switched on: they can sign in again.", user
        )
    return Outcome.done(f"{user.display_name}'s account was not switched off.", user)


def unlink(session: Session, actor: Actor, user: User) -> Outcome:
    """Forget the person's sign-in, so they can sign in with another provider."""
    if unlink_sign_in(session, actor, user):
        return Outcome.done(
            f"{user.display_name}'s sign-in is unlinked: their next sign-in, with any provider "
            "that confirms their address, links it again.",
            user,
        )
    return Outcome.done(f"{user.display_name} was not linked to a sign-in: nothing changed.", user)


def _refuse_losing_last_admin(
    session: Session, actor: Actor, user: User, *, taking_role: bool
) -> Outcome | None:
    """Someone must always be able to look after staff: the last active admin stays one.

    Every active admin's rows, this person's included, are read locked in id order
    (PostgreSQL), so two admins removing each other at the same moment queue on the same first
    row rather than each locking the other (a deadlock): the second reads what the first did
    and is refused. A deadlock the database still chooses to break is refused the same way."""
    if not user.active or not user.has_authority_role(Role.ADMIN):
        return None
    try:
        admins = session.scalars(
            select(User.id)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.ADMIN.value, User.active.is_(True))
            .order_by(User.id)
            .with_for_update()
        ).all()
    except OperationalError as error:
        session.rollback()
        if not lost_race(error):
            raise
        return Outcome.refusal(_ADMINS_CHANGED, "role" if taking_role else None)
    if any(admin_id != user.id for admin_id in admins):
        return None
    themselves = actor.user is not None and actor.user.id == user.id
    if taking_role:
        what = (
            "give up the admin role"
            if themselves
            else f"take the admin role from {user.display_name}"
        )
    else:
        what = "switch off your own account" if themselves else f"switch off {user.display_name}"
    who = "you are" if themselves else "they are"
    return Outcome.refusal(
        f"You cannot {what}: {who} the only active admin. Give another person the admin role first",
        "role" if taking_role else None,
    )


_ADMINS_CHANGED = (
    "Someone changed who the admins are at the same moment, so nothing changed. Check the "
    "staff list, and try again"
)


def caseload_receiver_refusal(from_worker: User, to_worker: User) -> Outcome | None:
    """Why `to_worker` cannot take `from_worker`'s children, if they cannot."""
    if to_worker.id == from_worker.id:
        return Outcome.refusal(
            "Choose a different social worker to move the children to", "to_worker"
        )
    if not to_worker.active:
        return _switched_off_worker_refusal(to_worker, "to_worker")
    return None


def _switched_off_worker_refusal(worker: User, field: str) -> Outcome:
    """A child's case goes only to someone who can sign in: the child would otherwise be left
    with a social worker nobody can reach the PEP through."""
    return Outcome.refusal(
        f"{worker.display_name}'s account is switched off. Switch it on first, or "
        "choose another social worker",
        field,
    )


def move_caseload(
    session: Session,
    actor: Actor,
    from_worker: User,
    to_worker: User,
    *,
    children: Sequence[Child] | None = None,
    on: date | None = None,
) -> Outcome:
    """Move a social worker's children (all, or the ones chosen) to another worker in one
    transaction; each child's timeline shows the change of social worker."""
    from portal.operations.child_events import change_social_worker

    on = on or england_today()
    refusal = caseload_receiver_refusal(from_worker, to_worker)
    if refusal is not None:
        return refusal
    caseload = caseload_of(session, from_worker)
    if not caseload:
        return Outcome.refusal(f"{from_worker.display_name} has no children to move.", "children")
    if children:
        held = {child.id for child in caseload}
        outside = [child for child in children if child.id not in held]
        if outside:
            return Outcome.refusal(
                f"{_listed([child_description(c) for c in outside])} "
                f"{'is' if len(outside) == 1 else 'are'} not in {from_worker.display_name}'s "
                "caseload. Choose only children they are the social worker for",
                "children",
            )
        moving = [child for child in caseload if child.id in {c.id for c in children}]
    else:
        moving = caseload
    try:
        for child in moving:
            change_social_worker(session, actor, child, to_worker, on)
        audit.record(
            session,
            actor,
            "caseload.moved",
            "user",
            from_worker.id,
            to_user_id=str(to_worker.id),
            to_email=to_worker.email,
            on=on.isoformat(),
            children=[child.authority_reference for child in moving],
        )
        session.commit()
    except (IntegrityError, StaleDataError):
        session.rollback()
        return Outcome.refusal(
            "Someone changed these children's social workers at the same moment. Nothing was "
            "moved: check the caseload, and try again."
        )
    count = len(moving)
    return Outcome.done(
        f"{count} {'child' if count == 1 else 'children'} moved from "
        f"{from_worker.display_name} to {to_worker.display_name} from "
        f"{on.strftime('%d/%m/%Y')}.",
        from_worker,
    )


def record_staff_list_exported(session: Session, actor: Actor, rows: int, filters: dict) -> None:
    """Downloading the staff list is recorded, like every export."""
    audit.record_at_once(session, actor, "staff.exported", "user", None, rows=rows, **filters)
    session.commit()
