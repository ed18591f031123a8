"""How a section's answers are stored (JSON), and the moves between stored answers and forms.

A section's answers are a dict of field key -> value, holding only answered fields:

==================  =============================================  =====================
field type          stored as                                      example
==================  =============================================  =====================
short/long text     str (cleaned, trimmed, never blank)            "Reading together"
whole_number        int                                            23
percentage          str decimal, no trailing zeros                 "92.5"
money               str decimal, always pence                      "150.00"
date                ISO 8601 str                                   "2026-03-27"
yes_no              bool                                           true
radios/select       str option value                               "partly_achieved"
feelings_scale      str option value                               "happy"
checkboxes          list of option values, in the options' order   ["play", "pictures"]
repeating_group     list of row dicts, each like a section's,      [{"row_id": "3f2a9c",
                    with its stable ``row_id``                      "subject": "Maths"}]
fact                not stored: the portal supplies it each time
==================  =============================================  =====================

Decimals are strings so that JSON never turns 0.1 + 0.2 into a float. A PEP's "my views"
section (type child_voice) stores ``{"band": "primary", "answers": {...}}``: the band chosen for
the child and the answers to that band's section of the child's-voice form.
"""

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from wtforms import Form

from forms.fields import (
    ROW_ID_KEY,
    RepeatingGroupField,
    format_money,
    format_percentage,
    is_row_id,
    row_is_blank,
)
from forms.parsing import parse_money, parse_percentage
from forms.schema import (
    CheckboxesDefinition,
    ChoiceDefinition,
    DateDefinition,
    FactDefinition,
    FieldDefinition,
    FormDefinition,
    LongTextDefinition,
    MoneyDefinition,
    PercentageDefinition,
    RepeatingGroupDefinition,
    SectionDefinition,
    ShortTextDefinition,
    VoiceBand,
    WholeNumberDefinition,
    YesNoDefinition,
)

Answer = str | int | bool | list[str] | list[dict[str, Any]]
SectionAnswers = dict[str, Answer]

VOICE_BAND_KEY = "band"
VOICE_ANSWERS_KEY = "answers"

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class AnswerFormatError(ValueError):
    """A stored answer is not in the shape its field type stores (corrupt or hand-edited data)."""


# --------------------------------------------------------------------------------------------
# Typed values <-> stored values
# --------------------------------------------------------------------------------------------


def encode_answer(definition: FieldDefinition, value: object) -> Answer | None:
    """A typed value as stored; None when there is nothing to store.

    Values of the right type are kept even when they break a length or range rule, so a draft
    never loses what someone typed; the completeness check reports them. Values that are not
    one of the options are dropped: no browser can send them.
    """
    if value is None:
        return None
    match definition:
        case ShortTextDefinition() | LongTextDefinition():
            return value if isinstance(value, str) and value.strip() else None
        case WholeNumberDefinition():
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        case PercentageDefinition():
            if isinstance(value, Decimal) and value.is_finite():
                return format_percentage(value)
            return None
        case MoneyDefinition():
            if isinstance(value, Decimal) and value.is_finite():
                return format_money(value)
            return None
        case DateDefinition():
            return value.isoformat() if isinstance(value, date) else None
        case YesNoDefinition():
            return value if isinstance(value, bool) else None
        case CheckboxesDefinition():
            if not isinstance(value, list | tuple):
                return None
            chosen = [option for option in definition.option_values if option in value]
            return chosen or None
        case ChoiceDefinition():
            return value if value in definition.option_values else None
    return None


