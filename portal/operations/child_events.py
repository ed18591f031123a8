"""Changes in a child's life: each one a timeline event and an audit event.

The functions named after a change (``move_school``, ``change_carer``...) change the child
and add both events to the session WITHOUT committing: the staff caseload moves, the children
import and the demo seed call them inside their own transactions. Each returns None when
nothing changed, so running the same change twice records it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from forms.dates import read_date_boxes
from forms.fields import format_date_for_people
from portal.codes import LeavingCareReason, ssda903
from portal.models import (
    CareEpisode,
    Child,
    ChildEvent,
    ChildEventKind,
    NoSchoolPlace,
    RoleGrant,
    School,
    User,
)
from portal.operations import audit
from portal.operations.audit import Actor
from portal.operations.invites import Contributor, LinksStopped, stop_links_of_child
from portal.operations.timeliness import refresh_timeliness
from portal.text_search import LIKE_ESCAPE, contains_pattern
from workflows.roles import Role

# The REC code that ends an episode without the child leaving care (a new one starts the
# same day): a change of placement ends the current episode with it.
EPISODE_CONTINUES = "X1"
# RNE: a new episode for a change of placement (and possibly carer), legal status unchanged.
PLACEMENT_CHANGE_ONLY = "P"


def record_child_event(
    session: Session,
    actor: Actor,
    child: Child,
    kind: ChildEventKind,
    occurred_on: date,
    **details: Any,
) -> ChildEvent:
    """Add one event to the child's timeline, and its audit event, to the session."""
    plain_details = {key: value for key, value in details.items() if value is not None}
    event = ChildEvent(
        id=uuid.uuid4(),
        child_id=child.id,
        kind=kind.value,
        occurred_on=occurred_on,
        details=plain_details,
        recorded_by_id=actor.user.id if actor.user else None,
        recorded_by_description=actor.description[:300],
    )
    session.add(event)
    audit.record(
        session,
        actor,
        f"child.{kind.value}",
        "child",
        child.id,
        child_event_id=str(event.id),
        occurred_on=occurred_on.isoformat(),
        **plain_details,
    )
    return event


def move_school(
    session: Session,
    actor: Actor,
    child: Child,
    school: School | None,
    on: date,
    *,
    no_school_place: NoSchoolPlace | None = None,
) -> ChildEvent | None:
    """The child is on roll at ``school`` from ``on``, or has no school place and why.

    Who sees the child follows the school: the new school's designated teacher sees the
    child and every earlier PEP, the old school's no longer does."""
    if school is None and no_school_place is None:
        raise ValueError("a child with no school needs the reason they have no school place")
    new_reason = None if school is not None else NoSchoolPlace(no_school_place).value
    old_school = child.current_school
    if child.current_school_id is not None and old_school is None:
        old_school = session.get(School, child.current_school_id)
    old_school_id = old_school.id if old_school is not None else None
    new_school_id = school.id if school is not None else None
    if old_school_id == new_school_id and child.no_school_place == new_reason:
        return None

    old_reason = child.no_school_place
    child.current_school_id = new_school_id
    child.current_school = school
    child.no_school_place = new_reason
    return record_child_event(
        session,
        actor,
        child,
        ChildEventKind.SCHOOL_CHANGED if school is not None else ChildEventKind.NO_SCHOOL_PLACE,
        on,
        **{
            "from": _setting_description(old_school, old_reason),
            "to": _setting_description(school, new_reason),
            "from_school": old_school.name if old_school else None,
            "from_urn": old_school.urn if old_school else None,
            "to_school": school.name if school else None,
            "to_urn": school.urn if school else None,
            "from_no_school_place": old_reason,
            "no_school_place": new_reason,
        },
    )


def _setting_description(school: School | None, no_school_place: str | None) -> str:
    if school is not None:
        return f"{school.name} (URN {school.urn})" if school.urn else school.name
    if no_school_place:
        return f"No school place: {NoSchoolPlace(no_school_place).label}"
    return "No school recorded"


def change_social_worker(
    session: Session, actor: Actor, child: Child, worker: User | None, on: date
) -> ChildEvent | None:
    """``worker`` is the child's social worker from ``on``; whoever held the case no longer
    sees the child (None: the child has no allocated social worker)."""
    return _replace_case_holder(
        session, actor, child, Role.SOCIAL_WORKER, worker, on, ChildEventKind.SOCIAL_WORKER_CHANGED
    )


