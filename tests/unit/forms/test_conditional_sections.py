"""A section's conditions and checks at work: hidden questions are neither checked nor kept,
required_if is enforced on submission only, checks refuse impossible combinations in both modes
against the field they name, ticked boxes are capped, and a table's cells follow their row."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from forms.answers import FormData, answers_from_form, computed_totals, form_from_answers
from forms.builder import FormError, build_section_form, form_errors
from forms.completeness import missing_answers
from forms.messages import too_many_selected
from forms.rows import PostedSection, merge_posted, posted_section
from forms.schema import CalculatedDefinition, SectionDefinition, load_definition

TODAY = date(2026, 3, 27)
MISSED_MESSAGE = "Missed sessions must be no more than the sessions possible"
TOTAL_MESSAGE = "Suspensions must total no more than 90 sessions"

DOCUMENT = {
    "key": "sample",
    "version": 1,
    "title": "Sample",
    "phase": "school_age",
    "sections": [
        {
            "key": "first",
            "title": "First",
            "owner": "designated_teacher",
            "description": "The first section.",
            "fields": [
                {"key": "reduced", "type": "yes_no", "label": "On a reduced timetable"},
                {
                    "key": "hours",
                    "type": "whole_number",
                    "label": "Hours a week",
                    "min": 0,
                    "max": 40,
                    "shown_if": {"field": "reduced", "equals": True},
                    "required_if": {"field": "reduced", "equals": True},
                },
                {
                    "key": "reason",
                    "type": "long_text",
                    "label": "Reason",
                    "required": True,
                    "shown_if": {"field": "reduced", "equals": True},
                },
                {"key": "possible", "type": "whole_number", "label": "Possible", "min": 0},
                {"key": "missed", "type": "whole_number", "label": "Missed", "min": 0},
                {
                    "key": "reasons",
                    "type": "checkboxes",
                    "label": "Reasons",
                    "error_name": "the reasons",
                    "max_selected": 2,
                    "options": [
                        {"value": "a", "label": "A"},
                        {"value": "b", "label": "B"},
                        {"value": "c", "label": "C"},
                    ],
                },
                {
                    "key": "rate",
                    "type": "calculated",
                    "label": "Rate",
                    "calculation": "percentage",
                    "numerator": ["missed"],
                    "denominator": "possible",
                },
                {
                    "key": "suspensions",
                    "type": "repeating_group",
                    "label": "Suspensions",
                    "row_label": "Suspension",
                    "required_if": {"field": "reduced", "equals": True},
                    "columns": [
                        {"key": "length", "type": "whole_number", "label": "Length", "min": 1},
                        {
                            "key": "note",
                            "type": "short_text",
                            "label": "Note",
                            "shown_if": {"field": "length", "more_than": 10},
                            "required_if": {"field": "length", "more_than": 10},
                        },
                    ],
                    "computed_totals": [
                        {"key": "total_sessions", "label": "Total", "column": "length"}
                    ],
                },
            ],
            "checks": [
                {
                    "check": "not_more_than",
                    "field": "missed",
                    "than": "possible",
                    "message": MISSED_MESSAGE,
                },
                {
                    "check": "column_total_not_more_than",
                    "group": "suspensions",
                    "column": "length",
                    "than": 90,
                    "message": TOTAL_MESSAGE,
                },
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def section(tmp_path_factory: pytest.TempPathFactory) -> SectionDefinition:
    path: Path = tmp_path_factory.mktemp("conditional") / "sample.v1.yaml"
    path.write_text(yaml.safe_dump(DOCUMENT, sort_keys=False), encoding="utf-8")
    return load_definition(path).sections[0]


def submit(section: SectionDefinition, pairs: list[tuple[str, str]], *, draft: bool = False):
    form_class = build_section_form(section, draft=draft, today=lambda: TODAY)
    form = form_from_answers(form_class, section, {}, formdata=FormData(pairs))
    valid = form.validate()
    return form, valid


def test_a_required_if_that_holds_requires_the_field_on_submission(section):
    form, valid = submit(section, [("reduced", "yes"), ("reason", "Anxiety")])
    assert not valid
    assert form.hours.errors == ["Enter hours a week"]
    assert form.suspensions.errors == ["Enter suspensions"]


def test_required_with_shown_if_is_required_whenever_shown(section):
    form, valid = submit(section, [("reduced", "yes"), ("hours", "10")])
    assert not valid
    assert form.reason.errors == ["Enter reason"]
    form, valid = submit(section, [("reduced", "no")])
    assert valid, form_errors(form)


def test_a_draft_enforces_nothing_required(section):
    form, valid = submit(section, [("reduced", "yes")], draft=True)
    assert valid, form_errors(form)


def test_a_hidden_field_is_not_checked_and_its_value_is_dropped(section):
    for draft in (False, True):
        form, valid = submit(
            section,
            [("reduced", "no"), ("hours", "abc"), ("reason", "Old reason")],
            draft=draft,
        )
        assert valid, form_errors(form)
        answers = answers_from_form(section, form)
        assert answers == {"reduced": False}


def test_a_shown_field_keeps_its_value(section):
    form, valid = submit(
        section,
        [("reduced", "yes"), ("hours", "12"), ("reason", "Anxiety"), ("suspensions-0-length", "2")],
    )
    assert valid, form_errors(form)
    assert answers_from_form(section, form)["hours"] == 12


@pytest.mark.parametrize("draft", [False, True], ids=["submit", "draft"])
def test_a_check_refuses_an_impossible_combination_in_both_modes(section, draft):
    form, valid = submit(section, [("possible", "5"), ("missed", "10")], draft=draft)
    assert not valid
    assert form.missed.errors == [MISSED_MESSAGE]
    assert FormError("missed", MISSED_MESSAGE) in form_errors(form)


def test_a_check_is_skipped_until_its_fields_are_answered(section):
    form, valid = submit(section, [("missed", "10")], draft=True)
    assert valid, form_errors(form)


def test_a_field_in_error_is_not_checked_as_well(section):
    form, valid = submit(section, [("possible", "5"), ("missed", "-3")], draft=True)
    assert not valid
    assert MISSED_MESSAGE not in form.missed.errors


def test_a_column_total_check_links_to_the_tables_first_cell(section):
    form, valid = submit(
        section,
        [("suspensions-0-length", "50"), ("suspensions-1-length", "45")],
        draft=True,
    )
    assert not valid
    assert FormError("suspensions-0-length", TOTAL_MESSAGE) in form_errors(form)


@pytest.mark.parametrize("draft", [False, True], ids=["submit", "draft"])
def test_more_ticked_boxes_than_allowed_are_refused(section, draft):
    pairs = [("reduced", "no"), ("reasons", "a"), ("reasons", "b"), ("reasons", "c")]
    form, valid = submit(section, pairs, draft=draft)
    assert not valid
    assert form.reasons.errors == ["Select no more than 2 reasons"]
    form, valid = submit(section, pairs[:-1], draft=draft)
    assert valid, form_errors(form)


def test_the_max_selected_message_drops_the_article():
    assert too_many_selected("the reasons for the suspension", 3) == (
        "Select no more than 3 reasons for the suspension"
    )
    assert too_many_selected("support needs", 2) == "Select no more than 2 support needs"


def test_a_hidden_cell_is_dropped_and_a_required_cell_required_on_submission(section):
    form, valid = submit(
        section,
        [
            ("reduced", "no"),
            ("suspensions-0-length", "4"),
            ("suspensions-0-note", "Should go"),
            ("suspensions-1-length", "12"),
        ],
    )
    assert not valid
    assert FormError("suspensions-1-note", "Suspension 2: Enter note") in form_errors(form)
    assert form.suspensions.entries[0].form.note.errors == []
    answers = answers_from_form(section, form)
    assert answers["suspensions"][0] == {"length": 4}
    form, valid = submit(section, [("reduced", "no"), ("suspensions-0-length", "12")], draft=True)
    assert valid, form_errors(form)


def test_a_save_that_does_not_carry_a_hidden_answer_still_drops_it(section):
    saved = {"reduced": True, "hours": 5, "reason": "Anxiety", "possible": 10}
    posted = PostedSection(answers={"reduced": False}, carried=frozenset({"reduced"}))
    assert merge_posted(section, saved, posted) == {"reduced": False, "possible": 10}


def test_a_saved_row_loses_a_cell_its_row_hides(section):
    saved = {"suspensions": [{"row_id": "a1", "length": 4, "note": "Old"}]}
    posted = PostedSection()
    merged = merge_posted(section, saved, posted)
    assert merged == {"suspensions": [{"row_id": "a1", "length": 4}]}


def test_completeness_counts_only_what_is_shown_and_required_now(section):
    done = {"reduced": False, "possible": 10, "missed": 1}
    assert missing_answers(section, done, today=TODAY) == []
    missing = {answer.field_key for answer in missing_answers(section, {"reduced": True})}
    assert missing == {"hours", "reason", "suspensions"}
    rows = {"reduced": False, "suspensions": [{"length": 12}]}
    messages = [answer.message for answer in missing_answers(section, rows, today=TODAY)]
    assert messages == ["Suspension 1: Enter note"]
    impossible = {"reduced": False, "possible": 1, "missed": 3}
    messages = [answer.message for answer in missing_answers(section, impossible, today=TODAY)]
    assert messages == [MISSED_MESSAGE]


def test_a_whole_number_total_is_a_count(section):
    totals = computed_totals(section, {"suspensions": [{"length": 4}, {"length": 12}]})
    assert totals == {"total_sessions": Decimal(16)}
    assert str(totals["total_sessions"]) == "16"
    group = section.get_field("suspensions")
    assert not group.total_is_money(group.computed_totals[0])


def test_a_calculated_field_is_shown_not_stored(section):
    rate = section.get_field("rate")
    assert isinstance(rate, CalculatedDefinition)
    assert rate not in section.answer_fields
    assert rate.display({"missed": 1, "possible": 8}, section.fields_by_key) == "12.5%"
    form, valid = submit(section, [("rate", "99"), ("reduced", "no")])
    assert valid
    assert "rate" not in answers_from_form(section, form)


def save_draft(section: SectionDefinition, saved: dict, pairs: list[tuple[str, str]]) -> dict:
    """A draft save as the portal makes it: the posted form, what it carries, merged over the
    saved answers."""
    form_class = build_section_form(section, draft=True, today=lambda: TODAY)
    form = form_from_answers(form_class, section, saved, formdata=FormData(pairs))
    form.validate()
    return merge_posted(section, saved, posted_section(section, form, FormData(pairs)))


def test_a_controlling_answer_typed_wrongly_keeps_what_it_reveals(section):
    saved = {"suspensions": [{"row_id": "a1", "length": 12, "note": "At the local PRU"}]}
    merged = save_draft(
        section,
        saved,
        [
            ("suspensions-0-row_id", "a1"),
            ("suspensions-0-length", "twelve"),
            ("suspensions-0-note", "At the local PRU"),
        ],
    )
    assert merged["suspensions"] == [{"row_id": "a1", "length": 12, "note": "At the local PRU"}]


def test_a_controlling_answer_changed_hides_and_drops_what_it_revealed(section):
    saved = {"reduced": True, "hours": 5, "reason": "Anxiety"}
    merged = save_draft(section, saved, [("reduced", "no"), ("hours", "5"), ("reason", "Anxiety")])
    assert merged == {"reduced": False}


def test_a_failed_check_saves_none_of_the_answers_it_compares(section):
    saved = {"possible": 10, "missed": 2}
    merged = save_draft(section, saved, [("possible", "4"), ("missed", "6")])
    assert merged == {"possible": 10, "missed": 2}