def decode_answer(definition: FieldDefinition, stored: object) -> object:
    """A stored value as the typed value the form and the rules use; None if unanswered.

    Raises AnswerFormatError when the stored value is not the shape the type stores.
    """
    if stored is None:
        return None
    problem = AnswerFormatError(f"{definition.key}: cannot read {stored!r}")
    match definition:
        case CheckboxesDefinition():
            if not isinstance(stored, list) or not all(isinstance(item, str) for item in stored):
                raise problem
            return list(stored)
        case ShortTextDefinition() | LongTextDefinition() | ChoiceDefinition():
            if not isinstance(stored, str):
                raise problem
            return stored
        case WholeNumberDefinition():
            if isinstance(stored, bool) or not isinstance(stored, int):
                raise problem
            return stored
        case PercentageDefinition():
            return _read_stored_decimal(stored, parse_percentage, problem)
        case MoneyDefinition():
            return _read_stored_decimal(stored, _parse_stored_money, problem)
        case DateDefinition():
            if not isinstance(stored, str) or not _ISO_DATE.fullmatch(stored):
                raise problem
            try:
                return date.fromisoformat(stored)
            except ValueError:
                raise problem from None
        case YesNoDefinition():
            if not isinstance(stored, bool):
                raise problem
            return stored
    raise problem


def _read_stored_decimal(
    stored: object, parse: Callable[[str], Decimal | None], problem: AnswerFormatError
) -> Decimal | None:
    if isinstance(stored, int) and not isinstance(stored, bool):
        stored = str(stored)
    if not isinstance(stored, str):
        raise problem
    try:
        return parse(stored)
    except ValueError:
        raise problem from None


def _parse_stored_money(stored: str) -> Decimal | None:
    # Stored money always has pence; more places mean the stored value was not written here.
    if "." in stored and len(stored.rsplit(".", 1)[1]) > 2:
        raise ValueError(stored)
    return parse_money(stored)


def stored_date(stored: object) -> date | None:
    """A date as answers store it (ISO text), or None when there is none or it does not read:
    for code that needs one stored date (the meeting date) without decoding a whole section."""
    try:
        return date.fromisoformat(str(stored)) if stored else None
    except ValueError:
        return None


def stored_rows(definition: RepeatingGroupDefinition, stored: object) -> list[Mapping[str, Any]]:
    """The rows of a stored repeating group; raises AnswerFormatError if it is not rows."""
    if stored is None:
        return []
    if not isinstance(stored, list) or not all(isinstance(row, Mapping) for row in stored):
        raise AnswerFormatError(f"{definition.key}: rows must be a list of mappings")
    return stored


