"""The storage format, cleaning of text, computed totals, and prefilled read-only rows."""

import json
from datetime import date
from decimal import Decimal

import pytest

from forms.answers import (
    FormData,
    answers_from_form,
    computed_totals,
    decode_answer,
    form_data_from_answers,
    form_from_answers,
    formdata_from_answers,
    prefilled_answers,
)
from forms.builder import build_section_form, form_errors
from forms.completeness import SectionStatus, missing_answers, section_status
from forms.parsing import clean_text

TODAY = date(2026, 3, 27)


def fixed_today() -> date:
    return TODAY


def test_the_storage_format_for_each_type(registry):
    section = registry.get("school_age", 1).section("attendance_exclusions")
    form_class = build_section_form(section, draft=True, today=fixed_today)
    post = FormData(
        [
            ("attendance_this_term", "92.50"),
            ("suspensions_this_term", "0"),
            ("permanently_excluded", "no"),
            ("attendance_support", "  Daily check-in  "),
            ("exclusion_details", ""),
        ]
    )
    answers = answers_from_form(section, form_class(formdata=post))
    assert answers == {
        "attendance_this_term": "92.5",
        "suspensions_this_term": 0,
        "permanently_excluded": False,
        "attendance_support": "Daily check-in",
    }
    assert json.loads(json.dumps(answers)) == answers

    health = registry.get("school_age", 1).section("health_wellbeing")
    form_class = build_section_form(health, draft=True, today=fixed_today)
    post = FormData(
        [
            ("support_received", "other"),
            ("support_received", "elsa"),
            ("support_received", "elsa"),
            ("support_received", "not-an-option"),
            ("sdq_date", "1 2 2026"),
        ]
    )
    answers = answers_from_form(health, form_class(formdata=post))
    assert answers == {"support_received": ["elsa", "other"], "sdq_date": "2026-02-01"}


def test_control_characters_are_stripped_from_every_text_answer(registry):
    section = registry.get("school_age", 1).section("carers_views")
    form_class = build_section_form(section, draft=True, today=fixed_today)
    typed = "Reads\x00 every\x08 night\x1b\tand\r\nat weekends\x7f\x85\ufffe"
    form = form_class(formdata=FormData([("going_well", typed)]))
    assert form.validate()
    assert answers_from_form(section, form)["going_well"] == "Reads every night\tand\nat weekends"

    meeting = registry.get("school_age", 1).section("meeting_details")
    form = build_section_form(meeting, draft=True)(
        formdata=FormData([("meeting_venue", "\x0bThe\x00 school\nhall\x0c")])
    )
    assert answers_from_form(meeting, form)["meeting_venue"] == "The school hall"


@pytest.mark.parametrize(
    ("typed", "multiline", "clean"),
    [
        ("a\x00b", False, "ab"),
        ("a\r\nb\rc", True, "a\nb\nc"),
        ("a\r\nb", False, "a b"),
        ("\ud800lone surrogate", True, "lone surrogate"),
        ("  keep   inner  ", True, "keep   inner"),
    ],
)
def test_clean_text(typed, multiline, clean):
    assert clean_text(typed, multiline=multiline) == clean


def test_the_pp_plus_total_is_computed_from_the_target_rows(registry):
    section = registry.get("school_age", 1).section("smart_targets")
    answers = {
        "targets": [
            {"outcome": "Read at age-expected level", "pp_plus_amount": "150.50"},
            {"outcome": "Attend 95%", "pp_plus_amount": "99.50"},
            {"outcome": "Join a club"},
            {"outcome": "Corrupt row", "pp_plus_amount": "a lot"},
        ]
    }
    assert computed_totals(section, answers) == {"pp_plus_total": Decimal("250.00")}
    assert computed_totals(section, {}) == {"pp_plus_total": Decimal("0.00")}
    assert computed_totals(registry.get("school_age", 1).section("meeting_details"), {}) == {}


def test_the_pp_plus_total_from_a_post(registry):
    section = registry.get("school_age", 1).section("smart_targets")
    form_class = build_section_form(section, draft=True, today=fixed_today)
    post = FormData(
        [
            ("targets-0-outcome", "One"),
            ("targets-0-pp_plus_amount", "£1,000"),
            ("targets-1-outcome", "Two"),
            ("targets-1-pp_plus_amount", "250.5"),
        ]
    )
    answers = answers_from_form(section, form_class(formdata=post))
    assert computed_totals(section, answers)["pp_plus_total"] == Decimal("1250.50")


LAST_PEP = {
    "smart_targets": {
        "targets": [
            {
                "outcome": "Read 20 minutes a day",
                "by_when": "2026-02-13",
                "pp_plus_amount": "50.00",
            },
            {"outcome": "Attend 95% of sessions", "by_when": "2026-03-20"},
        ]
    }
}


