"""Reading an SSDA903-shaped row: dates, UPN check letters, postcodes, codes, and what a
child's episodes say about them."""

from __future__ import annotations

from datetime import date

import pytest

from portal.codes import ssda903
from portal.imports.ssda903_rows import (
    EpisodeFacts,
    episode_problems,
    is_plausible_postcode,
    no_school_place_from,
    normalise_postcode,
    parse_date,
    parse_row,
    summarise_care,
    upn_check_letter,
    upn_problem,
)
from portal.models import NoSchoolPlace

TODAY = date(2026, 11, 28)


def test_dates_are_read_as_the_return_writes_them_or_as_iso() -> None:
    assert parse_date("31/03/2026") == date(2026, 3, 31)
    assert parse_date(" 2026-03-31 ") == date(2026, 3, 31)
    assert parse_date("1/4/2026") == date(2026, 4, 1)  # as a spreadsheet may save it
    for wrong in (
        "03/31/2026",
        "2026/03/31",
        "31-03-2026",
        "31/02/2026",
        "31/03/26",
        "",
        "yesterday",
        "+1/03/2026",
        "٣١/03/2026",
    ):
        with pytest.raises(ValueError):
            parse_date(wrong)


def test_the_upn_check_letter_is_the_dfe_modulus_23_letter() -> None:
    # python-stdnum's documented example of a valid UPN.
    assert upn_check_letter("801200005001") == "B"
    assert upn_problem("B801200005001") is None
    assert upn_problem("C801200005001") == (
        "The UPN C801200005001 has the wrong check letter, so it has been mistyped."
    )
    assert upn_problem("B80120000500") == "The UPN B80120000500 has 12 characters; a UPN has 13."
    assert upn_problem("B8012000050O1") is not None  # a letter where a digit belongs
    # A temporary UPN ends in a letter, counted by its place in the alphabet without I, O, S.
    temporary = upn_check_letter("88120000110A") + "88120000110A"
    assert upn_problem(temporary) is None
    assert upn_problem(temporary[:-1] + "I") is not None


@pytest.mark.parametrize(
    ("postcode", "plausible"),
    [
        ("AB12 3CD", True),
        ("SW1A 1AA", True),
        ("M1 1AE", True),
        ("WR5 2", True),  # the return's partial home postcode
        ("WR5", True),
        ("wr5 3ab", True),
        ("12345", False),
        ("NOT A PC", False),
        ("AB12 3CDE", False),
    ],
)
def test_postcodes_are_plausible_in_full_or_in_part(postcode: str, plausible: bool) -> None:
    assert is_plausible_postcode(normalise_postcode(postcode)) is plausible


# Digits str.isdigit() accepts that a UPN cannot hold: "\u00b2" (superscript two), which int()
# refuses, and the Arabic-Indic digits, which int() reads as 0 to 9.
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + n) for n in range(10)))
SUPERSCRIPT_UPN = "A\u00b22345678901B"
ARABIC_INDIC_UPN = "B" + "801200005001".translate(ARABIC_INDIC)  # B801200005001, a valid UPN


def test_a_upn_holds_only_ascii_digits() -> None:
    assert upn_problem(SUPERSCRIPT_UPN) == (
        f"The UPN {SUPERSCRIPT_UPN} is not a UPN: after its first letter come 11 digits and "
        "then a digit or a letter."
    )
    assert upn_problem(ARABIC_INDIC_UPN) is not None
    assert upn_problem("B80120000500" + "1".translate(ARABIC_INDIC)) is not None


@pytest.mark.parametrize("upn", [SUPERSCRIPT_UPN, ARABIC_INDIC_UPN])
def test_a_upn_with_digits_that_are_not_ascii_is_a_problem_of_its_row(upn: str) -> None:
    parsed = parse_row(2, cells(UPN=upn), ssda903(), TODAY)
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "UPN")]
    assert parsed.child is None


def test_no_school_place_is_read_by_value_or_by_label() -> None:
    assert no_school_place_from("neet") is NoSchoolPlace.NEET
    assert no_school_place_from("Not in education, employment or training") is NoSchoolPlace.NEET
    assert no_school_place_from("home") is None


def cells(**overrides: str) -> dict[str, str]:
    row = {
        "CHILD": "C1",
        "FORENAME": "Ava",
        "SURNAME": "Thompson",
        "SEX": "2",
        "DOB": "14/03/2015",
        "ETHNIC": "WBRI",
        "UPN": "",
        "UASC": "",
        "DECOM": "01/09/2023",
        "RNE": "S",
        "LS": "C2",
        "CIN": "N1",
        "PLACE": "U4",
        "PLACE_PROVIDER": "PR1",
        "DEC": "",
        "REC": "",
        "HOME_POST": "WR5 2",
        "PL_POST": "WR5 3AB",
        "URN": "",
        "PLACED_LA": "",
        "SCHOOL_URN": "110001",
        "NO_SCHOOL_PLACE": "",
        "SW_EMAIL": "sam@example.org",
    }
    row.update(overrides)
    return row


