"""Nothing acknowledged is ever lost, and no save ever answers with a server error.

Whatever a post to a section carries (hostile text, a partial form, made-up rows and actions, a
stale or missing version), every answer it did not carry cleanly stays exactly as saved, and
stale saves from other pages (the same person's other tabs included) are refused, never merged
over newer answers. Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import os
import re
import string
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select

from forms.answers import identified_rows
from forms.rows import new_editor_token
from forms.samples import sample_answers
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
)
from portal.extensions import db
from portal.form_registry import form_registry
from portal.models import AuditEvent, Child, Pep, PepSection, RoleGrant, School, User
from tests.conftest import DEMO_EMAILS, csrf_token_from
from tests.integration.pep_helpers import (
    form_fields,
    open_pep_id,
    page,
    post_form,
    replace_field,
    section_url,
    stored_section,
)
from workflows.roles import Role

OAKFIELD_DRAFT = "DCC-1106"  # Harry: Oakfield, a draft PEP the Oakfield teacher owns

# One open (draft) PEP per form, and the demo user who gets each owner role for it.
DRAFT_PER_FORM = {"school_age": "DCC-1201", "early_years": "DCC-1001", "post_16": "DCC-1401"}
OWNER_CLIENTS = {
    Role.DESIGNATED_TEACHER: "dt_oakfield",
    Role.SOCIAL_WORKER: "social_worker",
    Role.CARER: "carer",
}
RETIRED_ANSWER = ("retired_question", "An answer to a question a later version dropped")

ALLOWED_STATUSES = {200, 303, 400, 409}


def autosave(client, pep_id, key, data):
    return post_form(client, pep_id, key, [*data, ("autosave", "1")], {"HX-Request": "true"})


def with_row_ids(answers):
    """Answers with each row's id written in (rows saved without one are named by place)."""
    return {
        key: [{**row, "row_id": row_id} for row_id, row in identified_rows(value)]
        if isinstance(value, list) and value and isinstance(value[0], dict)
        else value
        for key, value in answers.items()
    }


def field_value(data, name):
    return next(value for key, value in data if key == name)


def saved_answers(app, pep_id):
    """Every section of the PEP: key -> (answers, version), read fresh."""
    with app.app_context():
        sections = db.session.scalars(
            select(PepSection).where(PepSection.pep_id == uuid.UUID(str(pep_id)))
        )
        return {s.section_key: (copy.deepcopy(s.answers), s.version) for s in sections}


def saved_audit_count(app, action="pep.section_saved"):
    with app.app_context():
        return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


def set_answers(app, pep_id, section_key, answers):
    with app.app_context():
        stored = db.session.scalar(
            select(PepSection).where(
                PepSection.pep_id == uuid.UUID(str(pep_id)), PepSection.section_key == section_key
            )
        )
        stored.answers = copy.deepcopy(answers)
        db.session.commit()


def give_owner_roles(app):
    """The demo teacher, social worker and carer take their roles for one draft of each form."""
    with app.app_context():
        users = {
            who: db.session.scalar(select(User).where(User.email == DEMO_EMAILS[who]))
            for who in OWNER_CLIENTS.values()
        }
        for reference in DRAFT_PER_FORM.values():
            child = db.session.scalar(select(Child).where(Child.authority_reference == reference))
            school = db.session.get(School, child.current_school_id)
            grants = [
                (users["dt_oakfield"], Role.DESIGNATED_TEACHER, {"school_id": school.id}),
                (users["social_worker"], Role.SOCIAL_WORKER, {"child_id": child.id}),
                (users["carer"], Role.CARER, {"child_id": child.id}),
            ]
            for user, role, where in grants:
                exists = db.session.scalar(
                    select(RoleGrant).filter_by(user_id=user.id, role=role.value, **where)
                )
                if exists is None:
                    db.session.add(RoleGrant(user_id=user.id, role=role.value, **where))
        db.session.commit()


def fill_every_section(app, pep_id, sections):
    """Every editable section answered in full (rows without stored ids, as older saves left
    them), with an answer to a question no longer asked, so every save has plenty to lose."""
    with app.app_context():
        for section in sections:
            stored = db.session.scalar(
                select(PepSection).where(
                    PepSection.pep_id == uuid.UUID(str(pep_id)),
                    PepSection.section_key == section.key,
                )
            )
            answers = sample_answers(section, today=date.today())
            for definition in section.fields:
                if isinstance(definition, RepeatingGroupDefinition) and definition.fixed_rows:
                    example = (answers.get(definition.key) or [{}])[0]
                    carried = stored.answers.get(definition.key) or []
                    answers[definition.key] = [{**example, **row} for row in carried]
                    if not answers[definition.key]:
                        del answers[definition.key]
            # As a person could have saved them: no answer to a question not asked.
            assert hidden_answers(section, answers) == [], section.key
            stored.answers = {**answers, RETIRED_ANSWER[0]: RETIRED_ANSWER[1]}
        db.session.commit()


