"""A section form's fields as HTML, built by plain Python functions.

`render_field` takes a bound WTForms field whose `.definition` is the field's schema and gives
the GOV.UK component for it. `row` names the table row a field belongs to ("Target 2"), so that
every control on the page has a name of its own; `page` (section_page(form)) gives conditional
questions their wrapper and hint and calculated figures their value; `columns` are a table's
columns, when the field is one.

The markup is the HTML of the GOV.UK components the govuk-frontend-jinja macros (govukInput,
govukCharacterCount, govukDateInput, govukRadios, govukCheckboxes, govukSelect) give for the same
parameters, at a small part of their cost: each of those builds its label, hint and error message
through further macros and attribute maps, and even a chain of small Jinja macros of our own
spent about a third of a section page's server time. Plain string building does the same work
several times faster.

What pins it: tests/unit/portal/test_field_markup_matches_macros.py renders every section of
every form version and draft, field by field, both here and through the Jinja macros this
replaced (kept in tests/fixtures/field_macros_reference/), and compares the strings byte for
byte: change the markup here and the reference there together, on purpose.
tests/unit/portal/test_field_markup.py tests escaping and the behaviours easy to lose.
tests/integration/test_section_form_markup.py compares with the GOV.UK macros themselves, element
by element only (whitespace collapsed, conditional wrappers and calculated figures left out); the
golden section pages show read views, without these fields.

Escaping: every text is escaped exactly once, by markupsafe.escape, the function Jinja's
autoescape uses, so that the bytes are those a template gives (quotes become &#34; and &#39;).
A label or legend is markup already (`_question`); everything else is escaped where it is
written. The pieces are joined as plain `str` and wrapped in `Markup` once at the end, because
adding a `str` to a `Markup` would escape the literal tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import url_for
from markupsafe import Markup, escape

from portal.presentation import display_fact

if TYPE_CHECKING:
    from forms.schema import FieldDefinition
    from portal.peps.presenters import SectionPage

# A hint and error message sit under the label of a single control (input, textarea, select)
# indented by two spaces, and under the legend of a fieldset by four, as GOV.UK writes them.
LABEL_INDENT = "  "
LEGEND_INDENT = "    "
DATE_HINT = "For example, 27 3 2026"
CHECKBOXES_HINT = "Select all that apply"
CALCULATED_HINT = "Worked out from the answers in this section"


# The characters markupsafe.escape replaces. Most texts (ids, names, option values) hold none,
# and looking for them is cheaper than escaping: a page calls _text a thousand times.
_CHARACTERS_TO_ESCAPE = re.compile(r"[&<>'\"]")


def _text(value: object) -> str:
    """A value as it appears in the page: escaped once (markup is left as it is)."""
    if type(value) is str and _CHARACTERS_TO_ESCAPE.search(value) is None:
        return value
    return str(escape(value))


# --- The GOV.UK components, as plain markup ---


def _hint_and_error(id_: str, hint: str | None, error: str | None, indent: str) -> str:
    """A field's hint and error message, each on lines of its own indented by `indent`, with a
    line break before each and none after: written at the end of the label's or legend's line,
    so that no blank line is left where there is neither and the markup stays the replaced
    macros' to the byte."""
    markup = ""
    if hint:
        markup += (
            f'\n{indent}<div id="{_text(id_)}-hint" class="govuk-hint">\n'
            f"{indent}  {_text(hint)}\n"
            f"{indent}</div>"
        )
    if error:
        markup += (
            f'\n{indent}<p id="{_text(id_)}-error" class="govuk-error-message">\n'
            f'{indent}  <span class="govuk-visually-hidden">Error:</span> {_text(error)}\n'
            f"{indent}</p>"
        )
    return markup


def _label_hint_error(id_: str, label_html: str, hint: str | None, error: str | None) -> str:
    """The label of a single control (input, textarea, select), then its hint and error."""
    return (
        f'  <label class="govuk-label govuk-label--s" for="{_text(id_)}">\n'
        f"    {label_html}\n"
        f"  </label>" + _hint_and_error(id_, hint, error, LABEL_INDENT)
    )


