"""What a save changes (forms/rows.py): only the answers it carries, rows by their stable ids,
row actions only on real editable tables, and stale saves judged answer by answer."""

from collections.abc import Iterable

import pytest

from forms.answers import FormData, form_from_answers
from forms.builder import build_section_form
from forms.fields import is_row_id
from forms.rows import (
    ALL_OTHER_ANSWERS,
    PostedRow,
    PostedSection,
    RowAction,
    RowActionKind,
    answer_version,
    changed_answers,
    conflicting_answers,
    editors_after_save,
    give_new_rows_ids,
    merge_posted,
    new_editor_token,
    new_row_id,
    parse_row_action,
    posted_section,
    read_editor_token,
    versions_after_save,
)

ANN = {"row_id": "a1", "name": "Ann Lee", "role": "Designated teacher"}
BOB = {"row_id": "b2", "name": "Bob Stone", "role": "Social worker", "attendance": "sent_views"}
CAT = {"row_id": "c3", "name": "Cat Reyes", "role": "Carer", "attendance": "attended_online"}
MEETING = {
    "meeting_venue": "The school library",
    "meeting_date": "2026-03-02",
    "child_participation": "whole_meeting",
    "attendees": [ANN, BOB, CAT],
    # An answer to a question a later form version dropped: no save may lose it either.
    "retired_question": "Kept for the record",
}


@pytest.fixture(scope="module")
def school_age(registry):
    return registry.get("school_age", 1)


@pytest.fixture(scope="module")
def meeting(school_age):
    return school_age.section("meeting_details")


@pytest.fixture(scope="module")
def previous_targets(school_age):
    return school_age.section("review_previous_targets")


def save(section, saved, pairs: Iterable[tuple[str, str]], action="save", editor=None):
    """What the portal stores after this post: read as the view reads it, then merged."""
    formdata = FormData(pairs)
    form = form_from_answers(
        build_section_form(section, draft=True), section, saved, formdata=formdata
    )
    form.validate()
    posted = posted_section(section, form, formdata, parse_row_action(action, section), editor)
    return merge_posted(section, saved, posted, make_row_id=iter(["n0", "n1", "n2", "n3"]).__next__)


def row_pairs(number, row, *, with_id=True, cells=("name", "role", "attendance")):
    pairs = [(f"attendees-{number}-row_id", row.get("row_id", ""))] if with_id else []
    return pairs + [(f"attendees-{number}-{cell}", row.get(cell, "")) for cell in cells]


def browser_post(rows):
    """Every row as the page shows it, blank rows included, at consecutive places."""
    pairs = []
    for number, row in enumerate(rows):
        pairs += row_pairs(number, row)
    return pairs


# --------------------------------------------------------------------------------------------
# parse_row_action
# --------------------------------------------------------------------------------------------


def test_a_row_action_names_an_editable_table_of_the_section(meeting):
    assert parse_row_action("add_row:attendees", meeting) == RowAction(
        RowActionKind.ADD, "attendees"
    )
    assert parse_row_action("remove_row:attendees:3f2a9c01b2d4", meeting) == RowAction(
        RowActionKind.REMOVE, "attendees", "3f2a9c01b2d4"
    )
    # Rows saved before rows had ids are named by their place.
    assert parse_row_action("remove_row:attendees:p2", meeting) == RowAction(
        RowActionKind.REMOVE, "attendees", "p2"
    )


@pytest.mark.parametrize(
    "action",
    [
        "save",
        "continue",
        "",
        ":",
        "add_row",
        "add_row:",
        "remove_row:attendees",
        "remove_row:attendees:",
        "add_row:nothing_like_this",
        "remove_row:nothing_like_this:a1",
        "add_row:meeting_venue",  # a question, not a table
        "remove_row:meeting_venue:a1",
        "add_row:attendees:a1",  # adding takes no id
        "remove_row:attendees:1:2",
        "remove_row:attendees:a1:",
        "ADD_ROW:attendees",
        "delete_row:attendees:a1",
        " add_row:attendees",
        "add_row:Attendees",
    ],
)
def test_anything_else_is_no_row_action(action, meeting):
    assert parse_row_action(action, meeting) is None


