"""The demo's realistic answers to the version 3 PEP forms, for a spread of children's stories
(every phase; unaccompanied at four and as a teenager, special educational needs, an EHCP,
suspended, permanently excluded, not in education, employment or training, not in an early
years setting): valid as submitted, holding together, and true to the story.

Version 3 is loaded from a temporary folder holding forms/definitions and forms/drafts, as
forms/drafts/README.md says, until it is published.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from forms import build_section_form, formdata_from_answers, prefilled_answers
from forms.completeness import pep_missing_answers
from forms.conditions import shown_fields
from forms.phases import Phase, VoiceBand, choose_voice_band
from forms.realistic_answers import ChildStory, DemoPeople, circumstances_of, realistic_pep_answers
from forms.schema import FormDefinition, FormRegistry, SectionType, load_definitions

FORMS = Path(__file__).resolve().parents[3] / "forms"
PEOPLE = DemoPeople(
    "Priya Shah",
    "Sam Okoro",
    "Jo Marsh",
    virtual_school_adviser="Lena Ward",
    independent_reviewing_officer="Angela Marsh",
)
# (meeting date, the day the PEP was submitted): autumn, spring and summer terms.
MEETINGS = (
    (date(2026, 11, 10), date(2026, 11, 16)),
    (date(2027, 2, 22), date(2027, 2, 26)),
    (date(2027, 6, 21), date(2027, 6, 23)),
)
PLACEHOLDERS = ("lorem", "ipsum", "placeholder", "todo", "xxx", "{", "}")


@pytest.fixture(scope="module")
def v3_registry() -> FormRegistry:
    return load_definitions(FORMS / "definitions", FORMS / "drafts")


@dataclass(frozen=True)
class Case:
    """A child's story and the form their PEP is on."""

    name: str
    form_key: str
    year_group: int
    born: date
    changes: dict[str, Any] = field(default_factory=dict)
    meetings: tuple[tuple[date, date], ...] = MEETINGS

    def story(self, seed: int) -> ChildStory:
        values: dict[str, Any] = {
            "reference": f"DCC-{7000 + seed}",
            "first_name": "Ava" if seed % 2 else "Noah",
            "date_of_birth": self.born,
            "year_group": self.year_group,
            "sex": "2" if seed % 2 else "1",
            "legal_status": ("C2", "C1", "V2", "E1")[seed % 4],
            "school_name": "Oakfield Primary School" if self.year_group < 7 else "Hillview School",
            "school_urn": "900201" if self.year_group < 7 else "900302",
            "date_entered_care": date(2024, 3, 1),
            "people": PEOPLE,
        }
        if self.form_key == "post_16":
            values.update(school_name="Northgate College", school_urn=None)
        values.update(self.changes)
        return ChildStory(**values)


def born(year_group: int) -> date:
    return date(2021 - year_group, 1 + (year_group * 7) % 12, 14)


UASC = {"uasc": True, "first_language": "Tigrinya", "date_entered_care": date(2025, 6, 2)}
# A four-year-old who arrived this autumn with a brother who is a child himself, placed with
# foster carers, at a private nursery.
YOUNG_UASC = {
    "uasc": True,
    "first_language": "Kurdish Sorani",
    "date_entered_care": date(2026, 9, 21),
    "school_name": "Little Acorns Nursery",
    "school_urn": "900101",
}
CASES = (
    Case("a two-year-old in a nursery", "early_years", -2, date(2024, 8, 10)),
    Case("a three-year-old", "early_years", -2, born(-2)),
    Case("starting school next September", "early_years", -1, born(-1)),
    Case(
        "not in an early years setting",
        "early_years",
        -1,
        born(-1),
        {"in_early_years_setting": False},
    ),
    Case(
        "in a nursery class, suspended", "early_years", -1, born(-1), {"suspended_this_year": True}
    ),
    Case("four, unaccompanied, in a private nursery", "early_years", -1, born(-1), YOUNG_UASC),
    Case("Reception", "school_age", 0, born(0)),
    Case("Year 1", "school_age", 1, born(1)),
    Case("Year 2", "school_age", 2, born(2)),
    Case("Year 4", "school_age", 4, born(4)),
    # This reference's circumstances: an EHCP and a reduced timetable.
    Case("Year 5, EHCP, reduced timetable", "school_age", 5, born(5), {"reference": "DCC-7024"}),
    Case("Year 6, moved school", "school_age", 6, born(6), {"joined_school_on": date(2026, 10, 5)}),
    Case("Year 8, suspended", "school_age", 8, born(8), {"suspended_this_year": True}),
    Case(
        "Year 9, permanently excluded",
        "school_age",
        9,
        born(9),
        {"suspended_this_year": True, "permanently_excluded": True},
    ),
    Case("Year 10, unaccompanied", "school_age", 10, born(10), UASC),
    Case("Year 11", "school_age", 11, born(11), {"placed_out_of_area": True}),
    Case("Year 12 at college", "post_16", 12, born(12)),
    Case(
        "Year 12, just sixteen",
        "post_16",
        12,
        date(2010, 8, 31),
        meetings=((date(2026, 10, 5), date(2026, 10, 7)),),
    ),
    Case("Year 12, unaccompanied", "post_16", 12, born(12), {**UASC, "first_language": "Pashto"}),
    Case(
        "Year 13, not in education, employment or training", "post_16", 13, born(13), {"neet": True}
    ),
    Case("Year 13", "post_16", 13, born(13)),
    Case(
        "Year 13 in a sixth form, suspended then permanently excluded",
        "post_16",
        13,
        born(13),
        {"suspended_this_year": True, "permanently_excluded": True},
    ),
)
SEEDS = range(6)