# --------------------------------------------------------------------------------------------
# Arbitrary posts
# --------------------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "Vet\x00nurse",
    "\x00\x01\x02\x07\x08\x0b\x0c\x1b\x7f\x85",
    "\r\n\t",
    "\u200f\u202eRight to left\u202c",
    "\ufeff\u2028\u2029",
    "\U0001f469\u200d\U0001f467\u200d\U0001f466 \U0001f600",
    "<script>alert(1)</script>",
    "{{ 7 * 7 }}",
    "Robert'); DROP TABLE pep_sections;--",
    "²",
    "0",
    "-1",
    "1e9999",
    "NaN",
    "yes",
    "2026-02-30",
    "p1",
]
# 10,000 characters of one kind: far past every length limit.
very_long_text = st.sampled_from(["x", "\u00e9", "\U0001f600", "\u202e"]).map(lambda c: c * 10_000)
any_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    very_long_text,
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
)
letters = st.text(string.ascii_letters, min_size=1, max_size=12)


# Names no page posts, which look like a table's cells.
JUNK_ROW_NAMES = [
    "{group}-²-name",
    "{group}-\u0661-name",
    "{group}--1-name",
    "{group}-1x-name",
    "{group}-" + "9" * 30 + "-name",
    "{group}-3-no_such_column",
    "{group}-²",
    "{group}",
    "{group}-",
]


KINDS = ["junk", "blank", "valid"]  # what a post carried for an answer, least change first
CHANGING = {"blank", "valid"}


