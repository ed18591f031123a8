"""What the document says, gathered from the PEP's own form definition: plain data, no Word.

Keeping this apart from the Word writer means every form (and every version of it) exports
without special code, and the wording can be tested without opening a document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from forms.answers import AnswerFormatError, computed_totals, decode_answer, stored_rows
from forms.field_types.calculated import CalculatedDefinition
from forms.fields import format_date_for_people
from forms.schema import (
    FactDefinition,
    FieldDefinition,
    MoneyDefinition,
    RepeatingGroupDefinition,
    SectionDefinition,
    SectionType,
    UnknownFormError,
)
from portal.academic import Term
from portal.exports.trail import TrailEntry
from portal.form_registry import definition_for, pep_child_facts
from portal.models import Pep
from portal.peps.presenters import NOT_ANSWERED, display_value, total_text
from workflows.pep import PepEvent, PepState
from workflows.pep_types import PepType
from workflows.quality import Judgement, load_qa_criteria, load_scales

UK = ZoneInfo("Europe/London")
DRAFT_MARKING = "DRAFT: not the signed-off record"
CLASSIFICATION = "OFFICIAL-SENSITIVE"

# What each party confirms by acting: the words the sign-off table records against their name.
STATEMENTS: dict[PepEvent, str] = {
    PepEvent.SUBMITTED: "I confirm this PEP reflects the meeting and is complete.",
    PepEvent.RESUBMITTED: "I confirm this PEP reflects the meeting and is complete.",
    PepEvent.APPROVED: "I have checked this PEP and approve it.",
    PepEvent.SIGNED_OFF: "The Virtual School has quality-assured this PEP and signed it off.",
}
PHASE_LABELS = {"early_years": "Early years", "school_age": "School age", "post_16": "Post-16"}
# A return sends the PEP back: confirmations made before it no longer stand.
_RESETS = frozenset({PepEvent.RETURNED.value, PepEvent.QA_RETURNED.value})


@dataclass(frozen=True)
class QuestionAnswer:
    question: str
    answer: str
    source: str = ""  # where a fact came from, e.g. "From the child's record"


@dataclass(frozen=True)
class Table:
    """A repeating group (or any list of rows): a real table with a header row."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    totals: tuple[tuple[str, str], ...] = ()
    empty_text: str = "None recorded."


@dataclass(frozen=True)
class Subheading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    emphasis: bool = False


Block = QuestionAnswer | Table | Subheading | Paragraph


@dataclass(frozen=True)
class SectionContent:
    title: str
    completed_by: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class PepDocumentContent:
    """Everything the document shows, in order."""

    authority_name: str
    form_title: str
    phase_label: str
    term_label: str
    cover: tuple[tuple[str, str], ...]
    sections: tuple[SectionContent, ...]
    signoffs: Table
    history: Table
    draft: bool
    generated_at: datetime
    properties: Mapping[str, str] = field(default_factory=dict)


def uk_datetime(moment: datetime) -> str:
    """ "27 March 2026 at 10:42": UK local time, as people in England read it."""
    local = moment.astimezone(UK)
    return f"{format_date_for_people(local.date())} at {local:%H:%M}"


def answer_text(definition: FieldDefinition, stored: object) -> str:
    """An answer as people read it; money in pounds with pence and thousands separators."""
    if isinstance(definition, MoneyDefinition) and stored not in (None, ""):
        try:
            value = decode_answer(definition, stored)
        except (AnswerFormatError, ValueError, TypeError):
            value = None
        if isinstance(value, Decimal):
            return f"£{value:,.2f}"
    return display_value(definition, stored)


def _row_cells(definition: RepeatingGroupDefinition, row: Mapping[str, Any]) -> tuple[str, ...]:
    """A row's answers; a column not asked in this row (its shown_if is false) is left blank."""
    shown = definition.shown_columns(row)
    return tuple(
        answer_text(column, row.get(column.key)) if column.key in shown else ""
        for column in definition.columns
    )


def _group_table(definition: RepeatingGroupDefinition, stored: object) -> Table:
    try:
        rows = stored_rows(definition, stored)
    except AnswerFormatError:
        rows = []
    return Table(
        title=definition.label,
        headers=tuple(column.label for column in definition.columns),
        rows=tuple(_row_cells(definition, row) for row in rows),
        empty_text=f"No {definition.row_label_plural.lower()} recorded.",
    )