def test_a_good_row_reads_into_the_childs_and_the_episodes_facts() -> None:
    parsed = parse_row(2, cells(UPN="UN1", UASC="y", URN="sc123456"), ssda903(), TODAY)
    assert parsed.problems == []
    assert parsed.child is not None and parsed.episode is not None
    assert parsed.child.upn is None  # UN1: the child has no UPN yet
    assert parsed.child.uasc is True
    assert parsed.episode.provider_ofsted_urn == "SC123456"
    assert parsed.episode.started_on == date(2023, 9, 1)


def test_an_optional_column_the_file_does_not_have_says_nothing() -> None:
    blank = parse_row(2, cells(), ssda903(), TODAY)
    assert blank.child is not None and blank.episode is not None
    assert blank.child.uasc is False  # a blank UASC is N
    assert blank.episode.placed_in_authority_given  # a blank PLACED_LA: in the home authority
    absent = {k: v for k, v in cells().items() if k not in ("UASC", "PLACED_LA")}
    parsed = parse_row(2, absent, ssda903(), TODAY)
    assert parsed.problems == []
    assert parsed.child is not None and parsed.episode is not None
    assert parsed.child.uasc is None
    assert not parsed.episode.placed_in_authority_given


def test_a_name_is_kept_exactly_as_written() -> None:
    parsed = parse_row(2, cells(FORENAME="\t=1+1 "), ssda903(), TODAY)
    assert parsed.problems == []
    assert parsed.child is not None and parsed.child.first_name == "\t=1+1 "


def test_the_day_after_today_is_in_the_future() -> None:
    parsed = parse_row(2, cells(DECOM="29/11/2026"), ssda903(), TODAY)
    assert [(p.column, p.problem) for p in parsed.problems] == [
        ("DECOM", "DECOM (the date the episode started) is 29/11/2026, which is in the future.")
    ]
    assert parsed.episode is None and parsed.child is not None


def episode(started: date, ended: date | None, reason: str | None, status: str = "C2",
            row: int = 2) -> EpisodeFacts:  # fmt: skip
    return EpisodeFacts(
        row, started, "S", status, "N1", "U4", "PR1", ended, reason, None, None, None, None
    )


def test_the_period_of_care_starts_again_after_an_episode_that_left_care() -> None:
    summary = summarise_care(
        [
            episode(date(2020, 1, 1), date(2020, 6, 1), "X1", "V2"),
            episode(date(2020, 6, 1), date(2021, 1, 1), "E4A", "C2"),
            episode(date(2023, 1, 1), date(2023, 2, 1), "X1", "C1"),
            episode(date(2023, 2, 1), None, None, "E1"),
        ],
        ssda903(),
    )
    assert (summary.legal_status, summary.date_entered_care, summary.date_left_care) == (
        "E1",
        date(2023, 1, 1),
        None,
    )


def test_a_latest_episode_that_ended_in_adoption_means_the_child_left_care() -> None:
    summary = summarise_care(
        [
            episode(date(2022, 1, 1), date(2022, 8, 1), "X1", "C2"),
            episode(date(2022, 8, 1), date(2024, 9, 15), "E11", "E1"),
        ],
        ssda903(),
    )
    assert (summary.date_left_care, summary.reason_left_care) == (date(2024, 9, 15), "E11")
    assert ssda903().reasons_episode_ceased["E11"].previously_looked_after


def test_episodes_that_overlap_or_repeat_are_named_by_row() -> None:
    problems = episode_problems(
        [
            episode(date(2024, 1, 1), date(2024, 3, 1), "X1", row=2),
            episode(date(2024, 2, 1), None, None, row=3),
            episode(date(2024, 2, 1), None, None, row=4),
        ],
        "C1",
    )
    assert [(p.row, p.column) for p in problems] == [(4, "DECOM"), (3, "DECOM"), (2, "REC")]
    assert problems[0].problem == (
        "Rows 3 and 4 are both the episode of child C1 that started on 01/02/2024."
    )


def test_the_code_lists_are_the_returns() -> None:
    codes = ssda903()
    assert sorted(codes.legal_statuses) == [
        "C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4",
    ]  # fmt: skip
    assert [c for c, s in codes.legal_statuses.items() if not s.pep_duty] == ["V3", "V4"]
    assert sorted(codes.reasons_new_episode) == ["B", "L", "P", "S", "T", "U"]
    assert sorted(
        c for c, r in codes.reasons_episode_ceased.items() if r.previously_looked_after
    ) == ["E11", "E12", "E41", "E43", "E44", "E45", "E46", "E47", "E48"]
    assert not codes.reasons_episode_ceased["X1"].leaves_care
    assert sorted(codes.placement_providers) == ["PR0", "PR1", "PR2", "PR3", "PR4", "PR5"]
    assert len(codes.placement_types) == 28 and "K3" in codes.placement_types
    assert len(codes.ethnicities) == 20 and sorted(codes.categories_of_need) == [
        f"N{n}" for n in range(1, 9)
    ]
