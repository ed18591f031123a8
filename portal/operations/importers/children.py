"""The children import: the SSDA903 return's own columns, one row per episode of care, plus
the columns a PEP needs that the return does not carry.

The return's columns: CHILD, SEX (1/2), DOB, ETHNIC, UPN, and for each episode DECOM, RNE, LS,
CIN, PLACE, PLACE_PROVIDER, DEC, REC, HOME_POST, PL_POST and URN (the placement provider's
Ofsted URN, not a school's). Added in the same style: FORENAME, SURNAME, SCHOOL_URN (the
school's DfE URN, already in the schools list), SW_EMAIL (a person with an account; blank leaves
the social worker as they are), and optionally UASC (Y/N, blank N), PLACED_LA (the authority the
child lives in when placed out of area, on each episode's row) and NO_SCHOOL_PLACE (why a child
with no SCHOOL_URN has no place). A file without the UASC or PLACED_LA column leaves what is
held for it as it is. Dates are dd/mm/yyyy, as the return writes them, or yyyy-mm-dd.

A child's legal status is their latest episode's LS; their date of entering care is the start of
the current period of care; a latest episode that ended for a reason that leaves care means they
left care. Re-importing changes only what changed, each change through the same life events an
admin's change makes (school, social worker, placement, leaving care, legal status), so the
child's timeline shows it; children not in the file are left alone.

The social-care system's episodes are the record: an episode held that the file no longer has
is removed when the file's episodes take its place (its start corrected there, or the episode
taken out of the run of episodes the file lists), and is a problem when it would overlap the
file's (an out-of-date file). A child's reference is matched whatever its case (c001 is C001, as
in the staff import), and the spelling held is kept.

It is fast because it reads everything it needs in a handful of queries before it looks at a
row, and inserts new children and their episodes, grants and events in bulk.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any, TypeVar

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, lazyload

from portal.academic import england_today
from portal.codes import Ssda903Codes, ssda903
from portal.imports import Plan, Problem, Progress, RowChange, Rows
from portal.imports.ssda903_rows import (
    CareSummary,
    ChildFacts,
    EpisodeFacts,
    ParsedRow,
    disagreements,
    episode_problems,
    parse_row,
    show_date,
    summarise_care,
)
from portal.models import (
    AuditEvent,
    CareEpisode,
    Child,
    ChildEvent,
    ChildEventKind,
    ImportKind,
    NoSchoolPlace,
    RoleGrant,
    School,
    User,
)
from portal.operations import audit
from portal.operations.audit import Actor
from portal.operations.child_events import (
    change_placement,
    change_social_worker,
    move_school,
    placement_description,
    record_child_event,
    record_leaving_care,
)
from portal.operations.timeliness import stage_timeliness_of_references
from workflows.roles import Role

# Rows between progress reports, and references or ids in one IN (...) list.
PROGRESS_EVERY = 250
CHUNK = 500

# An episode's columns and the CareEpisode attribute each is kept in.
EPISODE_ATTRIBUTES = {
    "RNE": "reason_new_episode",
    "LS": "legal_status",
    "CIN": "category_of_need",
    "PLACE": "placement_type",
    "PLACE_PROVIDER": "placement_provider",
    "DEC": "ended_on",
    "REC": "reason_ended",
    "HOME_POST": "home_postcode",
    "PL_POST": "placement_postcode",
    "URN": "provider_ofsted_urn",
}
# The child's columns and the Child attribute each is kept in (ChildFacts names them the same;
# the school, the social worker and what the episodes say are compared on their own).
CHILD_ATTRIBUTES = {
    "FORENAME": "first_name",
    "SURNAME": "last_name",
    "SEX": "sex",
    "DOB": "date_of_birth",
    "ETHNIC": "ethnicity",
    "UPN": "upn",
    "UASC": "uasc",
}


@dataclass
class ChildChange:
    """What one child in the file becomes, and what that changes."""

    reference: str
    first_row: int
    facts: ChildFacts
    episodes: list[EpisodeFacts]  # the file's, in date order
    care: CareSummary
    placed_in_authority: str | None
    school: School | None
    worker: User | None  # None: SW_EMAIL blank, the social worker is left as they are
    existing: Child | None
    new_episodes: list[EpisodeFacts] = field(default_factory=list)
    # (the child's episode, {column: (before, after)}) for the file's changes to an episode
    changed_episodes: list[tuple[CareEpisode, dict[str, tuple[Any, Any]]]] = field(
        default_factory=list
    )
    # The child's episodes held that the file no longer has and whose place it takes.
    replaced_episodes: list[CareEpisode] = field(default_factory=list)
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    school_changes: bool = False
    worker_changes: bool = False


@dataclass
class ChildrenPlan(Plan):
    children: list[ChildChange] = field(default_factory=list)
    today: date = field(default_factory=england_today)
    # Each existing child's episodes, latest last (read once, in check).
    episodes_of: dict[uuid.UUID, list[CareEpisode]] = field(default_factory=dict)


class ChildrenImporter:
    kind = ImportKind.CHILDREN
    # Names with accents must arrive intact: the social-care export is saved as UTF-8.
    encodings: tuple[str, ...] = ("utf-8-sig",)
    required_columns: tuple[str, ...] = (
        "CHILD",
        "FORENAME",
        "SURNAME",
        "SEX",
        "DOB",
        "ETHNIC",
        "UPN",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "HOME_POST",
        "PL_POST",
        "URN",
        "SCHOOL_URN",
        "SW_EMAIL",
    )
    optional_columns: tuple[str, ...] = ("UASC", "PLACED_LA", "NO_SCHOOL_PLACE")

    def check(self, session: Session, rows: Rows, progress: Progress) -> ChildrenPlan:
        codes = ssda903()
        plan = ChildrenPlan()
        # Each child's rows, by their reference in lower case: C001 and c001 are one child.
        rows_of: dict[str, list[ParsedRow]] = {}
        done = 0
        for number, cells in rows:
            parsed = parse_row(number, cells, codes, plan.today)
            plan.problems.extend(parsed.problems)
            if parsed.reference:
                rows_of.setdefault(parsed.reference.lower(), []).append(parsed)
            done += 1
            if done % PROGRESS_EVERY == 0:
                progress(done)
        progress(done)

        held_children = _children_by_reference(
            session, sorted({row.reference for rows in rows_of.values() for row in rows})
        )
        known = [c.id for children in held_children.values() for c in children]
        plan.episodes_of = _episodes_by_child(session, known)
        workers_of = _social_workers_by_child(session, known)
        facts_given = [rows[0].child for rows in rows_of.values() if rows[0].child]
        schools = _schools_by_urn(session, {f.school_urn for f in facts_given if f.school_urn})
        people = _people_by_email(
            session, {f.social_worker_email for f in facts_given if f.social_worker_email}
        )

        for key, child_rows in rows_of.items():
            child, problems = _held_child(held_children.get(key, []), child_rows)
            # The spelling held is kept; a new child's is their first row's.
            reference = child.authority_reference if child else child_rows[0].reference
            problems.extend(_child_problems(reference, child_rows, schools, people))
            plan.problems.extend(problems)
            facts = child_rows[0].child
            if problems or facts is None or any(row.problems for row in child_rows):
                continue
            episodes = sorted(
                (row.episode for row in child_rows if row.episode), key=lambda e: e.started_on
            )
            if child is not None:
                held_problems = _leaving_care_problems(reference, child, episodes)
                if not held_problems:
                    held_problems = _held_episode_problems(
                        reference, episodes, plan.episodes_of.get(child.id, [])
                    )
                if held_problems:
                    plan.problems.extend(held_problems)
                    continue
            change = _work_out(
                reference,
                child_rows[0].row,
                facts,
                episodes,
                child,
                plan.episodes_of.get(child.id, []) if child else [],
                workers_of.get(child.id, []) if child else [],
                schools,
                people,
                codes,
            )
            plan.children.append(change)
            plan.changes.append(_row_change(change, codes))
        plan.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        plan.changes.sort(key=lambda c: c.row)
        return plan

    def apply(self, session: Session, actor: Actor, plan: Plan) -> None:
        assert isinstance(plan, ChildrenPlan)
        _insert_new_children(
            session, actor, [c for c in plan.children if c.existing is None], ssda903()
        )
        for change in plan.children:
            if change.existing is not None and _has_changes(change):
                _update_child(session, actor, change, plan, ssda903())
        stage_timeliness_of_references(session, [c.reference for c in plan.children], plan.today)


IMPORTER = ChildrenImporter()


# ---------------------------------------------------------------------------------- reading

T = TypeVar("T")


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _children_by_reference(session: Session, references: list[str]) -> dict[str, list[Child]]:
    """The children held with these references, by reference in lower case: as the file
    spells them, else whatever the case they are held in (more than one only where children
    were added in two spellings)."""
    found: dict[str, list[Child]] = {}
    # As spelled first, which the unique index finds; only the rest are looked for by lower().
    for chunk in _chunks(references):
        for child in session.scalars(select(Child).where(Child.authority_reference.in_(chunk))):
            found.setdefault(child.authority_reference.lower(), []).append(child)
    rest = sorted({reference.lower() for reference in references} - found.keys())
    for chunk in _chunks(rest):
        for child in session.scalars(
            select(Child).where(func.lower(Child.authority_reference).in_(chunk))
        ):
            found.setdefault(child.authority_reference.lower(), []).append(child)
    return found


def _episodes_by_child(
    session: Session, child_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[CareEpisode]]:
    found: dict[uuid.UUID, list[CareEpisode]] = {}
    for chunk in _chunks(child_ids):
        for episode in session.scalars(
            select(CareEpisode)
            .where(CareEpisode.child_id.in_(chunk))
            .order_by(CareEpisode.child_id, CareEpisode.started_on)
        ):
            found.setdefault(episode.child_id, []).append(episode)
    return found


@dataclass(frozen=True)
class CaseHolder:
    """A child's social worker as the check compares them (not the whole account)."""

    user_id: uuid.UUID
    email: str


