"""Working days and school days over a real year, 2026/27, with England's bank holidays.

Every expected date is worked out by hand in a comment. The year's bank holidays (from the
`holidays` package, not a hand list): Friday 25 December 2026 (Christmas Day), Saturday
26 December (Boxing Day) with its substitute Monday 28 December, Friday 1 January 2027, Good Friday
26 March, Easter Monday 29 March, early May Monday 3 May, spring Monday 31 May, summer Monday
30 August 2027.
"""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.calendar import (
    CalendarError,
    NoTermDatesError,
    SchoolCalendar,
    TermDates,
    academic_year_of,
    is_england_bank_holiday,
    merge_term_dates,
    terms_problems,
)

AUTUMN_2026 = TermDates(
    2026, "autumn", date(2026, 9, 2), date(2026, 12, 18), date(2026, 10, 26), date(2026, 10, 30)
)
SPRING_2027 = TermDates(
    2026, "spring", date(2027, 1, 4), date(2027, 3, 26), date(2027, 2, 15), date(2027, 2, 19)
)
SUMMER_2027 = TermDates(
    2026, "summer", date(2027, 4, 12), date(2027, 7, 21), date(2027, 5, 31), date(2027, 6, 4)
)
YEAR_2026_27 = (AUTUMN_2026, SPRING_2027, SUMMER_2027)


@pytest.fixture
def calendar() -> SchoolCalendar:
    return SchoolCalendar(YEAR_2026_27)


# -- bank holidays from the holidays package --------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 25),  # Christmas Day, a Friday
        date(2026, 12, 28),  # the substitute for Boxing Day (Saturday 26th)
        date(2027, 1, 1),  # New Year's Day, a Friday
        date(2027, 3, 26),  # Good Friday
        date(2027, 3, 29),  # Easter Monday
        date(2027, 5, 3),  # early May bank holiday
        date(2027, 5, 31),  # spring bank holiday
        date(2027, 8, 30),  # summer bank holiday
        date(2022, 9, 19),  # a one-off: the state funeral of Queen Elizabeth II
        date(2023, 5, 8),  # a one-off: the coronation of King Charles III
    ],
)
def test_england_bank_holidays_include_substitute_and_one_off_days(day, calendar):
    assert is_england_bank_holiday(day)
    assert not calendar.is_working_day(day)


def test_scotlands_own_holidays_are_not_englands(calendar):
    # 2 January and St Andrew's Day are Scottish bank holidays, not English ones.
    assert calendar.is_working_day(date(2026, 11, 30))  # Monday 30 November 2026
    assert not is_england_bank_holiday(date(2027, 1, 2))


def test_weekends_are_never_working_or_school_days(calendar):
    assert not calendar.is_working_day(date(2026, 11, 28))  # Saturday
    assert not calendar.is_school_day(date(2026, 11, 29))  # Sunday, in term
    assert calendar.is_school_day(date(2026, 11, 30))  # Monday, in term


# -- school days: term, half term, INSET days -------------------------------------------------


def test_school_days_are_working_days_in_term_outside_half_term(calendar):
    assert not calendar.is_school_day(date(2026, 9, 1))  # Tuesday before term starts
    assert calendar.is_school_day(date(2026, 9, 2))  # first day of the autumn term
    assert not calendar.is_school_day(date(2026, 10, 26))  # Monday of half term
    assert not calendar.is_school_day(date(2026, 10, 30))  # Friday of half term
    assert calendar.is_working_day(date(2026, 10, 30))  # ...yet a working day
    assert calendar.is_school_day(date(2026, 11, 2))  # back after half term
    assert calendar.is_school_day(date(2026, 12, 18))  # last day of term
    assert not calendar.is_school_day(date(2026, 12, 21))  # Christmas holidays
    assert calendar.is_working_day(date(2026, 12, 21))
    assert not calendar.is_school_day(date(2027, 5, 3))  # early May bank holiday, in term


def test_inset_days_are_working_days_but_not_school_days():
    autumn = TermDates(
        2026,
        "autumn",
        date(2026, 9, 1),
        date(2026, 12, 18),
        date(2026, 10, 26),
        date(2026, 10, 30),
        inset_days=(date(2026, 9, 1), date(2026, 11, 27)),
    )
    calendar = SchoolCalendar([autumn])
    assert not calendar.is_school_day(date(2026, 9, 1))
    assert calendar.is_working_day(date(2026, 9, 1))
    assert calendar.is_school_day(date(2026, 9, 2))
    assert not calendar.is_school_day(date(2026, 11, 27))
    # Friday 20 November + 5 school days: Mon 23 (1), Tue 24 (2), Wed 25 (3), Thu 26 (4),
    # Fri 27 is INSET, Mon 30 November (5).
    assert calendar.add_school_days(date(2026, 11, 20), 5) == date(2026, 11, 30)


