"""The PEP form definitions, loaded and validated once: the app refuses to start on a bad one."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from flask import current_app, has_app_context
from wtforms import Form

from forms import FormRegistry, build_section_form, load_definitions
from forms.schema import DEFAULT_DIRECTORY, FormDefinition, SectionDefinition
from portal.models import Child, Pep


@cache
def _registry_in(directory: Path) -> FormRegistry:
    return load_definitions(directory)


def form_registry() -> FormRegistry:
    """The definitions in the configured folder (OPENPEP_FORMS_DIRECTORY), loaded once."""
    configured = current_app.config.get("FORMS_DIRECTORY") if has_app_context() else None
    return _registry_in(Path(configured or DEFAULT_DIRECTORY).resolve())


@cache
def draft_form_class(section: SectionDefinition) -> type[Form]:
    """One WTForms class per section definition, built once per process."""
    return build_section_form(section, draft=True)


def definition_for(pep: Pep) -> FormDefinition:
    """The form and version the PEP was started with, even when a newer one exists."""
    return form_registry().get(pep.form_key, pep.form_version)


def child_facts(child: Child, on: date | None = None) -> dict[str, object]:
    """Facts from the child's record, keyed by the forms' fact sources."""
    return {
        "child_name": child.full_name,
        "date_of_birth": child.date_of_birth,
        "school_name": child.current_school.name if child.current_school else "No school place",
        "year_group": child.year_group_label(on),
        "legal_status": child.legal_status_label,
        "date_entered_care": child.date_entered_care,
        "upn": child.upn or "Not recorded",
        "local_authority_reference": child.authority_reference,
    }


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