@pytest.mark.parametrize(
    "row_id",
    [
        "²",  # superscript two: str.isdigit() says yes, int() says no
        "1²",
        "\u0661",  # Arabic-Indic digit one
        "\uff11",  # full-width digit one
        "ABC",
        "a-b",
        "a_b",
        "a b",
        " a1",
        "a1\n",
        "a1\x00",
        "é",
        "x" * 33,
        "<script>",
    ],
)
def test_a_malformed_row_id_is_no_row_action(row_id, meeting):
    assert "²".isdigit()  # why a digits test alone would let it through
    assert parse_row_action(f"remove_row:attendees:{row_id}", meeting) is None


def test_the_longest_row_id_is_accepted(meeting):
    action = parse_row_action("remove_row:attendees:" + "z" * 32, meeting)
    assert action is not None and action.row_id == "z" * 32


def test_fixed_rows_can_be_neither_added_nor_removed(previous_targets):
    assert parse_row_action("add_row:previous_targets", previous_targets) is None
    assert parse_row_action("remove_row:previous_targets:p1", previous_targets) is None


# --------------------------------------------------------------------------------------------
# merge_posted: answers
# --------------------------------------------------------------------------------------------


def test_only_the_carried_answers_change(meeting):
    merged = save(meeting, MEETING, [("meeting_venue", "The hall")])
    assert merged == {**MEETING, "meeting_venue": "The hall"}


def test_a_save_carrying_nothing_changes_nothing(meeting):
    assert save(meeting, MEETING, []) == MEETING
    assert merge_posted(meeting, MEETING, PostedSection()) == MEETING


def test_answers_are_merged_from_what_was_carried_not_from_the_form(meeting):
    """The form holds every saved answer too; only the posted ones are carried."""
    posted = PostedSection(answers={"meeting_venue": "The hall"}, carried=frozenset())
    assert merge_posted(meeting, MEETING, posted) == MEETING
    posted = PostedSection(answers={}, carried=frozenset({"meeting_venue"}))
    assert merge_posted(meeting, MEETING, posted) == {
        key: value for key, value in MEETING.items() if key != "meeting_venue"
    }


def test_a_blank_answer_clears_that_answer_only(meeting):
    merged = save(meeting, MEETING, [("meeting_venue", "   ")])
    assert "meeting_venue" not in merged
    assert merged == {key: value for key, value in MEETING.items() if key != "meeting_venue"}


def test_an_answer_that_did_not_read_is_not_carried(school_age):
    section = school_age.section("attendance_exclusions")
    saved = {"attendance_this_term": "91", "attendance_last_term": "88", "suspensions_this_term": 0}
    merged = save(
        section,
        saved,
        [
            ("attendance_this_term", "ninety"),  # cannot be read
            ("attendance_last_term", "101"),  # reads, but breaks the rule
            ("suspensions_this_term", "2"),
        ],
    )
    assert merged == {
        "attendance_this_term": "91",
        "attendance_last_term": "88",
        "suspensions_this_term": 2,
    }


def test_text_over_its_length_is_not_carried(school_age):
    section = school_age.section("transitions_aspirations")
    limit = section.get_field("aspirations").max_length
    saved = {"aspirations": "Vet"}
    assert save(section, saved, [("aspirations", "x" * (limit + 1))]) == saved
    assert save(section, saved, [("aspirations", "x" * limit)]) == {"aspirations": "x" * limit}


def test_a_choice_that_is_not_an_option_is_not_carried(meeting):
    merged = save(meeting, MEETING, [("child_participation", "<script>")])
    assert merged["child_participation"] == "whole_meeting"


def test_a_missing_radio_is_not_carried(school_age):
    section = school_age.section("transitions_aspirations")
    saved = {"upcoming_transition": "phase", "aspirations": "Vet"}
    assert save(section, saved, [("aspirations", "Nurse")]) == {
        "upcoming_transition": "phase",
        "aspirations": "Nurse",
    }


