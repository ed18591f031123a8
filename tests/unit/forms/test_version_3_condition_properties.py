"""Every condition and check of the version 3 drafts, tried on generated answers: a field made
required by its condition is refused without an answer on submission (and not required when the
condition is false), an answer to a hidden question is never stored, every check refuses a
combination that breaks it with its own message, and every section's answers round-trip.

Version 3 is loaded from a folder holding forms/definitions and forms/drafts until published.
"""

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forms.answers import (
    answers_from_form,
    form_from_answers,
    formdata_from_answers,
    without_hidden_answers,
)
from forms.builder import build_section_form, form_errors
from forms.checks import (
    Check,
    ColumnTotalNotMoreThan,
    NotBefore,
    NotMoreThan,
    SumEquals,
    SumNotMoreThan,
)
from forms.conditions import (
    AllOf,
    Answered,
    AnyOf,
    Condition,
    Equals,
    Includes,
    IsOneOf,
    MoreThan,
)
from forms.rows import PostedSection, merge_posted
from forms.schema import (
    CheckboxesDefinition,
    ChoiceDefinition,
    DateDefinition,
    FieldDefinition,
    LongTextDefinition,
    MoneyDefinition,
    PercentageDefinition,
    RepeatingGroupDefinition,
    SectionDefinition,
    SectionType,
    ShortTextDefinition,
    WholeNumberDefinition,
    YesNoDefinition,
    load_definitions,
)

TODAY = date(2026, 11, 16)
FORMS = Path(__file__).resolve().parents[3] / "forms"
DRAWS = 8


def _version_3_sections() -> list[SectionDefinition]:
    registry = load_definitions(FORMS / "definitions", FORMS / "drafts")
    return [
        section
        for key in ("school_age", "early_years", "post_16")
        for section in registry.get(key, 3).sections
        if section.section_type is SectionType.STANDARD
    ]


SECTIONS = _version_3_sections()
Draw = Callable[[st.SearchStrategy[Any]], Any]

# --------------------------------------------------------------------------------------------
# Valid stored answers for each field type
# --------------------------------------------------------------------------------------------

WORDS = st.lists(
    st.sampled_from(["Reading", "maths", "support", "daily", "at", "home"]), min_size=1
)


def _text(definition: ShortTextDefinition | LongTextDefinition, draw: Draw) -> str:
    if isinstance(definition, ShortTextDefinition) and definition.pattern:
        text = draw(
            st.from_regex(definition.pattern, fullmatch=True).filter(
                lambda value: (
                    value == " ".join(value.split()) and value.isascii() and value.isprintable()
                )
            )
        )
    else:
        text = " ".join(draw(WORDS))
    assume(len(text) <= definition.max_length)
    return text


def valid_answer(definition: FieldDefinition, draw: Draw) -> object:
    """A stored answer the field's own rules accept (today being TODAY)."""
    match definition:
        case YesNoDefinition():
            return draw(st.booleans())
        case CheckboxesDefinition():
            most = definition.max_selected or len(definition.options)
            chosen = draw(
                st.lists(st.sampled_from(definition.option_values), min_size=1, max_size=most)
            )
            return [value for value in definition.option_values if value in chosen]
        case ChoiceDefinition():
            return draw(st.sampled_from(definition.option_values))
        case WholeNumberDefinition():
            low = definition.min_value if definition.min_value is not None else 0
            high = definition.max_value if definition.max_value is not None else low + 500
            return draw(st.integers(low, high))
        case MoneyDefinition():
            high = definition.max_value if definition.max_value is not None else Decimal(5000)
            pence = draw(st.integers(int(definition.min_value * 100), int(high * 100)))
            return str((Decimal(pence) / 100).quantize(Decimal("0.01")))
        case PercentageDefinition():
            return str(draw(st.integers(0, 100)))
        case DateDefinition():
            offset = draw(st.integers(0, 400))
            if definition.not_in_past:
                return (TODAY + timedelta(days=offset)).isoformat()
            return (TODAY - timedelta(days=offset)).isoformat()
        case ShortTextDefinition() | LongTextDefinition():
            return _text(definition, draw)
        case RepeatingGroupDefinition():
            return [valid_row(definition, draw)]
    raise AssertionError(f"no answers for {definition.field_type}")


def valid_row(group: RepeatingGroupDefinition, draw: Draw) -> dict[str, object]:
    """A row answering every editable column its row shows (so column conditions hold)."""
    row: dict[str, object] = {}
    for column in group.columns:
        if column.read_only:
            continue
        if column.shown_if is not None and not column.shown_if.holds(row):
            continue
        row[column.key] = valid_answer(column, draw)
    return row