def test_term_containing_and_by_name(calendar):
    assert calendar.term_containing(date(2026, 10, 28)) == AUTUMN_2026  # half term is in term
    assert calendar.term_containing(date(2026, 12, 21)) is None  # the holidays
    assert calendar.term_containing(date(2027, 7, 21)) == SUMMER_2027
    assert calendar.term(2026, "spring") == SPRING_2027
    assert calendar.term(2027, "autumn") is None
    assert calendar.next_term_after(date(2026, 12, 21)) == SPRING_2027
    assert SPRING_2027.name == "Spring term 2026/27"


def test_academic_year_runs_september_to_august():
    assert academic_year_of(date(2026, 9, 1)) == 2026
    assert academic_year_of(date(2027, 8, 31)) == 2026


# -- counting working days across Christmas ---------------------------------------------------


def test_ten_and_twenty_working_days_from_monday_21_december_2026(calendar):
    entered_care = date(2026, 12, 21)
    # Tue 22 (1), Wed 23 (2), Thu 24 (3); Fri 25 Christmas, Sat, Sun, Mon 28 substitute Boxing Day;
    # Tue 29 (4), Wed 30 (5), Thu 31 (6); Fri 1 January; Mon 4 (7), Tue 5 (8), Wed 6 (9),
    # Thu 7 January 2027 (10).
    assert calendar.add_working_days(entered_care, 10) == date(2027, 1, 7)
    # Fri 8 (11), Mon 11 to Fri 15 (12-16), Mon 18 (17), Tue 19 (18), Wed 20 (19),
    # Thu 21 January 2027 (20).
    assert calendar.add_working_days(entered_care, 20) == date(2027, 1, 21)
    assert calendar.working_days_between(entered_care, date(2027, 1, 21)) == 20


def test_working_days_across_easter_2027(calendar):
    # Thursday 25 March + 1: Good Friday, the weekend and Easter Monday are skipped: Tue 30 March.
    assert calendar.add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    # Back 1 working day from Tuesday 30 March is Thursday 25 March.
    assert calendar.add_working_days(date(2027, 3, 30), -1) == date(2027, 3, 25)


def test_counting_from_a_weekend_starts_with_the_next_working_day(calendar):
    # Saturday 5 December 2026 + 1 working day: Monday 7 December.
    assert calendar.add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)
    assert calendar.add_working_days(date(2026, 12, 5), 0) == date(2026, 12, 5)


def test_school_days_skip_the_christmas_holidays(calendar):
    # Thursday 17 December + 2 school days: Fri 18 (1), then the holidays, Mon 4 January 2027 (2).
    assert calendar.add_school_days(date(2026, 12, 17), 2) == date(2027, 1, 4)
    # The last day of spring term, Friday 26 March 2027 (Good Friday, so not a school day itself),
    # minus 15 school days: Thu 25 (1), Wed 24 (2), Tue 23 (3), Mon 22 (4), Fri 19 to Mon 15
    # (5-9), Fri 12 to Mon 8 (10-14), Friday 5 March (15).
    assert calendar.add_school_days(date(2027, 3, 26), -15) == date(2027, 3, 5)
    assert calendar.school_days_between(date(2027, 3, 26), date(2027, 3, 5)) == -15
    # Forwards, the days after Friday 5 March up to Friday 26 March: 15 less Friday 5 March = 14.
    assert calendar.school_days_between(date(2027, 3, 5), date(2027, 3, 26)) == 14


def test_school_days_skip_half_term(calendar):
    # Friday 23 October 2026 + 1 school day: half term 26-30 October: Monday 2 November.
    assert calendar.add_school_days(date(2026, 10, 23), 1) == date(2026, 11, 2)
    # The autumn term has 15 weeks and 3 days from Wed 2 Sep to Fri 18 Dec, less a week of half
    # term: 3 (2-4 Sep) + 7 weeks (7 Sep-23 Oct) x 5 + 7 weeks (2 Nov-18 Dec) x 5 = 73 days.
    assert calendar.school_days_between(date(2026, 9, 1), date(2026, 12, 18)) == 73


def test_school_days_cannot_be_counted_past_the_terms_recorded(calendar):
    with pytest.raises(NoTermDatesError, match="no term dates after the summer term 2026/27"):
        calendar.add_school_days(date(2027, 7, 20), 5)


# -- a school's own term dates -----------------------------------------------------------------


def test_a_schools_own_term_replaces_the_authoritys_for_that_term_only():
    # An academy whose autumn term starts on Thursday 3 September and has two weeks of half term.
    academy_autumn = TermDates(
        2026, "autumn", date(2026, 9, 3), date(2026, 12, 17), date(2026, 10, 19), date(2026, 10, 30)
    )
    merged = merge_term_dates(YEAR_2026_27, [academy_autumn])
    assert merged == [academy_autumn, SPRING_2027, SUMMER_2027]
    calendar = SchoolCalendar(merged)
    assert not calendar.is_school_day(date(2026, 9, 2))
    assert not calendar.is_school_day(date(2026, 10, 21))  # the academy's first half-term week
    assert not calendar.is_school_day(date(2026, 12, 18))  # the academy has broken up
    # Friday 16 October + 1 school day at the academy: Monday 2 November.
    assert calendar.add_school_days(date(2026, 10, 16), 1) == date(2026, 11, 2)