def test_unticking_every_checkbox_clears_them_through_the_blank_marker(school_age):
    section = school_age.section("health_wellbeing")
    saved = {"support_received": ["elsa", "other"], "sdq_score": 14}
    # Nothing ticked: only the hidden marker is posted.
    assert save(section, saved, [("support_received", "")]) == {"sdq_score": 14}
    # Not posted at all (a partial post): the ticks stay.
    assert save(section, saved, [("sdq_score", "15")]) == {
        "support_received": ["elsa", "other"],
        "sdq_score": 15,
    }
    # One left ticked.
    assert save(section, saved, [("support_received", ""), ("support_received", "other")]) == {
        "support_received": ["other"],
        "sdq_score": 14,
    }
    # A value that is no option is refused, and the ticks stay.
    assert save(section, saved, [("support_received", ""), ("support_received", "x")]) == saved


def test_facts_and_read_only_answers_are_never_carried(meeting, previous_targets):
    merged = save(meeting, MEETING, [("child_name", "Someone else")])
    assert merged == MEETING
    formdata = FormData([("child_name", "Someone else")])
    form = form_from_answers(
        build_section_form(meeting, draft=True), meeting, MEETING, formdata=formdata
    )
    form.validate()
    assert "child_name" not in posted_section(meeting, form, formdata).carried


# --------------------------------------------------------------------------------------------
# merge_posted: rows
# --------------------------------------------------------------------------------------------


def test_a_table_not_posted_keeps_its_rows(meeting):
    posted = PostedSection(carried=frozenset({"meeting_venue"}), answers={"meeting_venue": "Hall"})
    assert merge_posted(meeting, MEETING, posted)["attendees"] == [ANN, BOB, CAT]


def test_rows_are_updated_by_their_id_not_their_place(meeting):
    pairs = [
        *row_pairs(0, {**CAT, "name": "Catherine Reyes"}),
        *row_pairs(1, ANN),
    ]
    merged = save(meeting, MEETING, pairs)
    assert merged["attendees"] == [ANN, BOB, {**CAT, "name": "Catherine Reyes"}]
    assert {key: value for key, value in merged.items() if key != "attendees"} == {
        key: value for key, value in MEETING.items() if key != "attendees"
    }


def test_a_posted_row_carries_only_the_cells_it_posted(meeting):
    pairs = [("attendees-0-row_id", "b2"), ("attendees-0-role", "Team manager")]
    merged = save(meeting, MEETING, pairs)
    assert merged["attendees"] == [ANN, {**BOB, "role": "Team manager"}, CAT]


def test_blank_rows_among_filled_ones_add_nothing(meeting):
    blank = {"row_id": "f7e6d5c4b3a2"}
    merged = save(meeting, MEETING, browser_post([ANN, blank, BOB, {"row_id": "0a"}, CAT]))
    assert merged["attendees"] == [ANN, BOB, CAT]


def test_removing_the_second_filled_row_leaves_the_others_exactly_as_they_were(meeting):
    rows = [ANN, {"row_id": "e1"}, BOB, {"row_id": "e2"}, CAT, {"row_id": "e3"}]
    merged = save(meeting, MEETING, browser_post(rows), action="remove_row:attendees:b2")
    assert merged["attendees"] == [ANN, CAT]
    assert merged["attendees"][0] is not ANN  # a copy: the saved answers are not mutated
    assert MEETING["attendees"] == [ANN, BOB, CAT]


def test_removing_a_row_without_posting_the_table_removes_that_row_only(meeting):
    posted = PostedSection(row_action=RowAction(RowActionKind.REMOVE, "attendees", "b2"))
    assert merge_posted(meeting, MEETING, posted)["attendees"] == [ANN, CAT]