def change_carer(
    session: Session, actor: Actor, child: Child, carer: User | None, on: date
) -> ChildEvent | None:
    """``carer`` looks after the child from ``on`` (their grant starts then, so they read only
    PEPs of terms from their placement on); the previous carer no longer sees the child, and
    the carer's links on the child's open PEP stop (the new carer is given a new one). The
    child's own links go on working: the child is the same child."""
    event = _replace_case_holder(
        session, actor, child, Role.CARER, carer, on, ChildEventKind.CARER_CHANGED
    )
    if event is not None:
        stop_links_of_child(
            session, actor, child, LinksStopped.CARER_CHANGED, contributor=Contributor.CARER
        )
    return event


def _replace_case_holder(
    session: Session,
    actor: Actor,
    child: Child,
    role: Role,
    holder: User | None,
    on: date,
    kind: ChildEventKind,
) -> ChildEvent | None:
    grants = list(
        session.scalars(
            select(RoleGrant).where(RoleGrant.child_id == child.id, RoleGrant.role == role.value)
        )
    )
    if holder is not None and [grant.user_id for grant in grants] == [holder.id]:
        return None
    if holder is None and not grants:
        return None

    previous_holders = [grant.user for grant in grants]
    for grant in grants:
        # Through the holder's collection, so a User already loaded no longer lists the grant.
        if grant in grant.user.grants:
            grant.user.grants.remove(grant)
        session.delete(grant)
    if holder is not None:
        new_grant = RoleGrant(
            id=uuid.uuid4(),
            role=role.value,
            child_id=child.id,
            starts_on=on if role is Role.CARER else None,
        )
        holder.grants.append(new_grant)
        session.add(new_grant)
    return record_child_event(
        session,
        actor,
        child,
        kind,
        on,
        **{
            "from": ", ".join(user.display_name for user in previous_holders) or "No one",
            "to": holder.display_name if holder is not None else "No one",
            "from_user_ids": [str(user.id) for user in previous_holders],
            "to_user_id": str(holder.id) if holder is not None else None,
        },
    )


def current_care_episode(session: Session, child: Child) -> CareEpisode | None:
    """The child's latest episode of care (the one their placement facts come from)."""
    return session.scalars(
        select(CareEpisode)
        .where(CareEpisode.child_id == child.id)
        .order_by(CareEpisode.started_on.desc())
        .limit(1)
    ).first()


def placement_description(
    placement_type: str | None, placement_provider: str | None, placed_in_authority: str | None
) -> str:
    """A placement in words with its codes: "Children's home (K2), Private provision (PR4)"."""
    codes = ssda903()
    parts = []
    if placement_type:
        parts.append(f"{codes.placement_types.get(placement_type, 'Placement')} ({placement_type})")
    if placement_provider:
        label = codes.placement_providers.get(placement_provider, "Provider")
        parts.append(f"{label} ({placement_provider})")
    if placed_in_authority:
        parts.append(f"placed in {placed_in_authority}")
    return ", ".join(parts) or "No placement recorded"


