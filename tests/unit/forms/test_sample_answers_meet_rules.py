"""Sample answers for a section with conditions and checks: the controlling questions are
answered so the dependent ones are shown, hidden answers are left out, every kind of check
passes, and a section without such rules gets the plain per-field samples."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from forms.checks import (
    ColumnTotalNotMoreThan,
    NotBefore,
    NotMoreThan,
    SumEquals,
    SumNotMoreThan,
    section_failures,
)
from forms.completeness import missing_answers
from forms.conditions import Equals, Includes, IsOneOf, MoreThan
from forms.samples import has_rules_across_fields, sample_answers, sample_value
from forms.schema import (
    FieldDefinition,
    LongTextDefinition,
    Option,
    RadiosDefinition,
    RepeatingGroupDefinition,
    SectionDefinition,
    WholeNumberDefinition,
    load_definitions,
)
from tests.unit.forms.cross_field_fixtures import (
    AUTHORISED,
    BARRIERS,
    REDUCED_TIMETABLE,
    REVIEW_DATE,
    SESSIONS_ATTENDED,
    SESSIONS_POSSIBLE,
    START_DATE,
    UNAUTHORISED,
)
from workflows.roles import Role

TODAY = date(2026, 3, 27)


def section(*fields: FieldDefinition, checks: tuple = ()) -> SectionDefinition:
    return SectionDefinition(
        key="sample",
        title="Sample",
        owner=Role.DESIGNATED_TEACHER,
        description="A section for these tests.",
        fields=fields,
        checks=checks,
    )


def assert_meets_every_rule(definition: SectionDefinition, answers: dict) -> None:
    assert missing_answers(definition, answers, today=TODAY) == []
    assert section_failures(definition.checks, answers, definition.shown_keys(answers)) == []


def long_text(key: str, **rules: object) -> LongTextDefinition:
    return LongTextDefinition(key=key, label=key.replace("_", " ").capitalize(), **rules)


def test_a_question_shown_on_no_is_shown_by_answering_no():
    definition = section(
        REDUCED_TIMETABLE,
        long_text(
            "why_full_time",
            shown_if=Equals("on_reduced_timetable", False),
            required_if=Equals("on_reduced_timetable", False),
        ),
    )
    answers = sample_answers(definition, today=TODAY)
    assert answers["on_reduced_timetable"] is False
    assert "why_full_time" in answers
    assert_meets_every_rule(definition, answers)


def test_the_answer_that_shows_more_questions_wins_and_hidden_answers_are_left_out():
    definition = section(
        REDUCED_TIMETABLE,
        long_text("why_full_time", shown_if=Equals("on_reduced_timetable", False)),
        long_text("reason", shown_if=Equals("on_reduced_timetable", True)),
        long_text("plan", shown_if=Equals("on_reduced_timetable", True)),
    )
    answers = sample_answers(definition, today=TODAY)
    assert answers["on_reduced_timetable"] is True
    assert set(answers) == {"on_reduced_timetable", "reason", "plan"}
    assert_meets_every_rule(definition, answers)


def test_a_choice_controlling_exclusive_groups_picks_one_and_keeps_only_its_questions():
    stage = RadiosDefinition(
        key="stage",
        label="Stage",
        required=True,
        options=(Option("early", "Early"), Option("middle", "Middle"), Option("late", "Late")),
    )
    definition = section(
        stage,
        long_text("early_notes", shown_if=Equals("stage", "early")),
        long_text("middle_notes", shown_if=IsOneOf("stage", ("middle",))),
        long_text("middle_plan", shown_if=Equals("stage", "middle")),
        long_text("late_notes", shown_if=Equals("stage", "late")),
    )
    answers = sample_answers(definition, today=TODAY)
    assert answers == {
        "stage": "middle",
        "middle_notes": answers["middle_notes"],
        "middle_plan": answers["middle_plan"],
    }
    assert_meets_every_rule(definition, answers)


def test_a_tick_that_shows_a_question_is_given_within_max_selected():
    barriers = replace(BARRIERS, max_selected=1)
    definition = section(
        barriers,
        long_text(
            "health_needs",
            shown_if=Includes("barriers", "health"),
            required_if=Includes("barriers", "health"),
        ),
    )
    answers = sample_answers(definition, today=TODAY)
    assert answers["barriers"] == ["health"]
    assert "health_needs" in answers
    assert_meets_every_rule(definition, answers)


def test_checkboxes_tick_no_more_than_allowed():
    assert sample_value(replace(BARRIERS, max_selected=1), today=TODAY) == ["attendance"]
    assert sample_value(BARRIERS, today=TODAY) == ["attendance", "behaviour"]


def test_a_number_is_raised_above_what_shows_a_question():
    hours = WholeNumberDefinition(key="hours", label="Hours", min_value=0, max_value=4)
    definition = section(hours, long_text("extra_hours", shown_if=MoreThan("hours", Decimal(3))))
    answers = sample_answers(definition, today=TODAY)
    assert answers["hours"] == 4
    assert "extra_hours" in answers
    assert_meets_every_rule(definition, answers)


def test_parts_add_up_to_the_total_field_and_stay_within_it():
    parts = ("sessions_attended_term", "authorised_absences_term", "unauthorised_absences_term")
    definition = section(
        SESSIONS_POSSIBLE,
        SESSIONS_ATTENDED,
        AUTHORISED,
        UNAUTHORISED,
        checks=(
            SumEquals(parts, "sessions_possible_term", "They must add up"),
            *(NotMoreThan(part, "sessions_possible_term", "Too many") for part in parts),
        ),
    )
    answers = sample_answers(definition, today=TODAY)
    assert answers["sessions_possible_term"] == sum(answers[part] for part in parts)
    assert_meets_every_rule(definition, answers)


def test_parts_are_chosen_to_fit_a_total_the_field_cannot_reach():
    capped = replace(SESSIONS_POSSIBLE, min_value=0, max_value=10)
    definition = section(
        capped,
        SESSIONS_ATTENDED,
        AUTHORISED,
        checks=(
            SumEquals(
                ("sessions_attended_term", "authorised_absences_term"),
                "sessions_possible_term",
                "They must add up",
            ),
        ),
    )
    definition = replace(
        definition,
        fields=(
            capped,
            replace(SESSIONS_ATTENDED, min_value=0, max_value=20),
            replace(AUTHORISED, min_value=0, max_value=20),
        ),
    )
    answers = sample_answers(definition, today=TODAY)
    assert answers["sessions_possible_term"] <= 10
    assert_meets_every_rule(definition, answers)


def test_fixed_limits_and_sums_are_met():
    first = WholeNumberDefinition(key="first", label="First", min_value=0, max_value=100)
    second = WholeNumberDefinition(key="second", label="Second", min_value=0, max_value=100)
    third = WholeNumberDefinition(key="third", label="Third", min_value=0, max_value=100)
    definition = section(
        first,
        second,
        third,
        checks=(
            NotMoreThan("first", Decimal(7), "First too big"),
            SumNotMoreThan(("second", "third"), Decimal(30), "Second and third too big"),
            SumEquals(("first", "second"), Decimal(12), "First and second must make 12"),
        ),
    )
    answers = sample_answers(definition, today=TODAY)
    assert answers["first"] <= 7
    assert answers["second"] + answers["third"] <= 30
    assert answers["first"] + answers["second"] == 12
    assert_meets_every_rule(definition, answers)


def test_a_column_total_is_kept_under_its_limit_with_smaller_rows():
    rows = RepeatingGroupDefinition(
        key="suspensions",
        label="Suspensions",
        min_rows=3,
        columns=(
            WholeNumberDefinition(
                key="length_sessions", label="Length", required=True, min_value=1, max_value=90
            ),
        ),
    )
    definition = section(
        rows, checks=(ColumnTotalNotMoreThan("suspensions", "length_sessions", Decimal(20), "!"),)
    )
    answers = sample_answers(definition, today=TODAY)
    assert len(answers["suspensions"]) == 3
    assert sum(row["length_sessions"] for row in answers["suspensions"]) <= 20
    assert_meets_every_rule(definition, answers)


def test_dates_are_put_in_order():
    earlier = replace(START_DATE, not_in_past=True)
    later = replace(REVIEW_DATE, not_in_future=True)
    definition = section(
        earlier, later, checks=(NotBefore("review_date", "start_date", "Review after start"),)
    )
    answers = sample_answers(definition, today=TODAY)
    assert answers["review_date"] >= answers["start_date"]
    assert_meets_every_rule(definition, answers)


def test_a_cell_shown_on_a_choice_in_its_row_is_shown_in_the_first_row():
    people = RepeatingGroupDefinition(
        key="people",
        label="People",
        columns=(
            RadiosDefinition(
                key="role",
                label="Role",
                options=(
                    Option("teacher", "Teacher"),
                    Option("social_worker", "Social worker"),
                    Option("other", "Other"),
                ),
            ),
            long_text("role_other", shown_if=Equals("role", "other")),
        ),
    )
    definition = section(people)
    answers = sample_answers(definition, today=TODAY)
    assert answers["people"][0]["role"] == "other"
    assert "role_other" in answers["people"][0]
    # The other rows keep their own choice, with only the cells it shows.
    assert answers["people"][1] == {"role": "social_worker"}
    assert_meets_every_rule(definition, answers)


def test_a_section_without_conditions_or_checks_gets_the_plain_samples():
    plain = section(REDUCED_TIMETABLE, SESSIONS_POSSIBLE, START_DATE, BARRIERS)
    assert not has_rules_across_fields(plain)
    assert sample_answers(plain, today=TODAY) == {
        definition.key: sample_value(definition, today=TODAY) for definition in plain.fields
    }


def test_only_version_3_sections_have_rules_across_fields():
    """Versions 1 and 2 keep the samples their records and pages were made from."""
    with_rules = {
        definition.version
        for definition in load_definitions()
        for part in definition.sections
        if has_rules_across_fields(part)
    }
    assert with_rules == {3}


def test_every_version_3_section_meets_its_rules():
    for definition in load_definitions():
        for part in definition.sections:
            if definition.version != 3 or part.section_type != "standard":
                continue
            answers = sample_answers(part, today=TODAY)
            assert_meets_every_rule(part, answers)
            assert answers == {
                key: value for key, value in answers.items() if key in part.shown_keys(answers)
            }