def _social_workers_by_child(
    session: Session, child_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[CaseHolder]]:
    found: dict[uuid.UUID, list[CaseHolder]] = {}
    for chunk in _chunks(child_ids):
        for child_id, user_id, email in session.execute(
            select(RoleGrant.child_id, User.id, User.email)
            .join(User, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.SOCIAL_WORKER.value, RoleGrant.child_id.in_(chunk))
        ):
            found.setdefault(child_id, []).append(CaseHolder(user_id, email))
    return found


def _schools_by_urn(session: Session, urns: set[str]) -> dict[str, School]:
    found: dict[str, School] = {}
    for chunk in _chunks(sorted(urns)):
        for school in session.scalars(select(School).where(School.urn.in_(chunk))):
            assert school.urn is not None
            found[school.urn] = school
    return found


def _people_by_email(session: Session, emails: set[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(sorted(emails)):
        # Addresses are kept in lower case (User validates them), as the file's are read.
        # A social worker's grants (one per child on their caseload) load only if a change
        # to this child's social worker needs them.
        for user in session.scalars(
            select(User).where(User.email.in_(chunk)).options(lazyload(User.grants))
        ):
            found[user.email] = user
    return found


# --------------------------------------------------------------------------------- checking


def _held_child(held: list[Child], rows: list[ParsedRow]) -> tuple[Child | None, list[Problem]]:
    """The child these rows are, if one is held: the one held in the file's spelling when
    two are held in different spellings (children added before the reference was matched
    whatever its case); none is chosen when the file spells it both ways."""
    if len(held) <= 1:
        return (held[0] if held else None), []
    spellings = {row.reference for row in rows}
    exact = [child for child in held if child.authority_reference in spellings]
    if len(exact) == 1:
        return exact[0], []
    listed = " and ".join(sorted(child.authority_reference for child in held))
    return None, [
        Problem(
            rows[0].row,
            "CHILD",
            f"OpenPEP holds two children whose references differ only in capital letters "
            f"({listed}), so it cannot tell which one these rows are.",
            "Write the reference exactly as OpenPEP holds the child's, on each of their rows, "
            "and ask the Virtual School's administrator to look at the other child's record; "
            "then upload this file again.",
        )
    ]


def _child_problems(
    reference: str,
    rows: list[ParsedRow],
    schools: dict[str, School],
    people: dict[str, User],
) -> list[Problem]:
    problems = disagreements(rows)
    episodes = [row.episode for row in rows if row.episode]
    if len(episodes) == len(rows):
        problems.extend(episode_problems(episodes, reference))
    facts, first_row = rows[0].child, rows[0].row
    if facts is not None and facts.school_urn and facts.school_urn not in schools:
        problems.append(
            Problem(
                first_row,
                "SCHOOL_URN",
                f"There is no school with the URN {facts.school_urn} in the schools list.",
                "Check the URN in Get Information About Schools. If it is right, import the "
                "schools file (or add the setting by hand) first, then upload this file again.",
            )
        )
    email = facts.social_worker_email if facts is not None else None
    if email and email not in people:
        problems.append(
            Problem(
                first_row,
                "SW_EMAIL",
                f"No one with the email address {email} has an account.",
                "Add the social worker as a member of staff first (or correct the address), "
                "then upload this file again.",
            )
        )
    elif email and not people[email].active:
        # As on the admin pages: a switched-off account cannot sign in, so it cannot hold a
        # child's case.
        worker = people[email]
        problems.append(
            Problem(
                first_row,
                "SW_EMAIL",
                f"{worker.display_name}'s account ({email}) is switched off, so they cannot "
                "be this child's social worker.",
                "Give the email address of the child's social worker now, or switch the "
                "account on from the staff pages if they are back at work, then upload this "
                "file again.",
            )
        )
    return problems


def long_date(day: date) -> str:
    """3 October 2026."""
    return f"{day.day} {day:%B %Y}"


def _leaving_care_problems(
    reference: str, child: Child, episodes: list[EpisodeFacts]
) -> list[Problem]:
    """A file out of date with a child's leaving care (recorded by hand, or by an earlier
    file) must not put them back in care, which would give their old school and social
    worker access again. Only an episode that starts on or after the day they left brings
    them back; an episode from before it that the file shows still open (a newer DEC and REC
    missing) is a problem of its row."""
    left = child.date_left_care
    if left is None or any(episode.started_on >= left for episode in episodes):
        return []
    return [
        Problem(
            episode.row,
            "DEC",
            f"The child left care on {long_date(left)} (recorded in OpenPEP, reason "
            f"{child.reason_left_care}); this file still shows them in care, in the episode "
            f"of child {reference} that started on {show_date(episode.started_on)}.",
            "Correct the episode in the social-care system (its DEC and REC), or, if the child "
            "has come back into care, add the episode that began then; then upload this file "
            "again.",
        )
        for episode in episodes
        if episode.ended_on is None
    ]


def _replaced_episodes(episodes: list[EpisodeFacts], held: list[CareEpisode]) -> list[CareEpisode]:
    """The episodes held that the file no longer has and whose place its episodes take. Only
    one starting on or after the file's first episode: the file speaks for that span alone
    (a file of this year's episodes says nothing of earlier ones). Within it: one that starts
    before the file's latest (the social-care system took it out or moved its start), and one
    that overlaps an episode of the file's that OpenPEP does not hold yet (its start
    corrected, to a later day or an earlier one). Any other that overlaps the file's episodes
    is a problem, never removed: earlier history, or a file older than the record (see
    _held_episode_problems)."""
    if not episodes:
        return []
    in_file = {episode.started_on for episode in episodes}
    held_starts = {episode.started_on for episode in held}
    first, latest = episodes[0].started_on, episodes[-1].started_on
    new = [episode for episode in episodes if episode.started_on not in held_starts]
    return [
        episode
        for episode in held
        if episode.started_on not in in_file
        and first <= episode.started_on
        and (
            episode.started_on < latest
            or any(_overlap(_stored_episode(episode), other) for other in new)
        )
    ]


def _overlap(one: EpisodeFacts, other: EpisodeFacts) -> bool:
    earlier, later = sorted((one, other), key=lambda e: e.started_on)
    return earlier.ended_on is None or earlier.ended_on > later.started_on


def _held_episode_problems(
    reference: str, episodes: list[EpisodeFacts], held: list[CareEpisode]
) -> list[Problem]:
    """The file's episodes with the ones held that it does not have and does not replace:
    they must not overlap, or the child would have two episodes at once."""
    in_file = {episode.started_on for episode in episodes}
    replaced = _replaced_episodes(episodes, held)
    kept = [
        _stored_episode(episode)
        for episode in held
        if episode.started_on not in in_file and episode not in replaced
    ]
    if not kept:
        return []
    problems: list[Problem] = []
    for before, after in pairwise(sorted([*kept, *episodes], key=lambda e: e.started_on)):
        # Two of the file's are its rows' problem (episode_problems); two held ones overlapping
        # are not this file's doing.
        if bool(before.row) == bool(after.row) or not _overlap(before, after):
            continue
        if before.row:
            ends = f"ends on {show_date(before.ended_on)}" if before.ended_on else "has no end date"
            problems.append(
                Problem(
                    before.row,
                    "DEC",
                    f"OpenPEP holds an episode of child {reference} that started on "
                    f"{show_date(after.started_on)} ({_episode_words(after)}), which this file "
                    f"does not have; this episode {ends}, so the two would overlap. The file "
                    "may be older than OpenPEP's record.",
                    "Upload the latest export from the social-care system. If that still "
                    "shows this, correct the episode there (its DEC and REC, or add the "
                    "episode that started then), then upload the file again.",
                )
            )
        else:
            ends = show_date(before.ended_on) if before.ended_on else "no end date"
            problems.append(
                Problem(
                    after.row,
                    "DECOM",
                    f"This episode starts on {show_date(after.started_on)}, while the episode "
                    f"of child {reference} that OpenPEP holds ({show_date(before.started_on)} "
                    f"to {ends}), which this file does not have, has not ended.",
                    "Add that episode's row to the file, with its DEC and REC, or correct "
                    "DECOM here, then upload the file again.",
                )
            )
    return problems


def _stored_episode(episode: CareEpisode) -> EpisodeFacts:
    """An episode already held, in the file's terms (its placed authority is not kept)."""
    return EpisodeFacts(
        row=0,
        started_on=episode.started_on,
        reason_new_episode=episode.reason_new_episode or "",
        legal_status=episode.legal_status,
        category_of_need=episode.category_of_need,
        placement_type=episode.placement_type or "",
        placement_provider=episode.placement_provider,
        ended_on=episode.ended_on,
        reason_ended=episode.reason_ended,
        home_postcode=episode.home_postcode,
        placement_postcode=episode.placement_postcode,
        provider_ofsted_urn=episode.provider_ofsted_urn,
        placed_in_authority=None,
        placed_in_authority_given=False,
    )


def _work_out(
    reference: str,
    first_row: int,
    facts: ChildFacts,
    episodes: list[EpisodeFacts],
    child: Child | None,
    held_episodes: list[CareEpisode],
    held_workers: list[CaseHolder],
    schools: dict[str, School],
    people: dict[str, User],
    codes: Ssda903Codes,
) -> ChildChange:
    in_file = {episode.started_on for episode in episodes}
    replaced = _replaced_episodes(episodes, held_episodes)
    # Episodes held but not in this file (earlier years, say) still count for the child's
    # period of care; the file's own episodes replace the held ones that start the same day,
    # and the ones it no longer has whose place they take.
    all_episodes = [
        _stored_episode(e)
        for e in held_episodes
        if e.started_on not in in_file and e not in replaced
    ]
    all_episodes.extend(episodes)
    all_episodes.sort(key=lambda e: e.started_on)
    latest = all_episodes[-1]
    if latest.placed_in_authority_given or child is None:
        placed_in = latest.placed_in_authority
    else:
        placed_in = child.placed_in_authority
    change = ChildChange(
        reference=reference,
        first_row=first_row,
        facts=facts,
        episodes=episodes,
        care=summarise_care(all_episodes, codes),
        placed_in_authority=placed_in,
        school=schools[facts.school_urn] if facts.school_urn else None,
        worker=people[facts.social_worker_email] if facts.social_worker_email else None,
        existing=child,
        replaced_episodes=replaced,
    )
    if child is None:
        change.new_episodes = list(episodes)
        return change

    held = {episode.started_on: episode for episode in held_episodes}
    for episode in episodes:
        stored = held.get(episode.started_on)
        if stored is None:
            change.new_episodes.append(episode)
            continue
        differences = {
            column: (getattr(stored, attribute), getattr(episode, attribute))
            for column, attribute in EPISODE_ATTRIBUTES.items()
            if getattr(stored, attribute) != getattr(episode, attribute)
        }
        if differences:
            change.changed_episodes.append((stored, differences))

    fields = change.fields
    for column, attribute in CHILD_ATTRIBUTES.items():
        before, after = getattr(child, attribute), getattr(facts, attribute)
        if column == "UASC" and after is None:
            continue  # the file has no UASC column: what is held stays
        if before != after:
            fields[column] = (_shown(before), _shown(after))
    school_before = (child.current_school_id, child.no_school_place)
    school_after = (
        change.school.id if change.school else None,
        facts.no_school_place.value if facts.no_school_place else None,
    )
    if school_before != school_after:
        change.school_changes = True
        fields["SCHOOL_URN"] = (
            _setting(child.current_school, child.no_school_place),
            _setting(change.school, school_after[1]),
        )
    if change.worker is not None and [u.user_id for u in held_workers] != [change.worker.id]:
        change.worker_changes = True
        fields["SW_EMAIL"] = (
            ", ".join(sorted(u.email for u in held_workers)) or None,
            change.worker.email,
        )
    care = change.care
    if child.legal_status != care.legal_status:
        fields["LS"] = (child.legal_status, care.legal_status)
    if child.date_entered_care != care.date_entered_care:
        fields["Date entered care"] = (
            show_date(child.date_entered_care),
            show_date(care.date_entered_care),
        )
    if child.placed_in_authority != placed_in:
        fields["PLACED_LA"] = (child.placed_in_authority, placed_in)
    if (child.date_left_care, child.reason_left_care) != (
        care.date_left_care,
        care.reason_left_care,
    ):
        fields["Left care"] = (
            _left(child.date_left_care, child.reason_left_care),
            _left(care.date_left_care, care.reason_left_care),
        )
    for episode in change.new_episodes:
        fields[f"Episode from {show_date(episode.started_on)}"] = (None, _episode_words(episode))
    for stored in change.replaced_episodes:
        fields[f"Episode from {show_date(stored.started_on)}"] = (
            _episode_words(_stored_episode(stored)),
            REMOVED,
        )
    for stored, differences in change.changed_episodes:
        for column, (before, after) in differences.items():
            fields[f"{column} (episode from {show_date(stored.started_on)})"] = (
                _shown(before),
                _shown(after),
            )
    return change


REMOVED = "Removed: this file does not have it"


def _shown(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, date):
        return show_date(value)
    return str(value)


def _setting(school: School | None, no_school_place: str | None) -> str | None:
    if school is not None:
        return school.urn or school.name
    if no_school_place:
        return f"No school place: {NoSchoolPlace(no_school_place).label}"
    return None


def _left(on: date | None, reason: str | None) -> str:
    return f"{show_date(on)} ({reason})" if on else "In care"


def _episode_words(episode: EpisodeFacts) -> str:
    words = f"LS {episode.legal_status}, PLACE {episode.placement_type}"
    if episode.placement_provider:
        words += f", PLACE_PROVIDER {episode.placement_provider}"
    if episode.ended_on:
        words += f", ended {show_date(episode.ended_on)} ({episode.reason_ended})"
    return words


def _has_changes(change: ChildChange) -> bool:
    return bool(change.fields)


def _row_change(change: ChildChange, codes: Ssda903Codes) -> RowChange:
    facts = change.facts
    name = f"{facts.first_name} {facts.last_name}"
    if change.existing is None:
        episodes = len(change.episodes)
        summary = (
            f"New child: {name}, {codes.legal_status_label(change.care.legal_status)}, "
            f"{episodes} episode{'s' if episodes != 1 else ''} of care"
        )
        if change.care.date_left_care:
            summary += f"; left care on {show_date(change.care.date_left_care)}"
        return RowChange(change.first_row, change.reference, "new", summary)
    if not change.fields:
        return RowChange(change.first_row, change.reference, "unchanged", f"No change: {name}")
    left_now = "Left care" in change.fields and change.care.date_left_care is not None
    listed = ", ".join(change.fields)
    if left_now:
        reason = codes.reasons_episode_ceased[change.care.reason_left_care or ""]
        summary = (
            f"{name} left care on {show_date(change.care.date_left_care)}: {reason.label} "
            f"({reason.code}). Changed: {listed}"
        )
        return RowChange(change.first_row, change.reference, "left", summary, change.fields)
    return RowChange(
        change.first_row,
        change.reference,
        "changed",
        f"Changed for {name}: {listed}",
        change.fields,
    )


# --------------------------------------------------------------------------------- applying


def _insert_new_children(
    session: Session, actor: Actor, changes: list[ChildChange], codes: Ssda903Codes
) -> None:
    """New children, their episodes, social worker grants, timeline and audit events, each
    table in one bulk insert."""
    children: list[dict[str, Any]] = []
    episodes: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    actor_id = actor.user.id if actor.user else None
    for change in changes:
        child_id = uuid.uuid4()
        facts, care = change.facts, change.care
        left = (
            codes.reasons_episode_ceased[care.reason_left_care] if care.reason_left_care else None
        )
        children.append(
            {
                "id": child_id,
                "first_name": facts.first_name,
                "last_name": facts.last_name,
                "date_of_birth": facts.date_of_birth,
                "authority_reference": change.reference,
                "upn": facts.upn,
                "legal_status": care.legal_status,
                "date_entered_care": care.date_entered_care,
                "current_school_id": change.school.id if change.school else None,
                "sex": facts.sex,
                "ethnicity": facts.ethnicity,
                "uasc": bool(facts.uasc),
                "placed_in_authority": change.placed_in_authority,
                "no_school_place": facts.no_school_place.value if facts.no_school_place else None,
                "date_left_care": care.date_left_care,
                "reason_left_care": care.reason_left_care,
                "previously_looked_after": bool(left and left.previously_looked_after),
            }
        )
        episodes.extend(_episode_row(child_id, episode) for episode in change.episodes)
        if change.worker is not None:
            grants.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": change.worker.id,
                    "role": Role.SOCIAL_WORKER.value,
                    "child_id": child_id,
                }
            )
        latest = change.episodes[-1]
        entered = {
            "from": "Not in care",
            "to": f"In care: {codes.legal_status_label(care.legal_status)}",
            "legal_status": care.legal_status,
            "placement": placement_description(
                latest.placement_type, latest.placement_provider, change.placed_in_authority
            ),
            "school": change.school.name if change.school else None,
            "school_urn": change.school.urn if change.school else None,
            "no_school_place": facts.no_school_place.value if facts.no_school_place else None,
            "social_worker": change.worker.display_name if change.worker else None,
            "source": "children import",
        }
        _add_event(
            events,
            audits,
            actor,
            actor_id,
            child_id,
            ChildEventKind.ENTERED_CARE,
            care.date_entered_care,
            entered,
        )
        if left is not None and care.date_left_care is not None:
            _add_event(
                events,
                audits,
                actor,
                actor_id,
                child_id,
                ChildEventKind.LEFT_CARE,
                care.date_left_care,
                {
                    "from": "In care",
                    "to": f"Left care: {left.label} ({left.code})",
                    "reason": left.code,
                    "reason_label": left.label,
                    "previously_looked_after": left.previously_looked_after,
                    "source": "children import",
                },
            )
    for model, rows in (
        (Child, children),
        (CareEpisode, episodes),
        (RoleGrant, grants),
        (ChildEvent, events),
        (AuditEvent, audits),
    ):
        if rows:
            # A Core executemany: one statement per table (the ORM's bulk insert groups rows
            # by which values are None, and sent thousands of statements).
            session.execute(insert(model.__table__), rows)


