"""Every problem in a definition file is refused with a message naming the file and the path."""

import copy
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from forms.schema import DEFAULT_DIRECTORY, FormDefinitionError, load_definition, load_definitions


def minimal_form() -> dict[str, Any]:
    return {
        "key": "sample",
        "version": 1,
        "title": "Sample",
        "phase": "school_age",
        "sections": [
            {
                "key": "first",
                "title": "First",
                "owner": "designated_teacher",
                "description": "The first section.",
                "fields": [
                    {"key": "name", "type": "short_text", "label": "Name"},
                    {
                        "key": "choice",
                        "type": "radios",
                        "label": "Choice",
                        "options": [
                            {"value": "one", "label": "One"},
                            {"value": "two", "label": "Two"},
                        ],
                    },
                    {"key": "count", "type": "whole_number", "label": "Count", "min": 0},
                    {
                        "key": "rows",
                        "type": "repeating_group",
                        "label": "Rows",
                        "row_label": "Row",
                        "columns": [
                            {"key": "what", "type": "short_text", "label": "What"},
                            {"key": "cost", "type": "money", "label": "Cost"},
                        ],
                        "computed_totals": [{"key": "total", "label": "Total", "column": "cost"}],
                    },
                ],
            },
            {
                "key": "second",
                "title": "Second",
                "owner": "social_worker",
                "description": "The second section.",
                "fields": [{"key": "when", "type": "date", "label": "When"}],
            },
        ],
    }


