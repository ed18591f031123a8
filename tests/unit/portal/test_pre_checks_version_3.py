"""The reviewer's pre-checks on version 3 PEPs: attendance in sessions, attainment by key stage
or qualification, and a Pupil Premium Plus request equal to the targets' total or explained.

The form is described by a small stand-in naming only the questions the pre-checks look for,
so these tests do not depend on how the version 3 files are loaded."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from forms.phases import choose_voice_band
from forms.realistic_answers import ChildStory, DemoPeople, realistic_pep_answers
from forms.schema import FormRegistry, load_definitions
from portal.models import Pep, PepSection
from portal.operations import workflow
from portal.operations.workflow import automated_pre_checks

ATTENDANCE = "Attendance and attainment recorded"
PUPIL_PREMIUM = "Pupil Premium Plus costed and linked to targets"
SESSIONS = {
    "sessions_possible_term": 64,
    "sessions_attended_term": 60,
    "authorised_absences_term": 4,
    "unauthorised_absences_term": 0,
}
TARGETS = [
    {
        "success_measure": "A",
        "by_when": "2027-03-01",
        "action_who": "Tutor",
        "pp_plus_amount": "300.00",
    },
    {
        "success_measure": "B",
        "by_when": "2027-03-01",
        "action_who": "Carer",
        "pp_plus_amount": "150.00",
    },
]


@dataclass(frozen=True)
class Question:
    key: str


@dataclass(frozen=True)
class Section:
    key: str
    fields: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Form:
    """The parts of a form definition the pre-checks read."""

    sections: tuple[Section, ...] = field(default_factory=tuple)

    def section(self, key: str) -> Section:
        for candidate in self.sections:
            if candidate.key == key:
                return candidate
        raise KeyError(key)


def form(questions: Mapping[str, tuple[str, ...]]) -> Form:
    return Form(
        tuple(
            Section(key, tuple(Question(name) for name in names))
            for key, names in questions.items()
        )
    )


SCHOOL_AGE_V3 = form(
    {
        "meeting_details": ("meeting_date", "next_pep_date"),
        "attendance_exclusions": (*SESSIONS, "suspensions_this_year"),
        "attainment_progress": ("key_stage", "progress_summary"),
        "review_previous_targets": ("previous_targets",),
        "smart_targets": ("targets",),
        "pupil_premium_plus": ("amount_requested", "difference_explained"),
        "carers_views": ("going_well",),
    }
)
EARLY_YEARS_V3 = form(
    {
        "meeting_details": ("meeting_date", "next_pep_date"),
        "setting": ("in_setting", "no_setting_plan", *SESSIONS),
        "eyfs_development": ("communication_language",),
        "smart_targets": ("targets",),
        "early_years_pupil_premium": ("eypp_claimed", "amount_requested", "difference_explained"),
        "carers_views": ("going_well",),
    }
)
# The published post-16 form itself: which statuses ask for a plan to get back rather than
# grades is its own condition (course_provider.reengagement_plan's shown_if).
POST_16_V3 = load_definitions(Path(__file__).resolve().parents[3] / "forms" / "definitions").get(
    "post_16", 3
)


def pep_on(
    monkeypatch: pytest.MonkeyPatch, definition: Any, answers: Mapping[str, dict[str, Any]]
) -> Pep:
    monkeypatch.setattr(workflow, "definition_for", lambda _pep: definition)
    pep = Pep(
        form_key="school_age", form_version=3, state="approved", academic_year=2026, term="spring"
    )
    pep.sections = [
        PepSection(section_key=section.key, answers=answers.get(section.key, {}))
        for section in definition.sections
    ]
    return pep


def check(pep: Pep, title: str) -> workflow.PreCheck:
    return next(candidate for candidate in automated_pre_checks(pep) if candidate.title == title)


def school_age(**sections: dict[str, Any]) -> dict[str, dict[str, Any]]:
    answers: dict[str, dict[str, Any]] = {
        "attendance_exclusions": dict(SESSIONS),
        "attainment_progress": {"key_stage": "ks2", "progress_summary": "On track in maths."},
        "smart_targets": {"targets": [dict(row) for row in TARGETS]},
        "pupil_premium_plus": {"amount_requested": "450.00"},
    }
    answers.update(sections)
    return answers


# Attendance and attainment ---------------------------------------------------------------------


def test_school_age_sessions_and_key_stage_with_a_summary_pass(monkeypatch):
    result = check(pep_on(monkeypatch, SCHOOL_AGE_V3, school_age()), ATTENDANCE)
    assert result.passed is True
    assert result.detail == "Both are recorded."


def test_no_sessions_attended_is_still_recorded(monkeypatch):
    absent = {**SESSIONS, "sessions_attended_term": 0, "authorised_absences_term": 64}
    answers = school_age(attendance_exclusions=absent)
    assert check(pep_on(monkeypatch, SCHOOL_AGE_V3, answers), ATTENDANCE).passed is True


@pytest.mark.parametrize("missing", ["sessions_possible_term", "sessions_attended_term"])
def test_school_age_without_the_sessions_fails(monkeypatch, missing):
    sessions = {key: value for key, value in SESSIONS.items() if key != missing}
    result = check(
        pep_on(monkeypatch, SCHOOL_AGE_V3, school_age(attendance_exclusions=sessions)), ATTENDANCE
    )
    assert result.passed is False
    assert result.detail == "Attendance this term is missing."


def test_a_version_2_percentage_does_not_count_as_sessions(monkeypatch):
    answers = school_age(attendance_exclusions={"attendance_this_term": "95.0"})
    assert check(pep_on(monkeypatch, SCHOOL_AGE_V3, answers), ATTENDANCE).passed is False


@pytest.mark.parametrize(
    ("attainment", "detail"),
    [
        ({"progress_summary": "On track."}, "The key stage of attainment is missing."),
        ({"key_stage": "ks3"}, "The progress summary of attainment is missing."),
        ({}, "The key stage and the progress summary of attainment are missing."),
    ],
)
def test_school_age_attainment_needs_the_key_stage_and_a_summary(monkeypatch, attainment, detail):
    answers = school_age(attainment_progress=attainment)
    result = check(pep_on(monkeypatch, SCHOOL_AGE_V3, answers), ATTENDANCE)
    assert result.passed is False
    assert result.detail == detail


def test_early_years_in_a_setting_needs_the_sessions(monkeypatch):
    answers = {"setting": {"in_setting": True}, "eyfs_development": {"literacy": "typical"}}
    result = check(pep_on(monkeypatch, EARLY_YEARS_V3, answers), ATTENDANCE)
    assert result.passed is False
    assert result.detail == "Attendance this term is missing."
    answers["setting"].update(SESSIONS)
    assert check(pep_on(monkeypatch, EARLY_YEARS_V3, answers), ATTENDANCE).passed is True


def test_early_years_not_in_a_setting_has_no_attendance_to_record(monkeypatch):
    answers = {
        "setting": {"in_setting": False, "no_setting_plan": "Visiting two nurseries."},
        "eyfs_development": {"literacy": "typical"},
    }
    result = check(pep_on(monkeypatch, EARLY_YEARS_V3, answers), ATTENDANCE)
    assert result.passed is True
    assert result.detail == (
        "Attainment is recorded; attendance does not apply: the child is not in an early "
        "years setting."
    )


def test_early_years_setting_question_unanswered_fails(monkeypatch):
    answers = {"eyfs_development": {"literacy": "typical"}}
    assert check(pep_on(monkeypatch, EARLY_YEARS_V3, answers), ATTENDANCE).passed is False


QUALIFICATION = {"qualification": "BTEC Sport", "level": "level_3", "current_grade": "Merit"}


def test_post_16_recorded_attendance_and_qualifications_pass(monkeypatch):
    answers = {
        "attendance": {"attendance_recorded": True, **SESSIONS},
        "course_provider": {"education_status": "in_education", "qualifications": [QUALIFICATION]},
    }
    result = check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE)
    assert (result.passed, result.detail) == (True, "Both are recorded.")


def test_post_16_recorded_attendance_without_sessions_fails(monkeypatch):
    answers = {
        "attendance": {"attendance_recorded": True},
        "course_provider": {"education_status": "in_education", "qualifications": [QUALIFICATION]},
    }
    assert check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE).passed is False


def test_post_16_without_qualifications_fails(monkeypatch):
    answers = {
        "attendance": {"attendance_recorded": True, **SESSIONS},
        "course_provider": {"education_status": "in_education"},
    }
    result = check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE)
    assert result.passed is False
    assert result.detail == "The qualifications and grades are missing."


def test_a_young_person_not_in_education_needs_a_re_engagement_plan(monkeypatch):
    answers = {
        "attendance": {"attendance_recorded": False},
        "course_provider": {"education_status": "neet"},
    }
    result = check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE)
    assert result.passed is False
    assert result.detail == (
        "The plan to get back into education, employment or training is missing."
    )
    answers["course_provider"]["reengagement_plan"] = "Weekly meetings with the adviser."
    result = check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE)
    assert result.passed is True
    assert result.detail == (
        "Attainment is recorded; attendance does not apply: the young person's attendance "
        "is not recorded."
    )


@pytest.mark.parametrize("status", ["employment_without_training", "volunteering_or_other"])
def test_a_young_person_in_a_job_without_training_or_else_needs_the_plan_not_grades(
    monkeypatch, status
):
    answers = {
        "attendance": {"attendance_recorded": False},
        "course_provider": {"education_status": status},
    }
    result = check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE)
    assert (result.passed, result.detail) == (
        False,
        "The plan to get back into education, employment or training is missing.",
    )
    answers["course_provider"]["reengagement_plan"] = "Meeting a careers adviser on Friday."
    assert check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE).passed is True


def test_a_post_16_pep_that_does_not_say_what_the_young_person_is_doing_fails(monkeypatch):
    answers = {"attendance": {"attendance_recorded": True, **SESSIONS}, "course_provider": {}}
    result = check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE)
    assert (result.passed, result.detail) == (
        False,
        "What the young person is doing now is missing.",
    )


@pytest.mark.parametrize("status", ["training_apprenticeship", "employment_with_training"])
def test_training_without_a_qualification_yet_is_judged_on_progress_on_the_course(
    monkeypatch, status
):
    answers = {
        "attendance": {"attendance_recorded": True, **SESSIONS},
        "course_provider": {"education_status": status},
    }
    result = check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE)
    assert (result.passed, result.detail) == (False, "The progress on the course is missing.")
    answers["course_provider"]["progress_on_course"] = "Passed the first two modules."
    result = check(pep_on(monkeypatch, POST_16_V3, answers), ATTENDANCE)
    assert (result.passed, result.detail) == (True, "Both are recorded.")


# Pupil Premium Plus: exactly the targets' total, or the difference explained -----------------


def test_a_request_equal_to_the_targets_total_passes(monkeypatch):
    result = check(pep_on(monkeypatch, SCHOOL_AGE_V3, school_age()), PUPIL_PREMIUM)
    assert result.passed is True
    assert result.detail == "£450.00 requested; £450.00 is linked to targets."


@pytest.mark.parametrize("requested", ["500.00", "400.00", "0.00"])
def test_a_request_that_differs_without_an_explanation_fails(monkeypatch, requested):
    answers = school_age(pupil_premium_plus={"amount_requested": requested})
    result = check(pep_on(monkeypatch, SCHOOL_AGE_V3, answers), PUPIL_PREMIUM)
    assert result.passed is False
    assert result.detail == (
        f"£{requested} requested; £450.00 is linked to targets; the difference is not explained."
    )


def test_a_blank_explanation_is_no_explanation(monkeypatch):
    answers = school_age(
        pupil_premium_plus={"amount_requested": "570.00", "difference_explained": "  "}
    )
    assert check(pep_on(monkeypatch, SCHOOL_AGE_V3, answers), PUPIL_PREMIUM).passed is False


def test_an_explained_difference_passes_and_says_why(monkeypatch):
    answers = school_age(
        pupil_premium_plus={
            "amount_requested": "570.00",
            "difference_explained": "£120 is for the class trip, not one of the targets.",
        }
    )
    result = check(pep_on(monkeypatch, SCHOOL_AGE_V3, answers), PUPIL_PREMIUM)
    assert result.passed is True
    assert result.detail == (
        "£570.00 requested; £450.00 is linked to targets; the difference is explained: "
        "£120 is for the class trip, not one of the targets."
    )


def test_early_years_pupil_premium_follows_the_same_rule(monkeypatch):
    answers = {
        "smart_targets": {"targets": [dict(row) for row in TARGETS]},
        "early_years_pupil_premium": {"eypp_claimed": True, "amount_requested": "300.00"},
    }
    result = check(pep_on(monkeypatch, EARLY_YEARS_V3, answers), PUPIL_PREMIUM)
    assert result.passed is False
    assert result.detail.endswith("the difference is not explained.")


SCHOOL_AGE_V2 = form(
    {
        "attendance_exclusions": ("attendance_this_term",),
        "attainment_progress": ("subjects", "progress_summary"),
        "smart_targets": ("targets",),
        "pupil_premium_plus": ("amount_requested",),
    }
)


@pytest.mark.parametrize(
    ("requested", "passed"), [("450.00", True), ("400.00", True), ("0.00", True), ("500.00", False)]
)
def test_earlier_versions_keep_enough_linked_to_cover_the_request(monkeypatch, requested, passed):
    answers = {
        "smart_targets": {"targets": [dict(row) for row in TARGETS]},
        "pupil_premium_plus": {"amount_requested": requested},
    }
    result = check(pep_on(monkeypatch, SCHOOL_AGE_V2, answers), PUPIL_PREMIUM)
    assert result.passed is passed
    assert result.detail == f"£{requested} requested; £450.00 is linked to targets."


def test_earlier_versions_keep_their_attendance_percentage(monkeypatch):
    answers = {
        "attendance_exclusions": {"attendance_this_term": "95.0"},
        "attainment_progress": {"progress_summary": "On track."},
    }
    result = check(pep_on(monkeypatch, SCHOOL_AGE_V2, answers), ATTENDANCE)
    assert (result.passed, result.detail) == (True, "Both are recorded.")
    answers["attendance_exclusions"] = {}
    result = check(pep_on(monkeypatch, SCHOOL_AGE_V2, answers), ATTENDANCE)
    assert (result.passed, result.detail) == (False, "Attendance this term is missing.")


# The demo's realistic version 3 answers pass every pre-check ---------------------------------


def v3_registry() -> FormRegistry:
    """Version 3 from forms/drafts beside forms/definitions, until it is published."""
    forms = Path(__file__).resolve().parents[3] / "forms"
    return load_definitions(forms / "definitions", forms / "drafts")


@pytest.mark.parametrize(
    ("form_key", "year_group", "changes"),
    [
        ("school_age", 4, {}),
        ("school_age", 9, {"suspended_this_year": True}),
        ("school_age", 10, {"uasc": True, "first_language": "Tigrinya"}),
        ("early_years", -1, {}),
        ("early_years", -1, {"in_early_years_setting": False}),
        ("post_16", 12, {}),
        ("post_16", 13, {"neet": True}),
    ],
)
def test_realistic_version_3_answers_pass_every_pre_check(
    monkeypatch, form_key, year_group, changes
):
    definition = v3_registry().get(form_key, 3)
    meeting = date(2027, 2, 22)
    for seed in range(8):
        story = ChildStory(
            reference=f"DCC-{6000 + seed}",
            first_name="Sam",
            date_of_birth=date(2021 - year_group, 3, 14),
            year_group=year_group,
            school_name="Northgate College" if form_key == "post_16" else "Oakfield School",
            school_urn=None if form_key == "post_16" else "900201",
            people=DemoPeople("Priya Shah", "Sam Okoro", "Jo Marsh"),
            **changes,
        )
        answers = realistic_pep_answers(
            definition,
            story,
            band=choose_voice_band(max(2, 5 + year_group), year_group),
            meeting_date=meeting,
        )
        pep = pep_on(monkeypatch, definition, answers)
        failed = {c.title: c.detail for c in automated_pre_checks(pep) if c.passed is False}
        assert failed == {}, (form_key, year_group, changes, seed)
