"""Conditions on fields (shown_if, required_if): reading, references, meaning and words."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.conditions import (
    AllOf,
    Answered,
    AnyOf,
    Condition,
    ConditionSyntaxError,
    Equals,
    Includes,
    IsOneOf,
    MoreThan,
    answer_date,
    answer_number,
    check_references,
    describe,
    is_answered,
    is_required_now,
    join_path,
    only_if_hint,
    parse_condition,
    shown_fields,
    without_hidden,
)
from tests.unit.forms.cross_field_fixtures import (
    ALL_FIELDS,
    SEN_STATUS,
    by_key,
)

# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def test_each_test_is_read_into_its_condition() -> None:
    assert parse_condition({"field": "on_reduced_timetable", "equals": True}) == Equals(
        "on_reduced_timetable", True
    )
    assert parse_condition({"field": "suspensions", "equals": 2}) == Equals(
        "suspensions", Decimal(2)
    )
    assert parse_condition({"field": "attendance", "equals": 92.5}) == Equals(
        "attendance", Decimal("92.5")
    )
    assert parse_condition({"field": "placement", "equals": "foster"}) == Equals(
        "placement", "foster"
    )
    assert parse_condition({"field": "sen_status", "in": ["sen_support", "ehcp"]}) == IsOneOf(
        "sen_status", ("sen_support", "ehcp")
    )
    assert parse_condition({"field": "barriers", "includes": "health"}) == Includes(
        "barriers", "health"
    )
    assert parse_condition({"field": "suspensions", "more_than": 0}) == MoreThan(
        "suspensions", Decimal(0)
    )
    assert parse_condition({"field": "notes", "answered": False}) == Answered("notes", False)


def test_compounds_nest() -> None:
    condition = parse_condition(
        {
            "any": [
                {"field": "sen_status", "equals": "ehcp"},
                {
                    "all": [
                        {"field": "on_reduced_timetable", "equals": True},
                        {"field": "suspensions", "more_than": 0},
                    ]
                },
            ]
        }
    )
    assert condition == AnyOf(
        (
            Equals("sen_status", "ehcp"),
            AllOf((Equals("on_reduced_timetable", True), MoreThan("suspensions", Decimal(0)))),
        )
    )
    assert condition.referenced_fields == {"sen_status", "on_reduced_timetable", "suspensions"}


@pytest.mark.parametrize(
    ("raw", "path", "problem"),
    [
        (
            "sen_status",
            "",
            "must be a mapping with field: and one test (equals, in, includes, more_than, "
            "answered), or all: or any:, not 'sen_status'",
        ),
        ({"equals": True}, "field", "is required"),
        ({"field": 3, "equals": True}, "field", "must be text, not 3"),
        (
            {"field": "Sen Status", "equals": "x"},
            "field",
            "must be the key of a field, not 'Sen Status'",
        ),
        (
            {"field": "sen_status"},
            "",
            "needs one test beside field: (equals, in, includes, more_than, answered)",
        ),
        (
            {"field": "sen_status", "equals": "ehcp", "in": ["ehcp"]},
            "in",
            "a condition makes one test; this one also has equals: "
            "combine conditions with all: or any:",
        ),
        (
            {"field": "sen_status", "is": "ehcp"},
            "is",
            "unknown key (allowed here: answered, equals, field, in, includes, more_than)",
        ),
        (
            {"field": "notes", "equals": ""},
            "equals",
            "must be true, false, a number, an option value or text, not ''",
        ),
        (
            {"field": "sen_status", "in": "ehcp"},
            "in",
            "must be a list of option values, not 'ehcp'",
        ),
        ({"field": "sen_status", "in": []}, "in", "must list at least one option value"),
        ({"field": "sen_status", "in": ["ehcp", 2]}, "in[1]", "must be an option value, not 2"),
        (
            {"field": "sen_status", "in": ["ehcp", "ehcp"]},
            "in[1]",
            "duplicate option value 'ehcp' (also in[0])",
        ),
        (
            {"field": "barriers", "includes": ["health"]},
            "includes",
            "must be an option value, not ['health']",
        ),
        ({"field": "suspensions", "more_than": "0"}, "more_than", "must be a number, not '0'"),
        (
            {"field": "suspensions", "more_than": True},
            "more_than",
            "must be a number, not true (put quotes around yes, no, on and off)",
        ),
        ({"field": "notes", "answered": "yes"}, "answered", "must be true or false, not 'yes'"),
        (
            {"all": {"field": "notes", "answered": True}},
            "all",
            "must be a list of conditions, not {'field': 'notes', 'answered': True}",
        ),
        ({"any": [{"field": "notes", "answered": True}]}, "any", "must list at least 2 conditions"),
        (
            {"all": [{"field": "notes", "answered": True}], "field": "notes"},
            "field",
            "unknown key (a condition with all: has nothing else beside it)",
        ),
        (
            {
                "all": [
                    {"field": "notes", "answered": True},
                    {"any": [{"field": "a", "answered": True}, {"field": "b", "in": 1}]},
                ]
            },
            "all[1].any[1].in",
            "must be a list of option values, not 1",
        ),
    ],
)
def test_mistakes_are_named_with_a_path_inside_the_condition(
    raw: object, path: str, problem: str
) -> None:
    with pytest.raises(ConditionSyntaxError) as caught:
        parse_condition(raw)
    assert (caught.value.path, caught.value.problem) == (path, problem)


def test_the_loader_can_put_the_condition_s_place_in_front() -> None:
    with pytest.raises(ConditionSyntaxError) as caught:
        parse_condition({"all": [{"field": "a", "answered": True}, {"field": "b", "in": 1}]})
    assert caught.value.under("sections[3].fields[2].shown_if") == (
        "sections[3].fields[2].shown_if.all[1].in: must be a list of option values, not 1"
    )
    assert join_path("sections[0].fields[1].shown_if", "") == "sections[0].fields[1].shown_if"


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------


def _references(raw: object, *before: object, after: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    fields = by_key(*before) if before else ALL_FIELDS  # type: ignore[arg-type]
    return check_references(parse_condition(raw), fields, fields_after=after)


@pytest.mark.parametrize(
    "raw",
    [
        {"field": "on_reduced_timetable", "equals": False},
        {"field": "sen_status", "equals": "ehcp"},
        {"field": "placement", "in": ["foster"]},
        {"field": "suspensions", "equals": 0},
        {"field": "attendance", "equals": 92.5},
        {"field": "funding", "more_than": 100},
        {"field": "school_name_typed", "equals": "Hillside"},
        {"field": "barriers", "includes": "health"},
        {"field": "start_date", "answered": True},
        {"field": "suspension_list", "answered": True},
    ],
)
def test_fitting_references_raise_nothing(raw: object) -> None:
    assert _references(raw) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"field": "suspensions", "equals": True},
            [("equals", "true or false only fits a yes_no field; 'suspensions' is whole_number")],
        ),
        (
            {"field": "on_reduced_timetable", "equals": 1},
            [
                (
                    "equals",
                    "a number only fits a whole_number, money or percentage field; "
                    "'on_reduced_timetable' is yes_no",
                )
            ],
        ),
        (
            {"field": "suspensions", "equals": 1.5},
            [("equals", "must be a whole number: 'suspensions' is whole_number")],
        ),
        (
            {"field": "notes", "equals": "x"},
            [
                (
                    "equals",
                    "text only fits a radios, select or short_text field; 'notes' is long_text",
                )
            ],
        ),
        (
            {"field": "sen_status", "equals": "EHCP"},
            [
                (
                    "equals",
                    "'sen_status' has no option 'EHCP' (its options: none, sen_support, ehcp)",
                )
            ],
        ),
        (
            {"field": "sen_status", "in": ["ehcp", "send"]},
            [("in[1]", "'sen_status' has no option 'send' (its options: none, sen_support, ehcp)")],
        ),
        (
            {"field": "barriers", "in": ["health"]},
            [("in", "only fits a radios or select field; 'barriers' is checkboxes")],
        ),
        (
            {"field": "placement", "includes": "foster"},
            [("includes", "only fits a checkboxes field; 'placement' is radios")],
        ),
        (
            {"field": "barriers", "includes": "money"},
            [
                (
                    "includes",
                    "'barriers' has no option 'money' (its options: attendance, behaviour, health)",
                )
            ],
        ),
        (
            {"field": "start_date", "more_than": 3},
            [
                (
                    "more_than",
                    "only fits a whole_number, money or percentage field; 'start_date' is date",
                )
            ],
        ),
        (
            {"field": "child_name", "answered": True},
            [
                (
                    "field",
                    "fact field 'child_name' stores no answer, so a condition cannot refer to it",
                )
            ],
        ),
        ({"field": "nowhere", "answered": True}, [("field", "no field 'nowhere' before this one")]),
        (
            {
                "all": [
                    {"field": "nowhere", "answered": True},
                    {
                        "any": [
                            {"field": "notes", "answered": True},
                            {"field": "sen_status", "in": ["x"]},
                        ]
                    },
                ]
            },
            [
                ("all[0].field", "no field 'nowhere' before this one"),
                (
                    "all[1].any[1].in[0]",
                    "'sen_status' has no option 'x' (its options: none, sen_support, ehcp)",
                ),
            ],
        ),
    ],
)
def test_reference_problems_are_named_with_their_path(
    raw: object, expected: list[tuple[str, str]]
) -> None:
    assert _references(raw) == expected


def test_a_field_declared_later_or_the_field_itself_is_reported_as_later() -> None:
    later = "a condition may only refer to fields declared before it"
    problems = _references(
        {"field": "notes", "answered": True}, SEN_STATUS, after=("primary_need", "notes")
    )
    assert problems == [
        ("field", f"field 'notes' is declared after this one (or is this one): {later}")
    ]


# --------------------------------------------------------------------------------------------
# Meaning
# --------------------------------------------------------------------------------------------


def test_stored_and_typed_answers_are_both_understood() -> None:
    assert Equals("attendance", Decimal("92.5")).holds({"attendance": "92.50"})
    assert Equals("attendance", Decimal("92.5")).holds({"attendance": Decimal("92.5")})
    assert Equals("funding", Decimal(150)).holds({"funding": "150.00"})
    assert MoreThan("suspensions", Decimal(0)).holds({"suspensions": 1})
    assert not MoreThan("suspensions", Decimal(0)).holds({"suspensions": 0})
    assert Equals("on_reduced_timetable", False).holds({"on_reduced_timetable": False})
    assert not Equals("on_reduced_timetable", False).holds({"on_reduced_timetable": 0})
    assert not Equals("suspensions", Decimal(1)).holds({"suspensions": True})
    assert Includes("barriers", "health").holds({"barriers": ["attendance", "health"]})
    assert not Includes("barriers", "health").holds({"barriers": "health"})
    assert answer_date("2026-03-27") == date(2026, 3, 27)
    assert answer_date("2026-02-30") is None
    assert answer_number("1e3") is None


@pytest.mark.parametrize(
    "condition",
    [
        Equals("x", True),
        Equals("x", False),
        Equals("x", Decimal(0)),
        Equals("x", "a"),
        IsOneOf("x", ("a",)),
        Includes("x", "a"),
        MoreThan("x", Decimal(-1)),
        Answered("x", True),
    ],
)
@pytest.mark.parametrize("unanswered", [{}, {"x": None}, {"x": ""}, {"x": "  "}, {"x": []}])
def test_an_unanswered_field_makes_every_test_false_but_answered_false(
    condition: Condition, unanswered: dict[str, object]
) -> None:
    assert not condition.holds(unanswered)
    assert Answered("x", False).holds(unanswered)


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (
            {"field": "sen_status", "in": ["sen_support", "ehcp"]},
            '"Special educational needs status" is "SEN support" or "EHCP"',
        ),
        (
            {"field": "on_reduced_timetable", "equals": True},
            '"Is the child on a reduced timetable?" is "Yes"',
        ),
        (
            {"field": "on_reduced_timetable", "equals": False},
            '"Is the child on a reduced timetable?" is "No"',
        ),
        (
            {"field": "suspensions", "more_than": 0},
            'more than 0 is entered for "Suspensions this school year"',
        ),
        ({"field": "funding", "more_than": 150}, 'more than £150 is entered for "Funding agreed"'),
        (
            {"field": "attendance", "equals": 90},
            '90% is entered for "Attendance this term (%)"',
        ),
        ({"field": "placement", "equals": "foster"}, '"Type of placement" is "Foster care"'),
        ({"field": "school_name_typed", "equals": "Hillside"}, '"School name" is "Hillside"'),
        (
            {"field": "barriers", "includes": "health"},
            '"Health" is selected for "Barriers to learning"',
        ),
        ({"field": "notes", "answered": True}, '"Notes" is answered'),
        ({"field": "notes", "answered": False}, '"Notes" is not answered'),
        (
            {
                "all": [
                    {"field": "on_reduced_timetable", "equals": True},
                    {
                        "any": [
                            {"field": "suspensions", "more_than": 0},
                            {"field": "placement", "in": ["foster", "residential"]},
                        ]
                    },
                ]
            },
            '"Is the child on a reduced timetable?" is "Yes" and (more than 0 is entered for '
            '"Suspensions this school year" or "Type of placement" is "Foster care" or '
            '"Residential home")',
        ),
    ],
)
def test_conditions_are_put_in_plain_words_with_labels(raw: object, words: str) -> None:
    assert describe(parse_condition(raw), ALL_FIELDS) == words


def test_the_no_javascript_hint() -> None:
    condition = parse_condition({"field": "on_reduced_timetable", "equals": True})
    assert only_if_hint(condition, ALL_FIELDS) == (
        'Answer this only if "Is the child on a reduced timetable?" is "Yes"'
    )


# --------------------------------------------------------------------------------------------
# Shown fields
# --------------------------------------------------------------------------------------------

SECTION = {
    "on_reduced_timetable": None,
    "reduced_timetable_hours": Equals("on_reduced_timetable", True),
    "reduced_timetable_end": Answered("reduced_timetable_hours", True),
    "notes": None,
}


def test_fields_are_shown_when_their_condition_holds() -> None:
    values = {"on_reduced_timetable": True, "reduced_timetable_hours": 10}
    assert shown_fields(SECTION, values) == set(SECTION)


def test_a_field_whose_controller_is_hidden_is_hidden_too() -> None:
    values = {"on_reduced_timetable": False, "reduced_timetable_hours": 10, "notes": "x"}
    assert shown_fields(SECTION, values) == {"on_reduced_timetable", "notes"}
    assert without_hidden(SECTION, {**values, "other": 1}) == {
        "on_reduced_timetable": False,
        "notes": "x",
        "other": 1,
    }


@pytest.mark.parametrize(
    ("required", "required_if", "shown", "expected"),
    [
        (False, None, True, False),
        (True, None, True, True),
        (True, None, False, False),
        (False, Equals("on_reduced_timetable", True), True, True),
        (False, Equals("on_reduced_timetable", False), True, False),
        (False, Equals("on_reduced_timetable", True), False, False),
    ],
)
def test_a_field_is_required_only_when_shown(
    required: bool, required_if: Condition | None, shown: bool, expected: bool
) -> None:
    assert (
        is_required_now(
            required=required,
            required_if=required_if,
            shown=shown,
            visible_values={"on_reduced_timetable": True},
        )
        is expected
    )


# --------------------------------------------------------------------------------------------
# Properties: holds agrees with a plain re-statement of the spec
# --------------------------------------------------------------------------------------------

OPTIONS = ["a", "b", "c", "d"]
numbers = st.one_of(
    st.integers(-1000, 1000),
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
)
# Every shape a stored or typed answer can take, and some it should not.
any_value = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    numbers.map(str),
    st.sampled_from([*OPTIONS, "", " "]),
    st.text(max_size=5),
    st.lists(st.sampled_from(OPTIONS), unique=True, max_size=4),
)
leaf_conditions = st.one_of(
    st.builds(Equals, st.just("x"), st.booleans()),
    st.builds(Equals, st.just("x"), numbers.map(Decimal)),
    st.builds(Equals, st.just("x"), st.sampled_from(OPTIONS)),
    st.builds(
        IsOneOf,
        st.just("x"),
        st.lists(st.sampled_from(OPTIONS), min_size=1, unique=True).map(tuple),
    ),
    st.builds(Includes, st.just("x"), st.sampled_from(OPTIONS)),
    st.builds(MoreThan, st.just("x"), numbers.map(Decimal)),
    st.builds(Answered, st.just("x"), st.booleans()),
)


def _written_decimal(text: str) -> bool:
    """Digits, at most one point with digits either side, perhaps a minus: as answers store."""
    parts = text.removeprefix("-").split(".")
    return len(parts) <= 2 and all(part and set(part) <= set("0123456789") for part in parts)


def _restated(condition: Condition, value: object) -> bool:
    """The spec's table, said again as plainly as possible, for one field ``x``."""
    answered = (
        value is not None and value != [] and not (isinstance(value, str) and not value.strip())
    )
    if isinstance(condition, Answered):
        return answered == condition.answered
    if not answered:
        return False
    number: Decimal | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and _written_decimal(value.strip()):
        number = Decimal(value.strip())
    match condition:
        case Equals(value=bool() as expected):
            return value is expected
        case Equals(value=Decimal() as expected):
            return number is not None and number == expected
        case Equals(value=str() as expected):
            return isinstance(value, str) and value.strip() == expected
        case IsOneOf(values=values):
            return isinstance(value, str) and value in values
        case Includes(value=expected):
            return isinstance(value, list) and expected in value
        case MoreThan(value=limit):
            return number is not None and number > limit
    raise AssertionError(condition)