def write(directory: Path, document: object, name: str = "sample.v1.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


Mutation = Callable[[dict[str, Any]], None]


def field(form: dict[str, Any], number: int) -> dict[str, Any]:
    return form["sections"][0]["fields"][number]


CASES: list[tuple[str, Mutation, str]] = [
    (
        "max_length zero",
        lambda f: field(f, 0).update(max_length=0),
        "sample.v1.yaml: sections[0].fields[0].max_length: must be a whole number above 0",
    ),
    (
        "max_length text",
        lambda f: field(f, 0).update(max_length="long"),
        "sample.v1.yaml: sections[0].fields[0].max_length: must be a whole number above 0",
    ),
    (
        "unknown field key",
        lambda f: field(f, 0).update(maxlength=10),
        "sample.v1.yaml: sections[0].fields[0].maxlength: unknown key",
    ),
    (
        "unknown top-level key",
        lambda f: f.update(colour="red"),
        "sample.v1.yaml: colour: unknown key",
    ),
    (
        "unknown section key",
        lambda f: f["sections"][1].update(ownr="carer"),
        "sample.v1.yaml: sections[1].ownr: unknown key",
    ),
    (
        "missing label",
        lambda f: field(f, 0).pop("label"),
        "sample.v1.yaml: sections[0].fields[0].label: is required",
    ),
    (
        "missing section description",
        lambda f: f["sections"][1].pop("description"),
        "sample.v1.yaml: sections[1].description: is required",
    ),
    ("missing version", lambda f: f.pop("version"), "sample.v1.yaml: version: is required"),
    (
        "duplicate section key",
        lambda f: f["sections"][1].update(key="first"),
        "sample.v1.yaml: sections[1].key: duplicate section key 'first'",
    ),
    (
        "duplicate field key",
        lambda f: field(f, 1).update(key="name"),
        "sample.v1.yaml: sections[0].fields[1].key: duplicate field key 'name'",
    ),
    (
        "duplicate column key",
        lambda f: field(f, 3)["columns"][1].update(key="what"),
        "sample.v1.yaml: sections[0].fields[3].columns[1].key: duplicate column key 'what'",
    ),
    (
        "unknown field type",
        lambda f: field(f, 0).update(type="text"),
        "sample.v1.yaml: sections[0].fields[0].type: unknown field type 'text'",
    ),
    (
        "unknown owner role",
        lambda f: f["sections"][0].update(owner="teacher"),
        "sample.v1.yaml: sections[0].owner: unknown owner role 'teacher'",
    ),
    (
        "unknown phase",
        lambda f: f.update(phase="sixth_form"),
        "sample.v1.yaml: phase: unknown phase 'sixth_form'",
    ),
    (
        "options missing",
        lambda f: field(f, 1).pop("options"),
        "sample.v1.yaml: sections[0].fields[1].options: is required for radios fields",
    ),
    (
        "only one option",
        lambda f: field(f, 1)["options"].pop(),
        "sample.v1.yaml: sections[0].fields[1].options: must list at least 2 options",
    ),
    (
        "duplicate option value",
        lambda f: field(f, 1)["options"][1].update(value="one"),
        "sample.v1.yaml: sections[0].fields[1].options[1].value: duplicate option value 'one'",
    ),
    (
        "option value read as a boolean",
        lambda f: field(f, 1)["options"][1].update(value=False),
        "sample.v1.yaml: sections[0].fields[1].options[1].value: must be text, not false (put",
    ),
    (
        "min above max",
        lambda f: field(f, 2).update(min=10, max=5),
        "sample.v1.yaml: sections[0].fields[2].min: must not be more than max (5)",
    ),
    (
        "money min above max",
        lambda f: field(f, 3)["columns"][1].update(min=100, max=5),
        "sample.v1.yaml: sections[0].fields[3].columns[1].min: must not be more than max",
    ),
    (
        "money with fractions of a penny",
        lambda f: field(f, 3)["columns"][1].update(max="10.005"),
        "sample.v1.yaml: sections[0].fields[3].columns[1].max: must be an amount in pounds",
    ),
    (
        "computed total over a text column",
        lambda f: field(f, 3)["computed_totals"][0].update(column="what"),
        "sample.v1.yaml: sections[0].fields[3].computed_totals[0].column: "
        "must name a money or whole_number column; 'what' is short_text",
    ),
    (
        "computed total over a missing column",
        lambda f: field(f, 3)["computed_totals"][0].update(column="price"),
        "sample.v1.yaml: sections[0].fields[3].computed_totals[0].column: no column 'price'",
    ),
    (
        "computed total key clashing with a field",
        lambda f: field(f, 3)["computed_totals"][0].update(key="name"),
        "sample.v1.yaml: sections[0].fields[3].computed_totals[0].key: 'name' is already",
    ),
    (
        "rows above max_rows",
        lambda f: field(f, 3).update(min_rows=5, max_rows=2),
        "sample.v1.yaml: sections[0].fields[3].min_rows: must not be more than max_rows (2)",
    ),
    (
        "group inside a group",
        lambda f: field(f, 3)["columns"].append(
            {"key": "inner", "type": "repeating_group", "label": "Inner", "row_label": "R"}
        ),
        "sample.v1.yaml: sections[0].fields[3].columns[2].type: a repeating group cannot be",
    ),
    (
        "required group",
        lambda f: field(f, 3).update(required=True),
        "sample.v1.yaml: sections[0].fields[3].required: use min_rows",
    ),
    (
        "key not snake_case",
        lambda f: field(f, 0).update(key="Name"),
        "sample.v1.yaml: sections[0].fields[0].key: must be snake_case",
    ),
    (
        "key reserved by WTForms",
        lambda f: field(f, 0).update(key="data"),
        "sample.v1.yaml: sections[0].fields[0].key: 'data' is reserved",
    ),
    (
        "key that WTForms would treat as a validator",
        lambda f: field(f, 0).update(key="validate_name"),
        "sample.v1.yaml: sections[0].fields[0].key: 'validate_name' is reserved",
    ),
    (
        "required flag not a boolean",
        lambda f: field(f, 0).update(required="yes please"),
        "sample.v1.yaml: sections[0].fields[0].required: must be true or false",
    ),
    (
        "date both not in future and not in past",
        lambda f: f["sections"][1]["fields"][0].update(not_in_future=True, not_in_past=True),
        "sample.v1.yaml: sections[1].fields[0].not_in_past: cannot be combined",
    ),
    (
        "pattern without a message",
        lambda f: field(f, 0).update(pattern="[0-9]{6}", example="123456"),
        "sample.v1.yaml: sections[0].fields[0].pattern_message: is required",
    ),
    (
        "example that breaks the pattern",
        lambda f: field(f, 0).update(pattern="[0-9]{6}", pattern_message="Six digits", example="1"),
        "sample.v1.yaml: sections[0].fields[0].example: '1' does not match",
    ),
    (
        "invalid regular expression",
        lambda f: field(f, 0).update(pattern="[0-9", pattern_message="Digits", example="1"),
        "sample.v1.yaml: sections[0].fields[0].pattern: is not a valid regular expression",
    ),
    (
        "required fact",
        lambda f: field(f, 0).update(type="fact", source="upn", required=True),
        "sample.v1.yaml: sections[0].fields[0].required: a fact cannot be required",
    ),
    (
        "unknown fact source",
        lambda f: field(f, 0).update(type="fact", source="shoe_size"),
        "sample.v1.yaml: sections[0].fields[0].source: unknown fact source 'shoe_size'",
    ),
    (
        "fact in a group",
        lambda f: field(f, 3)["columns"][0].update(type="fact", source="upn"),
        "sample.v1.yaml: sections[0].fields[3].columns[0].type: a fact cannot be a column",
    ),
    (
        "feelings scale picture unknown",
        lambda f: field(f, 1).update(
            type="feelings_scale",
            options=[
                {"value": "up", "label": "Up", "picture": "happy"},
                {"value": "down", "label": "Down", "picture": "grumpy"},
            ],
        ),
        "sample.v1.yaml: sections[0].fields[1].options[1].picture: unknown picture 'grumpy'",
    ),
    (
        "read-only and required",
        lambda f: field(f, 0).update(read_only=True, required=True),
        "sample.v1.yaml: sections[0].fields[0].required: a read-only field cannot be required",
    ),
    (
        "read-only radios",
        lambda f: field(f, 1).update(read_only=True),
        "sample.v1.yaml: sections[0].fields[1].read_only: radios fields cannot be read-only",
    ),
    (
        "band on a PEP section",
        lambda f: f["sections"][0].update(band="primary"),
        "sample.v1.yaml: sections[0].band: only child's-voice forms have bands",
    ),
    (
        "child voice section with its own fields",
        lambda f: f["sections"][1].update(
            type="child_voice", owner="child", voice_form="child_voice", voice_form_version=1
        ),
        "sample.v1.yaml: sections[1].fields: a child_voice section has no fields",
    ),
    (
        "child voice section owned by an adult",
        lambda f: f["sections"][1].update(
            type="child_voice", voice_form="child_voice", voice_form_version=1, fields=None
        ),
        "sample.v1.yaml: sections[1].owner: a child's-voice section belongs to the child",
    ),
    (
        "fixed rows without a prefill",
        lambda f: field(f, 3).update(fixed_rows=True),
        "sample.v1.yaml: sections[0].fields[3].fixed_rows: needs a prefill",
    ),
    (
        "prefill from a missing section",
        lambda f: (
            field(f, 3)["columns"][0].update(read_only=True),
            field(f, 3).update(
                prefill={"section": "targets", "field": "rows", "columns": {"what": "what"}}
            ),
        ),
        "sample.v1.yaml: sections[0].fields[3].prefill.section: no section 'targets'",
    ),
    (
        "prefill into an editable column",
        lambda f: (
            f["sections"][1]["fields"].append(
                {
                    "key": "old_rows",
                    "type": "repeating_group",
                    "label": "Old rows",
                    "row_label": "Row",
                    "columns": [{"key": "what", "type": "short_text", "label": "What"}],
                }
            ),
            field(f, 3).update(
                prefill={"section": "second", "field": "old_rows", "columns": {"what": "what"}}
            ),
        ),
        "sample.v1.yaml: sections[0].fields[3].prefill.columns.what: a prefilled column must be",
    ),
    (
        "sections not a list",
        lambda f: f.update(sections={"first": {}}),
        "sample.v1.yaml: sections: must be a list",
    ),
    (
        "section not a mapping",
        lambda f: f["sections"].append("third"),
        "sample.v1.yaml: sections[2]: must be a mapping",
    ),
    (
        "key does not match the file name",
        lambda f: f.update(key="other"),
        "sample.v1.yaml: key 'other' and version 1 do not match the file name "
        "(expected other.v1.yaml)",
    ),
    (
        "version does not match the file name",
        lambda f: f.update(version=2),
        "sample.v1.yaml: key 'sample' and version 2 do not match the file name",
    ),
]


def add_field(form: dict[str, Any], definition: dict[str, Any]) -> None:
    form["sections"][0]["fields"].append(definition)


def add_check(form: dict[str, Any], check: dict[str, Any]) -> None:
    form["sections"][0].setdefault("checks", []).append(check)


def column(form: dict[str, Any], number: int) -> dict[str, Any]:
    return field(form, 3)["columns"][number]


CHECKBOXES = {
    "key": "reasons",
    "type": "checkboxes",
    "label": "Reasons",
    "options": [
        {"value": "a", "label": "A"},
        {"value": "b", "label": "B"},
        {"value": "c", "label": "C"},
    ],
}
CALCULATED = {
    "key": "rate",
    "type": "calculated",
    "label": "Rate",
    "calculation": "percentage",
    "numerator": ["count"],
    "denominator": "count",
}

# Conditions, checks, calculated fields and max_selected (the version 3 additions).
CASES += [
    (
        "shown_if not a mapping",
        lambda f: field(f, 2).update(shown_if="choice"),
        "sample.v1.yaml: sections[0].fields[2].shown_if: must be a mapping with field:",
    ),
    (
        "shown_if with two tests",
        lambda f: field(f, 2).update(shown_if={"field": "choice", "in": ["one"], "answered": True}),
        "sample.v1.yaml: sections[0].fields[2].shown_if.answered: a condition makes one test",
    ),
    (
        "shown_if on a later field",
        lambda f: field(f, 0).update(shown_if={"field": "count", "more_than": 1}),
        "sample.v1.yaml: sections[0].fields[0].shown_if.field: field 'count' is declared after",
    ),
    (
        "shown_if on itself",
        lambda f: field(f, 2).update(shown_if={"field": "count", "more_than": 1}),
        "sample.v1.yaml: sections[0].fields[2].shown_if.field: field 'count' is declared after",
    ),
    (
        "shown_if on an unknown field",
        lambda f: field(f, 2).update(shown_if={"field": "nothing", "answered": True}),
        "sample.v1.yaml: sections[0].fields[2].shown_if.field: no field 'nothing' before this one",
    ),
    (
        "required_if with an unknown option",
        lambda f: field(f, 2).update(required_if={"field": "choice", "in": ["one", "three"]}),
        "sample.v1.yaml: sections[0].fields[2].required_if.in[1]: 'choice' has no option 'three'",
    ),
    (
        "equals true on radios",
        lambda f: field(f, 2).update(shown_if={"field": "choice", "equals": True}),
        "sample.v1.yaml: sections[0].fields[2].shown_if.equals: true or false only fits a yes_no",
    ),
    (
        "nested condition wrong",
        lambda f: field(f, 2).update(
            shown_if={"all": [{"field": "name", "answered": True}, {"field": "name", "in": ["x"]}]}
        ),
        "sample.v1.yaml: sections[0].fields[2].shown_if.all[1].in: only fits a radios or select",
    ),
    (
        "required_if on a read-only column",
        lambda f: column(f, 1).update(
            read_only=True, required_if={"field": "what", "answered": True}
        ),
        "sample.v1.yaml: sections[0].fields[3].columns[1].required_if: a read-only field cannot",
    ),
    (
        "required and required_if together",
        lambda f: field(f, 2).update(
            required=True, required_if={"field": "choice", "equals": "one"}
        ),
        "sample.v1.yaml: sections[0].fields[2].required_if: the field is already required",
    ),
    (
        "column condition on a later column",
        lambda f: column(f, 0).update(shown_if={"field": "cost", "more_than": 0}),
        "sample.v1.yaml: sections[0].fields[3].columns[0].shown_if.field: field 'cost' is declared",
    ),
    (
        "column condition on a section field",
        lambda f: column(f, 1).update(shown_if={"field": "choice", "equals": "one"}),
        "sample.v1.yaml: sections[0].fields[3].columns[1].shown_if.field: no field 'choice'",
    ),
    (
        "condition on a calculated field",
        lambda f: (
            add_field(f, dict(CALCULATED)),
            add_field(
                f,
                {
                    "key": "later",
                    "type": "short_text",
                    "label": "Later",
                    "shown_if": {"field": "rate", "answered": True},
                },
            ),
        ),
        "sample.v1.yaml: sections[0].fields[5].shown_if.field: calculated field 'rate' stores no",
    ),
    (
        "calculated field required",
        lambda f: add_field(f, {**CALCULATED, "required": True}),
        "sample.v1.yaml: sections[0].fields[4].required: a calculated field cannot be required",
    ),
    (
        "calculated field read-only",
        lambda f: add_field(f, {**CALCULATED, "read_only": True}),
        "sample.v1.yaml: sections[0].fields[4].read_only: calculated fields cannot be read-only",
    ),
    (
        "calculated field conditional",
        lambda f: add_field(f, {**CALCULATED, "shown_if": {"field": "name", "answered": True}}),
        "sample.v1.yaml: sections[0].fields[4].shown_if: a calculated field has no conditions",
    ),
    (
        "calculated field in a group",
        lambda f: field(f, 3)["columns"].append(dict(CALCULATED)),
        "sample.v1.yaml: sections[0].fields[3].columns[2].type: a calculated field cannot be",
    ),
    (
        "calculation over a text field",
        lambda f: add_field(f, {**CALCULATED, "numerator": ["name"]}),
        "sample.v1.yaml: sections[0].fields[4].numerator[0]: must name a whole_number, money",
    ),
    (
        "calculation over an unknown field",
        lambda f: add_field(f, {**CALCULATED, "denominator": "nothing"}),
        "sample.v1.yaml: sections[0].fields[4].denominator: no field 'nothing' in this section",
    ),
    (
        "calculation bands not highest first",
        lambda f: add_field(
            f,
            {
                **CALCULATED,
                "bands": [{"at_least": 10, "label": "Ten"}, {"at_least": 50, "label": "Fifty"}],
                "otherwise": "Less",
            },
        ),
        "sample.v1.yaml: sections[0].fields[4].bands[1].at_least: list bands highest first",
    ),
    (
        "calculation unknown",
        lambda f: add_field(f, {**CALCULATED, "calculation": "average"}),
        "sample.v1.yaml: sections[0].fields[4].calculation: unknown calculation 'average'",
    ),
    (
        "max_selected zero",
        lambda f: add_field(f, {**CHECKBOXES, "max_selected": 0}),
        "sample.v1.yaml: sections[0].fields[4].max_selected: must be a whole number above 0",
    ),
    (
        "max_selected above the options",
        lambda f: add_field(f, {**CHECKBOXES, "max_selected": 4}),
        "sample.v1.yaml: sections[0].fields[4].max_selected: must be from 1 to 3 (the number of",
    ),
    (
        "max_selected on radios",
        lambda f: field(f, 1).update(max_selected=1),
        "sample.v1.yaml: sections[0].fields[1].max_selected: unknown key",
    ),
    (
        "check without a message",
        lambda f: add_check(f, {"check": "not_more_than", "field": "count", "than": 3}),
        "sample.v1.yaml: sections[0].checks[0].message: is required",
    ),
    (
        "check of an unknown kind",
        lambda f: add_check(f, {"check": "less_than", "field": "count", "message": "M"}),
        "sample.v1.yaml: sections[0].checks[0].check: unknown check 'less_than'",
    ),
    (
        "check on a text field",
        lambda f: add_check(
            f, {"check": "not_more_than", "field": "name", "than": "count", "message": "M"}
        ),
        "sample.v1.yaml: sections[0].checks[0].field: must name a whole_number, money",
    ),
    (
        "sum check on an unknown field",
        lambda f: add_check(
            f, {"check": "sum_equals", "fields": ["count", "nothing"], "equals": 4, "message": "M"}
        ),
        "sample.v1.yaml: sections[0].checks[0].fields[1]: no field 'nothing' in this section",
    ),
    (
        "column total over a text column",
        lambda f: add_check(
            f,
            {
                "check": "column_total_not_more_than",
                "group": "rows",
                "column": "what",
                "than": 9,
                "message": "M",
            },
        ),
        "sample.v1.yaml: sections[0].checks[0].column: must name a whole_number, money",
    ),
    (
        "not_before on numbers",
        lambda f: add_check(
            f, {"check": "not_before", "field": "count", "than": "count", "message": "M"}
        ),
        "sample.v1.yaml: sections[0].checks[0].field: must name a date field",
    ),
    (
        "check on a calculated field",
        lambda f: (
            add_field(f, dict(CALCULATED)),
            add_check(
                f, {"check": "not_more_than", "field": "rate", "than": "count", "message": "M"}
            ),
        ),
        "sample.v1.yaml: sections[0].checks[0].field: must name a whole_number, money",
    ),
    (
        "checks not a list",
        lambda f: f["sections"][0].update(checks={"check": "not_before"}),
        "sample.v1.yaml: sections[0].checks: must be a list",
    ),
]


def test_the_version_3_additions_load(tmp_path):
    document = minimal_form()
    field(document, 2).update(
        shown_if={"field": "choice", "equals": "one"},
        required_if={
            "any": [{"field": "name", "answered": True}, {"field": "choice", "in": ["two"]}]
        },
    )
    column(document, 1).update(shown_if={"field": "what", "answered": True})
    add_field(document, {**CHECKBOXES, "max_selected": 2})
    add_field(document, dict(CALCULATED))
    add_check(document, {"check": "not_more_than", "field": "count", "than": 9, "message": "M"})
    section = load_definition(write(tmp_path, document)).sections[0]
    assert section.get_field("count").shown_if is not None
    assert section.get_field("reasons").max_selected == 2
    assert section.get_field("rate").stores_answer is False
    assert len(section.checks) == 1
    # The figure is worked out from "count", so it is shown only when "count" is.
    assert section.shown_keys({"choice": "two"}) == frozenset({"name", "choice", "rows", "reasons"})
    assert {"count", "rate"} <= section.shown_keys({"choice": "one"})
    assert section.get_field("rows").shown_columns({"what": ""}) == frozenset({"what"})
    assert set(section.fields_by_key) == {f.key for f in section.fields}


def test_a_group_carried_forward_from_itself_may_stay_editable(tmp_path):
    document = minimal_form()
    field(document, 3).update(
        prefill={"section": "first", "field": "rows", "columns": {"what": "what", "cost": "cost"}}
    )
    group = load_definition(write(tmp_path, document)).sections[0].get_field("rows")
    assert group.prefill is not None and not group.column("what").read_only


def test_a_whole_number_column_may_be_totalled_as_a_count(tmp_path):
    document = minimal_form()
    field(document, 3)["columns"].append({"key": "sessions", "type": "whole_number", "label": "S"})
    field(document, 3)["computed_totals"].append(
        {"key": "sessions_total", "label": "Sessions", "column": "sessions"}
    )
    group = load_definition(write(tmp_path, document)).sections[0].get_field("rows")
    money, count = group.computed_totals
    assert group.total_is_money(money) and not group.total_is_money(count)


def test_the_minimal_form_is_valid(tmp_path):
    definition = load_definition(write(tmp_path, minimal_form()))
    assert definition.key == "sample"
    assert definition.sections[0].fields[0].max_length == 200


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_names_file_and_path(tmp_path, mutate, expected):
    document = copy.deepcopy(minimal_form())
    mutate(document)
    with pytest.raises(FormDefinitionError) as raised:
        load_definition(write(tmp_path, document))
    assert str(raised.value).startswith(expected), str(raised.value)


def test_unknown_key_lists_the_allowed_keys(tmp_path):
    document = minimal_form()
    field(document, 0)["maxlength"] = 10
    with pytest.raises(FormDefinitionError, match=r"allowed here: .*max_length"):
        load_definition(write(tmp_path, document))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key: sample\nversion: 1\n  title: [unclosed\n", r"^sample\.v1\.yaml: line \d+, column"),
        (
            "key: sample\nkey: again\n",
            r"^sample\.v1\.yaml: line 2, column 1: .*duplicate key 'key'",
        ),
        ("", r"^sample\.v1\.yaml: the file is empty"),
        ("- just\n- a list\n", r"^sample\.v1\.yaml: must be a mapping"),
    ],
    ids=["syntax error", "duplicate yaml key", "empty", "not a mapping"],
)
def test_yaml_problems_name_the_file_and_line(tmp_path, text, expected):
    path = tmp_path / "sample.v1.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormDefinitionError) as raised:
        load_definition(path)
    assert re.search(expected, str(raised.value)), str(raised.value)