def change_placement(
    session: Session,
    actor: Actor,
    child: Child,
    on: date,
    *,
    placement_type: str | None,
    placement_provider: str | None,
    placement_postcode: str | None,
    provider_ofsted_urn: str | None,
    placed_in_authority: str | None,
) -> ChildEvent | None:
    """The child moves to a new placement on ``on``.

    The child's current episode of care carries the placement (PLACE, PLACE_PROVIDER, PL_POST,
    URN), as the SSDA903 return does: an episode that began on ``on`` is corrected in place;
    otherwise the current one ends that day (REC X1) and a new one begins with the same legal
    status (RNE P). A caller that writes episodes itself (an import) should not write this one
    as well, or nothing will have changed. ``placed_in_authority`` is the authority the child
    lives in when out of area (None: in the home authority)."""
    codes = ssda903()
    for code, known, what in (
        (placement_type, codes.placement_types, "placement type"),
        (placement_provider, codes.placement_providers, "placement provider"),
    ):
        if code is not None and code not in known:
            raise ValueError(f"{code!r} is not an SSDA903 {what} code")
    episode = current_care_episode(session, child)
    before = {
        "placement_type": episode.placement_type if episode else None,
        "placement_provider": episode.placement_provider if episode else None,
        "placement_postcode": episode.placement_postcode if episode else None,
        "provider_ofsted_urn": episode.provider_ofsted_urn if episode else None,
        "placed_in_authority": child.placed_in_authority,
    }
    after = {
        "placement_type": placement_type,
        "placement_provider": placement_provider,
        "placement_postcode": placement_postcode,
        "provider_ofsted_urn": provider_ofsted_urn,
        "placed_in_authority": placed_in_authority,
    }
    if before == after:
        return None

    child.placed_in_authority = placed_in_authority
    placement_facts = {key: value for key, value in after.items() if key != "placed_in_authority"}
    if episode is not None and episode.started_on == on:
        for key, value in placement_facts.items():
            setattr(episode, key, value)
    elif episode is not None and episode.started_on < on:
        if episode.ended_on is None:
            episode.ended_on = on
            episode.reason_ended = EPISODE_CONTINUES
        session.add(
            CareEpisode(
                id=uuid.uuid4(),
                child_id=child.id,
                started_on=on,
                reason_new_episode=PLACEMENT_CHANGE_ONLY,
                legal_status=episode.legal_status,
                category_of_need=episode.category_of_need,
                home_postcode=episode.home_postcode,
                **placement_facts,
            )
        )
    # With no episode (or only a later one) the child's episodes come from the social-care
    # import; the timeline still records what the admin was told.
    return record_child_event(
        session,
        actor,
        child,
        ChildEventKind.PLACEMENT_CHANGED,
        on,
        **{
            "from": placement_description(
                before["placement_type"],
                before["placement_provider"],
                before["placed_in_authority"],
            ),
            "to": placement_description(placement_type, placement_provider, placed_in_authority),
            "from_placement_type": before["placement_type"],
            "from_placement_type_label": codes.placement_types.get(before["placement_type"] or ""),
            "from_placement_provider": before["placement_provider"],
            "from_placement_provider_label": codes.placement_providers.get(
                before["placement_provider"] or ""
            ),
            "from_placed_in_authority": before["placed_in_authority"],
            "placement_type": placement_type,
            "placement_type_label": codes.placement_types.get(placement_type or ""),
            "placement_provider": placement_provider,
            "placement_provider_label": codes.placement_providers.get(placement_provider or ""),
            "placement_postcode": placement_postcode,
            "provider_ofsted_urn": provider_ofsted_urn,
            "placed_in_authority": placed_in_authority,
        },
    )


def change_legal_status(
    session: Session, actor: Actor, child: Child, legal_status: str, on: date
) -> ChildEvent | None:
    """The child's legal status (an SSDA903 LS code) is ``legal_status`` from ``on``."""
    codes = ssda903()
    if legal_status not in codes.legal_statuses:
        raise ValueError(f"{legal_status!r} is not an SSDA903 legal status code")
    if child.legal_status == legal_status:
        return None
    old_status = child.legal_status
    child.legal_status = legal_status
    return record_child_event(
        session,
        actor,
        child,
        ChildEventKind.LEGAL_STATUS_CHANGED,
        on,
        **{
            "from": codes.legal_status_label(old_status),
            "to": codes.legal_status_label(legal_status),
            "from_legal_status": old_status,
            "legal_status": legal_status,
        },
    )


def record_leaving_care(
    session: Session, actor: Actor, child: Child, on: date, reason_code: str
) -> ChildEvent | None:
    """The child left care on ``on`` for the SSDA903 reason ``reason_code`` (REC).

    Adoption (E11, E12), a child arrangements order (E41) and special guardianship (E43-E48)
    make the child previously looked after. Their records stay, and the Virtual School keeps
    reading them; no new PEP is due. Every working link on the child's open PEP stops."""
    reason = ssda903().reasons_episode_ceased.get(reason_code)
    if reason is None or not reason.leaves_care:
        raise ValueError(f"{reason_code!r} is not an SSDA903 reason for leaving care")
    if child.date_left_care == on and child.reason_left_care == reason_code:
        return None
    child.date_left_care = on
    child.reason_left_care = reason_code
    child.previously_looked_after = reason.previously_looked_after
    episode = current_care_episode(session, child)
    if episode is not None and episode.ended_on is None and episode.started_on <= on:
        episode.ended_on = on
        episode.reason_ended = reason_code
    stop_links_of_child(session, actor, child, LinksStopped.LEFT_CARE)
    return record_child_event(
        session,
        actor,
        child,
        ChildEventKind.LEFT_CARE,
        on,
        **{
            "from": "In care",
            "to": f"Left care: {reason.label} ({reason_code})",
            "reason": reason_code,
            "reason_label": reason.label,
            "previously_looked_after": reason.previously_looked_after,
        },
    )


# --------------------------------------------------------------------------------------------
# The admin's changes: each reads what the admin sent, checks it, makes the change and commits,
# or changes nothing and says what to put right, field by field (the error summary's links).
# --------------------------------------------------------------------------------------------

Problems = dict[str, str]  # the form field's id -> a sentence saying what to do

