"""What a save of a section changes: only the answers it carries, rows by their stable ids.

A browser posts the whole section form, but a save must never lose an answer it did not carry
(a crafted or partial post, a field that failed to read, a row another tab added). So a save is
read into a ``PostedSection``: the answers it carried, each row it carried by the row's id, and
an explicit row action. ``merge_posted`` applies it to the answers saved now, and
``conflicting_answers`` says which answers it would overwrite that changed after the version
the person started from. Pure functions: the portal calls them inside its save operation.

An answer counts as carried when its input was posted and read cleanly: a checkbox group
always posts a blank marker so that unticking every box still counts; radios cannot be
unticked in a browser, so a missing radio means "not carried". A row is carried when its id
was posted; its cells follow the same rule. A carried row left with no answers is dropped (the
GOV.UK "add another" pattern), rows not carried stay as saved, and a row goes away otherwise
only through an explicit remove action naming its id.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from wtforms import Form
from wtforms.fields import Field

from forms.answers import (
    Answer,
    SectionAnswers,
    encode_answer,
    identified_rows,
    stored_rows,
    without_hidden_answers,
)
from forms.fields import ROW_ID_KEY, RepeatingGroupField, answer_fields_of_row, is_row_id
from forms.schema import RepeatingGroupDefinition, SectionDefinition

_EDITOR_TOKEN = re.compile(r"[0-9a-f]{16}", re.ASCII)

# answer_versions key for "every answer not named here changed at this version at the latest":
# written for sections saved before each answer's version was kept.
ALL_OTHER_ANSWERS = "*"


class RowActionKind(StrEnum):
    ADD = "add_row"
    REMOVE = "remove_row"


@dataclass(frozen=True)
class RowAction:
    """An explicit change to a table's rows: add a blank row, or remove the row with this id."""

    kind: RowActionKind
    group: str
    row_id: str | None = None


def parse_row_action(action: str, section: SectionDefinition) -> RowAction | None:
    """``add_row:<group>`` or ``remove_row:<group>:<row id>`` for an editable table of this
    section; anything else (a plain save, a made-up group, a malformed id) is None."""
    parts = action.split(":")
    if len(parts) not in (2, 3):
        return None
    try:
        kind = RowActionKind(parts[0])
        group = section.get_field(parts[1])
    except (ValueError, KeyError):
        return None
    if not isinstance(group, RepeatingGroupDefinition) or group.fixed_rows:
        return None
    if kind is RowActionKind.ADD:
        return RowAction(kind, group.key) if len(parts) == 2 else None
    if len(parts) == 3 and is_row_id(parts[2]):
        return RowAction(kind, group.key, parts[2])
    return None


@dataclass(frozen=True)
class PostedRow:
    """One row as posted: its id (None for a new row), the cells it carried, and the place
    the post gave it (which only fixed rows, that have no ids of their own, go by)."""

    row_id: str | None
    cells: dict[str, Answer]
    carried_cells: frozenset[str]
    place: int = 0


@dataclass(frozen=True)
class PostedSection:
    """What one save carries for one section."""

    answers: dict[str, Answer] = field(default_factory=dict)
    carried: frozenset[str] = frozenset()
    rows: dict[str, list[PostedRow]] = field(default_factory=dict)
    row_action: RowAction | None = None
    editor: str | None = None  # the page the save came from (see ``conflicting_answers``)


def _was_posted(name: str, formdata: Container[str]) -> bool:
    return name in formdata


def _held_back(field: Field) -> bool:
    """A field the form hid for its conditions, or one a failed check across fields compares
    (forms.builder): its saved answer stays as it is."""
    return getattr(field, "hidden_by_conditions", False) or getattr(
        field, "held_back_by_check", False
    )


def _carried_cleanly(field: Field, posted_name: str, formdata: Container[str]) -> bool:
    return (
        _was_posted(posted_name, formdata)
        and not field.errors
        and not field.process_errors
        and not _held_back(field)
    )