def test_yaml_merge_keys_may_override_without_being_duplicates(tmp_path):
    text = (DEFAULT_DIRECTORY / "early_years.v1.yaml").read_text(encoding="utf-8")
    assert "<<: *eyfs_area" in text
    path = tmp_path / "early_years.v1.yaml"
    path.write_text(text, encoding="utf-8")
    development = load_definition(path).section("eyfs_development")
    assert len({field.key for field in development.fields}) == len(development.fields)


def test_a_file_name_that_is_not_key_and_version_is_refused(tmp_path):
    path = write(tmp_path, minimal_form(), name="sample.yaml")
    with pytest.raises(FormDefinitionError, match=r"^sample\.yaml: the file name must be"):
        load_definition(path)


def test_a_views_section_must_refer_to_a_loaded_child_voice_form(tmp_path):
    document = minimal_form()
    document["sections"].append(
        {
            "key": "my_views",
            "title": "My views",
            "owner": "child",
            "type": "child_voice",
            "voice_form": "child_voice",
            "voice_form_version": 9,
            "description": "Views.",
        }
    )
    write(tmp_path, document)
    shutil.copy(DEFAULT_DIRECTORY / "child_voice.v1.yaml", tmp_path)
    with pytest.raises(FormDefinitionError) as raised:
        load_definitions(tmp_path)
    assert str(raised.value) == (
        "sample.v1.yaml: sections[2].voice_form: no form 'child_voice' version 9 is loaded"
    )