def _legend_hint_error(
    id_: str, legend_html: str, legend_classes: str, hint: str | None, error: str | None
) -> str:
    """The legend of a fieldset (date parts, radios, checkboxes), then its hint and error."""
    return (
        f'    <legend class="govuk-fieldset__legend {_text(legend_classes)}">\n'
        f"      {legend_html}\n"
        f"    </legend>" + _hint_and_error(id_, hint, error, LEGEND_INDENT)
    )


def _described_by(id_: str, hint: str | None, error: str | None, *first: str) -> str:
    """The ids an aria-describedby names, in GOV.UK's order ("" when there are none)."""
    ids = [*first]
    if hint:
        ids.append(f"{id_}-hint")
    if error:
        ids.append(f"{id_}-error")
    return " ".join(ids)


def _group_classes(error: str | None) -> str:
    return "govuk-form-group govuk-form-group--error" if error else "govuk-form-group"


def _input_field(
    id_: str,
    name: str,
    value: str | None,
    label_html: str,
    *,
    hint: str | None = None,
    error: str | None = None,
    classes: str = "",
    inputmode: str | None = None,
    spellcheck: bool | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
    autofocus: bool = False,
) -> str:
    """govukInput: a text box, with a prefix (£) or suffix (%) when it has one."""
    described_by = _described_by(id_, hint, error)
    element = "".join(
        (
            '<input class="govuk-input',
            f" {_text(classes)}" if classes else "",
            " govuk-input--error" if error else "",
            f'" id="{_text(id_)}" name="{_text(name)}" type="text"',
            "" if spellcheck is None else f' spellcheck="{"true" if spellcheck else "false"}"',
            "" if value is None else f' value="{_text(value)}"',
            f' aria-describedby="{_text(described_by)}"' if described_by else "",
            f' inputmode="{_text(inputmode)}"' if inputmode else "",
            ' autofocus=""' if autofocus else "",
            ">",
        )
    )
    if prefix or suffix:
        control = (
            '  <div class="govuk-input__wrapper">\n'
            + (
                f'    <div class="govuk-input__prefix" aria-hidden="true">{_text(prefix)}</div>\n'
                if prefix
                else ""
            )
            + f"    {element}\n"
            + (
                f'    <div class="govuk-input__suffix" aria-hidden="true">{_text(suffix)}</div>\n'
                if suffix
                else ""
            )
            + "  </div>\n"
        )
    else:
        control = f"  {element}\n"
    return (
        f'<div class="{_group_classes(error)}">\n'
        + _label_hint_error(id_, label_html, hint, error)
        + "\n"
        + control
        + "</div>\n"
    )


def _character_count(
    id_: str,
    name: str,
    value: str | None,
    label_html: str,
    max_length: int,
    threshold: int,
    rows: int,
    *,
    hint: str | None = None,
    error: str | None = None,
    autofocus: bool = False,
) -> str:
    """govukCharacterCount: a text area with the count of characters left under it."""
    described_by = _described_by(id_, hint, error, f"{id_}-info")
    return (
        f'<div class="{_group_classes(error)} govuk-character-count"'
        f' data-module="govuk-character-count" data-maxlength="{_text(max_length)}"'
        f' data-threshold="{_text(threshold)}">\n'
        + _label_hint_error(id_, label_html, hint, error)
        + "\n"
        + '  <textarea class="govuk-textarea'
        + (" govuk-textarea--error" if error else "")
        + f' govuk-js-character-count" id="{_text(id_)}" name="{_text(name)}"'
        f' rows="{_text(rows)}" aria-describedby="{_text(described_by)}"'
        + (' autofocus=""' if autofocus else "")
        + f">{_text(value) if value is not None else ''}</textarea>\n"
        f'  <div id="{_text(id_)}-info" class="govuk-hint govuk-character-count__message">\n'
        f"    You can enter up to {_text(max_length)} characters\n"
        "  </div>\n"
        "</div>\n"
    )