# -- validation with sentences a person can act on --------------------------------------------


def test_a_term_that_ends_before_it_starts_is_refused():
    with pytest.raises(CalendarError, match=r"ends .* before it starts"):
        TermDates(2026, "autumn", date(2026, 12, 18), date(2026, 9, 2), None, None)


def test_a_half_term_outside_its_term_is_refused():
    with pytest.raises(CalendarError, match=r"half term .* must fall inside the term"):
        TermDates(
            2026, "spring", date(2027, 1, 4), date(2027, 3, 26), date(2027, 4, 1), date(2027, 4, 2)
        )
    with pytest.raises(CalendarError, match="not both"):
        TermDates(2026, "spring", date(2027, 1, 4), date(2027, 3, 26), date(2027, 2, 15), None)


def test_a_term_in_the_wrong_year_or_with_a_stray_inset_day_is_refused():
    with pytest.raises(CalendarError, match="should start in 2027"):
        TermDates(2026, "spring", date(2026, 1, 4), date(2026, 3, 26), None, None)
    with pytest.raises(CalendarError, match="INSET day Monday 7 September 2026"):
        TermDates(
            2026, "spring", date(2027, 1, 4), date(2027, 3, 26), None, None, (date(2026, 9, 7),)
        )
    with pytest.raises(CalendarError, match="not a term"):
        TermDates(2026, "winter", date(2026, 12, 1), date(2027, 3, 26), None, None)


def test_overlapping_or_repeated_terms_are_refused():
    # A spring term typed as ending on 14 April runs into the summer term starting 12 April.
    overlapping_spring = TermDates(2026, "spring", date(2027, 1, 4), date(2027, 4, 14), None, None)
    problems = terms_problems([AUTUMN_2026, overlapping_spring, SUMMER_2027])
    assert problems == [
        "The spring term 2026/27 (Monday 4 January 2027 to Wednesday 14 April 2027) "
        "overlaps the summer term 2026/27 (Monday 12 April 2027 to Wednesday 21 July 2027): "
        "one term must end before the next starts."
    ]
    with pytest.raises(CalendarError, match="given twice"):
        SchoolCalendar([AUTUMN_2026, AUTUMN_2026])


def test_inset_days_from_storage_may_be_a_list():
    term = TermDates(2026, "autumn", date(2026, 9, 2), date(2026, 12, 18), None, None, [])  # type: ignore[arg-type]
    assert term.inset_days == ()
    assert hash(term)


# -- properties ---------------------------------------------------------------------------------

days_in_2026_27 = st.dates(min_value=date(2026, 8, 1), max_value=date(2027, 8, 31))
year_calendar = SchoolCalendar(YEAR_2026_27)


@given(start=days_in_2026_27, count=st.integers(min_value=-40, max_value=40))
def test_adding_working_days_lands_on_a_working_day_counted_back_exactly(start, count):
    landed = year_calendar.add_working_days(start, count)
    assert year_calendar.working_days_between(start, landed) == count
    if count:
        assert year_calendar.is_working_day(landed)
        assert (landed > start) == (count > 0)


@given(
    start=st.dates(min_value=date(2026, 9, 2), max_value=date(2027, 6, 1)), count=st.integers(1, 30)
)
def test_adding_school_days_lands_on_a_school_day_counted_back_exactly(start, count):
    landed = year_calendar.add_school_days(start, count)
    assert year_calendar.is_school_day(landed)
    assert year_calendar.school_days_between(start, landed) == count
    # A school day is always a working day, so there are at least as many working days.
    assert year_calendar.working_days_between(start, landed) >= count


@given(day=days_in_2026_27)
def test_a_school_day_is_a_working_day_inside_a_term(day):
    if year_calendar.is_school_day(day):
        assert year_calendar.is_working_day(day)
        assert year_calendar.term_containing(day) is not None
    if day.weekday() >= 5:
        assert not year_calendar.is_working_day(day)


@given(shift=st.integers(min_value=-3, max_value=3), which=st.sampled_from(YEAR_2026_27))
def test_merging_keeps_one_term_per_year_and_term(shift, which):
    own = TermDates(
        which.academic_year,
        which.term,
        which.starts_on + timedelta(days=shift),
        which.ends_on + timedelta(days=shift),
        which.half_term_starts_on,
        which.half_term_ends_on,
    )
    merged = merge_term_dates(YEAR_2026_27, [own])
    assert len(merged) == 3
    assert own in merged
    assert [term.key for term in merged] == [term.key for term in YEAR_2026_27]