# --------------------------------------------------------------------------------------------
# Answers that make a condition true or false
# --------------------------------------------------------------------------------------------


def _other_option(definition: FieldDefinition, excluded: tuple[str, ...], draw: Draw) -> object:
    assert isinstance(definition, ChoiceDefinition)
    others = [value for value in definition.option_values if value not in excluded]
    return draw(st.sampled_from(others)) if others else None


def settle(
    condition: Condition, want: bool, fields: Mapping[str, FieldDefinition], draw: Draw
) -> dict[str, object]:
    """Answers to the fields ``condition`` names that make it ``want`` (when they are shown)."""
    match condition:
        case AllOf(conditions=parts) if want:
            return {k: v for part in parts for k, v in settle(part, True, fields, draw).items()}
        case AnyOf(conditions=parts) if not want:
            return {k: v for part in parts for k, v in settle(part, False, fields, draw).items()}
        case AllOf(conditions=parts) | AnyOf(conditions=parts):
            return settle(draw(st.sampled_from(parts)), want, fields, draw)
    definition = fields[condition.field]
    key = condition.field
    unanswered = draw(st.booleans()) and not (
        isinstance(condition, Answered) and condition.answered
    )
    match condition:
        case Answered(answered=answered):
            return {key: valid_answer(definition, draw)} if answered == want else {}
        case _ if not want and unanswered:
            return {}
        case Equals(value=bool() as value):
            return {key: value if want else not value}
        case Equals(value=Decimal() as value):
            return {key: int(value) if want else int(value) + 1}
        case Equals(value=str() as value):
            if isinstance(definition, ChoiceDefinition):
                return {key: value if want else _other_option(definition, (value,), draw)}
            return {key: value if want else f"{value} not"}
        case IsOneOf(values=values):
            if want:
                return {key: draw(st.sampled_from(values))}
            return {key: _other_option(definition, values, draw)}
        case Includes(value=value):
            if want:
                return {key: [value]}
            assert isinstance(definition, ChoiceDefinition)
            return {key: [other for other in definition.option_values if other != value][:1]}
        case MoreThan(value=value):
            return {key: int(value) + draw(st.integers(1, 5)) if want else int(value)}
    raise AssertionError(condition)


def with_controllers_shown(
    values: dict[str, object], fields: Mapping[str, FieldDefinition], draw: Draw
) -> dict[str, object]:
    """``values`` plus answers that show every field they answer (its own shown_if true)."""
    values = {key: value for key, value in values.items() if value is not None}
    for _ in range(len(fields)):
        added = False
        for key in list(values):
            condition = fields[key].shown_if
            if condition is None or condition.holds(values):
                continue
            for other, value in settle(condition, True, fields, draw).items():
                if other not in values and value is not None:
                    values[other] = value
                    added = True
        if not added:
            break
    return values


def submitted(section: SectionDefinition, answers: Mapping[str, object], *, draft: bool = False):
    form_class = build_section_form(section, draft=draft, today=lambda: TODAY)
    post = formdata_from_answers(section, answers)
    form = form_from_answers(form_class, section, {}, formdata=post)
    form.validate()
    return form


PROPERTY_SETTINGS = settings(
    max_examples=DRAWS,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)

# --------------------------------------------------------------------------------------------
# Required when a condition holds
# --------------------------------------------------------------------------------------------

REQUIRED_WHEN = [
    pytest.param(section, field, id=f"{section.key}.{field.key}")
    for section in SECTIONS
    for field in section.fields
    if field.required_if is not None or (field.required and field.shown_if is not None)
]


def _requirement(field: FieldDefinition) -> Condition | None:
    """What makes the field required: its required_if, its shown_if, or both."""
    parts = [part for part in (field.shown_if, field.required_if) if part is not None]
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


@pytest.mark.parametrize(("section", "field"), REQUIRED_WHEN)
def test_a_field_required_now_is_refused_without_an_answer(section, field):
    fields = section.fields_by_key
    condition = _requirement(field)

    @PROPERTY_SETTINGS
    @given(st.data())
    def check(data: st.DataObject) -> None:
        answers = with_controllers_shown(
            settle(condition, True, fields, data.draw), fields, data.draw
        )
        answers.pop(field.key, None)
        visible = without_hidden_answers(section, answers)
        assume(field.key in section.shown_keys(visible) and condition.holds(visible))
        form = submitted(section, answers)
        messages = [error.message for error in form_errors(form)]
        assert field.required_message in messages, (answers, messages)

    check()