@settings(max_examples=300, deadline=None)
@given(condition=leaf_conditions, value=any_value)
def test_every_test_holds_exactly_as_the_spec_says(condition: Condition, value: object) -> None:
    assert condition.holds({"x": value}) == _restated(condition, value)
    assert condition.holds({}) == (condition == Answered("x", False))


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(leaf_conditions, min_size=2, max_size=4), value=any_value)
def test_all_and_any_agree_with_python(parts: list[Condition], value: object) -> None:
    values = {"x": value}
    results = [part.holds(values) for part in parts]
    assert AllOf(tuple(parts)).holds(values) == all(results)
    assert AnyOf(tuple(parts)).holds(values) == any(results)
    nested = AnyOf((AllOf(tuple(parts)), parts[0]))
    assert nested.holds(values) == (all(results) or results[0])


@settings(max_examples=100, deadline=None)
@given(value=any_value)
def test_is_answered_matches_the_forms_rule(value: object) -> None:
    from forms.validation import is_answered as forms_is_answered

    assert is_answered(value) == forms_is_answered(value)


def test_labels_of_unknown_fields_fall_back_to_keys() -> None:
    assert describe(Answered("gone", True), {}) == '"gone" is answered'
    assert describe(IsOneOf("sen_status", ("ehcp", "odd")), by_key(SEN_STATUS)) == (
        '"Special educational needs status" is "EHCP" or "odd"'
    )


@settings(max_examples=200, deadline=None)
@given(x=any_value, y=any_value, z=any_value)
def test_hiding_a_controller_hides_what_it_controls(x: object, y: object, z: object) -> None:
    section: dict[str, Condition | None] = {
        "x": None,
        "y": Equals("x", True),
        "z": Answered("y", True),
        "w": Answered("y", False),
    }
    expected = {"x"}
    if x is True:
        expected |= {"y", "z" if is_answered(y) else "w"}
    else:
        # y is hidden, so it counts as unanswered whatever was sent for it.
        expected.add("w")
    assert shown_fields(section, {"x": x, "y": y, "z": z}) == expected