# A date's boxes: (the suffix of its id, its label, its width).
DATE_PARTS = (("day", "Day", "2"), ("month", "Month", "2"), ("year", "Year", "4"))


def _date_input(
    id_: str,
    name: str,
    values: Sequence[object],
    wrong_parts: Iterable[str],
    legend_html: str,
    *,
    hint: str | None = None,
    error: str | None = None,
    autofocus: bool = False,
) -> str:
    """govukDateInput: day, month and year boxes in a fieldset. `values` are the boxes' values
    in that order; `wrong_parts` the boxes marked as wrong."""
    described_by = _described_by(id_, hint, error)
    wrong = frozenset(wrong_parts)
    boxes = []
    for place, ((suffix, label, width), value) in enumerate(zip(DATE_PARTS, values, strict=True)):
        box_id = f"{_text(id_)}-{suffix}"
        boxes.append(
            '      <div class="govuk-date-input__item">\n'
            '        <div class="govuk-form-group">\n'
            f'          <label class="govuk-label govuk-date-input__label" for="{box_id}">\n'
            f"            {label}\n"
            "          </label>\n"
            "          <input class="
            f'"govuk-input govuk-date-input__input govuk-input--width-{width}'
            + (" govuk-input--error" if suffix in wrong else "")
            + f'" id="{box_id}" name="{_text(name)}" type="text"'
            + ("" if value is None else f' value="{_text(value)}"')
            + ' inputmode="numeric"'
            + (' autofocus=""' if autofocus and place == 0 else "")
            + ">\n"
            "        </div>\n"
            "      </div>\n"
        )
    return (
        f'<div class="{_group_classes(error)}">\n'
        '<fieldset class="govuk-fieldset" role="group"'
        + (f' aria-describedby="{_text(described_by)}"' if described_by else "")
        + ">\n"
        + _legend_hint_error(id_, legend_html, "govuk-fieldset__legend--s", hint, error)
        + "\n"
        f'    <div class="govuk-date-input" id="{_text(id_)}">\n' + "".join(boxes) + "    </div>\n"
        "  </fieldset>\n"
        "</div>\n"
    )


@dataclass(frozen=True, slots=True)
class _Choice:
    """One radio or checkbox: its value, its label as markup, whether it is chosen, and its
    hint (text)."""

    value: object
    label_html: str
    checked: bool
    hint: str | None = None


def _choices(
    kind: str,
    id_: str,
    name: str,
    items: Sequence[_Choice],
    legend_html: str,
    *,
    legend_classes: str = "govuk-fieldset__legend--s",
    hint: str | None = None,
    error: str | None = None,
    classes: str = "",
    autofocus: bool = False,
) -> str:
    """govukRadios and govukCheckboxes (`kind` "radios" or "checkboxes"). The first item's id
    is the field's id, the others the id and their number, as GOV.UK numbers them."""
    described_by = _described_by(id_, hint, error)
    input_type = "radio" if kind == "radios" else "checkbox"
    rendered_items = []
    for number, item in enumerate(items, start=1):
        item_id = _text(id_ if number == 1 else f"{id_}-{number}")
        rendered_items.append(
            f'      <div class="govuk-{kind}__item">\n'
            f'        <input class="govuk-{kind}__input" id="{item_id}" name="{_text(name)}"'
            f' type="{input_type}" value="{_text(item.value)}"'
            + (" checked" if item.checked else "")
            + (f' aria-describedby="{item_id}-item-hint"' if item.hint else "")
            + (' autofocus=""' if autofocus and number == 1 else "")
            + ">\n"
            f'        <label class="govuk-label govuk-{kind}__label" for="{item_id}">\n'
            f"          {item.label_html}\n"
            "        </label>\n"
            + (
                f'        <div id="{item_id}-item-hint" class="govuk-hint govuk-{kind}__hint">\n'
                f"          {_text(item.hint)}\n"
                "        </div>\n"
                if item.hint
                else ""
            )
            + "      </div>\n"
        )
    # The line break before the group is the one the replaced macros wrote (pinned by
    # tests/unit/portal/test_field_markup_matches_macros.py): radios and checkboxes start with one.
    return (
        f'\n<div class="{_group_classes(error)}">\n'
        '  <fieldset class="govuk-fieldset"'
        + (f' aria-describedby="{_text(described_by)}"' if described_by else "")
        + ">\n"
        + _legend_hint_error(id_, legend_html, legend_classes, hint, error)
        + "\n"
        f'    <div class="govuk-{kind}' + (f" {_text(classes)}" if classes else "") + '"'
        f' data-module="govuk-{kind}">\n' + "".join(rendered_items) + "    </div>\n"
        "  </fieldset>\n"
        "</div>\n"
    )