@dataclass
class Posted:
    """What one generated post carried, as the test knows it."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    # field key -> what the post carried for it: "valid" (may change the answer), "blank"
    # (may clear it) or "junk" (can never read cleanly)
    fields: dict[str, str] = field(default_factory=dict)
    # group key -> row id -> {column key: kind, as above} for the rows posted with that id
    rows: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def valid_values(definition: FieldDefinition):
    """Values that may read cleanly (or blank, which clears): the answer may change."""
    match definition:
        case ShortTextDefinition() | LongTextDefinition():
            return st.one_of(any_text, st.text(string.printable, max_size=30)).map(lambda v: [v])
        case WholeNumberDefinition():
            return st.integers(-5, 120).map(lambda v: [str(v)])
        case PercentageDefinition():
            return st.sampled_from(["92.5", "0", "100", "", " 55 % "]).map(lambda v: [v])
        case MoneyDefinition():
            return st.sampled_from(["150.00", "0", "£1,200.5", ""]).map(lambda v: [v])
        case DateDefinition():
            return st.sampled_from(
                [[date.today().isoformat()], ["1", "2", "2026"], [""], ["", "", ""], ["3 Mar 2026"]]
            )
        case YesNoDefinition():
            return st.sampled_from(["yes", "no", ""]).map(lambda v: [v])
        case CheckboxesDefinition():
            return st.lists(st.sampled_from(definition.option_values), max_size=3).map(
                lambda chosen: ["", *chosen]
            )
        case ChoiceDefinition():
            return st.sampled_from([*definition.option_values, ""]).map(lambda v: [v])
    raise AssertionError(definition)


def junk_values(definition: FieldDefinition):
    """Values that can never read cleanly for this field: the saved answer must stay."""
    match definition:
        case ShortTextDefinition() | LongTextDefinition():
            limit = definition.max_length
            return st.sampled_from(["x", "\u00e9", "\U0001f600"]).map(lambda c: [c * (limit + 1)])
        case WholeNumberDefinition() | PercentageDefinition() | MoneyDefinition():
            return st.one_of(letters, st.just("<script>alert(x)</script>")).map(lambda v: [v])
        case DateDefinition():
            return letters.map(lambda v: [v])
        case YesNoDefinition():
            return (
                st.one_of(letters, st.just("²"))
                .filter(lambda v: v.strip() and v not in ("yes", "no"))
                .map(lambda v: [v])
            )
        case CheckboxesDefinition():
            return any_text.filter(lambda v: v and v not in definition.option_values).map(
                lambda v: ["", v]
            )
        case ChoiceDefinition():
            return (
                st.one_of(letters, st.sampled_from(HOSTILE_TEXT))
                .filter(lambda v: v.strip() and v not in definition.option_values)
                .map(lambda v: [v])
            )
    raise AssertionError(definition)


def draw_answer(data, definition):
    """What a post carries for one answer: (kind, values), or (None, []) when not posted. A
    read-only cell is posted (tampered with) or not: it is never carried."""
    if definition.read_only:
        tampered = data.draw(st.one_of(st.none(), any_text))
        return (None, []) if tampered is None else ("junk", [tampered])
    kind = data.draw(st.sampled_from(["absent", "absent", "valid", "junk"]))
    if kind == "absent":
        return None, []
    values = data.draw(valid_values(definition) if kind == "valid" else junk_values(definition))
    if kind == "valid" and not any(character.isalnum() for value in values for character in value):
        kind = "blank"  # nothing but spaces, marks and controls: may read as no answer
    return kind, values


def draw_cell(data, definition, name, carried, key):
    kind, values = draw_answer(data, definition)
    if kind is not None:
        carried[key] = kind
    return [(name, value) for value in values]


def draw_post(data, section: SectionDefinition, before: dict) -> Posted:
    posted = Posted()
    for definition in section.answer_fields:
        if not isinstance(definition, RepeatingGroupDefinition):
            if definition.read_only:
                continue
            posted.pairs += draw_cell(
                data, definition, definition.key, posted.fields, definition.key
            )
            continue
        group = definition
        if data.draw(st.integers(0, 3)) == 0:
            continue  # the table not posted at all
        saved_ids = [row_id for row_id, _row in identified_rows(before.get(group.key) or [])]
        posted_rows = posted.rows.setdefault(group.key, {})
        # How the rows go: 0, as a page posts them (every saved row with its id at places
        # 0, 1, 2..., then new ones); 1, at places 0, 1, 2... with any ids; 2 and 3, at any
        # places, gaps and all. Each row drawn has a place, an id and its cells.
        how = data.draw(st.integers(0, 3))
        drawn = [
            (
                data.draw(st.integers(0, 8 if how < 3 else 45)),
                data.draw(row_id_choice(saved_ids)),
                {column.key: draw_answer(data, column) for column in group.columns},
            )
            for _row in range(data.draw(st.integers(0, 5)))
        ]
        if how == 0:
            rows = [
                (number, row_id, drawn[number][2] if number < len(drawn) else {})
                for number, row_id in enumerate(saved_ids)
            ] + [
                (number, uuid.uuid4().hex[:12], cells)
                for number, (_place, _id, cells) in enumerate(drawn)
                if number >= len(saved_ids)
            ]
        elif how == 1:
            rows = [(number, row_id, cells) for number, (_place, row_id, cells) in enumerate(drawn)]
        else:
            rows = list({place: (place, row_id, cells) for place, row_id, cells in drawn}.values())
        for place, row_id, answers in rows:
            prefix = f"{group.key}-{place}"
            if row_id is not None:
                posted.pairs.append((f"{prefix}-row_id", row_id))
            cells: dict[str, str] = {}
            for column_key, (kind, values) in answers.items():
                if kind is None:
                    continue
                posted.pairs += [(f"{prefix}-{column_key}", value) for value in values]
                if not group.column(column_key).read_only:
                    cells[column_key] = kind
            # Fixed rows (no ids of their own) go by their place, other rows by their id.
            if group.fixed_rows:
                target = saved_ids[place] if place < len(saved_ids) else None
            else:
                target = row_id
            if target in saved_ids:
                known = posted_rows.setdefault(target, {})
                for key, kind in cells.items():
                    # The same row posted twice: the kind that could change most counts.
                    known[key] = max(kind, known.get(key, "junk"), key=KINDS.index)
        if data.draw(st.booleans()):
            junk_name = data.draw(st.sampled_from(JUNK_ROW_NAMES)).format(group=group.key)
            posted.pairs.append((junk_name, data.draw(any_text)))
    return posted


def saved_row(saved_ids):
    """A saved row's id by its number. Draws keep one shape whatever is saved: Hypothesis
    replays an example on whatever the examples before it left saved."""
    return st.integers(0, 7).map(lambda n: saved_ids[n % len(saved_ids)] if saved_ids else "p1")


def row_id_choice(saved_ids):
    """A saved row's id, a fresh one, junk, or none at all (a row the page had no id for)."""
    return st.one_of(
        saved_row(saved_ids),
        saved_row(saved_ids),
        st.none(),
        st.builds(lambda: uuid.uuid4().hex[:12]),
        any_text,
    )


def draw_action(data, section, before):
    groups = [f.key for f in section.answer_fields if isinstance(f, RepeatingGroupDefinition)]
    names = [*groups, *groups, *groups, "made_up_table", section.answer_fields[0].key]
    ids = [row_id for key in groups for row_id, _row in identified_rows(before.get(key) or [])]
    removal = st.tuples(
        st.sampled_from(names),
        st.integers(0, 9).flatmap(
            # A saved row, else an id no row has (digits: a place is no id), else junk.
            lambda n: (
                saved_row(ids)
                if n < 5
                else st.sampled_from(["1", "0", "2", "p9", "²"])
                if n < 9
                else any_text
            )
        ),
    ).map(lambda pair: f"remove_row:{pair[0]}:{pair[1]}")
    others = st.one_of(
        st.none(),
        st.sampled_from(["save", "continue"]),
        st.sampled_from(names).map(lambda g: f"add_row:{g}"),
        any_text,
    )
    # Removals often: a row must go only when its own id is named.
    return data.draw(st.integers(0, 9).flatmap(lambda n: removal if n >= 6 else others))


