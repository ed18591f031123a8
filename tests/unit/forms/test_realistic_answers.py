"""The demo's realistic answers: valid for every field of every form, consistent within a PEP,
free of placeholder text, and the same for the same child every time."""

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from forms import build_section_form, formdata_from_answers, prefilled_answers
from forms.answers import VOICE_ANSWERS_KEY, VOICE_BAND_KEY
from forms.completeness import missing_answers, pep_missing_answers
from forms.phases import Phase, VoiceBand, choose_voice_band
from forms.realistic_answers import (
    _TARGETS,
    ChildStory,
    DemoPeople,
    key_stage,
    realistic_pep_answers,
    realistic_voice_answers,
)
from forms.schema import (
    FormDefinition,
    FormRegistry,
    RepeatingGroupDefinition,
    SectionType,
)

MEETING = date(2026, 11, 10)
SUBMITTED_ON = date(2026, 11, 16)
SEEDS = range(40)
PEOPLE = DemoPeople("Priya Shah", "Sam Okoro", "Jo Marsh")
# Year groups that each form serves, with a birthday that fits them on MEETING.
YEAR_GROUPS = {
    Phase.EARLY_YEARS: (-2, -1),
    Phase.SCHOOL_AGE: (0, 1, 2, 4, 6, 7, 9, 10, 11),
    Phase.POST_16: (12, 13),
}
PLACEHOLDERS = re.compile(r"example|lorem|ipsum|test|placeholder|todo|xxx", re.IGNORECASE)
EHCP_WORDS = re.compile(r"EHCP|education, health and care", re.IGNORECASE)


def born_in(year_group: int) -> date:
    return date(2026 - 5 - year_group, 1 + (year_group * 7) % 12, 14)


def story(seed: int, year_group: int, **changes) -> ChildStory:
    values = {
        "reference": f"DCC-{9000 + seed}",
        "first_name": "Ava" if seed % 2 else "Noah",
        "date_of_birth": born_in(year_group),
        "year_group": year_group,
        "sex": "2" if seed % 2 else "1",
        "legal_status": ("C2", "C1", "V2", "E1")[seed % 4],
        "school_name": "Oakfield Primary School",
        "school_urn": "900201",
        "people": PEOPLE,
    }
    values.update(changes)
    return ChildStory(**values)


def band_for(year_group: int) -> VoiceBand:
    return choose_voice_band(max(2, 5 + year_group), year_group)


def pep_forms(registry: FormRegistry) -> list[FormDefinition]:
    return [definition for definition in registry if definition.phase is not Phase.CHILD_VOICE]


def answers_for(definition: FormDefinition, seed: int, year_group: int, **changes):
    child = story(seed, year_group, **changes)
    return child, realistic_pep_answers(
        definition,
        child,
        band=band_for(year_group),
        meeting_date=MEETING,
        valid_on=SUBMITTED_ON,
    )


def every_pep(registry: FormRegistry) -> Iterator[tuple[FormDefinition, int, int, dict]]:
    for definition in pep_forms(registry):
        for year_group in YEAR_GROUPS[definition.phase]:
            for seed in SEEDS:
                _child, answers = answers_for(definition, seed, year_group)
                yield definition, seed, year_group, answers