def _select_field(
    id_: str,
    name: str,
    options: Iterable[tuple[object, object, bool]],
    label_html: str,
    *,
    hint: str | None = None,
    error: str | None = None,
    autofocus: bool = False,
) -> str:
    """govukSelect. options: (value, text, selected)."""
    described_by = _described_by(id_, hint, error)
    rendered_options = "".join(
        f'        <option value="{_text(value)}"'
        + (" selected" if selected else "")
        + f">{_text(text)}</option>\n"
        for value, text, selected in options
    )
    return (
        f'<div class="{_group_classes(error)}">\n'
        + _label_hint_error(id_, label_html, hint, error)
        + "\n"
        + '  <select class="govuk-select'
        + (" govuk-select--error" if error else "")
        + f'" id="{_text(id_)}" name="{_text(name)}"'
        + (f' aria-describedby="{_text(described_by)}"' if described_by else "")
        + (' autofocus=""' if autofocus else "")
        + ">\n"
        + rendered_options
        + "  </select>\n"
        "</div>\n"
    )


def _conditional_question(
    id_: str, shown_if_json: str, name_prefix: str, hint: str, question_markup: str
) -> str:
    """A question asked only under a condition (its shown_if): the field's own markup inside a
    wrapper naming the condition as JSON, which portal/static/js/openpep.mjs evaluates to hide
    the question while the condition is false. `name_prefix` is what goes before a field key
    in the names of the inputs the condition reads (a row's prefix for a table's columns).
    Without the script every question stays on the page, so the hint says when to answer it;
    the script hides the hint. The wrapper is not a GOV.UK component: the markup test compares
    what is inside it."""
    return (
        f'<div class="openpep-conditional" id="{_text(id_)}-conditional"'
        f' data-openpep-shown-if="{_text(shown_if_json)}"'
        f' data-openpep-name-prefix="{_text(name_prefix)}">\n'
        f'  <p class="govuk-body openpep-conditional__hint" id="{_text(id_)}-only-if">'
        f"{_text(hint)}</p>\n"
        f"{question_markup}\n"
        "</div>\n"
    )


def _calculated_figure(
    id_: str,
    label: str,
    text: str,
    hint: str,
    calculation_json: str,
    name_prefix: str,
    shown_if_json: str = "",
    hidden: bool = False,
) -> str:
    """A figure worked out from other answers (a calculated field), shown like a fact: no
    input. `calculation_json` lets the script work it out again as people type.
    `shown_if_json` is when its inputs are shown (their conditions, all holding): the script
    hides and reveals the figure by it as it does a conditional question; `hidden` is how the
    page starts."""
    return (
        '<div class="govuk-form-group openpep-calculated"'
        + (
            f' id="{_text(id_)}-conditional" data-openpep-shown-if="{_text(shown_if_json)}"'
            if shown_if_json
            else ""
        )
        + (
            f' data-openpep-calculated="{_text(calculation_json)}"'
            f' data-openpep-name-prefix="{_text(name_prefix)}"'
            if calculation_json
            else ""
        )
        + (" hidden" if hidden else "")
        + ">\n"
        f'  <p class="govuk-body govuk-!-margin-bottom-1"><strong>{_text(label)}</strong></p>\n'
        f'  <p class="govuk-body govuk-!-margin-bottom-1" id="{_text(id_)}"'
        f" data-openpep-calculated-text>{_text(text)}</p>\n"
        f'  <p class="govuk-hint govuk-!-font-size-16">{_text(hint)}</p>\n'
        "</div>\n"
    )