DATE_FIELD = "on"
SCHOOL_FIELD = "school_id"
NO_SCHOOL_REASON_FIELD = "no_school_place"
PLACEMENT_TYPE_FIELD = "placement_type"
PLACEMENT_PROVIDER_FIELD = "placement_provider"
PERSON_FIELD = "email"
REASON_FIELD = "reason"
NO_SCHOOL = "none"


def read_date(form: Mapping[str, str], what: str) -> tuple[date | None, str | None]:
    """The date from a GOV.UK date input named ``on`` (on-day, on-month, on-year), or the
    sentence saying what is wrong with it; ``what`` finishes "Enter the date ..."."""
    reading = read_date_boxes(form, DATE_FIELD, what)
    return reading.on, reading.problem


def _date_problem(child: Child, on: date, today: date, what: str) -> str | None:
    if on > today:
        return f"The date {what} must be today or in the past"
    if on < child.date_entered_care:
        entered = format_date_for_people(child.date_entered_care)
        return (
            f"The date {what} must be on or after the day {child.first_name} entered care "
            f"({entered})"
        )
    return None


def _checked_date(
    child: Child, form: Mapping[str, str], today: date, what: str, problems: Problems
) -> date | None:
    on, problem = read_date(form, what)
    if on is not None:
        problem = _date_problem(child, on, today, what)
    if problem:
        problems[f"{DATE_FIELD}-day"] = problem
        return None
    return on


def _left_care_problem(child: Child) -> Problems:
    if child.date_left_care is None:
        return {}
    left_on = format_date_for_people(child.date_left_care)
    return {
        f"{DATE_FIELD}-day": f"{child.full_name} left care on {left_on}. Changes after leaving "
        "care are not recorded here."
    }


def _commit(session: Session, event: ChildEvent | None, field: str, same: str) -> Problems:
    """Commit the change, or say that it was already so (nothing is recorded twice)."""
    if event is None:
        return {field: same}
    session.commit()
    refresh_timeliness(session, [event.child_id])
    return {}


def change_school_of_child(
    session: Session, actor: Actor, child: Child, form: Mapping[str, str], today: date
) -> Problems:
    """Record a move to another school or setting, or to no school place with its reason."""
    problems = _left_care_problem(child)
    if problems:
        return problems
    on = _checked_date(child, form, today, "of the change", problems)
    chosen = (form.get(SCHOOL_FIELD) or "").strip()
    school: School | None = None
    reason: NoSchoolPlace | None = None
    if not chosen:
        problems[SCHOOL_FIELD] = "Select the new school or setting, or no school place"
    elif chosen == NO_SCHOOL:
        try:
            reason = NoSchoolPlace(form.get(NO_SCHOOL_REASON_FIELD) or "")
        except ValueError:
            problems[NO_SCHOOL_REASON_FIELD] = "Select why the child has no school place"
    else:
        school = _school_by_id(session, chosen)
        if school is None:
            problems[SCHOOL_FIELD] = "Select a school or setting from the list"
        elif school.is_closed:
            problems[SCHOOL_FIELD] = (
                f"{school.name} is closed. Select the school or setting the child goes to now"
            )
    if problems or on is None:
        return problems
    event = move_school(session, actor, child, school, on, no_school_place=reason)
    return _commit(
        session,
        event,
        SCHOOL_FIELD,
        "This is already the child's school or setting. Select another, or go back",
    )


def _school_by_id(session: Session, text: str) -> School | None:
    try:
        return session.get(School, uuid.UUID(text))
    except ValueError:
        return None


def find_schools(session: Session, search: str, limit: int = 20) -> list[School]:
    """Schools and settings whose URN is ``search`` or whose name contains it, open ones
    first: the choices on the change of school page."""
    search = search.strip()
    if not search:
        return []
    pattern = contains_pattern(search)
    query = (
        select(School)
        .where(or_(School.urn == search, School.name.ilike(pattern, escape=LIKE_ESCAPE)))
        .order_by((School.status == "Closed"), School.name)
        .limit(limit)
    )
    return list(session.scalars(query))