def _add_event(
    events: list[dict[str, Any]],
    audits: list[dict[str, Any]],
    actor: Actor,
    actor_id: uuid.UUID | None,
    child_id: uuid.UUID,
    kind: ChildEventKind,
    on: date,
    details: dict[str, Any],
) -> None:
    """A timeline event and its audit event, as `record_child_event` writes them."""
    plain = {key: value for key, value in details.items() if value is not None}
    event_id = uuid.uuid4()
    events.append(
        {
            "id": event_id,
            "child_id": child_id,
            "kind": kind.value,
            "occurred_on": on,
            "details": plain,
            "recorded_by_id": actor_id,
            "recorded_by_description": actor.description[:300],
        }
    )
    audits.append(
        {
            "id": uuid.uuid4(),
            "actor_user_id": actor_id,
            "actor_description": actor.description[:300],
            "action": f"child.{kind.value}",
            "object_type": "child",
            "object_id": str(child_id),
            "client_address": actor.client_address,
            "details": {"child_event_id": str(event_id), "occurred_on": on.isoformat(), **plain},
        }
    )


def _episode_row(child_id: uuid.UUID, episode: EpisodeFacts) -> dict[str, Any]:
    row: dict[str, Any] = {"id": uuid.uuid4(), "child_id": child_id}
    row["started_on"] = episode.started_on
    for attribute in EPISODE_ATTRIBUTES.values():
        row[attribute] = getattr(episode, attribute)
    return row


