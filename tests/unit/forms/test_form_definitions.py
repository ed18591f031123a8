"""Every shipped definition, every section: it loads, builds, starts empty, completes with valid
answers, and survives the trip answers -> form -> answers unchanged, by both routes."""

import json
import warnings
from datetime import date

import pytest

from forms.answers import answers_from_form, form_from_answers, formdata_from_answers
from forms.builder import FIELD_CLASSES, build_section_form, form_errors
from forms.completeness import (
    SectionStatus,
    is_ready_to_submit,
    missing_answers,
    pep_completeness,
    pep_missing_answers,
    section_status,
)
from forms.phases import PEP_PHASES, Phase, VoiceBand
from forms.samples import sample_answers
from forms.schema import (
    FieldType,
    RepeatingGroupDefinition,
    SectionType,
    load_definitions,
)
from workflows.roles import Role

TODAY = date(2026, 3, 27)


def fixed_today() -> date:
    return TODAY


SHIPPED = load_definitions()
ALL_SECTIONS = [
    pytest.param(definition, section, id=f"{definition.key}.v{definition.version}:{section.key}")
    for definition in SHIPPED
    for section in definition.sections
]
STANDARD_SECTIONS = [param for param in ALL_SECTIONS if param.values[1].section_type == "standard"]


def test_the_four_forms_are_shipped(registry):
    assert registry.form_keys() == ("child_voice", "early_years", "post_16", "school_age")
    assert {registry.latest(key).phase for key in registry.form_keys()} == set(Phase)


def test_every_field_type_is_used_and_has_a_builder_entry(registry):
    used: set[FieldType] = set()
    for definition in registry:
        for section in definition.sections:
            for field in section.fields:
                used.add(field.field_type)
                if isinstance(field, RepeatingGroupDefinition):
                    used.update(column.field_type for column in field.columns)
    assert used == set(FieldType)
    assert set(FIELD_CLASSES) == set(FieldType)


def test_school_age_has_all_fifteen_parts_of_a_pep_with_their_owners(registry):
    school_age = registry.get("school_age", 1)
    owners = {section.key: section.owner for section in school_age.sections}
    assert owners == {
        "meeting_details": Role.DESIGNATED_TEACHER,
        "about_me": Role.SOCIAL_WORKER,
        "education_setting": Role.DESIGNATED_TEACHER,
        "special_educational_needs": Role.DESIGNATED_TEACHER,
        "attendance_exclusions": Role.DESIGNATED_TEACHER,
        "attainment_progress": Role.DESIGNATED_TEACHER,
        "health_wellbeing": Role.SOCIAL_WORKER,
        "my_views": Role.CHILD,
        "carers_views": Role.CARER,
        "review_previous_targets": Role.DESIGNATED_TEACHER,
        "smart_targets": Role.DESIGNATED_TEACHER,
        "pupil_premium_plus": Role.DESIGNATED_TEACHER,
        "transitions_aspirations": Role.DESIGNATED_TEACHER,
        "actions_agreed": Role.DESIGNATED_TEACHER,
        "quality_assurance": Role.REVIEWER,
    }
    assert school_age.section("my_views").section_type is SectionType.CHILD_VOICE
    assert school_age.section("quality_assurance").section_type is SectionType.QUALITY_ASSURANCE
    targets = school_age.section("smart_targets").get_field("targets")
    assert isinstance(targets, RepeatingGroupDefinition)
    assert [total.column for total in targets.computed_totals] == ["pp_plus_amount"]


def test_early_years_records_all_seven_eyfs_areas(registry):
    development = registry.get("early_years", 1).section("eyfs_development")
    areas = [field.key for field in development.fields if field.field_type == "radios"]
    assert areas == [
        "communication_language",
        "personal_social_emotional",
        "physical_development",
        "literacy",
        "mathematics",
        "understanding_world",
        "expressive_arts_design",
    ]


@pytest.mark.parametrize("key", sorted(PEP_PHASES))
def test_every_pep_form_links_its_views_section_to_the_child_voice_form(registry, key):
    definition = registry.latest(key)
    voice_sections = [s for s in definition.sections if s.section_type == "child_voice"]
    assert len(voice_sections) == 1
    voice = voice_sections[0]
    assert voice.owner is Role.CHILD
    assert voice.voice_definition is registry.latest("child_voice")
    assert {band for band in VoiceBand} == {
        section.band for section in voice.voice_definition.sections
    }


def test_child_voice_bands_are_the_childs_and_ask_nothing_of_them_but_who_helped(registry):
    voice = registry.get("child_voice", 1)
    for section in voice.sections:
        assert section.owner is Role.CHILD
    primary = voice.section_for_band(VoiceBand.PRIMARY)
    assert not any(field.required for field in primary.fields)
    feelings = [field for field in primary.fields if field.field_type == "feelings_scale"]
    assert len(feelings) >= 3
    assert {option.picture for option in feelings[0].options} >= {
        "very_happy",
        "happy",
        "okay",
        "sad",
        "very_sad",
    }