def test_previous_targets_are_prefilled_from_the_last_pep(registry):
    definition = registry.get("school_age", 1)
    prefilled = prefilled_answers(definition, LAST_PEP)
    assert prefilled == {
        "review_previous_targets": {
            "previous_targets": [
                {"target": "Read 20 minutes a day", "due_by": "2026-02-13"},
                {"target": "Attend 95% of sessions", "due_by": "2026-03-20"},
            ]
        }
    }
    # Targets carry over to another form, such as early years to school age.
    assert prefilled_answers(registry.get("early_years", 1), LAST_PEP) == {
        "review_previous_targets": prefilled["review_previous_targets"]
    }
    assert prefilled_answers(definition, {}) == {}
    assert prefilled_answers(definition, {"smart_targets": {"targets": "garbled"}}) == {}


def test_prefilled_rows_are_read_only_fixed_and_must_each_be_reviewed(registry):
    definition = registry.get("school_age", 1)
    section = definition.section("review_previous_targets")
    stored = prefilled_answers(definition, LAST_PEP)["review_previous_targets"]
    assert section_status(section, stored, today=TODAY) is SectionStatus.NOT_STARTED

    form_class = build_section_form(section, today=fixed_today)
    post = FormData(
        [
            ("previous_targets-0-target", "Something easier"),  # tampered read-only cell
            ("previous_targets-0-outcome", "achieved"),
            ("previous_targets-0-evidence", "Reading log"),
            ("previous_targets-2-target", "A row nobody set"),  # not a prefilled row
            ("previous_targets-2-outcome", "achieved"),
            ("review_summary", "Settled well"),
        ]
    )
    form = form_from_answers(form_class, section, stored, formdata=post)
    assert not form.validate()
    assert [(e.field_id, e.message) for e in form_errors(form)] == [
        ("previous_targets-1-outcome", "Target 2: Select whether the target was achieved"),
        ("previous_targets-1-evidence", "Target 2: Enter the evidence"),
    ]
    answers = answers_from_form(section, form)
    assert answers["previous_targets"] == [
        {
            "target": "Read 20 minutes a day",
            "due_by": "2026-02-13",
            "outcome": "achieved",
            "evidence": "Reading log",
        },
        {"target": "Attend 95% of sessions", "due_by": "2026-03-20"},
    ]
    assert section_status(section, answers, today=TODAY) is SectionStatus.IN_PROGRESS
    assert [m.message for m in missing_answers(section, answers, today=TODAY)] == [
        "Target 2: Select whether the target was achieved",
        "Target 2: Enter the evidence",
    ]


def test_facts_are_shown_from_the_childs_record_and_never_stored(registry):
    section = registry.get("school_age", 1).section("meeting_details")
    form_class = build_section_form(section, draft=True)
    facts = {"child_name": "Alex Smith", "date_of_birth": date(2016, 5, 4)}
    post = FormData([("child_name", "Someone else"), ("meeting_venue", "School")])
    form = form_from_answers(form_class, section, {}, facts=facts, formdata=post)
    assert form.child_name.data == "Alex Smith"
    assert form.date_of_birth._value() == "4 May 2016"
    assert form.child_name.description == "From the child's record: name"
    assert "readonly" in str(form.child_name())
    assert answers_from_form(section, form) == {"meeting_venue": "School"}


def test_unreadable_stored_answers_leave_the_field_empty_instead_of_failing(registry):
    section = registry.get("school_age", 1).section("attendance_exclusions")
    stored = {
        "attendance_this_term": "ninety",
        "suspensions_this_term": "3",
        "permanently_excluded": "no",
        "attendance_last_term": 91,
    }
    data = form_data_from_answers(section, stored)
    assert data == {"attendance_last_term": Decimal(91)}
    form = form_from_answers(build_section_form(section), section, stored)
    assert form.attendance_this_term.data is None
    assert {m.field_key: m.message for m in missing_answers(section, stored, today=TODAY)} == {
        "attendance_this_term": "Enter attendance this term as a number from 0 to 100",
        "suspensions_this_term": (
            "Enter the number of suspensions this term as a whole number from 0 to 100"
        ),
        "permanently_excluded": "Select yes or no",
    }


def test_decode_refuses_the_wrong_shape(registry):
    meeting = registry.get("school_age", 1).section("meeting_details")
    date_field = meeting.get_field("meeting_date")
    assert decode_answer(date_field, "2026-03-27") == date(2026, 3, 27)
    for bad in ["27/03/2026", "20260327", "2026-02-30", 20260327]:
        with pytest.raises(ValueError, match="meeting_date"):
            decode_answer(date_field, bad)


def test_formdata_can_post_dates_as_day_month_year(registry):
    section = registry.get("school_age", 1).section("meeting_details")
    post = formdata_from_answers(section, {"meeting_date": "2026-03-07"}, split_dates=True)
    assert post.getlist("meeting_date") == ["7", "3", "2026"]
    post = formdata_from_answers(section, {"meeting_date": "2026-03-07"})
    assert post.getlist("meeting_date") == ["2026-03-07"]
