"""The PEP form definitions, loaded and validated once: the app refuses to start on a bad one."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import Form

from forms import FormRegistry, build_section_form, load_definitions
from forms.schema import DEFAULT_DIRECTORY, FormDefinition, SectionDefinition
from portal.academic import england_today
from portal.models import Child, Pep, RoleGrant, User
from workflows.pep import PepState
from workflows.roles import Role


@cache
def _registry_in(directory: Path) -> FormRegistry:
    return load_definitions(directory)


@cache
def _registry_configured_as(configured: str | None) -> FormRegistry:
    # Resolving the folder is a file-system call: once per configured value, not per request.
    return _registry_in(Path(configured or DEFAULT_DIRECTORY).resolve())


def form_registry() -> FormRegistry:
    """The definitions in the configured folder (OPENPEP_FORMS_DIRECTORY), loaded once."""
    configured = current_app.config.get("FORMS_DIRECTORY") if has_app_context() else None
    return _registry_configured_as(str(configured) if configured else None)


@cache
def draft_form_class(section: SectionDefinition) -> type[Form]:
    """One WTForms class per section definition, built once per process."""
    return build_section_form(section, draft=True)


def definition_for(pep: Pep) -> FormDefinition:
    """The form and version the PEP was started with, even when a newer one exists."""
    return form_registry().get(pep.form_key, pep.form_version)


def child_facts(child: Child, on: date | None = None) -> dict[str, object]:
    """Facts from the child's record as they are today, keyed by the forms' fact sources."""
    return {
        "child_name": child.full_name,
        # Not a fact a form shows: the name the child's own words are introduced with.
        "first_name": child.first_name,
        "date_of_birth": child.date_of_birth,
        "school_name": _setting_in_words(
            child.current_school.name if child.current_school else None,
            child.no_school_place_label,
        ),
        "year_group": child.year_group_label(on),
        "legal_status": child.legal_status_label,
        "date_entered_care": child.date_entered_care,
        "upn": child.upn or "Not recorded",
        "local_authority_reference": child.authority_reference,
    }


def _setting_in_words(school_name: str | None, no_school_place_label: str | None) -> str:
    if school_name:
        return school_name
    return (
        f"No school place: {no_school_place_label}" if no_school_place_label else "No school place"
    )


# A PEP in these states shows the facts fixed when it was signed off, not today's.
FIXED_FACTS_STATES = frozenset({PepState.SIGNED_OFF.value, PepState.SUPERSEDED.value})


def pep_year_start(pep: Pep) -> date:
    """The first day of the PEP's academic year: the year group is the one the PEP was for."""
    return date(pep.academic_year, 9, 1)


def snapshot_child_facts(session: Session, pep: Pep) -> dict[str, Any]:
    """The child's facts as they are now, to be kept on the PEP when it is signed off: its
    page and record go on showing them after the child moves school or their status changes."""
    child = pep.child
    school = child.current_school
    holders: dict[str, list[str]] = {Role.SOCIAL_WORKER.value: [], Role.CARER.value: []}
    for role, name in session.execute(
        select(RoleGrant.role, User.display_name)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.child_id == child.id, RoleGrant.role.in_(list(holders)))
        .order_by(User.display_name)
    ):
        holders[role].append(name)
    return {
        "taken_on": england_today().isoformat(),
        # Who the PEP is about, as its record names them: a later rename, correction or new
        # episode of care changes the child's record, never what was signed off.
        "first_name": child.first_name,
        "last_name": child.last_name,
        "date_of_birth": _iso(child.date_of_birth),
        "authority_reference": child.authority_reference,
        "upn": child.upn,
        "date_entered_care": _iso(child.date_entered_care),
        "school_name": school.name if school else None,
        "school_urn": school.urn if school else None,
        "no_school_place": child.no_school_place,
        "no_school_place_label": child.no_school_place_label,
        "year_group": child.year_group_label(pep_year_start(pep)),
        "legal_status": child.legal_status,
        "legal_status_label": child.legal_status_label,
        "placed_in_authority": child.placed_in_authority,
        "uasc": child.uasc,
        "social_worker": ", ".join(holders[Role.SOCIAL_WORKER.value]) or None,
        "carer": ", ".join(holders[Role.CARER.value]) or None,
    }


def pep_child_facts(pep: Pep, on: date | None = None) -> dict[str, object]:
    """The facts a PEP shows: those fixed at sign-off for a signed-off or superseded PEP,
    today's otherwise. ``on`` is the day the year group is worked out for: by default the first
    day of the PEP's own academic year, so a PEP still open after September shows the year group
    it was for on every page, as its caption and its document do."""
    facts = child_facts(pep.child, pep_year_start(pep) if on is None else on)
    snapshot = pep.snapshot
    if snapshot and pep.state in FIXED_FACTS_STATES:
        facts["school_name"] = _setting_in_words(
            snapshot.get("school_name"), snapshot.get("no_school_place_label")
        )
        facts["year_group"] = snapshot.get("year_group") or facts["year_group"]
        facts["legal_status"] = snapshot.get("legal_status_label") or facts["legal_status"]
        # Snapshots taken before these were kept lack the keys: today's values stand for them.
        if "first_name" in snapshot and "last_name" in snapshot:
            facts["first_name"] = snapshot["first_name"]
            facts["child_name"] = f"{snapshot['first_name']} {snapshot['last_name']}"
        if "date_of_birth" in snapshot:
            facts["date_of_birth"] = _from_iso(snapshot["date_of_birth"], facts["date_of_birth"])
        if "authority_reference" in snapshot:
            facts["local_authority_reference"] = snapshot["authority_reference"]
        if "upn" in snapshot:
            facts["upn"] = snapshot["upn"] or "Not recorded"
        if "date_entered_care" in snapshot:
            facts["date_entered_care"] = _from_iso(
                snapshot["date_entered_care"], facts["date_entered_care"]
            )
    return facts


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _from_iso(text: object, otherwise: object) -> object:
    """A date kept in a snapshot (JSON) back as a date; `otherwise` (today's) if it is not one."""
    if text is None:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return otherwise


def age_in_years(date_of_birth: date, on: date) -> int:
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)


def keep_saved_values_where_invalid(
    form: Form, stored: dict[str, object], answers: dict[str, object]
) -> dict[str, object]:
    """Bad input is never saved over a good answer: fields with errors keep what was saved
    before, while the person's typing stays on the page for them to correct."""
    merged = dict(answers)
    for field in form:
        if field.errors:
            if field.name in stored:
                merged[field.name] = stored[field.name]
            else:
                merged.pop(field.name, None)
    return merged