def identified_rows(rows: list[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    """Each stored row with its stable id. Rows saved before rows had ids get one from their
    position (``p1``, ``p2``, ...), which stays true until the next save stores real ids."""
    return [
        (str(row[ROW_ID_KEY]) if is_row_id(row.get(ROW_ID_KEY)) else f"p{number}", row)
        for number, row in enumerate(rows, start=1)
    ]


def _decoded_or_none(definition: FieldDefinition, stored: object) -> object:
    try:
        return decode_answer(definition, stored)
    except AnswerFormatError:
        return None


# --------------------------------------------------------------------------------------------
# Form -> answers
# --------------------------------------------------------------------------------------------


def _row_answers(definition: RepeatingGroupDefinition, row_form: Form) -> dict[str, Answer]:
    """A row's cells as stored, without its row id (see ``forms.rows`` for identities)."""
    row: dict[str, Answer] = {}
    for column in definition.columns:
        value = encode_answer(column, row_form[column.key].data)
        if value is not None:
            row[column.key] = value
    return row


def without_hidden_answers(
    section: SectionDefinition, answers: Mapping[str, Any]
) -> SectionAnswers:
    """``answers`` without those to questions not shown for them: a field whose ``shown_if``
    does not hold, and a table cell whose column's ``shown_if`` does not hold for its row (a
    row left with no answers goes too). Keys the section does not define are kept as they are.
    Every save ends here, so a PEP never keeps an answer to a question that was not asked."""
    shown = section.shown_keys(answers)
    fields = section.fields_by_key
    kept: SectionAnswers = {}
    for key, value in answers.items():
        definition = fields.get(key)
        if definition is None:
            kept[key] = value
            continue
        if key not in shown:
            continue
        if isinstance(definition, RepeatingGroupDefinition) and isinstance(value, list):
            rows = [_row_without_hidden(definition, row) for row in value]
            kept_rows = [row for row in rows if _row_has_cells(definition, row)]
            if kept_rows:
                kept[key] = kept_rows
            continue
        kept[key] = value
    return kept


def _row_without_hidden(definition: RepeatingGroupDefinition, row: object) -> Any:
    if not isinstance(row, Mapping):
        return row
    shown = definition.shown_columns(row)
    columns = definition.columns_by_key
    return {key: value for key, value in row.items() if key not in columns or key in shown}


def _row_has_cells(definition: RepeatingGroupDefinition, row: object) -> bool:
    if not isinstance(row, Mapping):
        return True  # not a row: left for the reader of stored rows to refuse
    return any(column.key in row for column in definition.columns)


def answers_from_form(section: SectionDefinition, form: Form) -> SectionAnswers:
    """The answers to store from a processed form (validated or not: see ``encode_answer``),
    without answers to questions not shown (see ``without_hidden_answers``)."""
    answers: SectionAnswers = {}
    for definition in section.answer_fields:
        field = form[definition.key]
        if isinstance(definition, RepeatingGroupDefinition):
            assert isinstance(field, RepeatingGroupField)
            rows = [
                row
                for entry in field.entries
                if not row_is_blank(entry.form) and (row := _row_answers(definition, entry.form))
            ][: definition.max_rows]
            if rows:
                answers[definition.key] = rows
            continue
        value = encode_answer(definition, field.data)
        if value is not None:
            answers[definition.key] = value
    return without_hidden_answers(section, answers)


# --------------------------------------------------------------------------------------------
# Answers -> form
# --------------------------------------------------------------------------------------------


def form_data_from_answers(
    section: SectionDefinition,
    answers: Mapping[str, object] | None,
    *,
    facts: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Typed values for ``FormClass(data=...)``. Unreadable stored values are left out rather
    than stopping the page: the person sees an empty field and can answer again.

    ``facts`` maps a fact source ("child_name", "date_of_birth", ...) to its value.
    """
    answers = answers or {}
    data: dict[str, object] = {}
    for definition in section.fields:
        if isinstance(definition, FactDefinition):
            if facts is not None:
                data[definition.key] = facts.get(definition.source.value)
            continue
        stored = answers.get(definition.key)
        if isinstance(definition, RepeatingGroupDefinition):
            try:
                rows = stored_rows(definition, stored)
            except AnswerFormatError:
                rows = []
            data[definition.key] = [
                {
                    ROW_ID_KEY: row_id,
                    **{
                        column.key: _decoded_or_none(column, row.get(column.key))
                        for column in definition.columns
                    },
                }
                for row_id, row in identified_rows(rows[: definition.max_rows])
            ]
            continue
        value = _decoded_or_none(definition, stored)
        if value is not None:
            data[definition.key] = value
    return data


def form_from_answers(
    form_class: type[Form],
    section: SectionDefinition,
    answers: Mapping[str, object] | None,
    *,
    facts: Mapping[str, object] | None = None,
    formdata: Any = None,
) -> Form:
    """A form showing saved answers; with ``formdata`` (a POST) the post wins where it has a
    value, and read-only cells and facts keep what was stored."""
    return form_class(formdata=formdata, data=form_data_from_answers(section, answers, facts=facts))


class FormData:
    """The smallest multidict WTForms accepts (``getlist``), for building posts without a web
    framework: tests, imports, and replaying saved answers through the submission rules."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, []))

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def items(self) -> Iterator[tuple[str, str]]:
        for name, values in self._values.items():
            for value in values:
                yield name, value


def _posted_values(definition: FieldDefinition, value: object, *, split_dates: bool) -> list[str]:
    if value is None:
        return []
    match definition:
        case YesNoDefinition():
            return ["yes" if value else "no"]
        case CheckboxesDefinition():
            return [str(item) for item in value] if isinstance(value, list) else []
        case DateDefinition() if split_dates and isinstance(value, str):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                return [value]
            return [str(day.day), str(day.month), str(day.year)]
    return [str(value)]


def formdata_from_answers(
    section: SectionDefinition,
    answers: Mapping[str, object] | None,
    *,
    prefix: str = "",
    split_dates: bool = False,
) -> FormData:
    """What a browser would post for these answers. Dates go as one ISO value, as
    ``<input type=date>`` sends them, or with ``split_dates`` as day, month and year, as the GOV.UK
    date input sends them."""
    answers = answers or {}
    pairs: list[tuple[str, str]] = []
    for definition in section.answer_fields:
        stored = answers.get(definition.key)
        name = f"{prefix}{definition.key}"
        if isinstance(definition, RepeatingGroupDefinition):
            try:
                rows = stored_rows(definition, stored)
            except AnswerFormatError:
                rows = []
            for number, (row_id, row) in enumerate(identified_rows(rows)):
                pairs.append((f"{name}-{number}-{ROW_ID_KEY}", row_id))
                for column in definition.columns:
                    cell_name = f"{name}-{number}-{column.key}"
                    for value in _posted_values(
                        column, row.get(column.key), split_dates=split_dates
                    ):
                        pairs.append((cell_name, value))
            continue
        for value in _posted_values(definition, stored, split_dates=split_dates):
            pairs.append((name, value))
    return FormData(pairs)


# --------------------------------------------------------------------------------------------
# Computed values, prefills and the child's voice
# --------------------------------------------------------------------------------------------


def computed_totals(
    section: SectionDefinition, answers: Mapping[str, object] | None
) -> dict[str, Decimal]:
    """Every total a section's groups declare: in pounds (two places) for a money column,
    such as the PP+ total of the targets; a plain count (a whole Decimal) for a whole_number
    column, such as the sessions lost to suspensions (``RepeatingGroupDefinition.total_is_money``
    says which). Rows whose value is missing or unreadable add nothing.
    """
    answers = answers or {}
    totals: dict[str, Decimal] = {}
    for definition in section.fields:
        if not isinstance(definition, RepeatingGroupDefinition):
            continue
        try:
            rows = stored_rows(definition, answers.get(definition.key))
        except AnswerFormatError:
            rows = []
        for total in definition.computed_totals:
            column = definition.column(total.column)
            amount = Decimal(0)
            for row in rows:
                value = _decoded_or_none(column, row.get(total.column))
                # Money reads as Decimal, a whole number as int (never a yes/no's bool).
                if isinstance(value, Decimal | int) and not isinstance(value, bool):
                    amount += value
            money = definition.total_is_money(total)
            totals[total.key] = amount.quantize(Decimal("0.01")) if money else amount
    return totals


def prefilled_answers(
    definition: FormDefinition,
    previous_answers_by_section: Mapping[str, Mapping[str, object]] | None,
) -> dict[str, SectionAnswers]:
    """Starting answers for a new PEP: rows copied from the last signed-off PEP (such as its
    targets into "review of previous targets"). Sections and fields are matched by key, so the
    last PEP may use another form or version as long as the keys carry over."""
    previous = previous_answers_by_section or {}
    prefilled: dict[str, SectionAnswers] = {}
    for section in definition.sections:
        for group in section.fields:
            if not isinstance(group, RepeatingGroupDefinition) or group.prefill is None:
                continue
            source_section = previous.get(group.prefill.section)
            source_rows = (
                source_section.get(group.prefill.field)
                if isinstance(source_section, Mapping)
                else None
            )
            if not isinstance(source_rows, list):
                continue
            rows: list[dict[str, Any]] = []
            for source_row in source_rows:
                if not isinstance(source_row, Mapping):
                    continue
                row = {
                    column: source_row[source_column]
                    for column, source_column in group.prefill.columns
                    if source_row.get(source_column) is not None
                }
                if row:
                    rows.append(row)
            if rows:
                prefilled.setdefault(section.key, {})[group.key] = rows[: group.max_rows]
    return prefilled


def voice_answers(band: VoiceBand | str, answers: Mapping[str, object]) -> dict[str, object]:
    """How a PEP's "my views" section stores the child's answers with the band they answered."""
    return {VOICE_BAND_KEY: VoiceBand(band).value, VOICE_ANSWERS_KEY: dict(answers)}
