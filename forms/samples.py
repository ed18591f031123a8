"""Valid, complete example answers for any section: for tests over every definition, and for
demo data that always matches the current forms."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from forms.answers import SectionAnswers, voice_answers
from forms.fields import format_money, format_percentage
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
    VoiceBand,
    WholeNumberDefinition,
    YesNoDefinition,
)

SAMPLE_ROWS = 2


def _sample_text(definition: ShortTextDefinition | LongTextDefinition, row: int) -> str:
    if isinstance(definition, ShortTextDefinition) and definition.example:
        return definition.example
    text = f"Example {definition.label.rstrip('?').lower()} {row + 1}"
    return text[: definition.max_length].strip() or "x"


def _sample_whole_number(definition: WholeNumberDefinition) -> int:
    low = definition.min_value if definition.min_value is not None else 0
    high = definition.max_value if definition.max_value is not None else low + 10
    return max(low, min(high, (low + high) // 2))


def _sample_money(definition: MoneyDefinition) -> Decimal:
    amount = Decimal("150.50")
    if definition.max_value is not None:
        amount = min(amount, definition.max_value)
    return max(amount, definition.min_value)


def sample_value(definition: FieldDefinition, *, today: date, row: int = 0) -> Any:
    """A stored value that meets every rule of ``definition`` (None for facts)."""
    match definition:
        case ShortTextDefinition() | LongTextDefinition():
            return _sample_text(definition, row)
        case WholeNumberDefinition():
            return _sample_whole_number(definition)
        case PercentageDefinition():
            return format_percentage(Decimal("92.5") if definition.decimal_places else Decimal(92))
        case MoneyDefinition():
            return format_money(_sample_money(definition))
        case DateDefinition():
            if definition.not_in_past:
                return (today + timedelta(days=30)).isoformat()
            if definition.not_in_future:
                return (today - timedelta(days=30)).isoformat()
            return today.isoformat()
        case YesNoDefinition():
            return True
        case CheckboxesDefinition():
            return list(definition.option_values[:2])
        case ChoiceDefinition():
            return definition.option_values[row % len(definition.options)]
        case RepeatingGroupDefinition():
            rows = max(SAMPLE_ROWS, definition.min_rows)
            rows = min(rows, definition.max_rows)
            return [
                {
                    column.key: sample_value(column, today=today, row=number)
                    for column in definition.columns
                }
                for number in range(rows)
            ]
    return None


def sample_answers(
    section: SectionDefinition, *, today: date, band: VoiceBand = VoiceBand.PRIMARY
) -> SectionAnswers | dict[str, object]:
    """Every question of the section answered validly; "my views" sections answer ``band``."""
    if section.section_type is SectionType.CHILD_VOICE:
        band_section = section.voice_section(band)
        return voice_answers(band, sample_answers(band_section, today=today))
    answers: SectionAnswers = {}
    for definition in section.answer_fields:
        answers[definition.key] = sample_value(definition, today=today)
    return answers
