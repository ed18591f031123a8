"""Section statuses and missing answers, worked out from stored answers."""

from datetime import date

from forms.answers import voice_answers
from forms.completeness import (
    MissingAnswer,
    SectionStatus,
    missing_answers,
    pep_completeness,
    pep_missing_answers,
    section_status,
)
from forms.samples import sample_answers
from workflows.roles import Role

TODAY = date(2026, 3, 27)


def complete_target(**changes):
    target = {
        "outcome": "Read at the expected standard",
        "why_it_matters": "Reading opens up every subject",
        "action_what": "Daily reading with an adult",
        "action_who": "Teaching assistant",
        "action_how_often": "Every school day",
        "success_measure": "Reading age within 6 months of actual age",
        "by_when": "2026-07-17",
    }
    target.update(changes)
    return target


def test_min_rows_need_that_many_complete_rows(registry):
    section = registry.get("school_age", 1).section("smart_targets")
    assert section_status(section, {"targets": []}, today=TODAY) is SectionStatus.NOT_STARTED

    half_done = {"targets": [{"outcome": "Read more"}]}
    assert section_status(section, half_done, today=TODAY) is SectionStatus.IN_PROGRESS
    missing = missing_answers(section, half_done, today=TODAY)
    assert missing[0] == MissingAnswer(
        field_key="targets",
        label="Why it matters",
        message="Target 1: Enter why the target matters",
        field_id="targets-0-why_it_matters",
    )

    done = {"targets": [complete_target()]}
    assert section_status(section, done, today=TODAY) is SectionStatus.COMPLETED


def test_an_invalid_answer_keeps_a_section_in_progress(registry):
    section = registry.get("school_age", 1).section("smart_targets")
    overdue = {"targets": [complete_target(by_when="2026-03-01")]}
    assert section_status(section, overdue, today=TODAY) is SectionStatus.IN_PROGRESS
    assert [m.message for m in missing_answers(section, overdue, today=TODAY)] == [
        "Target 1: The date the target should be met by must be today or in the future"
    ]
    # The same answers were fine on the day they were given.
    assert section_status(section, overdue, today=date(2026, 2, 1)) is SectionStatus.COMPLETED


def test_blank_rows_do_not_count(registry):
    section = registry.get("school_age", 1).section("actions_agreed")
    answers = {"actions": [{"action": ""}, {}]}
    assert section_status(section, answers, today=TODAY) is SectionStatus.NOT_STARTED
    assert [m.message for m in missing_answers(section, answers, today=TODAY)] == [
        "Add at least one action"
    ]


def test_quality_assurance_never_holds_up_the_submitter(registry):
    definition = registry.get("school_age", 1)
    statuses = pep_completeness(definition, {}, today=TODAY)
    assert "quality_assurance" not in statuses
    assert len(statuses) == 14
    assert set(statuses.values()) == {SectionStatus.NOT_STARTED}


def test_completeness_for_one_owner(registry):
    definition = registry.get("school_age", 1)
    assert set(pep_completeness(definition, {}, owner=Role.SOCIAL_WORKER)) == {
        "about_me",
        "health_wellbeing",
    }
    assert set(pep_completeness(definition, {}, owner=Role.CARER)) == {"carers_views"}
    assert set(pep_completeness(definition, {}, owner=Role.CHILD)) == {"my_views"}
    assert pep_completeness(definition, {}, owner=Role.REVIEWER) == {}


def test_the_childs_views_are_complete_once_the_child_has_said_something(registry):
    views = registry.get("school_age", 1).section("my_views")
    assert section_status(views, {}, today=TODAY) is SectionStatus.NOT_STARTED
    assert section_status(views, voice_answers("primary", {}), today=TODAY) is (
        SectionStatus.NOT_STARTED
    )
    said_something = voice_answers("primary", {"feel_about_school": "happy"})
    assert section_status(views, said_something, today=TODAY) is SectionStatus.COMPLETED

    # An adult gathering a young child's views must say who they are and how they did it.
    early = voice_answers("early_years", {"enjoys": "Sand and water play"})
    assert section_status(views, early, today=TODAY) is SectionStatus.IN_PROGRESS
    assert [m.field_key for m in missing_answers(views, early, today=TODAY)] == [
        "gathered_by",
        "how_gathered",
    ]


def test_an_unknown_voice_band_is_reported_not_crashed_on(registry):
    views = registry.get("school_age", 1).section("my_views")
    garbled = {"band": "toddler", "answers": {"x": 1}}
    assert section_status(views, garbled, today=TODAY) is SectionStatus.IN_PROGRESS
    assert missing_answers(views, garbled, today=TODAY)[0].field_key == "band"
    assert section_status(views, {"band": ["primary"]}, today=TODAY) is SectionStatus.IN_PROGRESS


def test_all_optional_sections_still_need_something_before_submission(registry):
    definition = registry.get("school_age", 1)
    answers = {section.key: sample_answers(section, today=TODAY) for section in definition.sections}
    answers["my_views"] = voice_answers("secondary", {})
    assert pep_missing_answers(definition, answers, today=TODAY) == {
        "my_views": [MissingAnswer("", "My views", "Complete the section 'My views'", "")]
    }


def test_rubbish_in_storage_never_crashes_completeness(registry):
    definition = registry.get("school_age", 1)
    garbage = [None, "text", 3, [], {"targets": "none"}, {"targets": [1, "a"]}, {"x": object()}]
    for section in definition.sections:
        for answers in garbage:
            assert section_status(section, answers, today=TODAY) in set(SectionStatus)
    assert pep_completeness(definition, {"meeting_details": 42}, today=TODAY)
