"""Bad input gets a GOV.UK-style message that says what to do; drafts skip only "required"."""

import warnings
from datetime import date

import pytest

from forms.answers import FormData, answers_from_form
from forms.builder import build_section_form, form_errors

TODAY = date(2026, 3, 27)


def fixed_today() -> date:
    return TODAY


def submit(registry, section_key, pairs, *, draft=False, form_key="school_age"):
    section = registry.get(form_key, 1).section(section_key)
    form_class = build_section_form(section, draft=draft, today=fixed_today)
    form = form_class(formdata=FormData(pairs))
    valid = form.validate()
    return section, form, valid, {error.field_id: error.message for error in form_errors(form)}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("101", "Enter attendance this term as a number from 0 to 100"),
        ("-1", "Enter attendance this term as a number from 0 to 100"),
        ("ninety", "Enter attendance this term as a number from 0 to 100"),
        ("92.55", "Attendance this term must have 1 decimal place or fewer"),
    ],
)
def test_percentage_messages(registry, value, message):
    _, _, valid, errors = submit(
        registry, "attendance_exclusions", [("attendance_this_term", value)]
    )
    assert not valid
    assert errors["attendance_this_term"] == message


@pytest.mark.parametrize("value", ["92.5", "92.5%", " 100 ", "0"])
def test_percentages_people_write_are_accepted(registry, value):
    _, _, _, errors = submit(registry, "attendance_exclusions", [("attendance_this_term", value)])
    assert "attendance_this_term" not in errors


def test_whole_number_messages(registry):
    pairs = [("suspensions_this_term", "-1"), ("unauthorised_sessions", "2.5")]
    _, _, _, errors = submit(registry, "attendance_exclusions", pairs)
    assert errors["suspensions_this_term"] == (
        "Enter the number of suspensions this term as a whole number from 0 to 100"
    )
    assert errors["unauthorised_sessions"] == (
        "Enter the number of unauthorised absences this term as a whole number from 0 to 400"
    )
    _, _, _, errors = submit(registry, "health_wellbeing", [("sdq_score", "41")])
    assert errors["sdq_score"] == "Enter the SDQ score as a whole number from 0 to 40"


def target_row(**cells):
    return [(f"targets-0-{key}", value) for key, value in cells.items()]


def test_money_messages(registry):
    _, _, _, errors = submit(registry, "smart_targets", target_row(pp_plus_amount="-5"))
    assert errors["targets-0-pp_plus_amount"] == (
        "Target 1: The Pupil Premium Plus for this target must be £0 or more"
    )
    for bad in ["12.345", "lots", "£"]:
        _, _, _, errors = submit(registry, "smart_targets", target_row(pp_plus_amount=bad))
        assert errors["targets-0-pp_plus_amount"] == (
            "Target 1: Enter an amount of money, like 150 or 150.50"
        )
    _, _, _, errors = submit(registry, "smart_targets", target_row(pp_plus_amount="10000.01"))
    assert errors["targets-0-pp_plus_amount"] == (
        "Target 1: The Pupil Premium Plus for this target must be £10,000 or less"
    )
    _, _, _, errors = submit(registry, "pupil_premium_plus", [("amount_requested", "-0.50")])
    assert errors["amount_requested"] == "The amount requested this term must be £0 or more"


@pytest.mark.parametrize(("typed", "stored"), [("£1,500.5", "1500.50"), ("150", "150.00")])
def test_money_as_people_write_it(registry, typed, stored):
    section, form, _, errors = submit(
        registry, "pupil_premium_plus", [("amount_requested", typed)], draft=True
    )
    assert "amount_requested" not in errors
    assert answers_from_form(section, form)["amount_requested"] == stored


def test_too_long_text(registry):
    _, _, _, errors = submit(registry, "smart_targets", target_row(outcome="x" * 501))
    assert errors["targets-0-outcome"] == "Target 1: Outcome must be 500 characters or fewer"
    _, _, _, errors = submit(registry, "smart_targets", target_row(outcome="x" * 500))
    assert "targets-0-outcome" not in errors


@pytest.mark.parametrize(
    ("parts", "message", "box"),
    [
        (["31", "2", "2026"], "Enter a real date, like 27 3 2026", "day"),
        (["27", "13", "2026"], "Enter a real date, like 27 3 2026", "day"),
        (["27", "3", "26"], "Enter a real date, like 27 3 2026", "day"),
        (["27", "3", "1850"], "Enter a real date, like 27 3 2026", "day"),
        (["next tuesday"], "Enter a real date, like 27 3 2026", "day"),
        (["27", "", ""], "The date of the PEP meeting must include a month and year", "month"),
        (["", "3", "2026"], "The date of the PEP meeting must include a day", "day"),
        (["27", "3", ""], "The date of the PEP meeting must include a year", "year"),
        ([""], "Enter the date of the PEP meeting", "day"),
        (["", "", ""], "Enter the date of the PEP meeting", "day"),
    ],
)
def test_date_messages(registry, parts, message, box):
    """The error links to the first box with the problem, as the GOV.UK date input does."""
    pairs = [("meeting_date", part) for part in parts]
    _, _, _, errors = submit(registry, "meeting_details", pairs)
    date_errors = {key: value for key, value in errors.items() if key.startswith("meeting_date")}
    assert date_errors == {f"meeting_date-{box}": message}