# --- One function per field type ---


def _question(definition: FieldDefinition, row: str = "") -> str:
    """The words of a question as a label or legend, as markup: the row it is in, for screen
    readers only (the row's heading says it on screen), and "(optional)" when it may be left
    blank (GOV.UK marks the optional questions, not the required ones). A question required
    under a condition (required_if) is not marked: it is asked, or shown, because it must be
    answered then."""
    row_markup = f'<span class="govuk-visually-hidden">{_text(row)}: </span>' if row else ""
    optional = "" if definition.required or definition.required_if else " (optional)"
    return f"{row_markup}{_text(definition.label)}{optional}"


def _first_error(field: Any) -> str | None:
    """The message shown: the first of the field's errors that is a sentence. A table's errors
    also hold its rows' errors (lists and dicts), which its cells show themselves."""
    return next((error for error in field.errors if isinstance(error, str)), None)


def _autofocus(field: Any) -> bool:
    """Set on the first box of a row just added (forms.rows.show_row_change)."""
    return getattr(field, "autofocus", None) is True


def _short_text(field: Any, row: str) -> str:
    definition = field.definition
    return (
        _input_field(
            field.id,
            field.name,
            field._value(),
            _question(definition, row),
            hint=definition.hint or None,
            error=_first_error(field),
            spellcheck=True,
            autofocus=_autofocus(field),
        )
        + "\n"
    )


def _long_text(field: Any, row: str) -> str:
    definition = field.definition
    # The count appears only once three quarters of the limit is used: a "characters
    # remaining" line under every box is noise for most answers, which are far shorter.
    return (
        _character_count(
            field.id,
            field.name,
            field._value(),
            _question(definition, row),
            definition.max_length,
            75,
            6,
            hint=definition.hint or None,
            error=_first_error(field),
            autofocus=_autofocus(field),
        )
        + "\n"
    )


def _number(
    field: Any,
    row: str,
    classes: str,
    inputmode: str,
    prefix: str | None = None,
    suffix: str | None = None,
) -> str:
    definition = field.definition
    return (
        _input_field(
            field.id,
            field.name,
            field._value(),
            _question(definition, row),
            hint=definition.hint or None,
            error=_first_error(field),
            classes=classes,
            inputmode=inputmode,
            spellcheck=False,
            prefix=prefix,
            suffix=suffix,
            autofocus=_autofocus(field),
        )
        + "\n"
    )


def _whole_number(field: Any, row: str) -> str:
    return _number(field, row, "govuk-input--width-5", "numeric")


def _percentage(field: Any, row: str) -> str:
    return _number(field, row, "govuk-input--width-5", "decimal", suffix="%")


def _money(field: Any, row: str) -> str:
    return _number(field, row, "govuk-input--width-10", "decimal", prefix="£")


def _date_values(field: Any) -> list[object]:
    """What the three boxes hold: what was posted when all three were, else the date held,
    else nothing."""
    if field.raw_data and len(field.raw_data) == 3:
        return list(field.raw_data)
    if field.data:
        return [field.data.day, field.data.month, field.data.year]
    return ["", "", ""]


def _date(field: Any, row: str) -> str:
    """The GOV.UK date input: the wrapper carries the field's id, each box its own id and
    label, and the error summary links to the first box with a problem
    (DateField.error_link_id). The three boxes post under the field's one name, read as day,
    month and year in that order."""
    definition = field.definition
    error = _first_error(field)
    # Only the boxes left empty are marked when that is the problem; the whole date otherwise.
    wrong_parts = (field.problem_parts or ("day", "month", "year")) if error else ()
    return (
        _date_input(
            field.id,
            field.name,
            _date_values(field),
            wrong_parts,
            _question(definition, row),
            hint=definition.hint or DATE_HINT,
            error=error,
            autofocus=_autofocus(field),
        )
        + "\n"
    )


