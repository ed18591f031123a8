"""A calculated figure is shown only when every question it is worked out from is shown: a child
with no nursery place has no absence rate, and nothing names questions nobody asked.

The figure carries no shown_if of its own; it is derived from its inputs' conditions, for the
server (SectionDefinition.shown_keys) and, as one condition, for the page's script
(CalculatedDefinition.inputs_shown_if)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from forms.completeness import missing_answers
from forms.conditions import AllOf, Equals
from forms.schema import CalculatedDefinition, SectionDefinition, load_definition

TODAY = date(2026, 11, 2)
IN_SETTING = {"field": "in_setting", "equals": True}
RECORDED = {"field": "attendance_recorded", "equals": True}


def _number(key: str, label: str, shown_if: dict[str, Any] | None = None) -> dict[str, Any]:
    field: dict[str, Any] = {"key": key, "type": "whole_number", "label": label, "min": 0}
    if shown_if is not None:
        field["shown_if"] = shown_if
    return field


def _rate(key: str, numerator: list[str], denominator: str) -> dict[str, Any]:
    return {
        "key": key,
        "type": "calculated",
        "label": "Absence this term",
        "calculation": "percentage",
        "numerator": numerator,
        "denominator": denominator,
    }


DOCUMENT = {
    "key": "sample",
    "version": 1,
    "title": "Sample",
    "phase": "early_years",
    "sections": [
        {
            "key": "setting",
            "title": "The setting",
            "owner": "designated_teacher",
            "description": "Whether the child is in a setting, and attendance there.",
            "fields": [
                # Declared before its inputs: a figure may come anywhere in its section.
                _rate("rate_first", ["absent"], "possible"),
                {"key": "in_setting", "type": "yes_no", "label": "In a setting?"},
                {
                    "key": "attendance_recorded",
                    "type": "yes_no",
                    "label": "Does the setting keep a register?",
                    "shown_if": IN_SETTING,
                },
                _number("possible", "Sessions possible", IN_SETTING),
                _number("absent", "Sessions missed", IN_SETTING),
                _rate("rate", ["absent"], "possible"),
                # Inputs under two different conditions, one depending on the other.
                _number("recorded_possible", "Sessions on the register", RECORDED),
                _rate("rate_recorded", ["absent"], "recorded_possible"),
                # Inputs asked of everyone: the figure is always shown.
                _number("hours_offered", "Hours offered"),
                _number("hours_missed", "Hours missed"),
                _rate("hours_rate", ["hours_missed"], "hours_offered"),
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def section(tmp_path_factory: pytest.TempPathFactory) -> SectionDefinition:
    path: Path = tmp_path_factory.mktemp("figures") / "sample.v1.yaml"
    path.write_text(yaml.safe_dump(DOCUMENT, sort_keys=False), encoding="utf-8")
    return load_definition(path).sections[0]


FIGURES = {"rate_first", "rate", "rate_recorded", "hours_rate"}


def shown_figures(section: SectionDefinition, answers: dict[str, object]) -> set[str]:
    return set(section.shown_keys(answers)) & FIGURES


def test_with_no_setting_no_figure_worked_out_from_the_setting_s_questions_is_shown(
    section: SectionDefinition,
) -> None:
    # A stale answer from an earlier save (a page without the script posts every question)
    # does not bring the figure back either.
    answers: dict[str, object] = {"in_setting": False, "possible": 80, "absent": 8}
    assert shown_figures(section, answers) == {"hours_rate"}
    assert shown_figures(section, {}) == {"hours_rate"}


def test_with_a_setting_the_figures_come_back_with_their_inputs(
    section: SectionDefinition,
) -> None:
    answers: dict[str, object] = {"in_setting": True, "possible": 80, "absent": 8}
    assert shown_figures(section, answers) == {"rate_first", "rate", "hours_rate"}
    recorded = {**answers, "attendance_recorded": True}
    assert shown_figures(section, recorded) == FIGURES


def test_an_input_hidden_by_a_hidden_question_hides_the_figure(
    section: SectionDefinition,
) -> None:
    # "Does the setting keep a register?" is answered yes but is itself not asked.
    answers: dict[str, object] = {"in_setting": False, "attendance_recorded": True}
    assert "rate_recorded" not in section.shown_keys(answers)
    assert "recorded_possible" not in section.shown_keys(answers)


def test_the_figure_s_condition_for_the_script_is_its_inputs_conditions_all_holding(
    section: SectionDefinition,
) -> None:
    fields = section.fields_by_key
    in_setting = Equals("in_setting", True)
    recorded = Equals("attendance_recorded", True)

    def figure(key: str) -> CalculatedDefinition:
        definition = fields[key]
        assert isinstance(definition, CalculatedDefinition)
        return definition

    # Both inputs under the same condition: it is given once.
    assert figure("rate").inputs_shown_if(fields) == in_setting
    assert figure("rate_first").inputs_shown_if(fields) == in_setting
    assert figure("rate_recorded").inputs_shown_if(fields) == AllOf((in_setting, recorded))
    assert figure("hours_rate").inputs_shown_if(fields) is None


@pytest.mark.parametrize(
    "answers",
    [
        {"in_setting": False, "possible": 80, "absent": 8},
        {"in_setting": True, "attendance_recorded": False, "possible": 80, "absent": 8},
        {"in_setting": True, "attendance_recorded": True, "possible": 80, "absent": 8},
        {},
    ],
)
def test_the_script_s_condition_agrees_with_the_server(
    section: SectionDefinition, answers: dict[str, object]
) -> None:
    """Evaluated as the script does, with hidden questions' answers counting as unanswered."""
    shown = section.shown_keys(answers)
    visible = {key: value for key, value in answers.items() if key in shown}
    for key in FIGURES:
        definition = section.fields_by_key[key]
        assert isinstance(definition, CalculatedDefinition)
        condition = definition.inputs_shown_if(section.fields_by_key)
        script_shows = condition is None or condition.holds(visible)
        assert script_shows is (key in shown), key


def test_a_figure_is_never_asked_for_shown_or_hidden(section: SectionDefinition) -> None:
    for answers in ({"in_setting": False}, {"in_setting": True, "attendance_recorded": True}):
        missing = {answer.field_key for answer in missing_answers(section, answers, today=TODAY)}
        assert not missing & FIGURES