def posted_section(
    section: SectionDefinition,
    form: Form,
    formdata: Container[str],
    row_action: RowAction | None = None,
    editor: str | None = None,
) -> PostedSection:
    """Read a processed (and validated) draft form into what the save carries."""
    answers: dict[str, Answer] = {}
    carried: set[str] = set()
    rows: dict[str, list[PostedRow]] = {}
    for definition in section.answer_fields:
        if definition.read_only:
            continue
        form_field = form[definition.key]
        if isinstance(definition, RepeatingGroupDefinition):
            assert isinstance(form_field, RepeatingGroupField)
            if _held_back(form_field):
                continue
            posted_rows = _posted_rows(definition, form_field, formdata)
            if posted_rows:
                rows[definition.key] = posted_rows
                carried.add(definition.key)
            continue
        if not _carried_cleanly(form_field, form_field.name, formdata):
            continue
        carried.add(definition.key)
        value = encode_answer(definition, form_field.data)
        if value is not None:
            answers[definition.key] = value
    return PostedSection(answers, frozenset(carried), rows, row_action, editor)


def _posted_rows(
    definition: RepeatingGroupDefinition, group: RepeatingGroupField, formdata: Container[str]
) -> list[PostedRow]:
    rows = []
    # Entries past the posted places are blank rows the form added itself: nothing posted.
    for entry, place in zip(group.entries, group.posted_places, strict=False):
        row_form = entry.form
        posted_name = f"{group.name}-{place}-"
        cells: dict[str, Answer] = {}
        carried_cells: set[str] = set()
        for column in definition.columns:
            if column.read_only:
                continue
            cell = row_form[column.key]
            if not _carried_cleanly(cell, posted_name + column.key, formdata):
                continue
            carried_cells.add(column.key)
            value = encode_answer(column, cell.data)
            if value is not None:
                cells[column.key] = value
        if not carried_cells and not _was_posted(posted_name + ROW_ID_KEY, formdata):
            continue
        row_id = row_form[ROW_ID_KEY].data
        rows.append(PostedRow(row_id, cells, frozenset(carried_cells), place))
    return rows


def new_row_id() -> str:
    """A fresh row id: 12 hexadecimal characters, never like a positional id (``p3``)."""
    return secrets.token_hex(6)


def merge_posted(
    section: SectionDefinition,
    saved: Mapping[str, object],
    posted: PostedSection,
    *,
    make_row_id: Callable[[], str] = new_row_id,
) -> SectionAnswers:
    """The section's answers after this save: what was saved, with only what the save carried
    changed, and its row action applied."""
    merged: dict[str, Any] = dict(saved)
    for definition in section.answer_fields:
        key = definition.key
        if isinstance(definition, RepeatingGroupDefinition):
            rows = _merged_rows(definition, saved.get(key), posted, make_row_id)
            if rows is None:
                continue
            if rows:
                merged[key] = rows
            else:
                merged.pop(key, None)
            continue
        if key not in posted.carried:
            continue
        if key in posted.answers:
            merged[key] = posted.answers[key]
        else:
            merged.pop(key, None)
    # An answer the save did not carry may belong to a question its answers now hide.
    return without_hidden_answers(section, merged)


def _merged_rows(
    definition: RepeatingGroupDefinition,
    saved_value: object,
    posted: PostedSection,
    make_row_id: Callable[[], str],
) -> list[dict[str, Any]] | None:
    """The group's rows after the save, or None when the save leaves the group untouched."""
    action = posted.row_action
    if action is not None and action.group != definition.key:
        action = None
    posted_rows = posted.rows.get(definition.key, [])
    removing = action.row_id if action and action.kind is RowActionKind.REMOVE else None
    if not posted_rows and removing is None:
        return None
    try:
        saved_rows = stored_rows(definition, saved_value)
    except ValueError:
        saved_rows = []
    rows: list[dict[str, Any]] = []
    position: dict[str, int] = {}
    for row_id, row in identified_rows(list(saved_rows)):
        position[row_id] = len(rows)
        rows.append({**row, ROW_ID_KEY: row_id})
    blanked: set[str] = set()
    if definition.fixed_rows:
        # Fixed rows (last PEP's targets) are matched by their place: their ids and read-only
        # cells come from storage only, and no row is added.
        for posted_row in posted_rows:
            if posted_row.place < len(rows):
                _apply_cells(rows[posted_row.place], posted_row)
        return rows
    for posted_row in posted_rows:
        known = posted_row.row_id is not None and posted_row.row_id in position
        if known:
            row = rows[position[posted_row.row_id]]
            _apply_cells(row, posted_row)
            if not _has_answers(definition, row):
                blanked.add(row[ROW_ID_KEY])
            continue
        if not posted_row.cells:
            continue  # a blank new row: nothing to keep
        row_id = posted_row.row_id if posted_row.row_id is not None else make_row_id()
        while row_id in position:
            row_id = make_row_id()
        position[row_id] = len(rows)
        rows.append({ROW_ID_KEY: row_id, **posted_row.cells})
    kept = [row for row in rows if row[ROW_ID_KEY] not in blanked and row[ROW_ID_KEY] != removing]
    return kept[: definition.max_rows]