def test_removing_a_row_that_is_not_there_removes_nothing(meeting):
    for row_id in ("zz", "p2", "1"):
        merged = save(
            meeting, MEETING, browser_post([ANN, BOB, CAT]), action=f"remove_row:attendees:{row_id}"
        )
        assert merged["attendees"] == [ANN, BOB, CAT], row_id


def test_removing_the_last_row_removes_the_table_answer(meeting):
    saved = {"attendees": [ANN]}
    assert save(meeting, saved, browser_post([ANN]), action="remove_row:attendees:a1") == {}


def test_a_remove_action_for_another_table_leaves_this_one(school_age):
    section = school_age.section("attainment_progress")
    saved = {"subjects": [{"row_id": "a1", "subject": "Maths"}, {"row_id": "b2", "subject": "Art"}]}
    posted = PostedSection(row_action=RowAction(RowActionKind.REMOVE, "not_subjects", "a1"))
    assert merge_posted(section, saved, posted) == saved


def test_rows_saved_before_ids_are_named_by_place_until_saved(meeting):
    legacy = {"attendees": [{"name": "Ann Lee"}, {"name": "Bob Stone"}, {"name": "Cat Reyes"}]}
    merged = save(meeting, legacy, [], action="remove_row:attendees:p2")
    assert merged["attendees"] == [
        {"row_id": "p1", "name": "Ann Lee"},
        {"row_id": "p3", "name": "Cat Reyes"},
    ]
    # Once stored with their ids, a later removal by place-like id names the same rows.
    again = save(meeting, merged, [], action="remove_row:attendees:p3")
    assert again["attendees"] == [{"row_id": "p1", "name": "Ann Lee"}]


def test_a_new_row_with_its_id_saved_twice_stays_one_row(meeting):
    new = {"row_id": "5eed5eed5eed", "name": "Dan Oak"}
    once = save(meeting, MEETING, browser_post([ANN, BOB, CAT, new]))
    assert once["attendees"] == [ANN, BOB, CAT, {"row_id": "5eed5eed5eed", "name": "Dan Oak"}]
    # The autosave came back; the button press posts the page again, with more typed.
    twice = save(meeting, once, browser_post([ANN, BOB, CAT, {**new, "role": "Adviser"}]))
    assert twice["attendees"] == [
        ANN,
        BOB,
        CAT,
        {"row_id": "5eed5eed5eed", "name": "Dan Oak", "role": "Adviser"},
    ]
    # Even a save from the page as it was first loaded (the row posted without its cells' new
    # words) does not make a second row.
    thrice = save(meeting, twice, browser_post([ANN, BOB, CAT, new]))
    assert len(thrice["attendees"]) == 4


def test_a_new_row_without_an_id_gets_a_fresh_one_never_an_existing_one(meeting):
    posted = PostedSection(
        carried=frozenset({"attendees"}),
        rows={"attendees": [PostedRow(None, {"name": "Eve"}, frozenset({"name"}))]},
    )
    ids = iter(["b2", "a1", "e5"])  # the first two are taken
    merged = merge_posted(meeting, MEETING, posted, make_row_id=ids.__next__)
    assert merged["attendees"] == [ANN, BOB, CAT, {"row_id": "e5", "name": "Eve"}]


def test_a_posted_row_left_with_no_answers_is_dropped(meeting):
    pairs = [
        *row_pairs(0, ANN),
        *row_pairs(1, {"row_id": "b2"}),  # every cell emptied
        *row_pairs(2, CAT),
    ]
    assert save(meeting, MEETING, pairs)["attendees"] == [ANN, CAT]


def test_a_row_with_cells_not_posted_is_not_dropped(meeting):
    pairs = [("attendees-0-row_id", "b2"), ("attendees-0-name", "")]
    assert save(meeting, MEETING, pairs)["attendees"] == [
        ANN,
        {"row_id": "b2", "role": "Social worker", "attendance": "sent_views"},
        CAT,
    ]


def test_a_row_id_that_is_not_an_id_makes_a_new_row(meeting):
    pairs = [("attendees-0-row_id", "B2"), ("attendees-0-name", "Fay")]
    merged = save(meeting, MEETING, pairs)
    assert merged["attendees"] == [ANN, BOB, CAT, {"row_id": "n0", "name": "Fay"}]