def all_text(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from all_text(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_text(item)


def test_every_pep_passes_the_forms_own_completeness_rules(registry):
    for definition, seed, year_group, answers in every_pep(registry):
        missing = pep_missing_answers(definition, answers, today=SUBMITTED_ON)
        assert missing == {}, (definition.file_name, seed, year_group, missing)


def test_every_section_passes_its_wtforms_validation_as_posted(registry):
    for definition in pep_forms(registry):
        year_group = YEAR_GROUPS[definition.phase][-1]
        for seed in range(10):
            _child, answers = answers_for(definition, seed, year_group)
            for section in definition.sections:
                if section.section_type is not SectionType.STANDARD:
                    continue
                form_class = build_section_form(section, draft=False, today=lambda: SUBMITTED_ON)
                form = form_class(formdata=formdata_from_answers(section, answers[section.key]))
                assert form.validate(), (definition.file_name, section.key, form.errors)


def test_every_field_of_every_form_is_answered_by_some_child(registry):
    # Version 3 asks about stories only some children have (an unaccompanied child, a
    # suspension, a young person not in education): test_realistic_answers_version_3.py
    # covers it with a spread of such stories.
    for definition in pep_forms(registry):
        if definition.version >= 3:
            continue
        answered: dict[str, set[str]] = {section.key: set() for section in definition.sections}
        for year_group in YEAR_GROUPS[definition.phase]:
            for seed in SEEDS:
                child, first = answers_for(
                    definition,
                    seed,
                    year_group,
                    placed_out_of_area=seed % 3 == 0,
                    first_language="Polish" if seed % 5 == 0 else None,
                )
                # A second PEP, to review the first one's targets.
                answers = realistic_pep_answers(
                    definition,
                    child,
                    band=band_for(year_group),
                    meeting_date=MEETING + timedelta(days=100),
                    pep_number=1,
                    previous_answers=first,
                    prefilled=prefilled_answers(definition, first),
                )
                later = MEETING + timedelta(days=100)
                assert pep_missing_answers(definition, answers, today=later) == {}
                for key, section_answers in [*first.items(), *answers.items()]:
                    answered[key] |= set(section_answers)
        for section in definition.sections:
            if section.section_type is not SectionType.STANDARD:
                continue
            for field in section.answer_fields:
                if field.read_only:
                    continue
                assert field.key in answered[section.key], (
                    definition.file_name,
                    section.key,
                    field.key,
                )


def test_every_child_voice_band_of_both_versions_is_answered_validly(registry):
    for definition in registry:
        if definition.phase is not Phase.CHILD_VOICE:
            continue
        for section in definition.sections:
            for seed in range(20):
                for uasc in (False, True):
                    answers = realistic_voice_answers(section, story(seed, 8, uasc=uasc))
                    assert set(answers) == {field.key for field in section.answer_fields}
                    assert missing_answers(section, answers, today=SUBMITTED_ON) == []


def test_no_placeholder_text_anywhere(registry):
    for definition, seed, year_group, answers in every_pep(registry):
        for text in all_text(answers):
            assert not PLACEHOLDERS.search(text), (definition.file_name, seed, year_group, text)
            assert "{" not in text and "}" not in text, text  # every name and pronoun filled


def test_no_special_needs_never_sits_beside_a_plan_or_a_need(registry):
    seen = set()
    for definition, seed, _year_group, answers in every_pep(registry):
        sen = answers.get("special_educational_needs") or answers.get("support_needs")
        seen.add(sen["sen_status"])
        text = " ".join(all_text(sen))
        if sen["sen_status"] == "none":
            for field in ("primary_need", "ehcp_local_authority", "last_annual_review"):
                assert field not in sen, (definition.file_name, seed, sen)
            assert "next_annual_review" not in sen
            assert sen.get("inclusion_funding") in (None, False)
            assert not EHCP_WORDS.search(text), text
        if sen["sen_status"] != "ehcp":
            assert "last_annual_review" not in sen and "next_annual_review" not in sen
            assert "EHCP" not in text
        else:
            section = definition.section(
                "support_needs" if "support_needs" in answers else "special_educational_needs"
            )
            fields = {field.key for field in section.fields}
            if "last_annual_review" in fields:
                assert sen["last_annual_review"] < sen["next_annual_review"]
            if "primary_need" in fields:
                assert sen["primary_need"]
    assert {"none", "sen_support", "ehcp"} <= seen


def test_attendance_absences_and_suspensions_agree(registry):
    for definition, _seed, _year_group, answers in every_pep(registry):
        attendance = answers.get("attendance_exclusions")
        if attendance is None or definition.version >= 3:  # version 3 counts sessions
            continue
        this_term = Decimal(attendance["attendance_this_term"])
        assert Decimal(0) <= this_term <= Decimal(100)
        assert attendance["attendance_this_term"] in attendance["attendance_support"]
        lost = attendance["unauthorised_sessions"] + 2 * attendance["suspension_days_this_term"]
        if lost:
            assert this_term < 100
        if attendance["suspensions_this_term"] == 0:
            assert attendance["suspension_days_this_term"] == 0
            assert "exclusion_details" not in attendance
        else:
            assert attendance["suspension_days_this_term"] >= attendance["suspensions_this_term"]
            assert attendance["exclusion_details"]
        assert attendance["permanently_excluded"] is False
        if this_term >= 90:
            assert "persistent absence" not in attendance["attendance_support"]


def test_last_terms_attendance_is_the_last_peps_figure(registry):
    definition = registry.get("school_age", 2)  # the last version with a percentage
    child = story(3, 5)
    first = realistic_pep_answers(
        definition, child, band=VoiceBand.PRIMARY, meeting_date=MEETING, valid_on=SUBMITTED_ON
    )
    later = MEETING + timedelta(days=100)
    second = realistic_pep_answers(
        definition,
        child,
        band=VoiceBand.PRIMARY,
        meeting_date=later,
        valid_on=later,
        pep_number=1,
        previous_answers=first,
    )
    assert (
        second["attendance_exclusions"]["attendance_last_term"]
        == first["attendance_exclusions"]["attendance_this_term"]
    )


def test_targets_fit_the_childs_key_stage(registry):
    never = {
        "eyfs": ("GCSE", "college", "times tables", "homework"),
        "reception": ("GCSE", "college", "times tables"),
        "ks1": ("GCSE", "college", "apprenticeship"),
        "ks2": ("GCSE", "college", "phonics", "apprenticeship"),
        "ks3": ("phonics", "key person", "Reception"),
        "ks4": ("phonics", "key person", "Reception", "times tables"),
        "post16": ("phonics", "key person", "Reception", "times tables", "homework club"),
    }
    stages_seen = set()
    for definition, _seed, year_group, answers in every_pep(registry):
        stage = key_stage(year_group, definition.phase)
        stages_seen.add(stage)
        targets = answers["smart_targets"]["targets"]
        assert 1 <= len(targets) <= 10
        text = " ".join(all_text(targets))
        for word in never[stage]:
            assert word.lower() not in text.lower(), (stage, word, text)
        for target in targets:
            assert date.fromisoformat(target["by_when"]) > SUBMITTED_ON
    assert stages_seen == set(never)


def test_pupil_premium_requested_is_what_the_targets_cost(registry):
    # From version 3 a request may differ when the difference is explained.
    for _definition, _seed, _year_group, answers in every_pep(registry):
        pp = answers.get("pupil_premium_plus") or answers.get("early_years_pupil_premium")
        if pp is None:
            continue
        linked = sum(
            (
                Decimal(row.get("pp_plus_amount", "0"))
                for row in answers["smart_targets"]["targets"]
            ),
            Decimal(0),
        )
        assert Decimal(pp["amount_requested"]) == linked or pp.get("difference_explained")


def test_the_childs_voice_is_in_the_words_of_their_age_band(registry):
    definition = registry.latest("school_age")
    for seed in SEEDS:
        little = realistic_pep_answers(
            definition, story(seed, 0), band=VoiceBand.EARLY_YEARS, meeting_date=MEETING
        )["my_views"]
        assert little[VOICE_BAND_KEY] == "early_years"
        assert "key person" in little[VOICE_ANSWERS_KEY]["gathered_by"]
        primary = realistic_pep_answers(
            definition, story(seed, 4), band=VoiceBand.PRIMARY, meeting_date=MEETING
        )["my_views"][VOICE_ANSWERS_KEY]
        teenager = realistic_pep_answers(
            definition, story(seed, 10), band=VoiceBand.SECONDARY, meeting_date=MEETING
        )["my_views"][VOICE_ANSWERS_KEY]
        assert "grow_up" in primary and "hopes_dreams" in teenager
        # A child writes in the first person; nobody writes about them in the third.
        assert primary["going_well"].startswith(("I ", "Maths")) or "I " in primary["going_well"]
        assert "I" in teenager["hard"].split() or "I'm" in teenager["hard"]


def test_how_the_child_took_part_matches_what_they_said_about_the_meeting(registry):
    definition = registry.latest("school_age")
    taking_part = {
        "yes": {"whole_meeting"},
        "some_of_it": {"part_meeting"},
        "not_sure": {"part_meeting"},
        "no": {"views_shared"},
    }
    for seed in SEEDS:
        answers = realistic_pep_answers(
            definition, story(seed, 8), band=VoiceBand.SECONDARY, meeting_date=MEETING
        )
        said = answers["my_views"][VOICE_ANSWERS_KEY]["come_to_meeting"]
        assert answers["meeting_details"]["child_participation"] in taking_part[said]


def test_previous_targets_are_carried_forward_and_evaluated(registry):
    definition = registry.latest("school_age")
    child = story(8, 4)
    first = realistic_pep_answers(
        definition, child, band=VoiceBand.PRIMARY, meeting_date=MEETING, valid_on=SUBMITTED_ON
    )
    assert "first PEP" in first["review_previous_targets"]["review_summary"]
    later = MEETING + timedelta(days=110)
    prefilled = prefilled_answers(definition, first)
    second = realistic_pep_answers(
        definition,
        child,
        band=VoiceBand.PRIMARY,
        meeting_date=later,
        valid_on=later,
        pep_number=1,
        previous_answers=first,
        prefilled=prefilled,
    )
    review = second["review_previous_targets"]
    carried = [row["target"] for row in review["previous_targets"]]
    assert carried == [row["outcome"] for row in first["smart_targets"]["targets"]]
    words = {"n": "Noah", "he": "he", "his": "his", "him": "him", "s": "s", "es": "es"}
    for row in review["previous_targets"]:
        assert row["outcome"] in ("achieved", "partly_achieved", "not_yet_achieved")
        # The evidence is about this target, and says what its outcome says.
        source = next(
            target
            for targets in _TARGETS.values()
            for target in targets
            if target.outcome.format_map({**words, "He": "He", "His": "His"}) == row["target"]
        )
        expected = {
            "achieved": source.achieved,
            "partly_achieved": source.partly,
            "not_yet_achieved": source.not_yet,
        }[row["outcome"]]
        assert row["evidence"] == expected.format_map({**words, "He": "He", "His": "His"})
    assert f"of {len(carried)} targets" in review["review_summary"]
    assert pep_missing_answers(definition, second, today=later) == {}


def test_the_same_child_gets_the_same_answers_every_time(registry):
    for definition in pep_forms(registry):
        year_group = YEAR_GROUPS[definition.phase][0]
        assert answers_for(definition, 5, year_group) == answers_for(definition, 5, year_group)


def test_different_children_get_different_answers(registry):
    definition = registry.latest("school_age")
    texts = {
        answers_for(definition, seed, 5)[1]["carers_views"]["going_well"]
        + answers_for(definition, seed, 5)[1]["health_wellbeing"]["emotional_wellbeing"]
        for seed in SEEDS
    }
    assert len(texts) > 4


def test_a_section_alone_is_the_same_as_in_the_whole_pep(registry):
    definition = registry.latest("post_16")
    child = story(11, 12)
    whole = realistic_pep_answers(definition, child, band=VoiceBand.SECONDARY, meeting_date=MEETING)
    alone = realistic_pep_answers(
        definition,
        child,
        band=VoiceBand.SECONDARY,
        meeting_date=MEETING,
        sections=["course_provider", "attendance"],
    )
    assert alone == {key: whole[key] for key in ("course_provider", "attendance")}


@pytest.mark.parametrize("uasc", [False, True])
def test_an_unaccompanied_young_person_has_no_parent_at_the_meeting(registry, uasc):
    definition = registry.latest("post_16")
    child = story(2, 12, uasc=uasc, first_language="Tigrinya" if uasc else None)
    answers = realistic_pep_answers(
        definition, child, band=VoiceBand.SECONDARY, meeting_date=MEETING
    )
    if uasc:
        assert "parent_views" not in answers["parents_views"]
        assert "not in the UK" in answers["about_me"]["care_changes"]
        assert answers["course_provider"]["course_level"] == "entry"
    assert pep_missing_answers(definition, answers, today=MEETING) == {}


def test_the_repeating_groups_keep_within_their_row_limits(registry):
    for definition, _seed, _year_group, answers in every_pep(registry):
        for section in definition.sections:
            for field in section.fields:
                if isinstance(field, RepeatingGroupDefinition) and field.key in answers.get(
                    section.key, {}
                ):
                    rows = answers[section.key][field.key]
                    assert field.min_rows <= len(rows) <= field.max_rows


def test_a_child_who_changed_school_has_a_plan_that_says_so(registry):
    definition = registry.latest("school_age")
    moved = date(2026, 10, 5)
    child = story(4, 10, school_name="Hillview School", school_urn="900302", joined_school_on=moved)
    answers = realistic_pep_answers(
        definition, child, band=VoiceBand.SECONDARY, meeting_date=MEETING, valid_on=SUBMITTED_ON
    )
    assert answers["education_setting"]["date_joined_school"] == "2026-10-05"
    assert answers["education_setting"]["urn"] == "900302"
    assert answers["about_me"]["school_moves_since_care"] >= 1
    assert "moved to Hillview School on 5 October 2026" in answers["about_me"]["care_changes"]
