"""Version 3 forms ask some questions only under a condition and work some figures out: the
section page, the read view and the Word record show that.

The section page (without JavaScript) keeps every question, a conditional one in a wrapper
naming its condition for the page's script and with a hint saying when to answer it; a
calculated figure is shown with its value for the answers so far. The read view and the Word
record leave out the questions not asked for the stored answers (a table's cells too) and list
the calculated figures with their values.

The forms are read as the portal will read them once version 3 is published: the published
definitions and the drafts of the next versions, loaded together from a folder of their own.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from docx import Document
from flask import Flask, render_template

from forms import form_from_answers, load_definitions
from forms.conditions import only_if_hint
from forms.rows import give_new_rows_ids
from forms.samples import sample_answers
from forms.schema import DEFAULT_DIRECTORY, FormDefinition, SectionDefinition, VoiceBand
from portal import create_app
from portal.exports import content
from portal.exports.builder import build_pep_document
from portal.exports.samples import sample_pep
from portal.form_registry import draft_form_class
from portal.models import Pep, PepSection
from portal.peps.presenters import display_rows, total_text

DRAFTS = DEFAULT_DIRECTORY.parent / "drafts"
TODAY = date(2026, 11, 2)
FACTS = {"child_name": "Ada Example", "school_name": "Oakfield Primary"}

PERSISTENT = "12.5% - Persistent absence (10% or more of sessions missed)"
NOT_WORKED_OUT_YEAR = (
    'Not worked out yet: it needs "Authorised absences this school year so far (sessions)", '
    '"Unauthorised absences this school year so far (sessions)" and '
    '"Sessions possible this school year so far"'
)
# A child not suspended this year whose section still holds a suspension from an earlier save
# (a page without the script posts every question): it is not shown anywhere.
NOT_SUSPENDED: dict[str, object] = {
    "sessions_possible_term": 80,
    "sessions_attended_term": 70,
    "authorised_absences_term": 6,
    "unauthorised_absences_term": 4,
    "attendance_support": "Morning check-ins with the learning mentor.",
    "suspensions_this_year": False,
    "suspensions": [
        {
            "row_id": "r1",
            "start_date": "2026-10-05",
            "length_sessions": 4,
            "reasons": [],
            "sixth_day_provision": "",
        }
    ],
    "permanently_excluded": False,
    "permanent_exclusion_stage": "governors_review_pending",
}
# Two suspensions: provision from the sixth day is asked only of the one longer than 10 sessions.
SUSPENDED: dict[str, object] = {
    **NOT_SUSPENDED,
    "suspensions_this_year": True,
    "suspensions": [
        {
            "row_id": "r1",
            "start_date": "2026-10-05",
            "length_sessions": 12,
            "reasons": [],
            "sixth_day_provision": "Full-time education at the pupil referral unit.",
        },
        {
            "row_id": "r2",
            "start_date": "2026-10-20",
            "length_sessions": 2,
            "reasons": [],
            "sixth_day_provision": "A provision nobody was asked about.",
        },
    ],
    "exclusion_details": "A fight at lunchtime; a mentor now meets the child at lunch.",
}


@pytest.fixture(scope="module")
def next_versions() -> dict[str, FormDefinition]:
    registry = load_definitions(DEFAULT_DIRECTORY, DRAFTS)
    latest = {key: registry.latest(key) for key in ("school_age", "early_years", "post_16")}
    assert all(definition.version >= 3 for definition in latest.values())
    return latest


@pytest.fixture(scope="module")
def attendance(next_versions: dict[str, FormDefinition]) -> SectionDefinition:
    return next_versions["school_age"].section("attendance_exclusions")


@pytest.fixture(scope="module")
def app() -> Flask:
    """The portal for its templates and url_for: nothing here reaches the database."""
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "shown"})


def _pep_on(definition: FormDefinition, section_answers: dict[str, dict[str, object]]) -> Pep:
    pep, _trail = sample_pep(form_key=definition.key, today=TODAY)
    pep.form_version = definition.version
    pep.pep_type = "termly"
    pep.sections = [
        PepSection(
            section_key=section.key,
            answers=section_answers.get(section.key)
            or dict(sample_answers(section, today=TODAY, band=VoiceBand.PRIMARY)),
        )
        for section in definition.sections
    ]
    return pep


def section_page(app: Flask, section: SectionDefinition, answers: dict[str, object]) -> str:
    """The section's form as the section page renders it for these stored answers."""
    pep, _trail = sample_pep(form_key="school_age", today=TODAY)
    stored = PepSection(section_key=section.key, answers=answers)
    stored.version = 1
    with app.test_request_context(f"/peps/{pep.id}/sections/{section.key}"):
        form = form_from_answers(draft_form_class(section), section, answers, facts=FACTS)
        give_new_rows_ids(form)
        return render_template(
            "peps/_section_form.html",
            pep=pep,
            section=section,
            stored=stored,
            form=form,
            editor_token="editor",
            totals=[("any", 0)],
            errors=[],
            conflict=None,
        )