def _apply_cells(row: dict[str, Any], posted_row: PostedRow) -> None:
    for column in posted_row.carried_cells:
        if column in posted_row.cells:
            row[column] = posted_row.cells[column]
        else:
            row.pop(column, None)


def _has_answers(definition: RepeatingGroupDefinition, row: Mapping[str, Any]) -> bool:
    return any(row.get(column.key) is not None for column in definition.columns)


def changed_answers(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """The keys whose answers differ, in order."""
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def answer_version(answer_versions: Mapping[str, int], key: str) -> int:
    """The section version at which an answer last changed (0: never since it was created)."""
    if key in answer_versions:
        return int(answer_versions[key])
    return int(answer_versions.get(ALL_OTHER_ANSWERS, 0))


def conflicting_answers(
    changed: list[str],
    answer_versions: Mapping[str, int],
    answer_editors: Mapping[str, str],
    based_on_version: int,
    editor: str | None,
) -> list[str]:
    """The answers this save would overwrite that someone (anyone, the same person in another
    tab included) changed after the version the save started from. Only the same page's own
    earlier save does not count: an autosave still on its way back when the person pressed
    Save holds older typing from that very page."""
    return [
        key
        for key in changed
        if answer_version(answer_versions, key) > based_on_version
        and (editor is None or answer_editors.get(key) != editor)
    ]


def versions_after_save(
    answer_versions: Mapping[str, int], changed: list[str], new_version: int
) -> dict[str, int]:
    return {**answer_versions, **dict.fromkeys(changed, new_version)}


def editors_after_save(
    answer_editors: Mapping[str, str], changed: list[str], editor: str | None
) -> dict[str, str]:
    kept = {key: value for key, value in answer_editors.items() if key not in changed}
    return {**kept, **dict.fromkeys(changed, editor)} if editor else kept


def new_editor_token() -> str:
    """Identifies one load of a section form (one tab's page), carried in a hidden input."""
    return secrets.token_hex(8)


def read_editor_token(value: object) -> str | None:
    return value if isinstance(value, str) and _EDITOR_TOKEN.fullmatch(value) else None


def give_new_rows_ids(form: Form, *, make_row_id: Callable[[], str] = new_row_id) -> None:
    """Give every row on the page that has no id yet (a blank row to type into) a fresh one,
    before it is rendered: the id travels with the row, so saving it twice (an autosave, then
    a button) updates one row rather than adding two."""
    for form_field in form:
        if isinstance(form_field, RepeatingGroupField):
            for entry in form_field.entries:
                row_id = entry.form[ROW_ID_KEY]
                if row_id.data is None:
                    row_id.data = make_row_id()


def show_row_change(
    form: Form,
    action: RowAction,
    saved_before: Mapping[str, object],
    posted: PostedSection | None = None,
) -> None:
    """Mark on the form what the page must do after a row action, for a keyboard or screen
    reader user: a row added gets a blank row whose first box takes focus; a row removed puts
    focus on a sentence at the top of its table that says which one went."""
    group = form[action.group]
    assert isinstance(group, RepeatingGroupField)
    definition = group.definition
    if action.kind is RowActionKind.ADD:
        if len(group.entries) >= definition.max_rows:
            group.row_change = (
                f"You cannot add more than {definition.max_rows} "
                f"{definition.row_label_plural.lower()}."
            )
            return
        group.append_entry()
        first = next(
            (
                cell
                for cell in answer_fields_of_row(group.entries[-1].form)
                if not cell.definition.read_only
            ),
            None,
        )
        if first is not None:
            first.autofocus = True
        return
    # The number the person saw on the row ("Remove action 3"): its place on the page they
    # posted, or, for a post that did not carry the table, its place among the saved rows.
    places = [row.row_id for row in posted.rows.get(definition.key, [])] if posted else []
    if action.row_id not in places:
        try:
            rows = stored_rows(definition, saved_before.get(definition.key))
        except ValueError:
            rows = []
        places = [row_id for row_id, _row in identified_rows(list(rows))]
    if action.row_id in places:
        number = places.index(action.row_id) + 1
        group.row_change = f"{definition.row_label} {number} removed."