@pytest.mark.parametrize(("section", "field"), REQUIRED_WHEN)
def test_a_field_not_required_now_is_accepted_without_an_answer(section, field):
    fields = section.fields_by_key
    condition = _requirement(field)

    @PROPERTY_SETTINGS
    @given(st.data())
    def check(data: st.DataObject) -> None:
        answers = with_controllers_shown(
            settle(condition, False, fields, data.draw), fields, data.draw
        )
        answers.pop(field.key, None)
        visible = without_hidden_answers(section, answers)
        shown = field.key in section.shown_keys(visible)
        assume(not (shown and field.required) and not condition.holds(visible))
        form = submitted(section, answers)
        assert form[field.key].errors == [], (answers, form[field.key].errors)

    check()


# --------------------------------------------------------------------------------------------
# Hidden questions keep no answer
# --------------------------------------------------------------------------------------------

CONDITIONAL = [
    pytest.param(section, field, id=f"{section.key}.{field.key}")
    for section in SECTIONS
    for field in section.fields
    if field.shown_if is not None and field.stores_answer and not field.read_only
]


@pytest.mark.parametrize(("section", "field"), CONDITIONAL)
def test_an_answer_to_a_hidden_question_is_not_stored(section, field):
    fields = section.fields_by_key
    assert field.shown_if is not None
    shown_if = field.shown_if

    @PROPERTY_SETTINGS
    @given(st.data())
    def check(data: st.DataObject) -> None:
        controllers = with_controllers_shown(
            settle(shown_if, False, fields, data.draw), fields, data.draw
        )
        assume(not shown_if.holds(without_hidden_answers(section, controllers)))
        answers = {**controllers, field.key: valid_answer(field, data.draw)}
        for draft in (True, False):
            form = submitted(section, answers, draft=draft)
            assert field.key not in answers_from_form(section, form)
        # Saved before the question was hidden, and not carried by this save: dropped too.
        posted = PostedSection(answers=dict(controllers), carried=frozenset(controllers))
        assert field.key not in merge_posted(section, answers, posted)

    check()


CONDITIONAL_COLUMNS = [
    pytest.param(section, group, column, id=f"{section.key}.{group.key}.{column.key}")
    for section in SECTIONS
    for group in section.fields
    if isinstance(group, RepeatingGroupDefinition)
    for column in group.columns
    if column.shown_if is not None or column.required_if is not None
]


@pytest.mark.parametrize(("section", "group", "column"), CONDITIONAL_COLUMNS)
def test_a_tables_cells_follow_their_rows_conditions(section, group, column):
    fields = section.fields_by_key
    columns = group.columns_by_key

    @PROPERTY_SETTINGS
    @given(st.data(), st.booleans())
    def check(data: st.DataObject, holds: bool) -> None:
        condition = column.shown_if or column.required_if
        row = {**valid_row(group, data.draw), **settle(condition, holds, columns, data.draw)}
        row = {key: value for key, value in row.items() if value is not None}
        row.pop(column.key, None)
        if not holds and column.shown_if is not None:
            row[column.key] = valid_answer(column, data.draw)
        row = {key: value for key, value in row.items() if not columns[key].read_only}
        assume(column.shown_if is None or column.shown_if.holds(row) == holds)
        answers = with_controllers_shown({group.key: [row]}, fields, data.draw)
        assume(group.key in section.shown_keys(answers))
        form = submitted(section, answers)
        stored = answers_from_form(section, form).get(group.key, [{}])
        cell_errors = form[group.key].entries[0].form[column.key].errors
        if holds:
            assert column.key not in stored[0]
            required = column.required_if is None or column.required_if.holds(row)
            if required:
                assert any(column.required_message in message for message in cell_errors)
        else:
            assert cell_errors == []
            if column.shown_if is not None:
                assert column.key not in stored[0]

    check()


# --------------------------------------------------------------------------------------------
# Checks refuse what breaks them
# --------------------------------------------------------------------------------------------

CHECKS = [
    pytest.param(section, check, id=f"{section.key}.checks[{number}]")
    for section in SECTIONS
    for number, check in enumerate(section.checks)
]


def _number(definition: FieldDefinition, value: int) -> object:
    if isinstance(definition, WholeNumberDefinition):
        return value
    return f"{value}.00" if isinstance(definition, MoneyDefinition) else str(value)


def _bounds(definition: FieldDefinition) -> tuple[int, int]:
    low = getattr(definition, "min_value", None)
    high = getattr(definition, "max_value", None)
    if isinstance(definition, PercentageDefinition):
        return 0, 100
    return int(low or 0), int(high) if high is not None else 1000