def change_placement_of_child(
    session: Session, actor: Actor, child: Child, form: Mapping[str, str], today: date
) -> Problems:
    """Record a move to another placement: its SSDA903 type and provider, and the authority
    the child lives in when out of area."""
    problems = _left_care_problem(child)
    if problems:
        return problems
    codes = ssda903()
    on = _checked_date(child, form, today, "the placement began", problems)
    placement_type = (form.get(PLACEMENT_TYPE_FIELD) or "").strip()
    provider = (form.get(PLACEMENT_PROVIDER_FIELD) or "").strip()
    if placement_type not in codes.placement_types:
        problems[PLACEMENT_TYPE_FIELD] = "Select the type of placement"
    if provider not in codes.placement_providers:
        problems[PLACEMENT_PROVIDER_FIELD] = "Select who provides the placement"
    postcode = (form.get("placement_postcode") or "").strip().upper() or None
    if postcode and len(postcode) > 10:
        problems["placement_postcode"] = "Enter a postcode of 10 characters or fewer"
    ofsted_urn = (form.get("provider_ofsted_urn") or "").strip() or None
    if ofsted_urn and len(ofsted_urn) > 10:
        problems["provider_ofsted_urn"] = "Enter an Ofsted URN of 10 characters or fewer"
    authority = (form.get("placed_in_authority") or "").strip() or None
    if authority and len(authority) > 120:
        problems["placed_in_authority"] = "Enter the authority's name in 120 characters or fewer"
    if problems or on is None:
        return problems
    event = change_placement(
        session,
        actor,
        child,
        on,
        placement_type=placement_type,
        placement_provider=provider,
        placement_postcode=postcode,
        provider_ofsted_urn=ofsted_urn,
        placed_in_authority=authority,
    )
    return _commit(
        session,
        event,
        PLACEMENT_TYPE_FIELD,
        "This is already the child's placement. Change something, or go back",
    )


def _person_by_email(
    session: Session, form: Mapping[str, str], role: Role, problems: Problems
) -> User | None:
    address = (form.get(PERSON_FIELD) or "").strip().lower()
    if not address:
        problems[PERSON_FIELD] = f"Enter the email address of the new {role.label.lower()}"
        return None
    person = session.scalars(select(User).where(func.lower(User.email) == address)).first()
    if person is None:
        problems[PERSON_FIELD] = (
            f"No one has an account with the email address {address}. "
            "Check it, or add them under Staff first"
        )
    elif not person.active:
        problems[PERSON_FIELD] = (
            f"{person.display_name}'s account is switched off. Switch it on under Staff first"
        )
    return person


def change_carer_of_child(
    session: Session, actor: Actor, child: Child, form: Mapping[str, str], today: date
) -> Problems:
    """Record that the child lives with another carer (who has an account) from a date."""
    return _change_case_holder(session, actor, child, form, today, Role.CARER)


def change_social_worker_of_child(
    session: Session, actor: Actor, child: Child, form: Mapping[str, str], today: date
) -> Problems:
    """Record that another social worker (who has an account) holds the child's case."""
    return _change_case_holder(session, actor, child, form, today, Role.SOCIAL_WORKER)


def _change_case_holder(
    session: Session,
    actor: Actor,
    child: Child,
    form: Mapping[str, str],
    today: date,
    role: Role,
) -> Problems:
    problems = _left_care_problem(child)
    if problems:
        return problems
    what = (
        "the new carer began looking after the child"
        if role is Role.CARER
        else ("the new social worker took on the case")
    )
    on = _checked_date(child, form, today, what, problems)
    person = _person_by_email(session, form, role, problems)
    if problems or on is None or person is None:
        return problems
    change = change_carer if role is Role.CARER else change_social_worker
    event = change(session, actor, child, person, on)
    return _commit(
        session,
        event,
        PERSON_FIELD,
        f"{person.display_name} is already the child's {role.label.lower()}. "
        "Enter someone else, or go back",
    )


def record_leaving_care_of_child(
    session: Session, actor: Actor, child: Child, form: Mapping[str, str], today: date
) -> Problems:
    """Record that the child left care, on a date, for one of the return's reasons (REC)."""
    if child.date_left_care is not None:
        left_on = format_date_for_people(child.date_left_care)
        return {REASON_FIELD: f"{child.full_name} already left care on {left_on}"}
    problems: Problems = {}
    on = _checked_date(child, form, today, "the child left care", problems)
    code = (form.get(REASON_FIELD) or "").strip()
    reason = ssda903().reasons_episode_ceased.get(code)
    if reason is None or not reason.leaves_care:
        problems[REASON_FIELD] = "Select why the child left care"
    if problems or on is None:
        return problems
    event = record_leaving_care(session, actor, child, on, code)
    return _commit(session, event, REASON_FIELD, "This is already recorded")


def leaving_care_reasons() -> list[LeavingCareReason]:
    """The return's reasons an episode ends that mean the child left care (not X1)."""
    return [reason for reason in ssda903().reasons_episode_ceased.values() if reason.leaves_care]