def hidden_answers(section: SectionDefinition, answers: dict) -> list[str]:
    """Answers kept to questions not shown for the answers around them (a field or a table's
    column whose shown_if does not hold): a PEP never keeps one."""
    shown = section.shown_keys(answers)
    hidden = []
    for key, value in answers.items():
        definition = section.fields_by_key.get(key)
        if definition is None:
            continue  # an answer to no question (a retired one) is kept as it is
        if key not in shown:
            hidden.append(key)
        elif isinstance(definition, RepeatingGroupDefinition) and isinstance(value, list):
            for row_id, row in identified_rows(value):
                columns = definition.shown_columns(row)
                hidden += [
                    f"{key}: row {row_id}, {column}"
                    for column in row
                    if column in definition.columns_by_key and column not in columns
                ]
    return hidden


def assert_kept(section, before, after, posted: Posted, action):
    """Every answer the post did not carry cleanly is exactly as saved, unless the post's own
    answers hide its question (a question shown for the saved answers, not for the answers
    after the post): then it is discarded, as a question no longer asked keeps no answer."""
    shown_before = section.shown_keys(before)
    shown_after = section.shown_keys(after)
    for key, value in before.items():
        try:
            definition = section.get_field(key)
        except KeyError:
            assert after.get(key) == value, f"{key}: an answer to no question was lost"
            continue
        if key in shown_before and key not in shown_after:
            assert key not in after, f"{key}: an answer to a question the post hid was kept"
            continue
        if not isinstance(definition, RepeatingGroupDefinition):
            if posted.fields.get(key) not in CHANGING:
                assert after.get(key) == value, (key, posted.fields.get(key), value, after.get(key))
            continue
        group = definition
        after_rows = dict(identified_rows(after.get(key) or []))
        for row_id, row in identified_rows(value):
            if not group.fixed_rows and action == f"remove_row:{key}:{row_id}":
                continue  # removed on request
            carried = posted.rows.get(key, {}).get(row_id, {})
            editable = [c.key for c in group.columns if not c.read_only]
            # A row may be emptied by a post that blanks its answers and gives it none: what
            # is left of its saved answers once the blanked ones go is all hidden by them (a
            # reason for leaving once the leaving date is blanked). A cell with no saved
            # answer gives none when what was posted for it fails to read, "valid" or not (a
            # URN that is not 6 digits, text past its limit); one that reads keeps the row.
            left = {
                c.key: row[c.key]
                for c in group.columns
                if row.get(c.key) is not None
                and not (c.key in editable and carried.get(c.key) == "blank")
            }
            emptied = not set(left) & group.shown_columns(left)
            if not group.fixed_rows and emptied and row_id not in after_rows:
                continue  # emptied by the post: dropped, as asked
            assert row_id in after_rows, f"{key}: row {row_id} was lost ({row})"
            kept = after_rows[row_id]
            # Columns shown for the row as saved, hidden by the answers the post gave it.
            hidden_by_post = group.shown_columns(row) - group.shown_columns(kept)
            for column in group.columns:
                if carried.get(column.key) in CHANGING and not column.read_only:
                    continue
                if column.key in hidden_by_post:
                    assert column.key not in kept, (
                        f"{key}: row {row_id}, {column.key}: kept though the post hid it"
                    )
                    continue
                assert kept.get(column.key) == row.get(column.key), (
                    f"{key}: row {row_id}, {column.key}: {row.get(column.key)!r} became "
                    f"{kept.get(column.key)!r}"
                )


def ids_of(answers, key):
    rows = answers.get(key)
    return [row_id for row_id, _row in identified_rows(rows)] if isinstance(rows, list) else []


def has_table(section):
    return any(isinstance(f, RepeatingGroupDefinition) for f in section.answer_fields)


def editable_targets(app):
    """(form key, PEP id, section, client key) for every standard section an owner can edit."""
    targets = []
    with app.app_context():
        registry = form_registry()
        for form_key, reference in DRAFT_PER_FORM.items():
            pep_id = open_pep_id(app, reference)
            pep = db.session.get(Pep, pep_id)
            definition = registry.get(pep.form_key, pep.form_version)
            assert definition.key == form_key
            for section in definition.sections:
                if section.section_type is SectionType.STANDARD and section.owner in OWNER_CLIENTS:
                    targets.append((form_key, pep_id, section, OWNER_CLIENTS[section.owner]))
    return targets