@pytest.mark.parametrize(
    "parts", [["2026-03-27"], ["27", "3", "2026"], ["27/03/2026"], ["27", "March", "2026"]]
)
def test_dates_as_people_write_them(registry, parts):
    section, form, _, errors = submit(
        registry, "meeting_details", [("meeting_date", part) for part in parts]
    )
    assert not [key for key in errors if key.startswith("meeting_date")]
    assert answers_from_form(section, form)["meeting_date"] == "2026-03-27"


def test_dates_in_the_wrong_direction(registry):
    pairs = [("next_pep_date", "2026-03-26")]
    _, _, _, errors = submit(registry, "meeting_details", pairs)
    assert (
        errors["next_pep_date-day"]
        == "The date of the next PEP meeting must be today or in the future"
    )
    _, _, _, errors = submit(registry, "meeting_details", [("next_pep_date", "2026-03-27")])
    assert "next_pep_date-day" not in errors
    _, _, _, errors = submit(registry, "health_wellbeing", [("sdq_date", "2026-03-28")])
    assert errors["sdq_date-day"] == "The date of the latest SDQ must be today or in the past"


def test_choices_that_are_not_options(registry):
    pairs = [("setting_type", "castle"), ("alternative_provision", "maybe")]
    _, _, _, errors = submit(registry, "education_setting", pairs)
    assert errors["setting_type"] == "Select one of the options given for the type of school"
    assert errors["alternative_provision"] == "Select yes or no"


def test_pattern_message(registry):
    _, _, _, errors = submit(registry, "education_setting", [("urn", "12345")])
    assert errors["urn"] == "Enter the school URN as 6 digits, like 100000"


def test_required_messages_on_submission(registry):
    _, _, valid, errors = submit(registry, "meeting_details", [])
    assert not valid
    # Each links to a control that takes focus: a date's day box, a table's first answer.
    assert errors == {
        "meeting_date-day": "Enter the date of the PEP meeting",
        "meeting_venue": "Enter where the meeting took place",
        "attendees-0-name": "Add at least one person",
        "child_participation": "Select how the child took part in the meeting",
        "next_pep_date-day": "Enter the date of the next PEP meeting",
    }
    _, _, _, errors = submit(registry, "education_setting", [])
    assert errors["alternative_provision"] == (
        "Select yes if the child attends any alternative provision"
    )


def test_a_draft_may_be_incomplete_but_not_wrong(registry):
    section, form, valid, errors = submit(registry, "meeting_details", [], draft=True)
    assert valid and errors == {}
    assert answers_from_form(section, form) == {}

    pairs = [("meeting_venue", "School"), ("next_pep_date", "31 2 2026")]
    section, form, valid, errors = submit(registry, "meeting_details", pairs, draft=True)
    assert not valid
    assert errors == {"next_pep_date-day": "Enter a real date, like 27 3 2026"}
    assert answers_from_form(section, form) == {"meeting_venue": "School"}


def test_a_half_filled_row_needs_its_required_cells_but_a_blank_row_is_ignored(registry):
    pairs = [
        ("attendees-0-name", "Sam Patel"),
        ("attendees-1-name", ""),
        ("attendees-1-role", " "),
    ]
    _, _, _, errors = submit(registry, "meeting_details", pairs, draft=True)
    assert errors == {}
    _, _, _, errors = submit(registry, "meeting_details", pairs)
    assert errors["attendees-0-role"] == ("Person 1: Enter their role or relationship to the child")
    assert "attendees-1-role" not in errors
    assert "Add at least one person" not in errors.values()  # one person was added


def test_too_many_rows(registry):
    pairs = [(f"targets-{row}-outcome", f"Target {row}") for row in range(11)]
    _, _, _, errors = submit(registry, "smart_targets", pairs, draft=True)
    # The table's wrapper cannot take focus: the message links to its first answer.
    assert errors["targets-0-outcome"] == "You can add up to 10 targets"


def test_building_and_validating_raises_no_deprecation_warnings(registry):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, form, _, _ = submit(registry, "education_setting", [("setting_type", "special")])
        for field in form:
            str(field())