def _yes_no(field: Any, row: str) -> str:
    definition = field.definition
    items = [
        _Choice("yes", "Yes", field.data is True),
        _Choice("no", "No", field.data is False),
    ]
    return (
        _choices(
            "radios",
            field.id,
            field.name,
            items,
            _question(definition, row),
            classes="govuk-radios--inline",
            hint=definition.hint or None,
            error=_first_error(field),
            autofocus=_autofocus(field),
        )
        + "\n"
    )


def _radios(field: Any, row: str) -> str:
    definition = field.definition
    items = [
        _Choice(option.value, _text(option.label), field.data == option.value, option.hint)
        for option in definition.options
    ]
    return (
        _choices(
            "radios",
            field.id,
            field.name,
            items,
            _question(definition, row),
            hint=definition.hint or None,
            error=_first_error(field),
            autofocus=_autofocus(field),
        )
        + "\n"
    )


def _feeling_label(option: Any) -> str:
    """A feeling's picture and word, as markup: the picture renders and the word is escaped
    once. The picture is decorative (alt=""): the word beside it says the same thing."""
    picture = url_for("static", filename=f"images/feelings/{option.picture.value}.svg")
    return (
        f'<img class="openpep-feeling__picture" src="{_text(picture)}" alt=""'
        f' width="44" height="44"><span class="openpep-feeling__word">{_text(option.label)}</span>'
    )


def _feelings_scale(field: Any, row: str) -> str:
    definition = field.definition
    items = [
        _Choice(option.value, _feeling_label(option), field.data == option.value)
        for option in definition.options
    ]
    return (
        _choices(
            "radios",
            field.id,
            field.name,
            items,
            _question(definition, row),
            legend_classes="govuk-fieldset__legend--m",
            classes="openpep-feelings",
            hint=definition.hint or None,
            error=_first_error(field),
            autofocus=_autofocus(field),
        )
        + "\n"
    )


def _checkboxes(field: Any, row: str) -> str:
    definition = field.definition
    ticked = field.data or []
    items = [
        _Choice(option.value, _text(option.label), option.value in ticked, option.hint)
        for option in definition.options
    ]
    # The blank is posted even when no box is ticked, so that unticking every box is saved as
    # an answer (a form posts nothing at all for unticked boxes).
    return (
        f'<input type="hidden" name="{_text(field.name)}" value="">\n'
        + _choices(
            "checkboxes",
            field.id,
            field.name,
            items,
            _question(definition, row),
            hint=definition.hint or CHECKBOXES_HINT,
            error=_first_error(field),
            autofocus=_autofocus(field),
        )
        + "\n"
    )


def _select(field: Any, row: str) -> str:
    definition = field.definition
    options: list[tuple[object, object, bool]] = [("", "Choose an option", not field.data)]
    options += [
        (option.value, option.label, field.data == option.value) for option in definition.options
    ]
    return (
        _select_field(
            field.id,
            field.name,
            options,
            _question(definition, row),
            hint=definition.hint or None,
            error=_first_error(field),
            autofocus=_autofocus(field),
        )
        + "\n"
    )


def _fact(field: Any) -> str:
    """A fact from the child's record, shown rather than asked."""
    definition = field.definition
    return (
        '<div class="govuk-form-group">\n'
        '  <p class="govuk-body govuk-!-margin-bottom-1">'
        f"<strong>{_text(definition.label)}</strong></p>\n"
        f'  <p class="govuk-body govuk-!-margin-bottom-1" id="{_text(field.id)}">'
        f"{_text(display_fact(field.data))}</p>\n"
        '  <p class="govuk-hint govuk-!-font-size-16">'
        f"From the child's record ({_text(definition.source.label)})</p>\n"
        "</div>\n"
    )


def _name_prefix(field: Any) -> str:
    """What goes before a field's key in its inputs' names: "" for the section's own fields,
    the row's prefix for a table's columns."""
    name: str = field.name
    return name[: len(name) - len(field.definition.key)]