def test_a_views_section_must_refer_to_a_child_voice_form_not_a_pep(tmp_path):
    document = minimal_form()
    document["sections"].append(
        {
            "key": "my_views",
            "title": "My views",
            "owner": "child",
            "type": "child_voice",
            "voice_form": "sample",
            "voice_form_version": 1,
            "description": "Views.",
        }
    )
    write(tmp_path, document)
    with pytest.raises(FormDefinitionError, match="is a school_age form, not a child's-voice"):
        load_definitions(tmp_path)


def test_a_child_voice_form_needs_every_band(tmp_path):
    document = yaml.safe_load((DEFAULT_DIRECTORY / "child_voice.v1.yaml").read_text())
    document["sections"].pop()
    with pytest.raises(FormDefinitionError) as raised:
        load_definition(write(tmp_path, document, name="child_voice.v1.yaml"))
    assert str(raised.value) == (
        "child_voice.v1.yaml: sections: needs a section for each band; missing ['secondary']"
    )


def test_a_child_voice_section_must_say_its_band(tmp_path):
    document = yaml.safe_load((DEFAULT_DIRECTORY / "child_voice.v1.yaml").read_text())
    del document["sections"][1]["band"]
    with pytest.raises(FormDefinitionError, match=r"^child_voice\.v1\.yaml: sections\[1\]\.band"):
        load_definition(write(tmp_path, document, name="child_voice.v1.yaml"))


def test_an_empty_directory_is_refused(tmp_path):
    with pytest.raises(FormDefinitionError, match="no form definitions"):
        load_definitions(tmp_path)
