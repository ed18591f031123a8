"""Starting PEPs and saving their sections."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from forms import prefilled_answers
from forms.answers import stored_date
from forms.fields import format_date_for_people
from forms.phases import PEP_PHASES, school_year_group
from forms.rows import (
    PostedSection,
    changed_answers,
    conflicting_answers,
    editors_after_save,
    merge_posted,
    versions_after_save,
)
from forms.schema import FormDefinition, SectionDefinition
from portal.academic import england_day, england_today
from portal.form_registry import age_in_years, form_registry
from portal.models import CareEpisode, Child, ChildEvent, Pep, PepSection, Term, User
from portal.operations import audit
from portal.operations.audit import Actor
from portal.operations.meetings import MEETING_SECTION, term_window
from portal.operations.notifications import notify_pep_started
from portal.operations.timeliness import refresh_timeliness
from portal.peps.permissions import may_choose_form, pep_start_refusal, section_refusal
from portal.timeliness.facts import EVENT_KINDS
from workflows.pep import OPEN_STATES, PepState
from workflows.pep_type_proposal import (
    PepTypeFacts,
    PepTypeProposal,
    propose_pep_type,
    read_pep_type,
)
from workflows.pep_types import PepType
from workflows.roles import Role
from workflows.timeliness import EventKind

# An SSDA903 episode that starts a period in care (RNE "S": started to be looked after).
STARTED_TO_BE_LOOKED_AFTER = "S"
PEP_TYPE_REFUSAL = "Choose the type of PEP from the list."


class PepRefused(Exception):
    """An operation refused, with a sentence the person can act on."""


@dataclass(frozen=True)
class SectionSaved:
    section: PepSection
    # Answers not saved because a rule refuses them, answer key -> the sentence saying why;
    # the rest of the section is saved.
    refused: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SectionConflict:
    """The save would overwrite answers saved after the version this person started from."""

    section: PepSection
    their_answers: dict[str, Any]  # what this person's save would have made the answers
    answers_changed_since: tuple[str, ...] = ()


def choose_form(child: Child, today: date) -> FormDefinition:
    return form_registry().pep_form_for(
        age_in_years(child.date_of_birth, today), school_year_group(child.year_group(today))
    )


def latest_signed_off_pep(session: Session, child: Child) -> Pep | None:
    return session.scalar(
        select(Pep)
        .where(Pep.child_id == child.id, Pep.state == PepState.SIGNED_OFF.value)
        .order_by(Pep.academic_year.desc(), Pep.term.desc(), Pep.created_at_utc.desc())
        .limit(1)
    )


def open_pep_of(session: Session, child: Child) -> Pep | None:
    return session.scalar(
        select(Pep).where(
            Pep.child_id == child.id, Pep.state.in_([state.value for state in OPEN_STATES])
        )
    )


def pep_type_facts(session: Session, child: Child) -> PepTypeFacts:
    """The dates the proposal of a PEP type needs (three small queries)."""
    entered = child.date_entered_care
    # The latest episode that started a period in care, where the return recorded one later
    # than the child's date entered care (a child who came back into care).
    started_again = session.scalar(
        select(func.max(CareEpisode.started_on)).where(
            CareEpisode.child_id == child.id,
            CareEpisode.reason_new_episode == STARTED_TO_BE_LOOKED_AFTER,
        )
    )
    if started_again is not None and (entered is None or started_again > entered):
        entered = started_again
    latest_pep = session.scalar(
        select(func.max(Pep.created_at_utc)).where(
            Pep.child_id == child.id, Pep.state != PepState.CANCELLED.value
        )
    )
    latest_change: dict[EventKind, Any] = {}
    for kind, occurred_on in session.execute(
        select(ChildEvent.kind, func.max(ChildEvent.occurred_on))
        .where(
            ChildEvent.child_id == child.id,
            ChildEvent.kind.in_(EVENT_KINDS),
            # The school or placement a child entered care with is not a change.
            ChildEvent.occurred_on != child.date_entered_care,
        )
        .group_by(ChildEvent.kind)
    ):
        event_kind = EVENT_KINDS[kind]
        if event_kind not in latest_change or occurred_on > latest_change[event_kind]:
            latest_change[event_kind] = occurred_on
    return PepTypeFacts(
        entered_care_on=entered,
        latest_pep_started_on=england_day(latest_pep) if latest_pep else None,
        latest_school_change_on=latest_change.get(EventKind.CHANGE_OF_SCHOOL),
        latest_placement_change_on=latest_change.get(EventKind.CHANGE_OF_PLACEMENT),
        latest_permanent_exclusion_on=latest_change.get(EventKind.PERMANENT_EXCLUSION),
    )


def proposed_pep_type(session: Session, child: Child) -> PepTypeProposal:
    """The type of PEP the child's situation calls for: what the start page chooses first."""
    return propose_pep_type(pep_type_facts(session, child))