def _calculated(field: Any, page: SectionPage | None) -> str:
    """A calculated figure for the answers on the page; without `page` only what the field
    holds. With `page` the figure hides and reveals with the questions it is worked out from:
    it starts hidden when one of them is hidden for the answers on the page (with or without
    the script), and the script follows the answers from there."""
    definition = field.definition
    return (
        _calculated_figure(
            field.id,
            definition.label,
            page.calculated_text(definition) if page else field._value(),
            definition.hint or CALCULATED_HINT,
            page.calculated_json(definition) if page else "",
            _name_prefix(field),
            shown_if_json=page.figure_shown_if_json(definition) if page else "",
            hidden=page.figure_is_hidden(definition) if page else False,
        )
        + "\n"
    )


def _read_only_cell(field: Any) -> str:
    """A table cell filled in for the person (a read-only column): shown, not asked."""
    value = field._value() if hasattr(field, "_value") else field.data
    return (
        '<div class="govuk-form-group">\n'
        '  <p class="govuk-body govuk-!-margin-bottom-1">'
        f"<strong>{_text(field.definition.label)}</strong></p>\n"
        f'  <p class="govuk-body" id="{_text(field.id)}">{_text(value)}</p>\n'
        "</div>\n"
    )


def _table_row(
    field: Any, entry: Any, number: int, editable: bool, page: SectionPage | None
) -> str:
    """One row of a table: its heading, its stable identity, its cells and its remove button."""
    group = field.definition
    row_form = entry.form
    row_name = f"{group.row_label} {number}"
    row_id = row_form.row_id
    cells = "".join(
        "        " + _field_with_wrapper(column, editable, row_name, page, group.columns) + "\n"
        for column in row_form
        if hasattr(column, "definition")
    )
    # A blank row is never saved, so there is nothing to remove.
    removable = editable and not group.fixed_rows and row_id.data and not row_form.is_blank
    remove_button = (
        '      <button type="submit" name="action"'
        f' value="remove_row:{_text(group.key)}:{_text(row_id.data)}"'
        ' class="govuk-button govuk-button--warning govuk-!-margin-bottom-0"'
        ' data-module="govuk-button" formnovalidate>'
        f"Remove {_text(group.row_label.lower())} {number}</button>\n"
        if removable
        else ""
    )
    # The hidden row id is the row's stable identity: saving and removing never depend on its
    # position.
    return (
        '    <div class="openpep-row govuk-!-margin-bottom-6">\n'
        f'      <h2 class="govuk-heading-s">{_text(row_name)}</h2>\n'
        f'      <input type="hidden" name="{_text(row_id.name)}"'
        f' value="{_text(row_id.data or "")}">\n' + cells + remove_button + "    </div>\n"
    )


