"""A date agreed at the PEP meeting ("not_in_past") is judged against the meeting, not today:
the PEP stays complete however long after the meeting it is written up, approved or resubmitted.
Without a meeting date it is judged against today; "not_in_future" is always judged on today."""

from datetime import date, timedelta

import pytest

from forms.answers import FormData
from forms.builder import build_section_form, form_errors
from forms.completeness import (
    SectionStatus,
    is_ready_to_submit,
    missing_answers,
    pep_completeness,
    pep_missing_answers,
    section_status,
)
from forms.field_types.date import DateDefinition
from forms.judging_days import JudgingDays

MEETING = date(2026, 10, 1)
WRITTEN_UP = MEETING + timedelta(days=4)
APPROVED = MEETING + timedelta(days=11)
AGREED_DEADLINE = MEETING + timedelta(days=6)  # passed by the time the PEP is approved

DEADLINE = DateDefinition(
    key="deadline",
    label="Deadline",
    error_name="the deadline",
    not_in_past=True,
)
SDQ_DATE = DateDefinition(
    key="sdq_date",
    label="Date of the latest SDQ",
    error_name="the date of the latest SDQ",
    not_in_future=True,
)
BEFORE_MEETING_MESSAGE = "The deadline must be on or after the PEP meeting on 1 October 2026"


def judged(definition: DateDefinition, value: date, days: JudgingDays) -> str | None:
    return days.answer_problem(definition, value)


def test_a_date_agreed_at_the_meeting_stays_valid_after_it() -> None:
    after_the_meeting = JudgingDays(today=APPROVED, meeting_date=MEETING)
    assert judged(DEADLINE, AGREED_DEADLINE, after_the_meeting) is None
    assert judged(DEADLINE, MEETING, after_the_meeting) is None


def test_a_date_before_the_meeting_is_refused_saying_which_meeting() -> None:
    days = JudgingDays(today=APPROVED, meeting_date=MEETING)
    assert judged(DEADLINE, MEETING - timedelta(days=1), days) == BEFORE_MEETING_MESSAGE


def test_before_a_meeting_still_to_come_dates_are_judged_against_today() -> None:
    # The social worker fills in the next care plan review before the PEP meeting: a review
    # due between today and the meeting is a right answer, a date already gone is not.
    today = MEETING - timedelta(days=15)
    days = JudgingDays(today=today, meeting_date=MEETING)
    assert days.plans_start_on == today
    assert judged(DEADLINE, MEETING - timedelta(days=5), days) is None
    assert (
        judged(DEADLINE, today - timedelta(days=1), days)
        == "The deadline must be today or in the future"
    )


def test_on_the_day_of_the_meeting_today_and_the_meeting_agree() -> None:
    days = JudgingDays(today=MEETING, meeting_date=MEETING)
    assert days.plans_start_on == MEETING
    assert judged(DEADLINE, MEETING, days) is None
    assert judged(DEADLINE, MEETING - timedelta(days=1), days) is not None


def test_without_a_meeting_date_plans_are_judged_against_today() -> None:
    days = JudgingDays(today=APPROVED)
    assert days.plans_start_on == APPROVED
    assert judged(DEADLINE, APPROVED, days) is None
    assert (
        judged(DEADLINE, APPROVED - timedelta(days=1), days)
        == "The deadline must be today or in the future"
    )


@pytest.mark.parametrize("meeting_date", [None, MEETING])
def test_not_in_future_is_always_judged_on_today(meeting_date: date | None) -> None:
    days = JudgingDays(today=WRITTEN_UP, meeting_date=meeting_date)
    assert judged(SDQ_DATE, WRITTEN_UP, days) is None
    assert judged(SDQ_DATE, MEETING - timedelta(days=30), days) is None
    # The meeting makes no difference to a date that has already happened.
    assert (
        judged(SDQ_DATE, WRITTEN_UP + timedelta(days=1), days)
        == "The date of the latest SDQ must be today or in the past"
    )