def test_no_more_rows_than_the_table_allows(meeting):
    limit = meeting.get_field("attendees").max_rows
    saved = {"attendees": [{"row_id": f"r{n}", "name": f"Person {n}"} for n in range(limit)]}
    posted = PostedSection(
        carried=frozenset({"attendees"}),
        rows={
            "attendees": [
                PostedRow(f"new{n}", {"name": "New"}, frozenset({"name"})) for n in range(3)
            ]
        },
    )
    merged = merge_posted(meeting, saved, posted)
    assert merged["attendees"] == saved["attendees"]  # the saved rows, none pushed out

    one_short = {"attendees": saved["attendees"][:-1]}
    merged = merge_posted(meeting, one_short, posted)
    assert merged["attendees"] == [*one_short["attendees"], {"row_id": "new0", "name": "New"}]


# --------------------------------------------------------------------------------------------
# merge_posted: fixed rows (last PEP's targets)
# --------------------------------------------------------------------------------------------

TARGETS = {
    "previous_targets": [
        {"row_id": "t1", "target": "Read a chapter book", "due_by": "2026-02-01"},
        {"row_id": "t2", "target": "Join a club", "due_by": "2026-03-01", "outcome": "achieved"},
        {"target": "Times tables to 12", "evidence": "Weekly quiz"},
    ],
    "review_summary": "Good term",
}


def test_fixed_rows_take_answers_by_place_with_ids_and_read_only_cells_from_storage(
    previous_targets,
):
    pairs = []
    for number, row_id in enumerate(["zz", "t9", "q"]):  # tampered ids
        pairs += [
            (f"previous_targets-{number}-row_id", row_id),
            (f"previous_targets-{number}-target", "Tampered"),
            (f"previous_targets-{number}-due_by", "2020-01-01"),
            (f"previous_targets-{number}-outcome", "partly_achieved"),
        ]
    pairs += [("previous_targets-7-outcome", "achieved"), ("previous_targets-7-evidence", "Extra")]
    merged = save(previous_targets, TARGETS, pairs)
    rows = merged["previous_targets"]
    assert [row["row_id"] for row in rows] == ["t1", "t2", "p3"]
    assert [row["target"] for row in rows] == [row["target"] for row in TARGETS["previous_targets"]]
    assert [row.get("due_by") for row in rows] == ["2026-02-01", "2026-03-01", None]
    assert [row["outcome"] for row in rows] == ["partly_achieved"] * 3
    assert rows[2]["evidence"] == "Weekly quiz"  # not posted: kept
    assert merged["review_summary"] == "Good term"


def test_a_fixed_row_emptied_of_answers_stays(previous_targets):
    pairs = [
        ("previous_targets-0-row_id", "t1"),
        ("previous_targets-1-row_id", "t2"),
        ("previous_targets-1-outcome", ""),
        ("previous_targets-2-row_id", "p3"),
        ("previous_targets-2-evidence", ""),
    ]
    rows = save(previous_targets, TARGETS, pairs)["previous_targets"]
    assert len(rows) == 3
    assert "outcome" not in rows[1] and "evidence" not in rows[2]


def test_a_post_carrying_only_the_second_fixed_row_changes_only_that_row(previous_targets):
    pairs = [("previous_targets-1-row_id", "t2"), ("previous_targets-1-evidence", "Joined chess")]
    rows = save(previous_targets, TARGETS, pairs)["previous_targets"]
    assert rows[0] == {**TARGETS["previous_targets"][0]}
    assert rows[1]["evidence"] == "Joined chess"