def _repeating_group(field: Any, editable: bool, page: SectionPage | None) -> str:
    """A table: a fieldset of numbered rows, with buttons to add and remove rows when it may
    be changed. The hint and the error messages follow the legend's line without a line
    break of their own, as the markup has always been written; the first error message has
    the id GOV.UK gives a field's error (`-error`), any more are numbered from 2."""
    group = field.definition
    messages = [error for error in field.errors if isinstance(error, str)]
    # A table people may leave empty is optional; a fixed one has only its columns to answer.
    optional = not (group.fixed_rows or group.required or group.required_if or group.min_rows)
    # The fieldset names its hint and error messages (aria-describedby), as GOV.UK's fieldsets
    # do, so that a screen reader entering the table reads them out.
    hint_id = f"{field.id}-hint"
    hint = (
        f'<div id="{_text(hint_id)}" class="govuk-hint">{_text(group.hint)}</div>'
        if group.hint
        else ""
    )
    error_ids = [
        f"{field.id}-error" if number == 1 else f"{field.id}-error-{number}"
        for number in range(1, len(messages) + 1)
    ]
    described_by = " ".join(([hint_id] if group.hint else []) + error_ids)
    # After a row is removed, focus lands here and the change is read out.
    row_change = (
        '    <p class="govuk-body govuk-!-font-weight-bold openpep-row-change"'
        f' id="{_text(field.id)}-change" tabindex="-1" autofocus>{_text(field.row_change)}</p>\n'
        if isinstance(getattr(field, "row_change", None), str)
        else ""
    )
    errors = "".join(
        f'<p id="{_text(error_id)}" class="govuk-error-message">'
        '<span class="govuk-visually-hidden">Error:</span>'
        f" {_text(message)}</p>"
        for error_id, message in zip(error_ids, messages, strict=True)
    )
    rows = (
        "".join(
            _table_row(field, entry, number, editable, page)
            for number, entry in enumerate(field.entries, start=1)
        )
        or f'    <p class="govuk-body">No {_text(group.row_label_plural.lower())} yet.</p>\n'
    )
    add_button = (
        '    <button type="submit" name="action"'
        f' value="add_row:{_text(group.key)}" class="govuk-button govuk-button--secondary"'
        ' data-module="govuk-button" formnovalidate>'
        f"Add another {_text(group.row_label.lower())}</button>\n"
        if editable and not group.fixed_rows and len(field.entries) < group.max_rows
        else ""
    )
    return (
        '<div class="govuk-form-group'
        + (" govuk-form-group--error" if messages else "")
        + f'" id="{_text(field.id)}">\n'
        '  <fieldset class="govuk-fieldset"'
        + (f' aria-describedby="{_text(described_by)}"' if described_by else "")
        + ">\n"
        '    <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">'
        f"{_text(group.label)}{' (optional)' if optional else ''}</legend>\n"
        + hint
        + row_change
        + errors
        + rows
        + add_button
        + "  </fieldset>\n"
        "</div>\n"
    )


# The questions people answer, by field type: each takes the field and its row's name.
_QUESTIONS = {
    "short_text": _short_text,
    "long_text": _long_text,
    "whole_number": _whole_number,
    "percentage": _percentage,
    "money": _money,
    "date": _date,
    "yes_no": _yes_no,
    "radios": _radios,
    "feelings_scale": _feelings_scale,
    "checkboxes": _checkboxes,
    "select": _select,
}


def _field_markup(field: Any, editable: bool, row: str, page: SectionPage | None) -> str:
    """The field's own markup, without a conditional question's wrapper ("" for a field
    without a definition, such as a row's id). Each field's markup ends with a blank line, as
    the replaced macros wrote it (tests/unit/portal/test_field_markup_matches_macros.py)."""
    definition = getattr(field, "definition", None)
    if definition is None:
        return ""
    kind = definition.field_type.value
    if kind == "fact":
        return _fact(field) + "\n"
    if kind == "calculated":
        return _calculated(field, page) + "\n"
    if kind == "repeating_group":
        return _repeating_group(field, editable, page) + "\n"
    if definition.read_only:
        return _read_only_cell(field) + "\n"
    question = _QUESTIONS.get(kind)
    return question(field, row) + "\n" if question else ""


def _field_with_wrapper(
    field: Any,
    editable: bool,
    row: str,
    page: SectionPage | None,
    columns: Iterable[FieldDefinition] | None,
) -> str:
    """The field's markup, inside a conditional question's wrapper when it is asked only under
    a condition and `page` says what the condition is."""
    markup = _field_markup(field, editable, row, page)
    definition = getattr(field, "definition", None)
    if page and definition is not None and definition.shown_if:
        return _conditional_question(
            field.id,
            page.shown_if_json(definition),
            _name_prefix(field),
            page.only_if_hint(definition, columns),
            markup,
        )
    return markup


def render_field(
    field: Any,
    editable: bool = True,
    row: str = "",
    page: SectionPage | None = None,
    columns: Iterable[FieldDefinition] | None = None,
) -> Markup:
    """The markup of one field of a section form (see the module's description). Registered
    as the template global `render_field`."""
    # Every text in it was escaped where it was written (_text), so it is markup as it stands.
    return Markup(_field_with_wrapper(field, editable, row, page, columns))  # noqa: S704  # nosec B704
