"""A draft save drops a row only when the post leaves it no answer: each saved answer blanked,
or hidden by the answers the post gave the row. A cell whose posted value fails to read (a URN
that is not 6 digits) gives the row no answer, and keeps none it did not have."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from forms.answers import FormData, form_from_answers
from forms.builder import build_section_form
from forms.rows import merge_posted, posted_section
from forms.schema import SectionDefinition, load_definition

TODAY = date(2026, 11, 28)
DEFINITION = Path(__file__).parents[3] / "forms" / "definitions" / "school_age.v3.yaml"


@pytest.fixture(scope="module")
def section() -> SectionDefinition:
    definition = load_definition(DEFINITION)
    return next(s for s in definition.sections if s.key == "educational_history")


def save_draft(
    section: SectionDefinition, saved: dict, pairs: list[tuple[str, str]]
) -> tuple[dict, dict[str, list[str]]]:
    """The answers after a draft save as the portal makes it, and the errors of its one row."""
    form_class = build_section_form(section, draft=True, today=lambda: TODAY)
    form = form_from_answers(form_class, section, saved, formdata=FormData(pairs))
    form.validate()
    merged = merge_posted(section, saved, posted_section(section, form, FormData(pairs)))
    row = form["schools_attended"].entries[0].form
    return merged, {cell.short_name: cell.errors for cell in row if cell.errors}


def test_a_row_whose_only_answer_is_blanked_goes_though_a_urn_typed_wrongly(section):
    saved = {"schools_attended": [{"row_id": "bc30083d70ba", "attended_from": "2026-02-01"}]}
    merged, errors = save_draft(
        section,
        saved,
        [
            ("schools_attended-0-row_id", "bc30083d70ba"),
            ("schools_attended-0-school_urn", "abc"),
            ("schools_attended-0-attended_from", ""),
        ],
    )
    assert "school_urn" in errors  # the page says so; nothing of it was ever saved
    assert merged == {}


def test_a_row_whose_leaving_date_is_blanked_goes_with_the_reason_it_hid(section):
    saved = {
        "schools_attended": [
            {"row_id": "802a9096753e", "attended_to": "2026-03-03", "reason_left": "managed_move"}
        ]
    }
    merged, _errors = save_draft(
        section,
        saved,
        [
            ("schools_attended-0-row_id", "802a9096753e"),
            ("schools_attended-0-attended_to", ""),
            ("schools_attended-0-reason_left", "not an option"),
        ],
    )
    assert merged == {}


def test_a_row_keeps_an_answer_whose_new_value_fails_to_read(section):
    row = {"row_id": "802a9096753e", "attended_to": "2026-03-03"}
    merged, errors = save_draft(
        section,
        {"schools_attended": [row]},
        [
            ("schools_attended-0-row_id", "802a9096753e"),
            ("schools_attended-0-school_urn", "abc"),
            ("schools_attended-0-attended_to", "zz"),
        ],
    )
    assert {"school_urn", "attended_to"} <= set(errors)
    assert merged == {"schools_attended": [row]}