# --------------------------------------------------------------------------------------------
# Row positions in the post
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "places",
    [(1, 5), (1, 2), (2, 1), (0, 2), (3, 0), (7, 9), (19, 20)],
    ids=lambda places: "-".join(map(str, places)),
)
def test_rows_posted_at_places_with_gaps_change_only_what_they_carry(places, meeting):
    """WTForms renumbers a table's rows 0, 1, 2... after reading them: what each row carried
    must still be read under the names it was posted with."""
    cat_place, bob_place = places
    pairs = [
        (f"attendees-{cat_place}-row_id", "c3"),
        (f"attendees-{cat_place}-name", "Catherine Reyes"),
        (f"attendees-{cat_place}-role", "Foster carer"),
        (f"attendees-{bob_place}-row_id", "b2"),  # Bob's row by its id alone: nothing to change
    ]
    merged = save(meeting, MEETING, pairs)
    assert merged["attendees"] == [
        ANN,
        BOB,
        {**CAT, "name": "Catherine Reyes", "role": "Foster carer"},
    ]


def test_a_new_row_posted_after_a_gap_is_added_once_with_only_its_cells(meeting):
    pairs = [
        ("attendees-0-row_id", "a1"),
        ("attendees-4-row_id", "9a9a9a9a"),
        ("attendees-4-name", "Gus Park"),
    ]
    merged = save(meeting, MEETING, pairs)
    assert merged["attendees"] == [ANN, BOB, CAT, {"row_id": "9a9a9a9a", "name": "Gus Park"}]


@pytest.mark.parametrize(
    "name",
    [
        "attendees-²-name",
        "attendees-\u0661-name",
        "attendees--1-name",
        "attendees-1x-name",
        "attendees-" + "9" * 30 + "-name",
        "attendees-²",
        "attendees",
        "attendees-",
    ],
)
def test_a_row_place_that_only_looks_like_a_number_is_read_safely(name, meeting):
    """``'²'.isdigit()`` is true but ``int('²')`` fails."""
    formdata = FormData([(name, "x"), ("meeting_venue", "Hall")])
    form = form_from_answers(
        build_section_form(meeting, draft=True), meeting, MEETING, formdata=formdata
    )
    form.validate()
    merged = merge_posted(meeting, MEETING, posted_section(meeting, form, formdata))
    assert merged == {**MEETING, "meeting_venue": "Hall"}


# --------------------------------------------------------------------------------------------
# posted_section
# --------------------------------------------------------------------------------------------


def test_posted_section_reads_rows_by_id_and_the_action_and_the_editor(meeting):
    editor = new_editor_token()
    formdata = FormData(
        [
            ("attendees-0-row_id", "c3"),
            ("attendees-0-name", "Cat R"),
            ("attendees-1-row_id", "not an id!"),
            ("attendees-1-role", "Nurse"),
        ]
    )
    form = form_from_answers(
        build_section_form(meeting, draft=True), meeting, MEETING, formdata=formdata
    )
    form.validate()
    action = parse_row_action("add_row:attendees", meeting)
    posted = posted_section(meeting, form, formdata, action, editor)
    assert posted.carried == frozenset({"attendees"})
    assert posted.answers == {}
    assert [(row.row_id, row.cells, row.carried_cells) for row in posted.rows["attendees"]] == [
        ("c3", {"name": "Cat R"}, frozenset({"name"})),
        (None, {"role": "Nurse"}, frozenset({"role"})),
    ]
    assert posted.row_action == action and posted.editor == editor


# --------------------------------------------------------------------------------------------
# Stale saves: conflicting_answers, versions_after_save, editors_after_save
# --------------------------------------------------------------------------------------------

PAGE_A = "0123456789abcdef"
PAGE_B = "fedcba9876543210"


def test_an_answer_changed_after_the_version_the_save_started_from_conflicts():
    versions = {"venue": 4, "date": 2}
    editors = {"venue": PAGE_A, "date": PAGE_A}
    assert conflicting_answers(["venue", "date"], versions, editors, 3, PAGE_B) == ["venue"]
    # At or before the version the page showed: no conflict.
    assert conflicting_answers(["venue", "date"], versions, editors, 4, PAGE_B) == []