SETUP = pytest.StashKey[dict]()


@settings(
    max_examples=int(os.environ.get("OPENPEP_SAVE_EXAMPLES", "200")),
    deadline=None,
    # CI replays the same examples every run, so a landing never depends on luck; a developer's
    # run explores new ones (and keeps any failure in .hypothesis/ to replay).
    derandomize=bool(os.environ.get("CI")),
    # What an example does depends on what the examples before it saved: shrinking one
    # replays it on other answers, so a failure is reported as found, not made smaller.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_post_loses_an_answer_it_did_not_carry_cleanly(data, seeded, client_for, request):
    state = request.node.stash.setdefault(SETUP, {})
    if not state:
        give_owner_roles(seeded)
        targets = editable_targets(seeded)
        for pep_id in {target[1] for target in targets}:
            fill_every_section(seeded, pep_id, [t[2] for t in targets if t[1] == pep_id])
        clients = {who: client_for(who) for who in OWNER_CLIENTS.values()}
        tokens = {who: csrf_token_from(client, "/children") for who, client in clients.items()}
        state.update(targets=targets, clients=clients, tokens=tokens, page=new_editor_token())
        # Every form and every owner role is covered.
        assert {t[0] for t in targets} == set(DRAFT_PER_FORM)
        assert {t[3] for t in targets} == set(OWNER_CLIENTS.values())

    # Sections with tables are drawn more often: rows are where places could mislead.
    with_tables = [t for t in state["targets"] if has_table(t[2])]
    form_key, pep_id, section, who = data.draw(
        st.one_of(st.sampled_from(with_tables), st.sampled_from(state["targets"])),
        label="section",
    )
    everything_before = saved_answers(seeded, pep_id)
    before, version = everything_before[section.key]
    posted = draw_post(data, section, before)
    action = draw_action(data, section, before)
    pairs = [("csrf_token", state["tokens"][who]), *posted.pairs]
    if action is not None:
        pairs.append(("action", action))
    # Mostly the version the page showed, so that most posts get as far as saving.
    posted_version = data.draw(
        st.integers(0, 9).flatmap(
            lambda n: (
                st.just(str(version))
                if n < 7
                else st.one_of(
                    st.none(),
                    st.sampled_from([str(version - 1), "0", "-1", "²", "99999999999", " 1 "]),
                    any_text,
                )
            )
        ),
        label="version",
    )
    if posted_version is not None:
        pairs.append(("version", posted_version))
    editor = data.draw(
        st.one_of(st.none(), st.just(state["page"]), st.just(new_editor_token()), any_text),
        label="editor",
    )
    if editor is not None:
        pairs.append(("editor", editor))
    headers = {}
    if data.draw(st.booleans(), label="autosave"):
        pairs.append(("autosave", "1"))
        headers = {"HX-Request": "true"}
    if data.draw(st.booleans(), label="shuffled"):
        pairs = data.draw(st.permutations(pairs), label="order")

    response = post_form(state["clients"][who], pep_id, section.key, pairs, headers)

    assert response.status_code in ALLOWED_STATUSES, (form_key, section.key, response.status_code)
    event(f"answered {response.status_code}")
    tables = [f.key for f in section.answer_fields if isinstance(f, RepeatingGroupDefinition)]
    if any(
        action == f"remove_row:{key}:{row_id}" for key in tables for row_id in ids_of(before, key)
    ):
        event("names a saved row to remove")
    everything_after = saved_answers(seeded, pep_id)
    after, _version = everything_after[section.key]
    # Other sections are never touched.
    for key, saved in everything_before.items():
        if key != section.key:
            assert everything_after[key] == saved, key
    if response.status_code == 409:
        assert after == before  # refused: nothing saved at all
    # No answer to a question not asked is ever kept (so none is in what the next post finds).
    assert hidden_answers(section, after) == []
    assert_kept(section, before, after, posted, action)
    assert "\\u0000" not in json.dumps(after)  # no NUL saved, on either database
    for definition in section.answer_fields:
        if isinstance(definition, RepeatingGroupDefinition):
            rows = after.get(definition.key) or []
            assert len(rows) <= definition.max_rows
            assert len({row_id for row_id, _ in identified_rows(rows)}) == len(rows)


# --------------------------------------------------------------------------------------------
# Hostile characters
# --------------------------------------------------------------------------------------------


def test_a_nul_character_is_never_a_server_error_and_never_stored(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    data = form_fields(page(client, section_url(pep_id, "meeting_details")))
    assert "attendees-0-name" in dict(data)
    data = replace_field(data, "meeting_venue", "The\x00 library")
    data = replace_field(data, "attendees-0-name", "Ann\x00 Lee")
    response = post_form(client, pep_id, "meeting_details", [*data, ("action", "save")])
    assert response.status_code in (200, 303, 400)
    saved = stored_section(seeded, pep_id, "meeting_details").answers
    assert saved["meeting_venue"] == "The library"
    assert saved["attendees"][0]["name"] == "Ann Lee"
    assert "\x00" not in json.dumps(saved) and "\\u0000" not in json.dumps(saved)

    # Everywhere else a NUL can go: a number, a date, a choice, a row id, the hidden inputs.
    version = str(stored_section(seeded, pep_id, "meeting_details").version)
    hostile = [
        ("meeting_date", "\x00"),
        ("child_participation", "\x00"),
        ("attendees-0-row_id", "\x00"),
        ("attendees-0-attendance", "\x00"),
        ("version", version + "\x00"),
        ("editor", "\x00" * 16),
    ]
    for name, value in hostile:
        data = form_fields(page(client, section_url(pep_id, "meeting_details")))
        data = replace_field(data, name, value)
        for action in ("save", "add_row:attendees", "remove_row:attendees:\x00", "\x00"):
            response = post_form(client, pep_id, "meeting_details", [*data, ("action", action)])
            assert response.status_code in (200, 303, 400, 409), (name, action)
            response = autosave(client, pep_id, "meeting_details", data)
            assert response.status_code in (200, 409), (name, "autosave")
    saved = stored_section(seeded, pep_id, "meeting_details").answers
    assert "\x00" not in json.dumps(saved) and "\\u0000" not in json.dumps(saved)
    assert saved["meeting_venue"] == "The library"


# --------------------------------------------------------------------------------------------
# Partial posts and row actions
# --------------------------------------------------------------------------------------------


def test_a_save_carrying_no_answers_keeps_the_attendees(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    before = stored_section(seeded, pep_id, "meeting_details")
    assert len(before.answers["attendees"]) >= 2
    token = csrf_token_from(client, section_url(pep_id, "meeting_details"))
    for action in ("save", "continue"):
        version = stored_section(seeded, pep_id, "meeting_details").version
        response = post_form(
            client,
            pep_id,
            "meeting_details",
            [
                ("csrf_token", token),
                ("version", str(version)),
                ("editor", new_editor_token()),
                ("action", action),
            ],
        )
        assert response.status_code == 303
        assert stored_section(seeded, pep_id, "meeting_details").answers == before.answers


def test_removing_a_row_named_by_a_superscript_two_removes_nothing(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    before = stored_section(seeded, pep_id, "meeting_details").answers
    data = form_fields(page(client, section_url(pep_id, "meeting_details")))
    assert len(before["attendees"]) >= 2
    for action in ("remove_row:attendees:²", "remove_row:attendees:1²", "remove_row:attendees:1"):
        response = post_form(client, pep_id, "meeting_details", [*data, ("action", action)])
        # The page again (no row of it has that id), never "saved" as if it had gone.
        assert response.status_code in (200, 400), action
        html = response.get_data(as_text=True)
        assert all(str(escape(row["name"])) in html for row in before["attendees"]), action
        after = stored_section(seeded, pep_id, "meeting_details").answers
        assert with_row_ids(after) == with_row_ids(before), action
        data = form_fields(html)


def remove_button(html, number):
    """The row id the page's "Remove" button for row ``number`` (from 1) names."""
    found = re.findall(
        r'value="remove_row:attendees:([0-9a-z]+)"[^>]*>\s*Remove [^<]* (\d+)<', html
    )
    return dict((int(n), row_id) for row_id, n in found)[number]


def test_removing_the_second_filled_row_among_blank_rows_leaves_the_others_as_they_were(
    client_for, seeded
):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    # One row with its id, the others saved before rows had ids (named by place until saved).
    attendees = [
        {"row_id": "a1", "name": "Ann Lee", "role": "Designated teacher"},
        {"name": "Bob Stone", "role": "Social worker"},
        {"name": "Cat Reyes", "role": "Carer", "attendance": "sent_views"},
        {"name": "Dev Patel", "attendance": "attended_online"},
    ]
    set_answers(seeded, pep_id, "meeting_details", {"attendees": attendees})
    html = page(client, section_url(pep_id, "meeting_details"))
    # "Add another": a blank row to type into; the person fills it and adds another.
    response = post_form(
        client, pep_id, "meeting_details", [*form_fields(html), ("action", "add_row:attendees")]
    )
    assert response.status_code == 200
    data = replace_field(
        form_fields(response.get_data(as_text=True)), "attendees-4-name", "Eve Hart"
    )
    response = post_form(
        client, pep_id, "meeting_details", [*data, ("action", "add_row:attendees")]
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    data = form_fields(html)
    assert field_value(data, "attendees-5-name") == ""  # the blank row is posted too
    assert field_value(data, "attendees-5-row_id")  # with the id the page gave it
    before = stored_section(seeded, pep_id, "meeting_details").answers["attendees"]
    assert [row["name"] for row in before] == [
        "Ann Lee",
        "Bob Stone",
        "Cat Reyes",
        "Dev Patel",
        "Eve Hart",
    ]
    second = remove_button(html, 2)
    assert second == before[1]["row_id"]

    response = post_form(
        client, pep_id, "meeting_details", [*data, ("action", f"remove_row:attendees:{second}")]
    )

    assert response.status_code == 200
    after = stored_section(seeded, pep_id, "meeting_details").answers["attendees"]
    assert after == [before[0], *before[2:]]  # ids and every cell exactly as they were
    html = response.get_data(as_text=True)
    assert "Bob Stone" not in html and "Eve Hart" in html


# --------------------------------------------------------------------------------------------
# Tabs of one person
# --------------------------------------------------------------------------------------------

TABS = 20


@pytest.mark.parametrize("how", ["button", "autosave"])
def test_of_twenty_tabs_saving_one_answer_only_the_first_wins(how, client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    key = "transitions_aspirations"
    pages = [form_fields(page(client, section_url(pep_id, key))) for _ in range(TABS)]
    editors = {field_value(data, "editor") for data in pages}
    assert len(editors) == TABS  # each page load is its own page
    assert len({field_value(data, "version") for data in pages}) == 1
    saves_before = saved_audit_count(seeded)

    for number, data in enumerate(pages):
        mine = f"Tab {number} says: wants to be a vet"
        data = replace_field(data, "aspirations", mine)
        if how == "autosave":
            response = autosave(client, pep_id, key, data)
        else:
            response = post_form(client, pep_id, key, [*data, ("action", "save")])
        html = response.get_data(as_text=True)
        if number == 0:
            assert response.status_code == (200 if how == "autosave" else 303)
        elif how == "autosave":
            assert response.status_code == 409, number
            assert "Not saved" in html
            assert "<html" not in html
        else:
            assert response.status_code == 409, number
            assert str(escape(mine)) in html  # this page's answer
            assert str(escape("Tab 0 says: wants to be a vet")) in html  # the saved one
        assert stored_section(seeded, pep_id, key).answers["aspirations"] == (
            "Tab 0 says: wants to be a vet"
        ), number
    assert saved_audit_count(seeded) == saves_before + 1


def test_two_tabs_changing_different_answers_from_one_version_both_save(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    key = "transitions_aspirations"
    first = form_fields(page(client, section_url(pep_id, key)))
    second = form_fields(page(client, section_url(pep_id, key)))
    before = stored_section(seeded, pep_id, key).answers

    def only(data, name, value):
        keep = ("csrf_token", "version", "editor")
        return [(k, v) for k, v in data if k in keep] + [(name, value), ("action", "save")]

    response = post_form(client, pep_id, key, only(first, "aspirations", "Wants to be a vet"))
    assert response.status_code == 303
    response = post_form(client, pep_id, key, only(second, "enrichment", "Chess club"))
    assert response.status_code == 303
    after = stored_section(seeded, pep_id, key).answers
    assert after == {**before, "aspirations": "Wants to be a vet", "enrichment": "Chess club"}


def test_a_whole_page_from_another_tab_never_undoes_the_first_tabs_answer(client_for, seeded):
    """A browser posts every field: the second tab's old text for the first tab's answer is a
    change of that answer, so the second save is refused with both versions, never merged."""
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    key = "transitions_aspirations"
    first = form_fields(page(client, section_url(pep_id, key)))
    second = form_fields(page(client, section_url(pep_id, key)))
    response = post_form(
        client, pep_id, key, [*replace_field(first, "aspirations", "A vet"), ("action", "save")]
    )
    assert response.status_code == 303
    saved = stored_section(seeded, pep_id, key).answers
    response = post_form(
        client, pep_id, key, [*replace_field(second, "enrichment", "Chess"), ("action", "save")]
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "A vet" in html and "Chess" in html  # both versions shown
    assert stored_section(seeded, pep_id, key).answers == saved


def test_my_own_autosave_then_my_button_save_keeps_the_newer_text(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    key = "transitions_aspirations"
    data = form_fields(page(client, section_url(pep_id, key)))
    before = stored_section(seeded, pep_id, key)
    typed = replace_field(data, "aspirations", "Vet")
    typed = replace_field(typed, "enrichment", "Chess")
    assert autosave(client, pep_id, key, typed).status_code == 200
    # The button press still carries the version the page was loaded with.
    more = replace_field(typed, "aspirations", "Vet, or a zookeeper")
    response = post_form(client, pep_id, key, [*more, ("action", "save")])
    assert response.status_code == 303
    after = stored_section(seeded, pep_id, key)
    assert after.answers == {
        **before.answers,
        "aspirations": "Vet, or a zookeeper",
        "enrichment": "Chess",
    }
    assert after.version == before.version + 2


# --------------------------------------------------------------------------------------------
# Saves at the same moment
# --------------------------------------------------------------------------------------------

THREADS = 10


def test_simultaneous_saves_of_one_answer_end_in_one_save_and_refusals(client_for, seeded):
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    key = "transitions_aspirations"
    clients = [client_for("dt_oakfield") for _ in range(THREADS)]
    pages = [form_fields(page(client, section_url(pep_id, key))) for client in clients]
    before = stored_section(seeded, pep_id, key)
    start = threading.Barrier(THREADS)
    outcomes: dict[int, tuple[int, str]] = {}

    def save(number):
        data = [
            *replace_field(pages[number], "aspirations", f"Answer {number}"),
            ("action", "save"),
        ]
        start.wait()
        try:
            response = post_form(clients[number], pep_id, key, data)
            outcomes[number] = (response.status_code, response.get_data(as_text=True))
        except BaseException as problem:  # recorded, so the test says which
            outcomes[number] = (599, repr(problem))

    threads = [threading.Thread(target=save, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    statuses = sorted(status for status, _html in outcomes.values())
    assert len(outcomes) == THREADS
    assert all(status < 500 for status in statuses), [
        html[:300] for status, html in outcomes.values() if status >= 500
    ]
    winners = [number for number, (status, _html) in outcomes.items() if status == 303]
    assert len(winners) == 1, statuses
    assert statuses.count(409) == THREADS - 1, statuses
    after = stored_section(seeded, pep_id, key)
    assert after.answers == {**before.answers, "aspirations": f"Answer {winners[0]}"}
    assert after.version == before.version + 1


# --------------------------------------------------------------------------------------------
# Posts no page sends, which must still lose nothing
# --------------------------------------------------------------------------------------------


def test_a_row_place_that_only_looks_like_a_number_is_no_server_error(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    before = stored_section(seeded, pep_id, "meeting_details").answers
    data = form_fields(page(client, section_url(pep_id, "meeting_details")))
    response = post_form(
        client, pep_id, "meeting_details", [*data, ("attendees-²-name", "x"), ("action", "save")]
    )
    assert response.status_code in (200, 303, 400)
    after = stored_section(seeded, pep_id, "meeting_details").answers
    assert with_row_ids(after) == with_row_ids(before)


def test_rows_posted_at_places_with_gaps_lose_nothing(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    set_answers(
        seeded,
        pep_id,
        "meeting_details",
        {
            "attendees": [
                {"row_id": "a1", "name": "Ann Lee", "role": "Designated teacher"},
                {"row_id": "b2", "name": "Bob Stone", "role": "Social worker"},
                {"row_id": "c3", "name": "Cat Reyes", "role": "Carer"},
            ]
        },
    )
    stored = stored_section(seeded, pep_id, "meeting_details")
    token = csrf_token_from(client, section_url(pep_id, "meeting_details"))
    response = post_form(
        client,
        pep_id,
        "meeting_details",
        [
            ("csrf_token", token),
            ("version", str(stored.version)),
            ("attendees-1-row_id", "c3"),
            ("attendees-1-name", "Catherine Reyes"),
            ("attendees-1-role", "Foster carer"),
            ("attendees-5-row_id", "b2"),
            ("action", "save"),
        ],
    )
    assert response.status_code in (200, 303, 400)
    assert stored_section(seeded, pep_id, "meeting_details").answers["attendees"] == [
        {"row_id": "a1", "name": "Ann Lee", "role": "Designated teacher"},
        {"row_id": "b2", "name": "Bob Stone", "role": "Social worker"},
        {"row_id": "c3", "name": "Catherine Reyes", "role": "Foster carer"},
    ]


def test_a_post_carrying_one_fixed_row_changes_that_row_only(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    key = "review_previous_targets"
    rows = stored_section(seeded, pep_id, key).answers["previous_targets"]
    assert len(rows) >= 2
    stored = stored_section(seeded, pep_id, key)
    token = csrf_token_from(client, section_url(pep_id, key))
    second_id = identified_rows(rows)[1][0]
    response = post_form(
        client,
        pep_id,
        key,
        [
            ("csrf_token", token),
            ("version", str(stored.version)),
            ("previous_targets-1-row_id", second_id),
            ("previous_targets-1-evidence", "Joined the chess club"),
            ("action", "save"),
        ],
    )
    assert response.status_code in (200, 303, 400)
    after = stored_section(seeded, pep_id, key).answers["previous_targets"]
    assert [{k: v for k, v in row.items() if k != "row_id"} for row in after[:1]] == [
        {k: v for k, v in rows[0].items() if k != "row_id"}
    ]
    assert after[1]["evidence"] == "Joined the chess club"