def breaking(check: Check, fields: Mapping[str, FieldDefinition], draw: Draw) -> dict[str, object]:
    """Answers to the fields a check names that break it."""
    match check:
        case NotMoreThan(field=key, than=than):
            low, high = _bounds(fields[key])
            value = draw(st.integers(max(low, 1), high))
            limit = draw(st.integers(0, value - 1))
            if isinstance(than, str):
                return {key: _number(fields[key], value), than: _number(fields[than], limit)}
            assume(value > than)
            return {key: _number(fields[key], value)}
        case SumEquals(fields=keys, equals=total) | SumNotMoreThan(fields=keys, than=total):
            parts = {}
            for key in keys:
                low, high = _bounds(fields[key])
                parts[key] = draw(st.integers(low, min(high, 200)))
            answers = {key: _number(fields[key], value) for key, value in parts.items()}
            whole = sum(parts.values())
            wrong = whole + draw(st.sampled_from([1, 2])) if isinstance(check, SumEquals) else None
            if isinstance(check, SumNotMoreThan):
                assume(whole > 0)
                wrong = draw(st.integers(0, whole - 1))
            if isinstance(total, str):
                low, high = _bounds(fields[total])
                assume(low <= wrong <= high)
                answers[total] = _number(fields[total], wrong)
            else:
                assume(Decimal(whole) != total if isinstance(check, SumEquals) else whole > total)
            return answers
        case ColumnTotalNotMoreThan(group=key, column=column_key, than=than):
            group = fields[key]
            assert isinstance(group, RepeatingGroupDefinition)
            column = group.column(column_key)
            low, high = _bounds(column)
            limit = int(than) if not isinstance(than, str) else draw(st.integers(0, 50))
            count = min(group.max_rows, max(2, limit // max(high, 1) + 2))
            rows = []
            for _ in range(count):
                row = valid_row(group, draw)
                row[column_key] = _number(column, high)
                rows.append({k: v for k, v in row.items() if v is not None})
            assume(count * high > limit)
            answers: dict[str, object] = {key: rows}
            if isinstance(than, str):
                answers[than] = _number(fields[than], limit)
            return answers
        case NotBefore(field=key, than=than):
            earlier, later = fields[key], fields[than]
            assert isinstance(earlier, DateDefinition) and isinstance(later, DateDefinition)
            day = date.fromisoformat(str(valid_answer(earlier, draw)))
            start = day + timedelta(days=draw(st.integers(1, 60)))
            assume(later.answer_problem(start, today=TODAY) is None)
            return {key: day.isoformat(), than: start.isoformat()}
    raise AssertionError(check)


@pytest.mark.parametrize(("section", "check"), CHECKS)
def test_every_check_refuses_a_combination_that_breaks_it(section, check):
    fields = section.fields_by_key

    @PROPERTY_SETTINGS
    @given(st.data())
    def check_it(data: st.DataObject) -> None:
        answers = with_controllers_shown(breaking(check, fields, data.draw), fields, data.draw)
        visible = without_hidden_answers(section, answers)
        assume(all(key in section.shown_keys(visible) for key in check.named_fields))
        assume(all(key in visible for key in check.named_fields))
        form = submitted(section, answers, draft=True)
        named = [form[key] for key in check.named_fields]
        own_problems = [
            message
            for field in named
            for message in field.errors
            if isinstance(message, str) and message != check.message
        ]
        assume(not own_problems)
        assume(not any(isinstance(error, dict) and error for f in named for error in f.errors))
        messages = [error.message for error in form_errors(form)]
        assert check.message in messages, (answers, messages)

    check_it()


# --------------------------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("section", SECTIONS, ids=[f"{s.key}" for s in SECTIONS])
def test_every_sections_answers_round_trip(section):
    form_class = build_section_form(section, draft=True, today=lambda: TODAY)

    @PROPERTY_SETTINGS
    @given(st.data())
    def check(data: st.DataObject) -> None:
        answers = {
            field.key: valid_answer(field, data.draw)
            for field in section.answer_fields
            if not field.read_only and data.draw(st.booleans())
        }
        stored = without_hidden_answers(section, answers)
        shown_again = form_from_answers(form_class, section, stored)
        again = answers_from_form(section, shown_again)
        assert _without_row_ids(again) == _without_row_ids(stored)
        reposted = form_from_answers(
            form_class, section, stored, formdata=formdata_from_answers(section, stored)
        )
        assert _without_row_ids(answers_from_form(section, reposted)) == _without_row_ids(stored)

    check()


def _without_row_ids(answers: Mapping[str, object]) -> dict[str, object]:
    return {
        key: [{k: v for k, v in row.items() if k != "row_id"} for row in value]
        if isinstance(value, list) and value and isinstance(value[0], dict)
        else value
        for key, value in answers.items()
    }
