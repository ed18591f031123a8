"""Checks across a section's fields: reading, references, and when they fail or are skipped."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.checks import (
    Check,
    CheckFailure,
    CheckSyntaxError,
    ColumnTotalNotMoreThan,
    NotBefore,
    NotMoreThan,
    SumEquals,
    SumNotMoreThan,
    check_references,
    parse_check,
    section_failures,
)
from tests.unit.forms.cross_field_fixtures import ALL_FIELDS

MESSAGE = "Unauthorised absences this term must be no more than the sessions possible this term"

# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def test_each_kind_is_read_into_its_check() -> None:
    assert parse_check(
        {
            "check": "not_more_than",
            "field": "unauthorised_absences_term",
            "than": "sessions_possible_term",
            "message": f"  {MESSAGE} ",
        }
    ) == NotMoreThan("unauthorised_absences_term", "sessions_possible_term", MESSAGE)
    assert parse_check(
        {"check": "sum_equals", "fields": ["a", "b"], "equals": 10, "message": "Add up"}
    ) == SumEquals(("a", "b"), Decimal(10), "Add up")
    assert parse_check(
        {"check": "sum_not_more_than", "fields": ["a", "b"], "than": "c", "message": "Too many"}
    ) == SumNotMoreThan(("a", "b"), "c", "Too many")
    assert parse_check(
        {
            "check": "column_total_not_more_than",
            "group": "suspension_list",
            "column": "length_sessions",
            "than": 90,
            "message": "Too long",
        }
    ) == ColumnTotalNotMoreThan("suspension_list", "length_sessions", Decimal(90), "Too long")
    assert parse_check(
        {"check": "not_before", "field": "review_date", "than": "start_date", "message": "Later"}
    ) == NotBefore("review_date", "start_date", "Later")


@pytest.mark.parametrize(
    ("raw", "path", "problem"),
    [
        (
            ["not_more_than"],
            "",
            "must be a mapping of keys to values (a check), not ['not_more_than']",
        ),
        (
            {"field": "a", "than": 1, "message": "m"},
            "check",
            "is required (one of: not_more_than, sum_equals, sum_not_more_than, "
            "column_total_not_more_than, not_before)",
        ),
        (
            {"check": "less_than", "field": "a", "than": 1, "message": "m"},
            "check",
            "unknown check 'less_than' (known: not_more_than, sum_equals, sum_not_more_than, "
            "column_total_not_more_than, not_before)",
        ),
        ({"check": "not_more_than", "than": 1, "message": "m"}, "field", "is required"),
        ({"check": "not_more_than", "field": "a", "message": "m"}, "than", "is required"),
        (
            {"check": "not_more_than", "field": "a", "than": 1},
            "message",
            "is required: say in plain English what to fix",
        ),
        (
            {"check": "not_more_than", "field": "a", "than": 1, "message": " "},
            "message",
            "must not be blank",
        ),
        (
            {"check": "not_more_than", "field": "A b", "than": 1, "message": "m"},
            "field",
            "must be a field key, not 'A b'",
        ),
        (
            {"check": "not_more_than", "field": "a", "than": True, "message": "m"},
            "than",
            "must be a field key or a number, not true (put quotes around yes, no, on and off)",
        ),
        (
            {"check": "sum_equals", "fields": "a", "equals": 1, "message": "m"},
            "fields",
            "must be a list of field keys, not 'a'",
        ),
        (
            {"check": "sum_equals", "fields": ["a"], "equals": 1, "message": "m"},
            "fields",
            "must list at least 2 fields",
        ),
        (
            {"check": "sum_equals", "fields": ["a", 2], "equals": 1, "message": "m"},
            "fields[1]",
            "must be a field key, not 2",
        ),
        (
            {"check": "sum_not_more_than", "fields": ["a", "b", "a"], "than": 1, "message": "m"},
            "fields[2]",
            "duplicate field 'a' (also fields[0])",
        ),
        (
            {"check": "sum_equals", "fields": ["a", "b"], "than": 1, "message": "m"},
            "equals",
            "is required",
        ),
        (
            {"check": "not_before", "field": "a", "than": 3, "message": "m"},
            "than",
            "must be a field key, not 3",
        ),
        (
            {"check": "not_more_than", "field": "a", "than": 1, "message": "m", "fields": ["b"]},
            "fields",
            "unknown key (allowed here: check, field, message, than)",
        ),
    ],
)
def test_mistakes_are_named_with_a_path_inside_the_check(
    raw: object, path: str, problem: str
) -> None:
    with pytest.raises(CheckSyntaxError) as caught:
        parse_check(raw)
    assert (caught.value.path, caught.value.problem) == (path, problem)
    assert caught.value.under("sections[2].checks[0]").startswith("sections[2].checks[0]")


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "check",
    [
        NotMoreThan("unauthorised_absences_term", "sessions_possible_term", "m"),
        NotMoreThan("attendance", Decimal(100), "m"),
        SumEquals(
            ("sessions_attended_term", "authorised_absences_term"), "sessions_possible_term", "m"
        ),
        SumNotMoreThan(("funding", "suspensions"), Decimal(5), "m"),
        ColumnTotalNotMoreThan("suspension_list", "length_sessions", Decimal(90), "m"),
        ColumnTotalNotMoreThan("suspension_list", "length_sessions", "sessions_possible_term", "m"),
        NotBefore("review_date", "start_date", "m"),
    ],
)
def test_fitting_references_raise_nothing(check: Check) -> None:
    assert check_references(check, ALL_FIELDS) == []


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (
            NotMoreThan("nowhere", "notes", "m"),
            [
                ("field", "no field 'nowhere' in this section"),
                (
                    "than",
                    "must name a whole_number, money or percentage field; 'notes' is long_text",
                ),
            ],
        ),
        (
            SumEquals(("suspensions", "start_date"), "gone", "m"),
            [
                (
                    "fields[1]",
                    "must name a whole_number, money or percentage field; 'start_date' is date",
                ),
                ("equals", "no field 'gone' in this section"),
            ],
        ),
        (
            SumNotMoreThan(("suspensions", "barriers"), Decimal(1), "m"),
            [
                (
                    "fields[1]",
                    "must name a whole_number, money or percentage field; 'barriers' is checkboxes",
                )
            ],
        ),
        (
            ColumnTotalNotMoreThan("suspensions", "length_sessions", Decimal(90), "m"),
            [("group", "must name a repeating_group field; 'suspensions' is whole_number")],
        ),
        (
            ColumnTotalNotMoreThan("suspension_list", "days", Decimal(90), "m"),
            [("column", "no column 'days' in group 'suspension_list'")],
        ),
        (
            ColumnTotalNotMoreThan("suspension_list", "reason", Decimal(90), "m"),
            [
                (
                    "column",
                    "must name a whole_number, money or percentage column; 'reason' is short_text",
                )
            ],
        ),
        (
            ColumnTotalNotMoreThan("gone", "reason", Decimal(90), "m"),
            [("group", "no field 'gone' in this section")],
        ),
        (
            NotBefore("review_date", "suspensions", "m"),
            [("than", "must name a date field; 'suspensions' is whole_number")],
        ),
        (NotBefore("gone", "start_date", "m"), [("field", "no field 'gone' in this section")]),
    ],
)
def test_reference_problems_are_named_with_their_path(
    check: Check, expected: list[tuple[str, str]]
) -> None:
    assert check_references(check, ALL_FIELDS) == expected


# --------------------------------------------------------------------------------------------
# Failing and passing
# --------------------------------------------------------------------------------------------

ALL_SHOWN = frozenset(ALL_FIELDS)


def test_not_more_than_fails_against_its_field() -> None:
    check = NotMoreThan("unauthorised_absences_term", "sessions_possible_term", MESSAGE)
    values = {"unauthorised_absences_term": 11, "sessions_possible_term": 10}
    assert check.failure(values, ALL_SHOWN) == CheckFailure("unauthorised_absences_term", MESSAGE)
    assert check.failure({**values, "unauthorised_absences_term": 10}, ALL_SHOWN) is None


def test_numbers_are_read_as_stored_or_typed() -> None:
    check = NotMoreThan("funding", Decimal("150.00"), "Too much")
    assert check.failure({"funding": "150.01"}, ALL_SHOWN) == CheckFailure("funding", "Too much")
    assert check.failure({"funding": Decimal("150")}, ALL_SHOWN) is None
    assert check.failure({"funding": "150.00"}, ALL_SHOWN) is None


def test_sum_equals_fails_against_the_first_field() -> None:
    check = SumEquals(
        ("sessions_attended_term", "authorised_absences_term", "unauthorised_absences_term"),
        "sessions_possible_term",
        "Add up",
    )
    values = {
        "sessions_attended_term": 100,
        "authorised_absences_term": 5,
        "unauthorised_absences_term": 3,
        "sessions_possible_term": 108,
    }
    assert check.failure(values, ALL_SHOWN) is None
    assert check.failure({**values, "sessions_possible_term": 110}, ALL_SHOWN) == CheckFailure(
        "sessions_attended_term", "Add up"
    )


def test_sum_not_more_than() -> None:
    check = SumNotMoreThan(
        ("authorised_absences_term", "unauthorised_absences_term"), Decimal(10), "m"
    )
    assert (
        check.failure({"authorised_absences_term": 5, "unauthorised_absences_term": 5}, ALL_SHOWN)
        is None
    )
    assert check.failure(
        {"authorised_absences_term": 5, "unauthorised_absences_term": 6}, ALL_SHOWN
    ) == CheckFailure("authorised_absences_term", "m")


def test_column_totals_count_blank_cells_as_nothing_and_fail_against_the_group() -> None:
    check = ColumnTotalNotMoreThan("suspension_list", "length_sessions", Decimal(90), "Too long")
    rows = [
        {"row_id": "a1", "length_sessions": 60},
        {"row_id": "b2", "reason": "No length yet"},
        {"row_id": "c3", "length_sessions": 30},
    ]
    assert check.failure({"suspension_list": rows}, ALL_SHOWN) is None
    rows.append({"row_id": "d4", "length_sessions": 1})
    assert check.failure({"suspension_list": rows}, ALL_SHOWN) == CheckFailure(
        "suspension_list", "Too long"
    )
    assert check.failure({"suspension_list": []}, ALL_SHOWN) is None


def test_not_before_reads_iso_strings_and_dates() -> None:
    check = NotBefore("review_date", "start_date", "Later")
    assert (
        check.failure({"review_date": "2026-03-01", "start_date": "2026-03-01"}, ALL_SHOWN) is None
    )
    assert check.failure(
        {"review_date": date(2026, 2, 28), "start_date": "2026-03-01"}, ALL_SHOWN
    ) == CheckFailure("review_date", "Later")


def test_a_value_that_is_not_a_number_is_left_to_the_field_s_own_rule() -> None:
    check = NotMoreThan("suspensions", Decimal(1), "m")
    assert check.failure({"suspensions": "many"}, ALL_SHOWN) is None


def test_section_failures_keeps_the_order_of_the_checks() -> None:
    checks = [
        NotMoreThan("suspensions", Decimal(1), "first"),
        NotBefore("review_date", "start_date", "second"),
        NotMoreThan("funding", Decimal(1), "third"),
    ]
    values = {
        "suspensions": 2,
        "review_date": "2026-01-01",
        "start_date": "2026-02-01",
        "funding": "1.00",
    }
    assert section_failures(checks, values, ALL_SHOWN) == [
        CheckFailure("suspensions", "first"),
        CheckFailure("review_date", "second"),
    ]


# --------------------------------------------------------------------------------------------
# Property: never a failure when a named field is unanswered or hidden
# --------------------------------------------------------------------------------------------

KEYS = ["a", "b", "c", "d"]
limits = st.one_of(st.sampled_from(KEYS), st.integers(-5, 50).map(Decimal))
messages = st.just("Fix this")
checks = st.one_of(
    st.builds(NotMoreThan, st.sampled_from(KEYS), limits, messages),
    st.builds(
        SumEquals,
        st.lists(st.sampled_from(KEYS), min_size=2, max_size=3, unique=True).map(tuple),
        limits,
        messages,
    ),
    st.builds(
        SumNotMoreThan,
        st.lists(st.sampled_from(KEYS), min_size=2, max_size=3, unique=True).map(tuple),
        limits,
        messages,
    ),
    st.builds(ColumnTotalNotMoreThan, st.sampled_from(KEYS), st.just("n"), limits, messages),
    st.builds(NotBefore, st.sampled_from(KEYS), st.sampled_from(KEYS), messages),
)
answers = st.one_of(
    st.integers(-10, 60),
    st.decimals(min_value=-10, max_value=60, places=2).map(str),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 1, 1)).map(date.isoformat),
    st.lists(st.fixed_dictionaries({"n": st.integers(0, 40)}), min_size=1, max_size=4),
)
unanswered = st.sampled_from([None, "", "  ", []])


@settings(max_examples=150, deadline=None)
@given(
    check=checks,
    values=st.fixed_dictionaries({key: answers for key in KEYS}),
    data=st.data(),
)
def test_a_check_never_fails_when_a_named_field_is_unanswered_or_hidden(
    check: Check, values: dict[str, object], data: st.DataObject
) -> None:
    named = check.named_fields
    target = data.draw(st.sampled_from(named))
    if data.draw(st.booleans()):
        blanked = {**values, target: data.draw(unanswered)}
        assert check.failure(blanked, frozenset(KEYS)) is None
        blanked.pop(target)
        assert check.failure(blanked, frozenset(KEYS)) is None
    else:
        assert check.failure(values, frozenset(KEYS) - {target}) is None


@settings(max_examples=100, deadline=None)
@given(
    check=checks,
    values=st.fixed_dictionaries({key: answers for key in KEYS}),
)
def test_a_failure_is_shown_against_a_named_field_with_the_check_s_message(
    check: Check, values: dict[str, object]
) -> None:
    failure = check.failure(values, frozenset(KEYS))
    if failure is not None:
        assert failure.field == check.named_fields[0]
        assert failure.message == "Fix this"