def read_view(app: Flask, section: SectionDefinition, answers: dict[str, object]) -> str:
    rows = display_rows(section, answers, FACTS)
    with app.test_request_context("/"):
        return render_template("peps/_answers.html", rows=rows)


def word_record(
    definition: FormDefinition, answers: dict[str, dict[str, object]], monkeypatch: Any
) -> list[str]:
    """Every paragraph and table cell of the PEP's Word record, read back from the .docx."""
    pep = _pep_on(definition, answers)
    monkeypatch.setattr(content, "definition_for", lambda _pep: definition)
    document = build_pep_document(
        pep,
        settings={"AUTHORITY_NAME": "Testshire County Council"},
        draft=False,
        generated_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
        trail=[],
    )
    word = Document(io.BytesIO(document))
    return [paragraph.text for paragraph in word.paragraphs] + [
        cell.text for table in word.tables for row in table.rows for cell in row.cells
    ]


def wrappers(page: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Each conditional question's wrapper: its id, its condition and its name prefix."""
    pattern = re.compile(
        r'<div class="openpep-conditional" id="([^"]+)" data-openpep-shown-if="([^"]+)" '
        r'data-openpep-name-prefix="([^"]*)">'
    )
    for match in pattern.finditer(page):
        yield match[1], json.loads(html.unescape(match[2])), match[3]


def words(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def test_without_javascript_every_question_is_on_the_page_with_when_to_answer_it(
    app: Flask, attendance: SectionDefinition
) -> None:
    page = section_page(app, attendance, NOT_SUSPENDED)
    found = {wrapper_id: (condition, prefix) for wrapper_id, condition, prefix in wrappers(page)}

    assert found["suspensions-conditional"] == (
        {"field": "suspensions_this_year", "equals": True},
        "",
    )
    assert found["exclusion_details-conditional"] == (
        {
            "any": [
                {"field": "suspensions_this_year", "equals": True},
                {"field": "permanently_excluded", "equals": True},
            ]
        },
        "",
    )
    # A table's column names its sibling in the same row through the row's prefix.
    assert found["suspensions-0-sixth_day_provision-conditional"] == (
        {"field": "length_sessions", "more_than": 10},
        "suspensions-0-",
    )
    # The hidden questions are on the page all the same (the server drops what they hold).
    assert 'id="suspensions-0-start_date"' in page
    hint = only_if_hint(attendance.fields_by_key["suspensions"].shown_if, attendance.fields_by_key)
    assert hint == ('Answer this only if "Has the child been suspended this school year?" is "Yes"')
    assert (
        f'<p class="govuk-body openpep-conditional__hint" id="suspensions-only-if">{hint}</p>'
        in (html.unescape(page))
    )
    group = attendance.fields_by_key["suspensions"]
    sixth_day = group.columns_by_key["sixth_day_provision"]
    row_hint = only_if_hint(sixth_day.shown_if, group.columns_by_key)
    assert row_hint.startswith("Answer this only if more than 10 is entered for ")
    assert row_hint in words(page)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "every id on the page is unique"


def test_a_required_if_question_is_not_marked_optional(
    app: Flask, next_versions: dict[str, FormDefinition]
) -> None:
    needs = next_versions["school_age"].section("special_educational_needs")
    page = words(section_page(app, needs, {"sen_status": "none"}))

    assert "Answer this only if" in page
    primary = needs.fields_by_key["primary_need"]
    assert primary.required_if is not None
    assert f"{primary.label} (optional)" not in page
    assert primary.label in page


def test_the_calculated_absence_rate_is_on_the_page_with_what_the_script_needs(
    app: Flask, attendance: SectionDefinition
) -> None:
    page = section_page(app, attendance, NOT_SUSPENDED)

    assert PERSISTENT in words(page)
    assert NOT_WORKED_OUT_YEAR in words(page)
    assert 'name="absence_rate_term"' not in page, "a figure has no input"
    found = re.search(r'data-openpep-calculated="([^"]+)"', page)
    assert found is not None
    calculation = json.loads(html.unescape(found[1]))
    assert calculation == {
        "calculation": "percentage",
        "numerator": ["authorised_absences_term", "unauthorised_absences_term"],
        "denominator": "sessions_possible_term",
        "decimal_places": 1,
        "bands": [
            {"at_least": 50, "label": "Severe absence (50% or more of sessions missed)"},
            {"at_least": 10, "label": "Persistent absence (10% or more of sessions missed)"},
        ],
        "otherwise": "Not persistently absent",
        "not_worked_out": calculation["not_worked_out"],
        "nothing_to_divide": (
            '"Sessions possible this term" is 0, so there is no percentage to work out'
        ),
    }
    assert calculation["not_worked_out"].startswith("Not worked out yet: it needs ")


def test_the_read_view_leaves_out_questions_not_asked_and_lists_the_figures(
    app: Flask, attendance: SectionDefinition
) -> None:
    not_suspended = {row.key: row for row in display_rows(attendance, NOT_SUSPENDED, FACTS)}
    assert "suspensions" not in not_suspended
    assert "exclusion_details" not in not_suspended
    assert "permanent_exclusion_stage" not in not_suspended
    assert not_suspended["absence_rate_term"].text == PERSISTENT
    assert not_suspended["absence_rate_year"].text == NOT_WORKED_OUT_YEAR
    page = words(read_view(app, attendance, NOT_SUSPENDED))
    assert "Suspensions this school year" not in page
    assert "Governors" not in page
    assert PERSISTENT in page

    suspended = {row.key: row for row in display_rows(attendance, SUSPENDED, FACTS)}
    table = suspended["suspensions"]
    column = [header for header in table.table_headers].index(
        attendance.fields_by_key["suspensions"].columns_by_key["sixth_day_provision"].label
    )
    assert table.table_rows[0][column] == "Full-time education at the pupil referral unit."
    assert table.table_rows[1][column] is None
    page = words(read_view(app, attendance, SUSPENDED))
    assert "Full-time education at the pupil referral unit." in page
    assert "A provision nobody was asked about." not in page


def test_the_word_record_leaves_out_questions_not_asked_and_lists_the_figures(
    next_versions: dict[str, FormDefinition], monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = next_versions["school_age"]
    record = word_record(definition, {"attendance_exclusions": NOT_SUSPENDED}, monkeypatch)
    text = "\n".join(record)
    assert "Absence this term" in record
    assert PERSISTENT in record
    assert NOT_WORKED_OUT_YEAR in record
    assert "Suspensions this school year" not in text
    assert "Where has the permanent exclusion got to?" not in text

    record = word_record(definition, {"attendance_exclusions": SUSPENDED}, monkeypatch)
    text = "\n".join(record)
    assert "Suspensions this school year" in text
    assert "Full-time education at the pupil referral unit." in record
    assert "A provision nobody was asked about." not in text


def test_a_total_of_whole_numbers_is_a_count_and_a_total_of_money_is_in_pounds(
    app: Flask,
    attendance: SectionDefinition,
    next_versions: dict[str, FormDefinition],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = words(section_page(app, attendance, SUSPENDED))
    assert "Sessions lost to suspension this school year 14" in page
    assert "£14" not in page
    record = word_record(
        next_versions["school_age"], {"attendance_exclusions": SUSPENDED}, monkeypatch
    )
    assert "Sessions lost to suspension this school year: 14" in record
    assert "£14.00" not in "\n".join(record)

    suspensions = attendance.fields_by_key["suspensions"]
    (sessions,) = suspensions.computed_totals
    assert total_text(suspensions, sessions, Decimal("14.00")) == "14"
    targets = next_versions["school_age"].section("smart_targets").fields_by_key["targets"]
    (money,) = targets.computed_totals
    assert total_text(targets, money, Decimal("1250.00")) == "£1,250.00"
