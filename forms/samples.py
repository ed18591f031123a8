"""Valid, complete example answers for any section: for tests over every definition, and for
demo data that always matches the current forms."""

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from forms.answers import SectionAnswers, encode_answer, voice_answers, without_hidden_answers
from forms.checks import (
    Check,
    ColumnTotalNotMoreThan,
    NotBefore,
    NotMoreThan,
    SumEquals,
    SumNotMoreThan,
    section_failures,
)
from forms.conditions import (
    NUMBER_TYPES,
    AllOf,
    Answered,
    AnyOf,
    Condition,
    Equals,
    Includes,
    IsOneOf,
    MoreThan,
    answer_date,
    answer_number,
)
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
SAMPLE_TICKS = 2


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


def _most_ticks(definition: CheckboxesDefinition) -> int:
    """Two ticks, or fewer when ``max_selected`` allows fewer."""
    if definition.max_selected is None:
        return SAMPLE_TICKS
    return min(SAMPLE_TICKS, definition.max_selected)


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
            return list(definition.option_values[: _most_ticks(definition)])
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
    if not has_rules_across_fields(section):
        # Sections without conditions or checks keep exactly the answers they always had:
        # records and pages made from them for earlier form versions must not change.
        return answers
    return _meeting_rules_across_fields(section, answers, today=today)


# --------------------------------------------------------------------------------------------
# Sections with rules across fields (conditions and checks)
# --------------------------------------------------------------------------------------------

# A candidate answer that means "leave the question unanswered".
_UNANSWERED = object()
# Fixing one check can break another that was met (lowering a part breaks a sum): a few rounds
# settle every shipped section, and a section that cannot be settled keeps its failing answers
# for the tests over every definition to point out.
_ROUNDS = 5


def has_rules_across_fields(section: SectionDefinition) -> bool:
    """Whether a question of ``section`` is shown or required on a condition, or the section
    checks its answers against one another."""
    if section.checks:
        return True
    for definition in section.answer_fields:
        if definition.is_conditional:
            return True
        if isinstance(definition, RepeatingGroupDefinition) and any(
            column.is_conditional for column in definition.columns
        ):
            return True
    return False


def _meeting_rules_across_fields(
    section: SectionDefinition, answers: SectionAnswers, *, today: date
) -> SectionAnswers:
    """``answers`` changed to show as many questions as the conditions allow, without answers to
    the questions left hidden, and with numbers and dates that pass the section's checks."""
    shown_answers = _showing_most(section.answer_fields, dict(answers), section.shown_keys, today)
    for definition in section.answer_fields:
        rows = shown_answers.get(definition.key)
        if isinstance(definition, RepeatingGroupDefinition) and isinstance(rows, list) and rows:
            # The first row shows every column it can; the others keep their varied choices.
            first = _showing_most(
                definition.columns, dict(rows[0]), definition.shown_columns, today
            )
            shown_answers[definition.key] = [first, *rows[1:]]
    kept: SectionAnswers = dict(without_hidden_answers(section, shown_answers))
    for _round in range(_ROUNDS):
        failing = section_failures(section.checks, kept, section.shown_keys(kept))
        if not failing:
            break
        for check in section.checks:
            if check.failure(kept, section.shown_keys(kept)):
                kept = _meet_check(section, check, kept, today)
        kept = dict(without_hidden_answers(section, kept))
    return kept


# Conditions: answer the controlling questions so the most questions are shown
# --------------------------------------------------------------------------------------------


def _leaves(condition: Condition) -> list[Condition]:
    if isinstance(condition, AllOf | AnyOf):
        return [leaf for part in condition.conditions for leaf in _leaves(part)]
    return [condition]


