"""Turn a section definition into a WTForms form class: one field class per field type.

Two modes. Submission mode enforces ``required`` (and ``required_if`` where it holds) and a
repeating group's ``min_rows``. Draft mode lets people save a section half done: it still
refuses answers that are the wrong kind or out of range or too long, too many ticked boxes, and
combinations the section's ``checks`` forbid, so nothing invalid is ever saved as if it were fine.

In both modes a field (or a table's cell) whose ``shown_if`` does not hold is not checked and
what was sent for it is dropped: a PEP never keeps an answer to a question that was not asked.

Widgets are injected: the portal passes govuk-frontend-wtf widgets keyed by field type; without
them the WTForms defaults render, which is all the pure tests need.

Answers are judged on the form's ``judging_days`` (``forms.judging_days``), set on the form
before ``validate()``: a date agreed at the PEP meeting stays valid after the meeting. A form
given none is judged on the ``today`` it was built with, as for a PEP with no meeting date.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from wtforms import Form
from wtforms.fields import Field, FormField
from wtforms.validators import StopValidation, ValidationError

from forms import messages
from forms.dates import today_in_england
from forms.field_types.repeating_group import forget_answer
from forms.fields import (
    ROW_ID_KEY,
    CalculatedField,
    CheckboxesField,
    DateField,
    FactField,
    FeelingsScaleField,
    LongTextField,
    MoneyField,
    PercentageField,
    RadiosField,
    RepeatingGroupField,
    RowForm,
    RowIdField,
    SelectField,
    ShortTextField,
    WholeNumberField,
    YesNoField,
    answer_fields_of_row,
)
from forms.judging_days import JudgingDays
from forms.schema import (
    FactDefinition,
    FieldDefinition,
    FieldType,
    RepeatingGroupDefinition,
    SectionDefinition,
    SectionType,
)
from forms.validation import is_answered

Today = Callable[[], date]

# One entry per field type; repeating groups are assembled from their columns' entries.
FIELD_CLASSES: dict[FieldType, type[Field]] = {
    FieldType.SHORT_TEXT: ShortTextField,
    FieldType.LONG_TEXT: LongTextField,
    FieldType.WHOLE_NUMBER: WholeNumberField,
    FieldType.PERCENTAGE: PercentageField,
    FieldType.MONEY: MoneyField,
    FieldType.DATE: DateField,
    FieldType.YES_NO: YesNoField,
    FieldType.RADIOS: RadiosField,
    FieldType.CHECKBOXES: CheckboxesField,
    FieldType.SELECT: SelectField,
    FieldType.FEELINGS_SCALE: FeelingsScaleField,
    FieldType.FACT: FactField,
    FieldType.REPEATING_GROUP: RepeatingGroupField,
    FieldType.CALCULATED: CalculatedField,
}


class AnswerRules:
    """WTForms validator applying the shared answer rules (``forms.validation``) to one field."""

    def __init__(
        self, definition: FieldDefinition, *, enforce_required: bool, today: Today
    ) -> None:
        self.definition = definition
        self.enforce_required = enforce_required
        self.today = today

    def __call__(self, form: Form, field: Field) -> None:
        if field.process_errors:
            # The field could not be read; its reading error is already the message to show.
            raise StopValidation()
        if not is_answered(field.data):
            if self.enforce_required and _required_now(self.definition, form):
                raise StopValidation(self.definition.required_message)
            raise StopValidation()
        days = _judging_days_of(form) or JudgingDays(today=self.today())
        problem = days.answer_problem(self.definition, field.data)
        if problem:
            raise ValidationError(problem)


def _judging_days_of(form: Form) -> JudgingDays | None:
    """The days the section form (or, for a table's cell, its row) is judged on, if set."""
    days = getattr(form, "judging_days", None)
    return days if isinstance(days, JudgingDays) else None


def _required_now(definition: FieldDefinition, form: Form) -> bool:
    """``required: true``, or a ``required_if`` holding over the answers shown now (the form's,
    or the row's for a cell). Whether the field is shown at all is the form's business: a
    hidden field's errors are dropped after validation."""
    if definition.required:
        return True
    if definition.required_if is None:
        return False
    return definition.required_if.holds(getattr(form, "condition_values", {}))


class RowCountRules:
    """WTForms validator for a repeating group: at least ``min_rows`` rows (when submitting),
    never more than ``max_rows``. Blank rows do not count."""

    def __init__(self, definition: RepeatingGroupDefinition, *, enforce_minimum: bool) -> None:
        self.definition = definition
        self.enforce_minimum = enforce_minimum

    def __call__(self, form: Form, field: Field) -> None:
        assert isinstance(field, RepeatingGroupField)
        rows = sum(1 for _entry in field.non_blank_entries())
        definition = self.definition
        if rows > definition.max_rows:
            raise ValidationError(
                messages.too_many_rows(definition.row_label_plural, definition.max_rows)
            )
        if self.enforce_minimum and rows < definition.min_rows:
            raise ValidationError(
                messages.too_few_rows(
                    definition.row_label, definition.row_label_plural, definition.min_rows
                )
            )
        # A table required by its required_if needs at least one row.
        if self.enforce_minimum and rows == 0 and _required_now(definition, form):
            raise ValidationError(definition.required_message)


def _class_name(key: str, suffix: str) -> str:
    return "".join(part.title() for part in key.split("_")) + suffix


def _field_options(
    definition: FieldDefinition, widgets: Mapping[str, Any] | None
) -> dict[str, Any]:
    description = definition.hint
    if isinstance(definition, FactDefinition):
        description = definition.hint or definition.source_label
    options: dict[str, Any] = {"label": definition.label, "description": description}
    if widgets and definition.field_type.value in widgets:
        options["widget"] = widgets[definition.field_type.value]
    if definition.read_only:
        options["render_kw"] = {"readonly": True}
    return options


def _unbound_field(
    definition: FieldDefinition,
    *,
    widgets: Mapping[str, Any] | None,
    draft: bool,
    today: Today,
) -> Any:
    options = _field_options(definition, widgets)
    if isinstance(definition, RepeatingGroupDefinition):
        row_form = type(
            _class_name(definition.key, "RowForm"),
            (RowForm,),
            {
                **{
                    column.key: _unbound_field(column, widgets=widgets, draft=draft, today=today)
                    for column in definition.columns
                },
                ROW_ID_KEY: RowIdField(),
                "group_definition": definition,
            },
        )
        # Editable tables start with enough blank rows to meet the minimum, and always one to
        # type into. One spare beyond max_rows lets a post with too many rows get a message
        # instead of being cut off silently.
        starting_rows = 0 if definition.fixed_rows else max(1, definition.min_rows)
        return RepeatingGroupField(
            FormField(row_form),
            definition=definition,
            validators=[RowCountRules(definition, enforce_minimum=not draft)],
            min_entries=starting_rows,
            max_entries=definition.max_rows + 1,
            **options,
        )
    field_class = FIELD_CLASSES[definition.field_type]
    validators = []
    if definition.stores_answer and not definition.read_only:
        validators.append(AnswerRules(definition, enforce_required=not draft, today=today))
    return field_class(definition=definition, validators=validators, **options)


def build_section_form(
    section: SectionDefinition,
    *,
    widgets: Mapping[str, Any] | None = None,
    draft: bool = False,
    today: Today = today_in_england,
    base_class: type[Form] = Form,
) -> type[Form]:
    """A WTForms form class for one section.

    ``widgets`` maps a field type ("long_text", "date", ...) to the widget to render it with.
    ``draft`` builds the save-a-draft variant (required answers and minimum rows not enforced).
    ``today`` is called at validation time, for dates that must not be in the future or past,
    when the form is given no ``judging_days`` (a PEP's meeting date, and today) to judge on.
    ``base_class`` lets the portal use its CSRF-protected form class without this package
    importing Flask. The class carries ``section`` and ``draft`` for templates.

    A PEP's "my views" section has no questions of its own: build the form for
    ``section.voice_section(band)`` instead.
    """
    if section.section_type is SectionType.CHILD_VOICE:
        raise ValueError(
            f"section {section.key!r} takes its questions from the child's-voice form: "
            "build section.voice_section(band) instead"
        )
    attributes: dict[str, Any] = {"section": section, "draft": draft}
    for definition in section.fields:
        attributes[definition.key] = _unbound_field(
            definition, widgets=widgets, draft=draft, today=today
        )
    suffix = "DraftForm" if draft else "Form"
    return type(_class_name(section.key, suffix), (SectionRules, base_class), attributes)


def _typed_value(field: Field) -> object:
    """A field's typed value for conditions and checks; what could not be read is unanswered."""
    if isinstance(field, RepeatingGroupField):
        return [
            entry.form.typed_values()
            for entry in field.entries
            if isinstance(entry.form, RowForm) and not entry.form.is_blank
        ]
    return None if field.process_errors else field.data


def _has_errors(field: Field) -> bool:
    return any(field.errors) if isinstance(field.errors, list | tuple) else bool(field.errors)


class SectionRules:
    """What a section form checks across its fields, around each field's own rules: which
    fields are shown (``shown_if``), which are required now (``required_if``, read by
    ``AnswerRules`` from ``condition_values``) and the section's ``checks``."""

    section: SectionDefinition
    draft: bool
    # Set by the caller before validate(): the PEP's meeting date and today. None: judged on
    # the ``today`` the form was built with, as a PEP with no meeting date is.
    judging_days: JudgingDays | None = None
    # Filled in by validate(): the keys of the fields shown, and their typed answers.
    shown_keys: frozenset[str] = frozenset()
    condition_values: Mapping[str, object] = {}

    def validate(self, extra_validators: Any = None) -> bool:
        assert isinstance(self, Form)
        section = self.section
        values = {
            definition.key: _typed_value(self[definition.key])
            for definition in section.fields
            if definition.stores_answer
        }
        self.shown_keys = section.shown_keys(values)
        self.condition_values = {
            key: value for key, value in values.items() if key in self.shown_keys
        }
        self._pass_judging_days_to_rows()
        super().validate(extra_validators)  # type: ignore[misc]
        for definition in section.fields:
            if definition.key not in self.shown_keys:
                forget_answer(self[definition.key])
        # A check compares answers that are fine on their own: a field already in error
        # has its own message to fix first.
        checked = {
            key: value for key, value in self.condition_values.items() if not _has_errors(self[key])
        }
        for check in section.checks:
            failure = check.failure(checked, frozenset(checked))
            if failure is None:
                continue
            field = self[failure.field]
            field.errors = [*field.errors, failure.message]
            # None of the answers the check compares is saved: keeping some of them would
            # store the very combination the check refuses.
            for key in check.named_fields:
                self[key].held_back_by_check = True
        return not any(_has_errors(field) for field in self) and not self.form_errors

    def _pass_judging_days_to_rows(self) -> None:
        """A table's cells are validated by their row's form: it judges on the section's days."""
        assert isinstance(self, Form)
        for field in self:
            if isinstance(field, RepeatingGroupField):
                for entry in field.entries:
                    entry.form.judging_days = self.judging_days


@dataclass(frozen=True)
class FormError:
    """One line of the GOV.UK error summary: the id to link to and the message."""

    field_id: str
    message: str


def _link_id(field: Field) -> str:
    """The id of the control an error about ``field`` takes a person to: a date's first box
    with the problem, a table's first answer (its wrapper cannot take focus), else the field."""
    if isinstance(field, DateField):
        return field.error_link_id
    if isinstance(field, RepeatingGroupField):
        for entry in field.entries:
            for column in answer_fields_of_row(entry.form):
                if not column.definition.read_only and column.definition.stores_answer:
                    return _link_id(column)
    return field.id


def _errors_of(field: Field, row_context: str = "") -> Iterator[FormError]:
    def with_context(message: str) -> str:
        return f"{row_context}: {message}" if row_context else message

    if isinstance(field, RepeatingGroupField):
        definition = field.definition
        for number, entry in enumerate(field.entries, start=1):
            context = f"{definition.row_label} {number}"
            for column in answer_fields_of_row(entry.form):
                yield from _errors_of(column, context)
        for message in field.errors:
            if isinstance(message, str):
                yield FormError(_link_id(field), message)
        return
    for message in field.errors:
        if isinstance(message, str):
            yield FormError(_link_id(field), with_context(message))


def form_errors(form: Form) -> list[FormError]:
    """Every error after ``validate()``, in page order, with row context ("Target 2: ...") for
    table cells, ready for the error summary."""
    errors: list[FormError] = []
    for field in form:
        errors.extend(_errors_of(field))
    errors.extend(FormError("", message) for message in form.form_errors)
    return errors