def band_for(year_group: int) -> VoiceBand:
    return choose_voice_band(max(2, 5 + year_group), year_group)


@dataclass(frozen=True)
class Pep:
    case: Case
    seed: int
    story: ChildStory
    definition: FormDefinition
    valid_on: date
    answers: dict[str, dict[str, Any]]
    number: int  # the child's earlier PEPs


def peps(registry: FormRegistry, cases: tuple[Case, ...] = CASES) -> Iterator[Pep]:
    """Each case's PEPs, one a term, each carrying forward from the one before."""
    for case in cases:
        definition = registry.get(case.form_key, 3)
        for seed in SEEDS:
            story = case.story(seed)
            previous: dict[str, dict[str, Any]] | None = None
            for number, (meeting, submitted) in enumerate(case.meetings):
                answers = realistic_pep_answers(
                    definition,
                    story,
                    band=band_for(case.year_group),
                    meeting_date=meeting,
                    valid_on=submitted,
                    pep_number=number,
                    previous_answers=previous,
                    prefilled=prefilled_answers(definition, previous) if previous else None,
                )
                yield Pep(case, seed, story, definition, submitted, answers, number)
                previous = answers


def standard_sections(definition: FormDefinition) -> Iterator[Any]:
    for section in definition.sections:
        if section.section_type is SectionType.STANDARD:
            yield section


def test_every_section_passes_its_form_as_submitted(v3_registry):
    for pep in peps(v3_registry):
        for section in standard_sections(pep.definition):
            form_class = build_section_form(
                section, draft=False, today=lambda day=pep.valid_on: day
            )
            form = form_class(formdata=formdata_from_answers(section, pep.answers[section.key]))
            assert form.validate(), (pep.case.name, pep.seed, section.key, form.errors)


def test_every_pep_is_complete(v3_registry):
    for pep in peps(v3_registry):
        missing = pep_missing_answers(pep.definition, pep.answers, today=pep.valid_on)
        assert missing == {}, (pep.case.name, pep.seed, missing)


def test_no_answer_is_kept_for_a_question_not_shown(v3_registry):
    for pep in peps(v3_registry):
        for section in standard_sections(pep.definition):
            answers = pep.answers[section.key]
            conditions = {
                definition.key: getattr(definition, "shown_if", None)
                for definition in section.answer_fields
            }
            hidden = set(answers) - shown_fields(conditions, answers)
            assert not hidden, (pep.case.name, section.key, hidden)


def test_every_question_is_answered_for_some_child(v3_registry):
    answered: dict[tuple[str, str], set[str]] = {}
    for pep in peps(v3_registry):
        for key, section_answers in pep.answers.items():
            answered.setdefault((pep.definition.key, key), set()).update(section_answers)
    for form_key in ("school_age", "early_years", "post_16"):
        for section in standard_sections(v3_registry.get(form_key, 3)):
            for definition in section.answer_fields:
                if definition.read_only:
                    continue
                assert definition.key in answered[(form_key, section.key)], (
                    form_key,
                    section.key,
                    definition.key,
                )