def _showing_most(
    definitions: tuple[FieldDefinition, ...],
    values: dict[str, Any],
    shown: Callable[[Mapping[str, object]], set[str] | frozenset[str]],
    today: date,
) -> dict[str, Any]:
    """``values`` with each controlling question answered, in the order of the page, the way
    that shows the most questions (the sample answer is kept when it shows as many)."""
    by_key = {definition.key: definition for definition in definitions}
    leaves = [
        leaf
        for definition in definitions
        if definition.shown_if is not None
        for leaf in _leaves(definition.shown_if)
    ]
    controllers = [key for key in by_key if any(key in leaf.referenced_fields for leaf in leaves)]
    for key in controllers:
        best_count = len(shown(values))
        for leaf in leaves:
            if key not in leaf.referenced_fields:
                continue
            candidate = _meeting(leaf, by_key[key], values.get(key), today)
            if candidate is None:
                continue
            trial = dict(values)
            if candidate is _UNANSWERED:
                trial.pop(key, None)
            else:
                trial[key] = candidate
            count = len(shown(trial))
            if count > best_count:
                values, best_count = trial, count
    return values


def _meeting(leaf: Condition, definition: FieldDefinition, current: object, today: date) -> Any:
    """An answer to ``definition`` for which ``leaf`` holds, None when there is no valid one."""
    match leaf:
        case Equals(value=bool() as wanted):
            return wanted if isinstance(definition, YesNoDefinition) else None
        case Equals(value=Decimal() as wanted):
            return _stored_if_valid(definition, wanted, today)
        case Equals(value=str() as wanted):
            return wanted if _is_valid(definition, wanted, today) else None
        case IsOneOf(values=wanted):
            return wanted[0] if wanted else None
        case Includes(value=wanted):
            if not isinstance(definition, CheckboxesDefinition):
                return None
            ticks = list(current) if isinstance(current, list) else []
            if wanted not in ticks:
                # The wanted tick goes first so that trimming to max_selected keeps it.
                ticks = [wanted, *ticks]
            if definition.max_selected is not None:
                ticks = ticks[: definition.max_selected]
            return [value for value in definition.option_values if value in ticks]
        case MoreThan(value=limit):
            return _stored_if_valid(definition, limit + 1, today)
        case Answered(answered=True):
            return sample_value(definition, today=today)
        case Answered(answered=False):
            required = definition.required or definition.required_if is not None
            return None if required else _UNANSWERED
    return None


def _typed_number(definition: FieldDefinition, number: Decimal) -> object:
    if isinstance(definition, WholeNumberDefinition):
        return int(number) if number == number.to_integral_value() else number
    if isinstance(definition, MoneyDefinition):
        return number.quantize(Decimal("0.01"))
    return number


def _is_valid(definition: FieldDefinition, typed: object, today: date) -> bool:
    return definition.answer_problem(typed, today=today) is None


def _stored_if_valid(definition: FieldDefinition, number: Decimal, today: date) -> Any:
    """``number`` as ``definition`` stores it, None when the field would refuse it."""
    if definition.field_type not in NUMBER_TYPES:
        return None
    typed = _typed_number(definition, number)
    if not _is_valid(definition, typed, today):
        return None
    return encode_answer(definition, typed)


# Checks: change the numbers and dates a failing check names until it passes
# --------------------------------------------------------------------------------------------


def _lowest(definition: FieldDefinition) -> Decimal:
    """The smallest sample number for a field: its minimum, and never below nothing."""
    minimum = getattr(definition, "min_value", None)
    return Decimal(minimum) if minimum is not None and minimum > 0 else Decimal(0)


def _number(answers: Mapping[str, object], key: str) -> Decimal:
    return answer_number(answers.get(key)) or Decimal(0)


def _failure_count(section: SectionDefinition, answers: SectionAnswers) -> int:
    return len(section_failures(section.checks, answers, section.shown_keys(answers)))