def create_pep(
    session: Session,
    child: Child,
    academic_year: int,
    term: Term,
    definition: FormDefinition,
    state: PepState = PepState.DRAFT,
    pep_type: PepType = PepType.TERMLY,
) -> Pep:
    """A PEP on `definition`, its sections prefilled from the last signed-off PEP."""
    previous = latest_signed_off_pep(session, child)
    previous_answers = (
        {section.section_key: section.answers for section in previous.sections} if previous else {}
    )
    prefilled = prefilled_answers(definition, previous_answers)
    pep = Pep(
        child_id=child.id,
        academic_year=academic_year,
        term=term.value,
        state=state.value,
        pep_type=pep_type.value,
        form_key=definition.key,
        form_version=definition.version,
    )
    pep.sections = [
        PepSection(section_key=section.key, answers=prefilled.get(section.key, {}))
        for section in definition.sections
    ]
    session.add(pep)
    session.flush()
    return pep


def start_pep(
    session: Session,
    actor: Actor,
    child: Child,
    roles: frozenset[Role],
    academic_year: int,
    term: Term,
    *,
    form_key: str | None = None,
    today: date | None = None,
    pep_type: PepType | str = PepType.TERMLY,
) -> Pep:
    """Start this term's PEP of a type (initial, termly, a change of school...) on the form
    that suits the child (an admin may choose another form)."""
    today = today or england_today()
    # Not after the child left care, nor on a short-break status, nor by someone else.
    refusal = pep_start_refusal(child, roles)
    if refusal is not None:
        raise PepRefused(refusal)
    chosen_type = read_pep_type(pep_type)
    if chosen_type is None:
        raise PepRefused(PEP_TYPE_REFUSAL)
    existing = open_pep_of(session, child)
    if existing is not None:
        raise PepRefused(
            f"{child.full_name} already has an open PEP ({existing.term_label}). "
            "Finish or cancel it before starting another."
        )
    if form_key and may_choose_form(roles):
        try:
            definition = form_registry().latest(form_key)
        except LookupError:
            raise PepRefused("Choose a PEP form from the list.") from None
        if definition.phase not in PEP_PHASES:  # the child's views are a page of a PEP
            raise PepRefused("Choose a PEP form from the list.")
    else:
        definition = choose_form(child, today)
    try:
        pep = create_pep(session, child, academic_year, term, definition, pep_type=chosen_type)
    except IntegrityError:  # another person started one at the same moment
        session.rollback()
        raise PepRefused(f"{child.full_name} already has an open PEP.") from None
    audit.record(
        session,
        actor,
        "pep.started",
        "pep",
        pep.id,
        child_id=str(child.id),
        form=f"{definition.key} v{definition.version}",
        term=pep.term_label,
        pep_type=chosen_type.value,
        form_chosen_by_admin=bool(form_key and may_choose_form(roles)),
    )
    notify_pep_started(session, actor, pep)  # recorded now, sent after the commit
    session.commit()
    refresh_timeliness(session, [child.id], today)
    return pep


def meeting_date_outside_term(session: Session, pep: Pep, day: date | None) -> str | None:
    """A sentence when a meeting date typed into the meeting details section falls outside the
    PEP's term (the term dates recorded for the child's school, or the authority's, else the
    portal's rough terms: the same window a meeting arranged from the PEP must fall in)."""
    if day is None:
        return None
    window = term_window(session, pep)
    if window.starts_on <= day <= window.ends_on:
        return None
    return (
        f"The date of the PEP meeting must be in the PEP's term: {window.name} runs from "
        f"{format_date_for_people(window.starts_on)} to {format_date_for_people(window.ends_on)}"
    )


def _refused_answers(
    session: Session,
    pep: Pep,
    section: SectionDefinition,
    merged: Mapping[str, Any],
    changed: Sequence[str],
) -> dict[str, str]:
    """Answers this save changes that a rule refuses: a meeting date typed into the meeting
    details section must fall in the PEP's term (a date saved before is not judged again)."""
    if section.key != MEETING_SECTION or "meeting_date" not in changed:
        return {}
    problem = meeting_date_outside_term(session, pep, stored_date(merged.get("meeting_date")))
    return {"meeting_date": problem} if problem else {}


# A save that loses a race for the same section is merged again on what won, this many times.
SAVE_ATTEMPTS = 3


@dataclass(frozen=True)
class SectionWrite:
    """What one save writes: the section's answers with their versions and editors, who saved
    and when, and the PEP's meeting date (its own copy of the meeting section's answer)."""

    answers: Mapping[str, Any]
    answer_versions: Mapping[str, int]
    answer_editors: Mapping[str, str]
    saved_by: User
    saved_at_utc: datetime
    meeting_date: date | None


_PEPS = Pep.__table__
_SECTIONS = PepSection.__table__
# A save moves the PEP's version on with the section's: a save racing a submission or a
# sign-off loses to it rather than changing answers of a PEP as it is being locked. Each UPDATE
# writes only over the version it read, as the ORM's version counter would; written as two
# statements built once, because the ORM's flush looked over every object the request loaded
# (the person, their grants, the PEP, its child) to write these two rows: a third of a save.
# The PEP first, as every flush that changes both does, so that two saves lock in one order.
# The meeting date is written back as read unless this save changed it: safe, because every
# writer of a PEP moves its version on, and a PEP whose version moved is not written here.
# Each sets the columns its parameters name (the values given to the loaded row as well).
MOVE_PEP_ON = update(_PEPS).where(
    _PEPS.c.id == bindparam("row_id"), _PEPS.c.version == bindparam("read_version")
)
WRITE_SECTION = update(_SECTIONS).where(
    _SECTIONS.c.id == bindparam("row_id"), _SECTIONS.c.version == bindparam("read_version")
)