def test_no_placeholder_text(v3_registry):
    def texts(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from texts(item)
        elif isinstance(value, list):
            for item in value:
                yield from texts(item)

    for pep in peps(v3_registry):
        for text in texts(pep.answers):
            assert not any(word in text.lower() for word in PLACEHOLDERS), text


def term_start(on: date) -> date:
    if on.month >= 9:
        return date(on.year, 9, 3)
    return date(on.year, 4, 15) if on.month >= 4 else date(on.year, 1, 5)


def attendance_of(pep: Pep) -> dict[str, Any] | None:
    for key in ("attendance_exclusions", "attendance", "setting"):
        if key in pep.answers:
            return pep.answers[key]
    return None


def test_sessions_add_up_and_this_term_is_within_the_year(v3_registry):
    for pep in peps(v3_registry):
        attendance = attendance_of(pep)
        if attendance is None or "sessions_possible_term" not in attendance:
            continue
        for period in ("term", "year"):
            parts = (
                attendance[f"sessions_attended_{period}"]
                + attendance[f"authorised_absences_{period}"]
                + attendance[f"unauthorised_absences_{period}"]
            )
            assert parts == attendance[f"sessions_possible_{period}"], pep.case.name
        for name in ("sessions_possible", "sessions_attended", "authorised_absences"):
            assert attendance[f"{name}_term"] <= attendance[f"{name}_year"], (pep.case.name, name)
        # About two sessions a school day so far this term, at most.
        meeting = date.fromisoformat(pep.answers["meeting_details"]["meeting_date"])
        school_days = (meeting - term_start(meeting)).days * 5 // 7
        assert 0 < attendance["sessions_possible_term"] <= 2 * max(15, school_days + 1)


def test_suspensions_only_when_the_story_has_them(v3_registry):
    seen = set()
    for pep in peps(v3_registry):
        attendance = attendance_of(pep)
        if attendance is None or "suspensions_this_year" not in attendance:
            continue
        suspended = attendance["suspensions_this_year"]
        assert suspended is pep.story.suspended_this_year, pep.case.name
        rows = attendance.get("suspensions", [])
        assert bool(rows) is suspended
        assert sum(row["length_sessions"] for row in rows) <= 90
        for row in rows:
            assert 1 <= len(row["reasons"]) <= 3
            assert date.fromisoformat(row["start_date"]) <= pep.valid_on
        if suspended:
            # A suspension is an authorised absence on the register.
            total = sum(row["length_sessions"] for row in rows)
            assert attendance["authorised_absences_term"] >= total
            seen.add(pep.definition.key)
        excluded = attendance.get("permanently_excluded", False)
        assert excluded is pep.story.permanently_excluded
        assert ("permanent_exclusion_stage" in attendance) is excluded
    assert seen == {"school_age", "early_years", "post_16"}


def test_the_key_stage_and_its_vocabulary_follow_the_year_group(v3_registry):
    stages = {0: "eyfs_reception", 1: "ks1", 2: "ks1", 4: "ks2", 5: "ks2", 6: "ks2", 8: "ks3"}
    stages |= {9: "ks3"}
    stages |= {10: "ks4", 11: "ks4"}
    for pep in peps(v3_registry):
        attainment = pep.answers.get("attainment_progress")
        if attainment is None:
            continue
        stage = attainment["key_stage"]
        assert stage == stages[pep.case.year_group], pep.case.name
        for key, value in attainment.items():
            if key.startswith("elg_"):
                assert stage == "eyfs_reception" and value in ("emerging", "expected")
            if key.startswith(("ks2_reading", "ks2_maths")):
                assert 80 <= value <= 120
        if "phonics_mark" in attainment:
            assert attainment["phonics_standard_met"] is (attainment["phonics_mark"] >= 32)
        for row in attainment.get("ks4_subjects", []):
            grades = [
                int(row[key].removeprefix("grade_")) for key in ("current_grade", "predicted_grade")
            ]
            assert all(1 <= grade <= 9 for grade in grades)
        for row in attainment.get("ks3_subjects", []):
            assert row["on_track"] in ("above", "on_track", "below")


def test_the_yes_or_no_questions_are_written_as_the_story_says(v3_registry):
    for pep in peps(v3_registry):
        about = pep.answers["about_me"]
        assert about["unaccompanied_asylum_seeking"] is pep.story.uasc
        assert bool(about.get("languages")) is pep.story.uasc
        if pep.definition.key == "early_years":
            setting = pep.answers["setting"]
            assert setting["in_setting"] is pep.story.in_early_years_setting
            starting = pep.answers["starting_school"]["starting_school_next_september"]
            assert starting is (pep.case.year_group == -1)
        if pep.definition.key == "post_16":
            status = pep.answers["course_provider"]["education_status"]
            assert (status == "neet") is pep.story.neet
            assert pep.answers["attendance"]["attendance_recorded"] is not pep.story.neet


def test_the_key_people_are_the_demos_people(v3_registry):
    for pep in peps(v3_registry):
        people = {(row["role"], row["name"]) for row in pep.answers["key_people"]["people"]}
        assert ("social_worker", "Sam Okoro") in people
        assert ("carer", "Jo Marsh") in people
        assert ("virtual_school_adviser", "Lena Ward") in people
        assert ("independent_reviewing_officer", "Angela Marsh") in people
        assert pep.answers["about_me"]["reviewing_officer_name"] == "Angela Marsh"
        if pep.definition.key != "early_years":
            assert ("designated_teacher", "Priya Shah") in people


def test_the_schools_attended_are_the_childs_schools(v3_registry):
    for pep in peps(v3_registry):
        if pep.definition.key == "early_years":
            continue
        schools = pep.answers["educational_history"]["schools_attended"]
        assert schools[0]["school_name"] == pep.story.school_name
        assert "attended_to" not in schools[0] or pep.story.neet
        if pep.story.joined_school_on is not None:
            assert schools[0]["attended_from"] == pep.story.joined_school_on.isoformat()
            assert schools[1]["reason_left"] == "moved_placement"
        if pep.story.uasc:
            arrived = pep.story.date_entered_care
            assert all(date.fromisoformat(row["attended_from"]) > arrived for row in schools)
            assert "key_stage_results" not in pep.answers["educational_history"]
        if pep.definition.key == "school_age":
            moves = pep.answers["about_me"]["school_moves_since_care"]
            ended = [row for row in schools if row.get("attended_to")]
            assert moves <= len(ended)


def test_results_carry_forward_from_the_last_pep(v3_registry):
    case = next(case for case in CASES if case.name == "Year 8, suspended")
    first, second, *_ = [pep for pep in peps(v3_registry, (case,)) if pep.seed == 0]
    assert (
        second.answers["educational_history"]["key_stage_results"]
        == first.answers["educational_history"]["key_stage_results"]
    )


def test_special_educational_needs_are_the_childs(v3_registry):
    reduced = next(case for case in CASES if case.name.endswith("reduced timetable"))
    assert circumstances_of(reduced.story(0)).sen_status == "ehcp"
    seen = set()
    for pep in peps(v3_registry):
        sen = pep.answers.get("special_educational_needs") or pep.answers["support_needs"]
        seen.add(sen["sen_status"])
        if sen["sen_status"] == "none":
            assert not {"primary_need", "ehcp_local_authority", "next_annual_review"} & set(sen)
        if sen["sen_status"] == "ehcp":
            assert sen["ehcp_local_authority"] and sen["next_annual_review"]
            assert circumstances_of(pep.story).sen_status == "ehcp"
    assert {"none", "sen_support", "ehcp"} <= seen


def test_the_pupil_premium_request_is_the_targets_total_or_explained(v3_registry):
    explained = 0
    for pep in peps(v3_registry):
        pp = pep.answers.get("pupil_premium_plus") or pep.answers.get("early_years_pupil_premium")
        if pp is None:
            continue
        linked = sum(
            (
                Decimal(row.get("pp_plus_amount", "0"))
                for row in pep.answers["smart_targets"]["targets"]
            ),
            Decimal(0),
        )
        if Decimal(pp["amount_requested"]) != linked:
            assert pp["difference_explained"], pep.case.name
            explained += 1
        else:
            assert "difference_explained" not in pp
    assert explained


def test_later_peps_review_the_targets_of_the_one_before(v3_registry):
    case = next(case for case in CASES if case.name == "Year 4")
    later = [pep for pep in peps(v3_registry, (case,)) if pep.number > 0]
    assert later
    for pep in later:
        review = pep.answers["review_previous_targets"]
        assert all(row["outcome"] for row in review["previous_targets"])
        next_pep = date.fromisoformat(pep.answers["meeting_details"]["next_pep_date"])
        assert next_pep > pep.valid_on


def test_a_young_person_not_in_education_has_a_plan_and_no_course(v3_registry):
    case = next(case for case in CASES if case.form_key == "post_16" and case.changes.get("neet"))
    for pep in peps(v3_registry, (case,)):
        course = pep.answers["course_provider"]
        assert set(course) == {
            "education_status",
            "neet_reason",
            "reengagement_plan",
            "neet_review_date",
        }
        assert pep.answers["finance"]["bursaries"] == ["none"]
        assert Phase(pep.definition.phase) is Phase.POST_16


def test_a_check_already_taken_has_the_same_mark_in_attainment_and_history(v3_registry):
    for pep in peps(v3_registry):
        attainment = pep.answers.get("attainment_progress", {})
        history = pep.answers["educational_history"].get("key_stage_results", [])
        results = {row["key_stage"]: row["result"] for row in history}
        if "phonics_mark" in attainment and "phonics" in results:
            assert results["phonics"].startswith(f"{attainment['phonics_mark']} out of 40")
        if "multiplication_check_score" in attainment and "multiplication_check" in results:
            expected = f"{attainment['multiplication_check_score']} out of 25"
            assert results["multiplication_check"] == expected


def test_a_young_unaccompanied_child_answers_every_question_about_arriving_alone(v3_registry):
    """The four-year-old's languages and appointments are answered, coded and consistent with
    the setting's register; nothing of the teenager's story (college, a key worker, supported
    accommodation) reaches a nursery child's PEP."""
    case = next(case for case in CASES if case.name.startswith("four, unaccompanied"))
    arrived = YOUNG_UASC["date_entered_care"]
    seen = set()
    for pep in peps(v3_registry, (case,)):
        about = pep.answers["about_me"]
        assert about["unaccompanied_asylum_seeking"] is True
        assert about["languages"] == [
            {"language": "kur", "is_first_language": True, "interpreter_needed": True},
            {"language": "eng", "is_first_language": False, "interpreter_needed": False},
        ]
        appointments = about["asylum_appointments"]
        assert appointments, (pep.seed, pep.number)
        setting = pep.answers["setting"]
        started = date.fromisoformat(setting["date_started"])
        assert arrived < started <= pep.valid_on
        meeting = date.fromisoformat(pep.answers["meeting_details"]["meeting_date"])
        for row in appointments:
            on = date.fromisoformat(row["appointment_date"])
            assert max(started, term_start(meeting)) < on < meeting, row
            seen.add(row["appointment_type"])
        # Appointments in the setting's hours are authorised absences on its register.
        missed = sum(row["sessions_missed"] for row in appointments)
        assert 0 < missed <= setting["authorised_absences_term"]
        assert setting["unauthorised_absences_term"] == 0
        assert setting["setting_type"] == "private_nursery"
        history = pep.answers["educational_history"]["schools_attended"]
        assert [row["school_name"] for row in history] == ["Little Acorns Nursery"]
        assert history[0]["attended_from"] == setting["date_started"]
        assert about["placements_last_12_months"] == 1
        assert date.fromisoformat(about["placement_start_date"]) == arrived
        # Arrived at four: too late for the check at two, and learning English is not a
        # special educational need.
        check = pep.answers["two_year_check"]
        assert (
            check["check_done"] is False and "arrived in the UK" in check["check_not_done_reason"]
        )
        assert pep.answers["special_educational_needs"]["sen_status"] == "none"
        assert pep.answers["health_wellbeing"]["speech_language_concern"] is False
        assert date.fromisoformat(pep.answers["health_wellbeing"]["health_assessment_date"]) > (
            arrived
        )
        development = pep.answers["eyfs_development"]["development_summary"]
        assert "English: Stage" in development and "Kurdish Sorani" in development
        voice = repr(pep.answers["my_views"])
        assert "Aram" in voice
        text = repr(pep.answers).lower()
        for teenage_word in ("college", "key worker", "supported accommodation", "esol"):
            assert teenage_word not in text, (teenage_word, pep.number)
    assert seen == {"health", "home_office", "solicitor"}


def test_a_young_unaccompanied_childs_english_grows_from_one_pep_to_the_next(v3_registry):
    case = next(case for case in CASES if case.name.startswith("four, unaccompanied"))
    first, second, third = [pep for pep in peps(v3_registry, (case,)) if pep.seed == 0]
    stages = [
        pep.answers["eyfs_development"]["development_summary"].split(". ")[0]
        for pep in (first, second, third)
    ]
    assert stages == [
        "English: Stage 1 of 4, new to English",
        "English: Stage 2 of 4, becoming familiar with English",
        "English: Stage 2 of 4, moving towards stage 3 (becoming confident as a user of English)",
    ]
    # The targets of one PEP are reviewed in the next, with the words of their own bank.
    review = second.answers["review_previous_targets"]["previous_targets"]
    assert review and all(
        not row["evidence"].startswith(("Met:", "Good progress", "Not met")) for row in review
    )