def _meet_check(
    section: SectionDefinition, check: Check, answers: SectionAnswers, today: date
) -> SectionAnswers:
    """``answers`` changed so ``check`` passes, the way that leaves the fewest checks failing
    (the first way on a tie); unchanged when no valid change makes it pass."""
    fields = section.fields_by_key
    best, best_count = answers, _failure_count(section, answers)
    for changes in _ways_to_meet(check, answers, fields, today):
        trial = {**answers, **changes}
        if check.failure(trial, section.shown_keys(trial)):
            continue
        count = _failure_count(section, trial)
        if best is answers or count < best_count:
            best, best_count = trial, count
    return best


def _ways_to_meet(
    check: Check, answers: SectionAnswers, fields: Mapping[str, FieldDefinition], today: date
) -> list[dict[str, Any]]:
    """Changes (answers by key) that might make ``check`` pass, most natural first."""

    def stored(key: str, number: Decimal) -> Any:
        return _stored_if_valid(fields[key], number, today)

    ways: list[dict[str, Any]] = []

    def add(changes: dict[str, Any]) -> None:
        if all(value is not None for value in changes.values()):
            ways.append(changes)

    match check:
        case SumEquals(fields=parts, equals=equals) | SumNotMoreThan(fields=parts, than=equals):
            exactly = isinstance(check, SumEquals)
            total = sum((_number(answers, key) for key in parts), Decimal(0))
            if isinstance(equals, str):
                # The whole made of its parts, when the whole may be that big.
                add({equals: stored(equals, total)})
                limit = _number(answers, equals)
            else:
                limit = equals
            lowest = {key: stored(key, _lowest(fields[key])) for key in parts}
            for key in parts:
                # One part takes up the difference, the others as they are or at their lowest.
                others = total - _number(answers, key)
                share = limit - others
                add({key: stored(key, share if exactly else min(share, _number(answers, key)))})
                others_lowest = sum((_lowest(fields[other]) for other in parts if other != key), 0)
                share = limit - others_lowest
                if not exactly:
                    share = min(share, _number(answers, key))
                add({**lowest, key: stored(key, share)})
        case NotMoreThan(field=key, than=than):
            limit = _number(answers, than) if isinstance(than, str) else than
            add({key: stored(key, limit)})
            if isinstance(than, str):
                add({than: stored(than, _number(answers, key))})
            add({key: stored(key, _lowest(fields[key]))})
        case ColumnTotalNotMoreThan():
            add(_smaller_rows(check, answers, fields, today))
        case NotBefore(field=key, than=earliest_key):
            day, earliest = answer_date(answers.get(key)), answer_date(answers.get(earliest_key))
            if day is not None and earliest is not None:
                add({key: _stored_date(fields[key], earliest, today)})
                add({earliest_key: _stored_date(fields[earliest_key], day, today)})
                add(
                    {
                        key: _stored_date(fields[key], today, today),
                        earliest_key: _stored_date(fields[earliest_key], today, today),
                    }
                )
    return ways


def _stored_date(definition: FieldDefinition, day: date, today: date) -> str | None:
    return day.isoformat() if _is_valid(definition, day, today) else None


def _smaller_rows(
    check: ColumnTotalNotMoreThan,
    answers: SectionAnswers,
    fields: Mapping[str, FieldDefinition],
    today: date,
) -> dict[str, Any]:
    """The group with each row's cell cut to its share of the limit (or the column's lowest)."""
    group = fields[check.group]
    rows = answers.get(check.group)
    if not isinstance(group, RepeatingGroupDefinition) or not isinstance(rows, list) or not rows:
        return {}
    column = group.column(check.column)
    limit = _number(answers, check.than) if isinstance(check.than, str) else check.than
    share = max(_lowest(column), (limit / len(rows)).to_integral_value(rounding="ROUND_FLOOR"))
    stored = _stored_if_valid(column, share, today)
    if stored is None:
        stored = _stored_if_valid(column, _lowest(column), today)
    if stored is None:
        return {}
    return {
        check.group: [{**row, check.column: stored} if check.column in row else row for row in rows]
    }