def test_the_days_or_today_but_not_both() -> None:
    days = JudgingDays(today=APPROVED, meeting_date=MEETING)
    assert JudgingDays.of(days) is days
    assert JudgingDays.of(today=APPROVED) == JudgingDays(today=APPROVED)
    with pytest.raises(TypeError):
        JudgingDays.of(days, today=APPROVED)


def actions(deadline: date) -> dict[str, object]:
    return {
        "actions": [
            {"action": "Apply for the tutoring fund", "owner": "Designated teacher",
             "deadline": deadline.isoformat()}
        ]
    }  # fmt: skip


@pytest.mark.parametrize("version", [1, 2, 3])
def test_completeness_judges_an_agreed_deadline_from_the_meeting(registry, version: int) -> None:
    section = registry.get("school_age", version).section("actions_agreed")
    answers = actions(AGREED_DEADLINE)
    days = JudgingDays(today=APPROVED, meeting_date=MEETING)
    assert section_status(section, answers, days=days) is SectionStatus.COMPLETED
    assert missing_answers(section, answers, days=days) == []
    # Judged on today alone (the PEP has no meeting date), the deadline has passed.
    assert section_status(section, answers, today=APPROVED) is SectionStatus.IN_PROGRESS
    assert [answer.message for answer in missing_answers(section, answers, today=APPROVED)] == [
        "Action 1: The deadline must be today or in the future"
    ]
    before = actions(MEETING - timedelta(days=1))
    assert [answer.message for answer in missing_answers(section, before, days=days)] == [
        f"Action 1: {BEFORE_MEETING_MESSAGE}"
    ]


def test_a_whole_pep_passes_its_days_to_every_section(registry) -> None:
    definition = registry.get("school_age", 3)
    answers = {"actions_agreed": actions(AGREED_DEADLINE)}
    days = JudgingDays(today=APPROVED, meeting_date=MEETING)
    statuses = pep_completeness(definition, answers, days=days)
    assert statuses["actions_agreed"] is SectionStatus.COMPLETED
    assert "actions_agreed" not in pep_missing_answers(definition, answers, days=days)
    assert "actions_agreed" in pep_missing_answers(definition, answers, today=APPROVED)
    assert not is_ready_to_submit(definition, answers, days=days)  # other sections are empty


def post_actions(registry, deadline: date, days: JudgingDays | None) -> dict[str, str]:
    section = registry.get("school_age", 3).section("actions_agreed")
    form_class = build_section_form(section, draft=False, today=lambda: APPROVED)
    form = form_class(
        formdata=FormData(
            [
                ("actions-0-action", "Apply for the tutoring fund"),
                ("actions-0-owner", "Designated teacher"),
                ("actions-0-deadline", deadline.isoformat()),
            ]
        )
    )
    form.judging_days = days
    form.validate()
    return {error.field_id: error.message for error in form_errors(form)}


def test_the_section_form_judges_a_table_cell_from_the_meeting(registry) -> None:
    days = JudgingDays(today=APPROVED, meeting_date=MEETING)
    assert post_actions(registry, AGREED_DEADLINE, days) == {}
    assert post_actions(registry, MEETING - timedelta(days=1), days) == {
        "actions-0-deadline-day": f"Action 1: {BEFORE_MEETING_MESSAGE}"
    }
    # A form given no days judges on the today it was built with.
    assert post_actions(registry, AGREED_DEADLINE, None) == {
        "actions-0-deadline-day": "Action 1: The deadline must be today or in the future"
    }


def test_the_section_form_judges_its_own_fields_from_the_meeting(registry) -> None:
    section = registry.get("school_age", 3).section("meeting_details")
    form_class = build_section_form(section, draft=True, today=lambda: APPROVED)
    form = form_class(formdata=FormData([("next_pep_date", AGREED_DEADLINE.isoformat())]))
    form.judging_days = JudgingDays(today=APPROVED, meeting_date=MEETING)
    assert form.validate(), form_errors(form)