def _field_blocks(
    section: SectionDefinition, answers: Mapping[str, Any], facts: Mapping[str, object]
) -> list[Block]:
    blocks: list[Block] = []
    totals = computed_totals(section, answers)
    # A question not asked for these answers (its shown_if is false) is left out of the record.
    shown = section.shown_keys(answers)
    for definition in section.fields:
        if definition.key not in shown:
            continue
        if isinstance(definition, CalculatedDefinition):
            blocks.append(
                QuestionAnswer(definition.label, definition.display(answers, section.fields_by_key))
            )
        elif isinstance(definition, FactDefinition):
            value = facts.get(definition.source.value)
            text = format_date_for_people(value) if isinstance(value, date) else str(value or "")
            blocks.append(
                QuestionAnswer(
                    definition.label,
                    text or NOT_ANSWERED,
                    f"From the child's record ({definition.source.label})",
                )
            )
        elif isinstance(definition, RepeatingGroupDefinition):
            table = _group_table(definition, answers.get(definition.key))
            group_totals = tuple(
                (total.label, total_text(definition, total, totals[total.key]))
                for total in definition.computed_totals
                if total.key in totals
            )
            blocks.append(
                Table(table.title, table.headers, table.rows, group_totals, table.empty_text)
            )
        else:
            blocks.append(
                QuestionAnswer(
                    definition.label, answer_text(definition, answers.get(definition.key))
                )
            )
    return blocks


def _voice_blocks(
    pep: Pep, section: SectionDefinition, answers: Mapping[str, Any], first_name: str
) -> list[Block]:
    blocks: list[Block] = []
    band = answers.get("band")
    voice_answers = answers.get("answers")
    note = getattr(pep, "child_voice_note", None)
    absent_reason = getattr(pep, "child_voice_absent_reason", None)
    if band and isinstance(voice_answers, Mapping) and voice_answers:
        try:
            voice_section = section.voice_section(band)
        except (UnknownFormError, KeyError, ValueError):
            voice_section = None
        if voice_section is not None:
            # The child's words are theirs: labelled as such and never reworded.
            blocks.append(Subheading(f"In {first_name}'s own words"))
            blocks.extend(_field_blocks(voice_section, voice_answers, {}))
    elif absent_reason:
        blocks.append(
            Paragraph(f"{first_name}'s views could not be gathered for this PEP.", emphasis=True)
        )
        blocks.append(QuestionAnswer("Why the views could not be gathered", absent_reason))
    else:
        blocks.append(Paragraph(f"{first_name}'s views have not been recorded yet.", emphasis=True))
    if note:
        # Staff's words, kept apart from the child's so nobody mistakes one for the other.
        blocks.append(Subheading("How the views were gathered"))
        blocks.append(Paragraph(note))
    return blocks


def _qa_blocks(answers: Mapping[str, Any], settings: Mapping[str, Any]) -> list[Block]:
    scales = load_scales()
    scale_key = answers.get("scale") or settings.get("QA_SCALE") or scales.default
    scale = scales.scales.get(scale_key, scales.default_scale)
    rating_key = answers.get("rating")
    if rating_key not in scale.keys and not answers.get("judgements"):
        return [Paragraph("The Virtual School has not quality-assured this PEP yet.", True)]
    blocks: list[Block] = []
    if rating_key in scale.keys:
        rating = scale.rating(rating_key)
        rating_text = (
            f"{rating.label}: {rating.description}" if rating.description else rating.label
        )
    else:
        rating_text = NOT_ANSWERED
    blocks.append(QuestionAnswer(f"Rating ({scale.title.lower()})", rating_text))
    judgements = answers.get("judgements") or {}
    rows = []
    for criterion in load_qa_criteria().criteria:
        value = judgements.get(criterion.key) if isinstance(judgements, Mapping) else None
        try:
            label = Judgement(value).label if value else "Not judged"
        except ValueError:
            label = "Not judged"
        rows.append((criterion.title, label))
    blocks.append(Table("Criteria", ("What the reviewer checked", "Judgement"), tuple(rows)))
    blocks.append(QuestionAnswer("Feedback", answers.get("feedback") or "No feedback given."))
    return blocks


def _state_label(pep: Pep, trail: Sequence[TrailEntry], draft: bool) -> str:
    # A record shows the state it was made in, so rebuilding it later (after it has been
    # superseded) gives the same document; a draft shows the PEP as it is now.
    state = pep.state
    if not draft:
        moved = [entry.target for entry in trail if entry.target]
        state = moved[-1] if moved else state
    try:
        return PepState(state).label
    except ValueError:
        return str(state)


def signoff_table(trail: Sequence[TrailEntry]) -> Table:
    """Each confirmation that stands: after the last return, who confirmed what, and when."""
    standing: list[TrailEntry] = []
    for entry in trail:
        if entry.event in _RESETS:
            standing = []
        elif entry.event in STATEMENTS:
            standing.append(entry)
    return Table(
        "Sign-off",
        ("Role", "Name", "Date and time", "Statement confirmed"),
        tuple(
            (
                entry.role_label or "",
                entry.who,
                uk_datetime(entry.occurred_at),
                STATEMENTS[PepEvent(entry.event)],
            )
            for entry in standing
            if entry.event
        ),
        empty_text="No one has confirmed this PEP yet.",
    )