@pytest.mark.parametrize(("definition", "section"), ALL_SECTIONS)
def test_every_section_builds_in_both_modes_and_renders(definition, section):
    if section.section_type == "child_voice":
        with pytest.raises(ValueError, match="voice_section"):
            build_section_form(section)
        section = section.voice_section(VoiceBand.PRIMARY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no WTForms deprecations, e.g. tuple choices
        for draft in (False, True):
            form_class = build_section_form(section, draft=draft, today=fixed_today)
            form = form_class()
            for field in form:
                assert str(field())
                assert field.label.text


@pytest.mark.parametrize(("definition", "section"), ALL_SECTIONS)
def test_an_empty_section_is_not_started(definition, section):
    assert section_status(section, {}, today=TODAY) is SectionStatus.NOT_STARTED
    assert section_status(section, None, today=TODAY) is SectionStatus.NOT_STARTED


@pytest.mark.parametrize(("definition", "section"), ALL_SECTIONS)
def test_an_empty_submission_is_not_started(definition, section):
    if section.section_type == "child_voice":
        pytest.skip("the views section is filled in on the child's-voice form")
    form_class = build_section_form(section, today=fixed_today)
    form = form_from_answers(form_class, section, {}, formdata=formdata_from_answers(section, {}))
    answers = answers_from_form(section, form)
    assert answers == {}
    assert section_status(section, answers, today=TODAY) is SectionStatus.NOT_STARTED


@pytest.mark.parametrize(("definition", "section"), ALL_SECTIONS)
def test_sample_answers_complete_the_section(definition, section):
    answers = sample_answers(section, today=TODAY)
    json.dumps(answers)
    if section.section_type == "quality_assurance":
        assert section_status(section, answers, today=TODAY) is SectionStatus.NOT_STARTED
        return
    assert missing_answers(section, answers, today=TODAY) == []
    assert section_status(section, answers, today=TODAY) is SectionStatus.COMPLETED


@pytest.mark.parametrize(("definition", "section"), STANDARD_SECTIONS)
def test_a_full_submission_validates_and_round_trips_through_stored_data(definition, section):
    answers = sample_answers(section, today=TODAY)
    form_class = build_section_form(section, today=fixed_today)
    form = form_from_answers(form_class, section, answers)
    assert form.validate(), form_errors(form)
    assert answers_from_form(section, form) == answers


@pytest.mark.parametrize("split_dates", [False, True], ids=["iso-dates", "day-month-year"])
@pytest.mark.parametrize(("definition", "section"), STANDARD_SECTIONS)
def test_a_full_submission_round_trips_through_a_post(definition, section, split_dates):
    answers = sample_answers(section, today=TODAY)
    form_class = build_section_form(section, today=fixed_today)
    post = formdata_from_answers(section, answers, split_dates=split_dates)
    # The portal always builds the form from the stored answers and the post together, so
    # read-only cells keep their stored values.
    form = form_from_answers(form_class, section, answers, formdata=post)
    assert form.validate(), form_errors(form)
    assert answers_from_form(section, form) == answers


@pytest.mark.parametrize("band", list(VoiceBand))
def test_each_voice_band_round_trips(registry, band):
    section = registry.get("child_voice", 1).section_for_band(band)
    answers = sample_answers(section, today=TODAY)
    form_class = build_section_form(section, today=fixed_today)
    form = form_from_answers(
        form_class, section, {}, formdata=formdata_from_answers(section, answers)
    )
    assert form.validate(), form_errors(form)
    assert answers_from_form(section, form) == answers


@pytest.mark.parametrize("key", sorted(PEP_PHASES))
def test_a_pep_with_every_section_answered_is_ready_to_submit(registry, key):
    definition = registry.latest(key)
    answers = {section.key: sample_answers(section, today=TODAY) for section in definition.sections}
    statuses = pep_completeness(definition, answers, today=TODAY)
    assert set(statuses.values()) == {SectionStatus.COMPLETED}
    assert "quality_assurance" not in statuses
    assert is_ready_to_submit(definition, answers, today=TODAY)
    assert pep_missing_answers(definition, answers, today=TODAY) == {}


@pytest.mark.parametrize("key", sorted(PEP_PHASES))
def test_an_empty_pep_lists_every_section_as_missing(registry, key):
    definition = registry.latest(key)
    assert not is_ready_to_submit(definition, {}, today=TODAY)
    missing = pep_missing_answers(definition, {}, today=TODAY)
    expected = {s.key for s in definition.sections if s.section_type != "quality_assurance"}
    assert set(missing) == expected


@pytest.mark.parametrize("key", sorted(PEP_PHASES))
def test_version_one_still_links_the_first_child_voice_form(registry, key):
    """PEPs started on version 1 keep the child's page they were started with."""
    voice = next(s for s in registry.get(key, 1).sections if s.section_type == "child_voice")
    assert voice.voice_definition is registry.get("child_voice", 1)


@pytest.mark.parametrize("band", list(VoiceBand))
def test_the_child_is_asked_what_they_are_good_at_what_helps_and_what_the_money_could_do(
    registry, band
):
    section = registry.latest("child_voice").section_for_band(band)
    keys = [field.key for field in section.fields]
    assert {"good_at", "helps_learning", "extra_help"} <= set(keys)
    extra_help = section.get_field("extra_help")
    assert "money" in (extra_help.label + (extra_help.hint or "")).lower()