def _write_section(session: Session, pep: Pep, stored: PepSection, written: SectionWrite) -> bool:
    """Write one save of a section and move its PEP on, in the caller's transaction; False,
    with the caller to roll back, where either row changed since it was read. The loaded rows
    are given what was written, as saved (nothing is left for a flush to write)."""
    pep_values = {
        "version": pep.version + 1,
        "updated_at_utc": written.saved_at_utc,
        "meeting_date": written.meeting_date,
    }
    section_values = {
        "version": stored.version + 1,
        "answers": dict(written.answers),
        "answer_versions": dict(written.answer_versions),
        "answer_editors": dict(written.answer_editors),
        "last_saved_by_id": written.saved_by.id,
        "last_saved_at_utc": written.saved_at_utc,
        "updated_at_utc": written.saved_at_utc,
    }
    for statement, row, values in (
        (MOVE_PEP_ON, pep, pep_values),
        (WRITE_SECTION, stored, section_values),
    ):
        result = session.execute(
            statement, {"row_id": row.id, "read_version": row.version, **values}
        )
        if result.rowcount != 1:
            return False
    for row, values in ((pep, pep_values), (stored, section_values)):
        for name, value in values.items():
            set_committed_value(row, name, value)
    set_committed_value(stored, "last_saved_by", written.saved_by)
    return True


def save_section(
    session: Session,
    actor: Actor,
    user: User,
    pep: Pep,
    section: SectionDefinition,
    roles: frozenset[Role],
    posted: PostedSection,
    based_on_version: int,
    *,
    autosave: bool,
    stored: PepSection | None = None,
) -> SectionSaved | SectionConflict:
    """Save what this post carries of a section. A save made from an older version than the
    saved one (by anyone: the same person in another tab too) goes through only where it
    overwrites no answer that changed since that version; otherwise nothing is saved and the
    person is shown both versions.

    `stored`: the section's saved row when the caller loaded it alone (then the PEP's other
    sections are never loaded); by default it is found among `pep.sections`."""
    refusal = section_refusal(pep, section, roles)
    if refusal:
        raise PepRefused(refusal)
    if stored is None:
        stored = pep.section(section.key)
    for _attempt in range(SAVE_ATTEMPTS):
        # After a lost race the rollback expired the row: reading it loads what won.
        merged = merge_posted(section, stored.answers, posted)
        changed = changed_answers(stored.answers, merged)
        answer_versions = dict(stored.answer_versions or {})
        answer_editors = dict(stored.answer_editors or {})
        # A version the section never had (missing, or from the future) proves nothing seen.
        base = based_on_version if 0 < based_on_version <= stored.version else -1
        if base != stored.version:
            clashes = conflicting_answers(
                changed, answer_versions, answer_editors, base, posted.editor
            )
            if clashes:
                return SectionConflict(stored, merged, tuple(clashes))
        refused = _refused_answers(session, pep, section, merged, changed)
        if refused:  # keep what was saved before for those answers, save the rest
            merged = dict(merged)
            for key in refused:
                if key in stored.answers:
                    merged[key] = stored.answers[key]
                else:
                    merged.pop(key, None)
            changed = changed_answers(stored.answers, merged)
        if not changed:
            return SectionSaved(stored, refused)
        # The meeting date is one value: the PEP's own follows its section's answer (and the
        # PEP's version moves on with it, as below).
        meeting_date_changed = section.key == MEETING_SECTION and "meeting_date" in changed
        meeting_date = pep.meeting_date
        if meeting_date_changed:
            meeting_date = stored_date(merged.get("meeting_date"))
        written = SectionWrite(
            answers=merged,
            answer_versions=versions_after_save(answer_versions, changed, stored.version + 1),
            answer_editors=editors_after_save(answer_editors, changed, posted.editor),
            saved_by=user,
            saved_at_utc=datetime.now(UTC),
            meeting_date=meeting_date,
        )
        if not _write_section(session, pep, stored, written):
            # Someone saved this PEP a moment ago: undo everything, check the PEP may still be
            # changed, and merge again on what they saved, so the answers they changed are
            # judged as conflicts.
            session.rollback()
            refusal = section_refusal(pep, section, roles)
            if refusal:
                raise PepRefused(refusal) from None
            continue
        audit.record_at_once(
            session,
            actor,
            "pep.section_saved",
            "pep",
            pep.id,
            section=section.key,
            version=stored.version,
            fields=changed,
            autosave=autosave,
        )
        session.commit()
        if meeting_date_changed:  # a meeting date booked or moved changes what is due
            refresh_timeliness(session, [pep.child_id])
        return SectionSaved(stored, refused)
    return SectionConflict(stored, merge_posted(section, stored.answers, posted), ())