def history_table(trail: Sequence[TrailEntry]) -> Table:
    rows = []
    for entry in trail:
        if entry.action == "pep.started":
            what = "Started"
        else:
            try:
                what = PepEvent(entry.event or "").timeline_label
            except ValueError:
                what = str(entry.event)
        rows.append(
            (
                what,
                entry.who,
                entry.role_label or "",
                uk_datetime(entry.occurred_at),
                entry.reason or "",
            )
        )
    return Table(
        "History",
        ("What happened", "Who", "Role", "When", "Reason"),
        tuple(rows),
        empty_text="No history recorded.",
    )


def _meeting_date(pep: Pep, answers: Mapping[str, Mapping[str, Any]]) -> str:
    if pep.meeting_date:
        return format_date_for_people(pep.meeting_date)
    stored = answers.get("meeting_details", {}).get("meeting_date")
    try:
        return format_date_for_people(date.fromisoformat(str(stored))) if stored else "Not set"
    except ValueError:
        return "Not set"


def _date_text(value: object) -> str:
    return format_date_for_people(value) if isinstance(value, date) else "Not recorded"


def _pep_type_label(pep: Pep) -> str:
    # A PEP not yet saved (a sample) has no type until the column's default applies: termly.
    try:
        return PepType(pep.pep_type or PepType.TERMLY.value).label
    except ValueError:
        return str(pep.pep_type)


def gather_content(
    pep: Pep,
    trail: Sequence[TrailEntry],
    *,
    settings: Mapping[str, Any],
    draft: bool,
    generated_at: datetime,
    readable: frozenset[str] | None = None,
) -> PepDocumentContent:
    """The document's content for this PEP, from the form definition it was started on.
    With `readable`, only those sections (a carer's draft) and no reasons in the history."""
    generated_at = generated_at.astimezone(UTC)
    # Only what had happened by the time of generation: a record rebuilt later must not pick up
    # its own supersession or later downloads.
    trail = [entry for entry in trail if entry.occurred_at <= generated_at]
    definition = definition_for(pep)
    # Year group as it was in the PEP's own academic year, not on the day of rebuilding; a
    # signed-off PEP keeps the child's name, dates, references, school, year group and legal
    # status it was signed off with, so its record rebuilds the same after the child's changes.
    facts = pep_child_facts(pep)
    answers = {section.section_key: dict(section.answers or {}) for section in pep.sections}
    sections = []
    for section in definition.sections:
        if readable is not None and section.key not in readable:
            continue
        stored = answers.get(section.key, {})
        if section.section_type is SectionType.CHILD_VOICE:
            blocks = _voice_blocks(pep, section, stored, str(facts["first_name"]))
        elif section.section_type is SectionType.QUALITY_ASSURANCE:
            blocks = _qa_blocks(stored, settings)
        else:
            blocks = _field_blocks(section, stored, facts)
        sections.append(SectionContent(section.title, section.owner.label, tuple(blocks)))
    authority = str(settings.get("AUTHORITY_NAME") or "Local authority")
    term = pep.term_label
    cover = (
        ("Child's name", str(facts["child_name"])),
        ("Date of birth", _date_text(facts["date_of_birth"])),
        ("Local authority reference", str(facts["local_authority_reference"])),
        ("School or setting", str(facts["school_name"])),
        ("Year group", str(facts["year_group"])),
        # A care detail: in the staff's whole record, not in a carer's draft.
        *((("Legal status", str(facts["legal_status"])),) if readable is None else ()),
        ("Term", term),
        ("Type of PEP", _pep_type_label(pep)),
        ("PEP meeting date", _meeting_date(pep, answers)),
        ("Status", _state_label(pep, trail, draft)),
        ("Form", f"{definition.title} (version {definition.version})"),
        ("Document generated", uk_datetime(generated_at)),
    )
    # Document properties travel with the file (search indexes, email previews): they name the
    # authority and the PEP, never the child.
    properties = {
        "title": f"Personal Education Plan \u2013 {term}",  # an en dash, as in print
        "subject": f"{definition.title}, {term}" + (" (draft)" if draft else ""),
        "author": authority,
        "keywords": CLASSIFICATION,
        "category": CLASSIFICATION,
        "content_status": "Draft" if draft else "Signed-off record",
        "identifier": str(pep.id) if pep.id else "",
    }
    return PepDocumentContent(
        authority_name=authority,
        form_title=definition.title,
        phase_label=PHASE_LABELS.get(definition.phase.value, definition.title),
        term_label=term,
        cover=cover,
        sections=tuple(sections),
        signoffs=signoff_table(trail),
        history=history_table(
            trail if readable is None else [replace(entry, reason=None) for entry in trail]
        ),
        draft=draft,
        generated_at=generated_at,
        properties=properties,
    )


def term_slug(pep: Pep) -> str:
    """ "autumn-2026": for file names."""
    return f"{Term(pep.term).value}-{pep.academic_year}"