def _update_child(
    session: Session, actor: Actor, change: ChildChange, plan: ChildrenPlan, codes: Ssda903Codes
) -> None:
    """One known child's changes, each through the life event it is, so the timeline and the
    audit trail show it."""
    child = change.existing
    assert child is not None
    facts, care = change.facts, change.care
    plain_changes = {
        column: list(change.fields[column])
        for column in CHILD_ATTRIBUTES
        if column in change.fields
    }
    for column, attribute in CHILD_ATTRIBUTES.items():
        if column in change.fields:
            setattr(child, attribute, getattr(facts, attribute))

    for stored, differences in change.changed_episodes:
        for column, (_before, after) in differences.items():
            setattr(stored, EPISODE_ATTRIBUTES[column], after)

    held = plan.episodes_of.setdefault(child.id, [])
    # The episode whose placement OpenPEP shows now, when the file replaces it: the file's
    # latest episode moves the child only if its placement differs from that one's.
    replaced_latest = held[-1] if held and held[-1] in change.replaced_episodes else None
    for gone in change.replaced_episodes:
        held.remove(gone)
        session.delete(gone)
    if change.replaced_episodes:
        session.flush()
    for episode in change.new_episodes:
        latest_held = held[-1] if held else None
        is_latest = latest_held is None or latest_held.started_on < episode.started_on
        previous = replaced_latest if is_latest and replaced_latest else latest_held
        if is_latest:
            replaced_latest = None
        # A file without PLACED_LA leaves the authority the child is placed in as it is.
        placed_in = (
            episode.placed_in_authority
            if episode.placed_in_authority_given
            else child.placed_in_authority
        )
        moves = (
            is_latest
            and previous is not None
            and (
                (previous.placement_type, previous.placement_provider, child.placed_in_authority)
                != (episode.placement_type, episode.placement_provider, placed_in)
            )
        )
        stored = CareEpisode(child_id=child.id, started_on=episode.started_on)
        for attribute in EPISODE_ATTRIBUTES.values():
            setattr(stored, attribute, getattr(episode, attribute))
        if moves:
            assert previous is not None
            # Begin with the placement it replaces, so that change_placement corrects this
            # episode in place and records the move from the old placement to the new one.
            for attribute in _PLACEMENT_ATTRIBUTES:
                setattr(stored, attribute, getattr(previous, attribute))
        session.add(stored)
        session.flush()
        if moves:
            change_placement(
                session,
                actor,
                child,
                episode.started_on,
                placement_type=episode.placement_type,
                placement_provider=episode.placement_provider,
                placement_postcode=episode.placement_postcode,
                provider_ofsted_urn=episode.provider_ofsted_urn,
                placed_in_authority=placed_in,
            )
        held.append(stored)
        held.sort(key=lambda e: e.started_on)

    if child.placed_in_authority != change.placed_in_authority:
        plain_changes["PLACED_LA"] = [child.placed_in_authority, change.placed_in_authority]
        child.placed_in_authority = change.placed_in_authority

    back_in_care = child.date_left_care is not None and care.date_left_care is None
    if child.date_entered_care != care.date_entered_care or back_in_care:
        plain_changes["Date entered care"] = [
            show_date(child.date_entered_care),
            show_date(care.date_entered_care),
        ]
        child.date_entered_care = care.date_entered_care
        if back_in_care:
            child.date_left_care = None
            child.reason_left_care = None
            child.previously_looked_after = False
            record_child_event(
                session,
                actor,
                child,
                ChildEventKind.ENTERED_CARE,
                care.date_entered_care,
                **{
                    "from": "Not in care",
                    "to": f"In care: {codes.legal_status_label(care.legal_status)}",
                    "legal_status": care.legal_status,
                    "source": "children import",
                },
            )
    if child.legal_status != care.legal_status:
        # Coming back into care, the new legal status is part of entering care (above).
        if not back_in_care:
            record_child_event(
                session,
                actor,
                child,
                ChildEventKind.LEGAL_STATUS_CHANGED,
                change.episodes[-1].started_on if change.episodes else plan.today,
                **{
                    "from": codes.legal_status_label(child.legal_status),
                    "to": codes.legal_status_label(care.legal_status),
                    "from_legal_status": child.legal_status,
                    "legal_status": care.legal_status,
                    "source": "children import",
                },
            )
        child.legal_status = care.legal_status

    if (
        care.date_left_care is not None
        and care.reason_left_care is not None
        and (
            (child.date_left_care, child.reason_left_care)
            != (care.date_left_care, care.reason_left_care)
        )
    ):
        record_leaving_care(session, actor, child, care.date_left_care, care.reason_left_care)

    if change.school_changes:
        move_school(
            session,
            actor,
            child,
            change.school,
            plan.today,
            no_school_place=facts.no_school_place,
        )
    if change.worker_changes:
        change_social_worker(session, actor, child, change.worker, plan.today)

    if plain_changes or change.changed_episodes or change.replaced_episodes:
        record_fields = {
            **plain_changes,
            **{
                f"Episode from {show_date(stored.started_on)}": [
                    _episode_words(_stored_episode(stored)),
                    REMOVED,
                ]
                for stored in change.replaced_episodes
            },
            **{
                f"{column} (episode from {show_date(stored.started_on)})": [
                    _shown(before),
                    _shown(after),
                ]
                for stored, differences in change.changed_episodes
                for column, (before, after) in differences.items()
            },
        }
        audit.record(
            session,
            actor,
            "child.updated",
            "child",
            child.id,
            fields=record_fields,
            source="children import",
        )


_PLACEMENT_ATTRIBUTES = (
    "placement_type",
    "placement_provider",
    "placement_postcode",
    "provider_ofsted_urn",
)
