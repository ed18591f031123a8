"""Whatever arrives in a post, the forms never crash, store only JSON, and what they store comes
back unchanged when the page is shown again."""

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.answers import FormData, answers_from_form, form_from_answers, formdata_from_answers
from forms.builder import build_section_form, form_errors
from forms.completeness import SectionStatus, section_status
from forms.schema import RepeatingGroupDefinition, SectionDefinition, load_definitions

TODAY = date(2026, 3, 27)
REGISTRY = load_definitions()

# Between them these cover every field type, a fixed prefilled table and a table with totals.
SECTIONS = [
    REGISTRY.get("school_age", 1).section("meeting_details"),
    REGISTRY.get("school_age", 1).section("attendance_exclusions"),
    REGISTRY.get("school_age", 1).section("health_wellbeing"),
    REGISTRY.get("school_age", 1).section("smart_targets"),
    REGISTRY.get("school_age", 1).section("review_previous_targets"),
    REGISTRY.get("school_age", 1).section("special_educational_needs"),
    REGISTRY.get("child_voice", 1).section_for_band("primary"),
]
STORED_PREVIOUS_TARGETS = {
    "previous_targets": [
        {"target": "Read every day", "due_by": "2026-02-13"},
        {"target": "Attend 95% of sessions"},
    ]
}


def input_names(section: SectionDefinition) -> list[str]:
    names: list[str] = []
    for field in section.fields:
        if isinstance(field, RepeatingGroupDefinition):
            for row in range(3):
                names.extend(f"{field.key}-{row}-{column.key}" for column in field.columns)
            names.extend([f"{field.key}-x-{field.columns[0].key}", f"{field.key}-99999999999"])
        else:
            names.append(field.key)
    return names


ANY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "101",
            "92.5",
            "£1,500.50",
            "27",
            "3",
            "2026",
            "2026-03-27",
            "31/2/2026",
            "yes",
            "no",
            "happy",
            "achieved",
            "\x00\r\n",
        ]
    ),
)


def post_for(section: SectionDefinition) -> st.SearchStrategy[FormData]:
    pairs = st.lists(st.tuples(st.sampled_from(input_names(section)), ANY_TEXT), max_size=25)
    return pairs.map(FormData)


@pytest.mark.parametrize("section", SECTIONS, ids=[s.key for s in SECTIONS])
@pytest.mark.parametrize("draft", [False, True], ids=["submit", "draft"])
def test_any_post_is_handled(section, draft):
    form_class = build_section_form(section, draft=draft, today=lambda: TODAY)
    stored = STORED_PREVIOUS_TARGETS if section.key == "review_previous_targets" else {}

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
        database=None,
    )
    @given(post=post_for(section))
    def check(post: FormData) -> None:
        form = form_from_answers(form_class, section, stored, formdata=post)
        valid = form.validate()
        errors = form_errors(form)
        assert valid == (not errors)
        assert all(error.message and "\n" not in error.message for error in errors)

        answers = answers_from_form(section, form)
        assert json.loads(json.dumps(answers)) == answers
        assert section_status(section, answers, today=TODAY) in set(SectionStatus)

        # What was stored comes back unchanged, by both routes the portal uses.
        shown_again = form_from_answers(form_class, section, answers)
        assert answers_from_form(section, shown_again) == answers
        reposted = form_from_answers(
            form_class, section, answers, formdata=formdata_from_answers(section, answers)
        )
        assert answers_from_form(section, reposted) == answers

    check()