def test_only_the_changed_answers_are_judged():
    versions = {"venue": 9, "date": 9}
    assert conflicting_answers(["date"], versions, {}, 1, PAGE_B) == ["date"]
    assert conflicting_answers([], versions, {}, 1, PAGE_B) == []


def test_the_same_pages_own_earlier_save_does_not_conflict():
    versions = {"venue": 4}
    assert conflicting_answers(["venue"], versions, {"venue": PAGE_A}, 3, PAGE_A) == []
    # Another tab of the same person is another page: a conflict.
    assert conflicting_answers(["venue"], versions, {"venue": PAGE_A}, 3, PAGE_B) == ["venue"]


def test_a_save_without_a_page_token_is_never_taken_for_an_own_save():
    versions = {"venue": 4}
    assert conflicting_answers(["venue"], versions, {}, 3, None) == ["venue"]
    assert conflicting_answers(["venue"], versions, {"venue": PAGE_A}, 3, None) == ["venue"]


def test_a_save_without_a_version_conflicts_with_every_answer_it_changes():
    assert conflicting_answers(["venue", "new"], {}, {}, -1, PAGE_B) == ["venue", "new"]


def test_sections_saved_before_answer_versions_use_the_catch_all_version():
    versions = {ALL_OTHER_ANSWERS: 5, "venue": 2}
    assert answer_version(versions, "venue") == 2
    assert answer_version(versions, "date") == 5
    assert answer_version({}, "date") == 0
    assert conflicting_answers(["venue", "date"], versions, {}, 3, PAGE_A) == ["date"]


def test_versions_after_save_move_only_the_changed_answers():
    before = {ALL_OTHER_ANSWERS: 2, "venue": 3, "date": 4}
    after = versions_after_save(before, ["venue", "attendees"], 6)
    assert after == {ALL_OTHER_ANSWERS: 2, "venue": 6, "date": 4, "attendees": 6}
    assert before == {ALL_OTHER_ANSWERS: 2, "venue": 3, "date": 4}


def test_editors_after_save_mark_the_changed_answers_with_this_page():
    before = {"venue": PAGE_A, "date": PAGE_A}
    assert editors_after_save(before, ["venue"], PAGE_B) == {"venue": PAGE_B, "date": PAGE_A}
    # A save without a page token leaves no token on what it changed: no later page can pass
    # for its author.
    assert editors_after_save(before, ["venue"], None) == {"date": PAGE_A}
    assert before == {"venue": PAGE_A, "date": PAGE_A}


def test_changed_answers_lists_added_removed_and_changed_keys_in_order():
    before = {"a": 1, "b": [1], "c": "x"}
    after = {"a": 1, "b": [1, 2], "d": "y"}
    assert changed_answers(before, after) == ["b", "c", "d"]
    assert changed_answers(before, dict(before)) == []


# --------------------------------------------------------------------------------------------
# Tokens and ids
# --------------------------------------------------------------------------------------------


def test_editor_tokens_are_sixteen_lower_case_hex_characters():
    token = new_editor_token()
    assert read_editor_token(token) == token
    assert new_editor_token() != token
    for junk in (None, 7, "", PAGE_A.upper(), PAGE_A[:-1], PAGE_A + "0", "²" * 16, PAGE_A + "\n"):
        assert read_editor_token(junk) is None, junk


def test_new_row_ids_are_row_ids_unlike_places():
    ids = {new_row_id() for _ in range(50)}
    assert len(ids) == 50
    for row_id in ids:
        assert is_row_id(row_id) and len(row_id) == 12
        assert set(row_id) <= set("0123456789abcdef")  # never p1, p2, ...: those are places


def test_give_new_rows_ids_names_only_rows_without_one(meeting):
    form = form_from_answers(build_section_form(meeting, draft=True), meeting, MEETING)
    form.attendees.append_entry()
    give_new_rows_ids(form, make_row_id=iter(["fresh1"]).__next__)
    assert [entry.form.row_id.data for entry in form.attendees.entries] == [
        "a1",
        "b2",
        "c3",
        "fresh1",
    ]
