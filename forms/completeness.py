"""Which sections of a PEP are done, and what is still missing, worked out from stored answers.

The rules are the ones the forms enforce on submission (``forms.validation``), applied to the
stored JSON directly: the task list of 700 children's PEPs needs no WTForms objects.

- not_started: nothing answered (prefilled read-only cells and facts do not count);
- completed: something answered, every required answer present, every answer valid, and every
  repeating group has its minimum number of rows, each row with its required cells, and no
  check across fields fails;

A field counts only while it is shown (its ``shown_if`` holds), and is required when shown and
``required: true`` or its ``required_if`` holds; the same for a table's cells, row by row.
- in_progress: anything in between.

Quality-assurance sections are the Virtual School's, after submission: they never count towards
the submitter's completeness.

Answers are judged on ``days`` (``forms.judging_days``): a date agreed at the PEP meeting stays
valid after it. ``today`` alone is the older shorthand, for a PEP with no meeting date.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from forms import messages
from forms.answers import (
    VOICE_ANSWERS_KEY,
    VOICE_BAND_KEY,
    AnswerFormatError,
    decode_answer,
    stored_rows,
)
from forms.checks import section_failures
from forms.judging_days import JudgingDays
from forms.schema import (
    FieldDefinition,
    FormDefinition,
    RepeatingGroupDefinition,
    SectionDefinition,
    SectionType,
    VoiceBand,
)
from forms.validation import is_answered
from workflows.roles import Role

VOICE_BANDS = frozenset(band.value for band in VoiceBand)

# Stands in for a stored value that cannot be read, so the rules give the message for its type.
_UNREADABLE = object()


class SectionStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        """The words the GOV.UK task list pattern uses."""
        return STATUS_LABELS[self]


STATUS_LABELS: dict[SectionStatus, str] = {
    SectionStatus.NOT_STARTED: "Not yet started",
    SectionStatus.IN_PROGRESS: "In progress",
    SectionStatus.COMPLETED: "Completed",
}


@dataclass(frozen=True)
class MissingAnswer:
    """Something stopping a section being complete.

    ``field_key`` is the section's field (the group, for a table cell); ``field_id`` is the id of
    the input to link to from an error summary, such as ``targets-0-outcome``.
    """

    field_key: str
    label: str
    message: str
    field_id: str


def _as_mapping(answers: object) -> Mapping[str, object]:
    return answers if isinstance(answers, Mapping) else {}


def _problem(
    definition: FieldDefinition, stored: object, days: JudgingDays, *, required: bool
) -> str | None:
    """The message for one stored answer, or None when it is fine (or optional and empty).
    ``required``: whether the field is required now (shown, and required or required_if)."""
    try:
        value = decode_answer(definition, stored)
    except AnswerFormatError:
        return days.answer_problem(definition, _UNREADABLE)
    if not is_answered(value):
        return definition.required_message if required else None
    return days.answer_problem(definition, value)


def _required_now(definition: FieldDefinition, visible: Mapping[str, object]) -> bool:
    """Required while shown: ``required: true``, or a ``required_if`` that holds over the
    answers of the fields shown (``visible``)."""
    if definition.required:
        return True
    return definition.required_if is not None and definition.required_if.holds(visible)


def _row_has_answers(group: RepeatingGroupDefinition, row: Mapping[str, object]) -> bool:
    return any(is_answered(row.get(column.key)) for column in group.columns)


def _row_has_own_answers(group: RepeatingGroupDefinition, row: Mapping[str, object]) -> bool:
    """Answers the person gave, leaving out the cells copied in read-only."""
    return any(is_answered(row.get(column.key)) for column in group.columns if not column.read_only)


def _group_missing(
    group: RepeatingGroupDefinition,
    stored: object,
    days: JudgingDays,
    visible: Mapping[str, object],
) -> list[MissingAnswer]:
    try:
        rows = stored_rows(group, stored)
    except AnswerFormatError:
        rows = []
    missing: list[MissingAnswer] = []
    filled_rows = 0
    for index, row in enumerate(rows):
        if not _row_has_answers(group, row):
            continue
        filled_rows += 1
        shown = group.shown_columns(row)
        row_visible = {key: value for key, value in row.items() if key in shown}
        for column in group.columns:
            if column.read_only or column.key not in shown:
                continue
            problem = _problem(
                column, row.get(column.key), days, required=_required_now(column, row_visible)
            )
            if problem:
                missing.append(
                    MissingAnswer(
                        field_key=group.key,
                        label=column.label,
                        message=messages.in_row(group.row_label, index + 1, problem),
                        field_id=f"{group.key}-{index}-{column.key}",
                    )
                )
    if filled_rows < group.min_rows:
        message = messages.too_few_rows(group.row_label, group.row_label_plural, group.min_rows)
        missing.append(MissingAnswer(group.key, group.label, message, group.key))
    if filled_rows == 0 and group.required_if is not None and group.required_if.holds(visible):
        missing.append(MissingAnswer(group.key, group.label, group.required_message, group.key))
    if filled_rows > group.max_rows:
        message = messages.too_many_rows(group.row_label_plural, group.max_rows)
        missing.append(MissingAnswer(group.key, group.label, message, group.key))
    return missing


def _voice_parts(
    section: SectionDefinition, answers: Mapping[str, object]
) -> tuple[SectionDefinition, Mapping[str, object]] | None:
    """For a "my views" section: the band's section of the voice form and the child's answers."""
    band = answers.get(VOICE_BAND_KEY)
    if not isinstance(band, str) or band not in VOICE_BANDS:
        return None
    return section.voice_section(band), _as_mapping(answers.get(VOICE_ANSWERS_KEY))


def missing_answers(
    section: SectionDefinition,
    answers: object,
    *,
    days: JudgingDays | None = None,
    today: date | None = None,
) -> list[MissingAnswer]:
    """Required answers not given and answers that break a rule, in the order of the page,
    judged on ``days`` (or on ``today`` alone; the computer's date when neither is given)."""
    days = JudgingDays.of(days, today=today)
    stored = _as_mapping(answers)
    if section.section_type is SectionType.CHILD_VOICE:
        parts = _voice_parts(section, stored)
        if parts is None:
            if not stored:
                return []
            message = "Choose which version of the child's views page to use"
            return [MissingAnswer(VOICE_BAND_KEY, section.title, message, VOICE_BAND_KEY)]
        band_section, band_answers = parts
        return missing_answers(band_section, band_answers, days=days)

    missing: list[MissingAnswer] = []
    shown = section.shown_keys(stored)
    visible = {key: value for key, value in stored.items() if key in shown}
    for definition in section.answer_fields:
        if definition.read_only or definition.key not in shown:
            continue
        value = stored.get(definition.key)
        if isinstance(definition, RepeatingGroupDefinition):
            missing.extend(_group_missing(definition, value, days, visible))
            continue
        problem = _problem(definition, value, days, required=_required_now(definition, visible))
        if problem:
            missing.append(MissingAnswer(definition.key, definition.label, problem, definition.key))
    # Answers that break a rule of their own are reported above; checks compare the rest.
    in_error = {answer.field_key for answer in missing}
    checked = {key: value for key, value in visible.items() if key not in in_error}
    for failure in section_failures(section.checks, checked, frozenset(checked)):
        definition = section.get_field(failure.field)
        missing.append(
            MissingAnswer(failure.field, definition.label, failure.message, failure.field)
        )
    return missing


def has_answers(section: SectionDefinition, answers: object) -> bool:
    """Whether the person has answered anything (prefilled read-only cells do not count)."""
    stored = _as_mapping(answers)
    if section.section_type is SectionType.CHILD_VOICE:
        parts = _voice_parts(section, stored)
        return bool(stored) if parts is None else has_answers(*parts)
    for definition in section.answer_fields:
        if definition.read_only:
            continue
        value = stored.get(definition.key)
        if isinstance(definition, RepeatingGroupDefinition):
            try:
                rows = stored_rows(definition, value)
            except AnswerFormatError:
                continue
            if any(_row_has_own_answers(definition, row) for row in rows):
                return True
        elif is_answered(value):
            return True
    return False


def section_status(
    section: SectionDefinition,
    answers: object,
    *,
    days: JudgingDays | None = None,
    today: date | None = None,
) -> SectionStatus:
    if not has_answers(section, answers):
        return SectionStatus.NOT_STARTED
    if missing_answers(section, answers, days=JudgingDays.of(days, today=today)):
        return SectionStatus.IN_PROGRESS
    return SectionStatus.COMPLETED


def _sections_to_complete(
    definition: FormDefinition, owner: Role | None
) -> list[SectionDefinition]:
    return [
        section
        for section in definition.sections
        if section.counts_towards_completeness and (owner is None or section.owner is owner)
    ]


def pep_completeness(
    definition: FormDefinition,
    answers_by_section: Mapping[str, object] | None,
    *,
    days: JudgingDays | None = None,
    today: date | None = None,
    owner: Role | None = None,
) -> dict[str, SectionStatus]:
    """Status of each section the submitter must complete (optionally only ``owner``'s)."""
    answers_by_section = answers_by_section or {}
    days = JudgingDays.of(days, today=today)
    return {
        section.key: section_status(section, answers_by_section.get(section.key), days=days)
        for section in _sections_to_complete(definition, owner)
    }


def pep_missing_answers(
    definition: FormDefinition,
    answers_by_section: Mapping[str, object] | None,
    *,
    days: JudgingDays | None = None,
    today: date | None = None,
) -> dict[str, list[MissingAnswer]]:
    """Per section, what is still missing; sections with nothing missing are left out."""
    answers_by_section = answers_by_section or {}
    days = JudgingDays.of(days, today=today)
    result: dict[str, list[MissingAnswer]] = {}
    for section in _sections_to_complete(definition, None):
        answers = answers_by_section.get(section.key)
        missing = missing_answers(section, answers, days=days)
        if not missing and not has_answers(section, answers):
            # A section with nothing required still has to be filled in before submission.
            message = f"Complete the section '{section.title}'"
            missing = [MissingAnswer("", section.title, message, "")]
        if missing:
            result[section.key] = missing
    return result


def is_ready_to_submit(
    definition: FormDefinition,
    answers_by_section: Mapping[str, object] | None,
    *,
    days: JudgingDays | None = None,
    today: date | None = None,
) -> bool:
    """Every section that counts is completed."""
    statuses = pep_completeness(definition, answers_by_section, days=days, today=today)
    return all(status is SectionStatus.COMPLETED for status in statuses.values())
