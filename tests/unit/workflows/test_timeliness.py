"""When a PEP is due, over a real year: 2026/27, England's bank holidays, realistic term dates.

Each expected date is worked out by hand in a comment. The terms (the authority's):
  autumn 2026: Wed 2 Sep to Fri 18 Dec, half term 26-30 Oct;
  spring 2027: Mon 4 Jan to Fri 26 Mar (Good Friday), half term 15-19 Feb;
  summer 2027: Mon 12 Apr to Wed 21 Jul, half term 31 May-4 Jun.
Bank holidays: Fri 25 Dec, Mon 28 Dec (Boxing Day's substitute), Fri 1 Jan, Fri 26 and
Mon 29 Mar, Mon 3 May, Mon 31 May, Mon 30 Aug.

The default rules: termly PEPs due 10 school days before the end of term, so
  autumn: back from Fri 18 Dec: Thu 17 (1), Wed 16, Tue 15, Mon 14 (4), Fri 11 to Mon 7 (5-9),
          Friday 4 December 2026 (10);
  spring: back from Fri 26 Mar (itself a bank holiday): Thu 25 (1) to Mon 22 (4), Fri 19 to Mon 15
          (5-9), Friday 12 March 2027 (10);
  summer: back from Wed 21 Jul: Tue 20 (1), Mon 19 (2), Fri 16 to Mon 12 (3-7), Fri 9 (8),
          Thu 8 (9), Wednesday 7 July 2027 (10).
"""

import ast
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.calendar import SchoolCalendar, TermDates
from workflows.pep import PepState
from workflows.pep_types import PepType
from workflows.quality import DefinitionError
from workflows.timeliness import (
    RULES_FILE,
    ChildEvent,
    ChildFacts,
    EventKind,
    PepRecord,
    TimelinessRules,
    TimelinessStatus,
    age_on,
    evaluate,
    load_rules,
    rules_from_environment,
    waiting_too_long,
    year_group_on,
)

S = TimelinessStatus
AUTUMN_2026 = TermDates(
    2026, "autumn", date(2026, 9, 2), date(2026, 12, 18), date(2026, 10, 26), date(2026, 10, 30)
)
SPRING_2027 = TermDates(
    2026, "spring", date(2027, 1, 4), date(2027, 3, 26), date(2027, 2, 15), date(2027, 2, 19)
)
SUMMER_2027 = TermDates(
    2026, "summer", date(2027, 4, 12), date(2027, 7, 21), date(2027, 5, 31), date(2027, 6, 4)
)
CALENDAR = SchoolCalendar([AUTUMN_2026, SPRING_2027, SUMMER_2027])
RULES = load_rules()
TEN_YEAR_OLD = date(2016, 5, 10)  # born in 2015/16: Year 6 in 2026/27


def child(entered: date | None, **changes: Any) -> ChildFacts:
    facts = ChildFacts(
        date_of_birth=TEN_YEAR_OLD,
        entered_care_on=entered,
        first_placement_on=entered,
        legal_status_code="C2",
    )
    return replace(facts, **changes)


def pep(pep_id: int, term: str, **changes: Any) -> PepRecord:
    record = PepRecord(
        id=pep_id, academic_year=2026, term=term, pep_type=PepType.TERMLY, state=PepState.DRAFT
    )
    return replace(record, **changes)


def rules_with(tmp_path: Path, change: Any) -> TimelinessRules:
    """The default rules with one change made to the YAML, loaded from a file of their own."""
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_rules(path)


# -- entering care in the Christmas holidays -------------------------------------------------------


def test_entering_care_in_the_holiday_counts_working_days_across_christmas():
    result = evaluate(child(date(2026, 12, 21)), [], [], CALENDAR, RULES, today=date(2026, 12, 22))
    care_plan = result.obligation("care_plan:2026-12-21")
    initial = result.obligation("initial_pep:2026-12-21")
    # Mon 21 Dec + 10 working days: Tue 22 (1), Wed 23 (2), Thu 24 (3), [Fri 25, Mon 28 bank
    # holidays], Tue 29 (4), Wed 30 (5), Thu 31 (6), [Fri 1 Jan], Mon 4 (7), Tue 5 (8),
    # Wed 6 (9), Thursday 7 January 2027 (10).
    assert care_plan.due_on == date(2027, 1, 7)
    assert care_plan.statutory and care_plan.rule == "care_plan"
    # ...+ 10 more: Fri 8 (11), Mon 11 to Fri 15 (12-16), Mon 18 to Thursday 21 January (17-20).
    assert initial.due_on == date(2027, 1, 21)
    assert initial.statutory and initial.pep_type == PepType.INITIAL
    # The clock runs from the day the child entered care: both are due at once.
    assert (care_plan.status, initial.status) == (S.DUE, S.DUE)
    # The autumn term ended before the child entered care: spring is the first term, shown as
    # the next term, due Friday 12 March 2027 (its initial PEP, due 21 January, falls inside it).
    assert [(t.term, t.status, t.due_on) for t in result.terms] == [
        ("spring", S.NOT_YET_DUE, date(2027, 3, 12))
    ]
    spring = result.term(2026, "spring").obligation
    assert spring.pep_type == PepType.INITIAL
    # Reminders 15 and 5 school days before 12 March: back from it, Thu 11 to Mon 8 (1-4),
    # Fri 5 to Mon 1 (5-9), Fri 26 Feb to Mon 22 Feb (10-14), [half term 15-19 Feb],
    # Friday 12 February (15); and Thu 11, Wed 10, Tue 9, Mon 8, Friday 5 March (5).
    # Overdue the next working day, Monday 15 March; escalated 10 working days after the due
    # date: Mon 15 to Fri 19 (1-5), Mon 22 to Friday 26 March (6-10): Good Friday is a bank
    # holiday, so Mon 29 (Easter Monday) is too: Tuesday 30 March 2027 (10).
    assert [(point.kind, point.on) for point in spring.reminders] == [
        ("due_in_15", date(2027, 2, 12)),
        ("due_in_5", date(2027, 3, 5)),
        ("overdue", date(2027, 3, 15)),
        ("escalation", date(2027, 3, 30)),
    ]


def test_the_initial_pep_done_on_time_counts_for_its_term():
    initial = pep(
        7,
        "spring",
        pep_type=PepType.INITIAL,
        state=PepState.SIGNED_OFF,
        started_on=date(2026, 12, 23),
        meeting_on=date(2027, 1, 14),
        submitted_on=date(2027, 1, 15),
        signed_off_on=date(2027, 1, 28),
    )
    result = evaluate(
        child(date(2026, 12, 21)), [], [initial], CALENDAR, RULES, today=date(2027, 2, 1)
    )
    # Started Wed 23 Dec, before the care plan's Thu 7 Jan: on time.
    assert result.obligation("care_plan:2026-12-21").status == S.DONE_ON_TIME
    # Submitted Fri 15 Jan, before Thu 21 Jan: on time, by PEP 7.
    initial_due = result.obligation("initial_pep:2026-12-21")
    assert (initial_due.status, initial_due.satisfied_by, initial_due.completed_on) == (
        S.DONE_ON_TIME,
        7,
        date(2027, 1, 15),
    )
    # Meeting Thu 14 Jan + 10 working days: Fri 15 (1), Mon 18 to Fri 22 (2-6), Mon 25 to
    # Thursday 28 January (7-10); signed off that day: on time.
    sign_off = result.obligation("sign_off:7")
    assert (sign_off.due_on, sign_off.status, sign_off.statutory) == (
        date(2027, 1, 28),
        S.DONE_ON_TIME,
        False,
    )
    spring = result.term(2026, "spring")
    assert (spring.status, spring.due_on, spring.pep_id) == (S.DONE_ON_TIME, date(2027, 3, 12), 7)


def test_an_initial_pep_filed_under_the_term_before_still_counts_for_the_first_term():
    # Entered care Mon 21 Dec 2026: the start page offered the autumn term, the PEP was signed
    # off Fri 8 Jan. Initial PEP due Thu 21 Jan (above): met on time, and it meets spring, the
    # child's first term in care (due Fri 12 March), though it is filed under autumn.
    filed_under_autumn = pep(
        9,
        "autumn",
        pep_type=PepType.INITIAL,
        state=PepState.SIGNED_OFF,
        started_on=date(2026, 12, 22),
        meeting_on=date(2027, 1, 6),
        submitted_on=date(2027, 1, 7),
        signed_off_on=date(2027, 1, 8),
    )
    result = evaluate(
        child(date(2026, 12, 21)),
        [],
        [filed_under_autumn],
        CALENDAR,
        RULES,
        today=date(2027, 3, 20),
    )
    assert result.obligation("initial_pep:2026-12-21").satisfied_by == 9
    spring = result.term(2026, "spring")
    assert (spring.status, spring.pep_id) == (S.DONE_ON_TIME, 9)
    # Summer is the child's second term: it still wants a PEP of its own.
    assert result.term(2026, "summer").pep_id is None


def test_a_child_in_care_for_years_has_no_first_term_among_the_recorded_ones():
    # In care since 2019; term dates recorded from autumn 2026. The initial PEP fell due in 2019:
    # autumn 2026 is a termly review, not the first term in care.
    result = evaluate(child(date(2019, 3, 4)), [], [], CALENDAR, RULES, today=date(2026, 10, 1))
    autumn = result.term(2026, "autumn").obligation
    assert autumn is not None and autumn.pep_type == PepType.TERMLY
    assert "first term in care" not in autumn.why


# -- Jayden: entered care in October with no school place, no PEP by 24 November -------------------


def test_no_pep_five_weeks_after_entering_care_is_overdue():
    jayden = child(date(2026, 10, 15))
    result = evaluate(jayden, [], [], CALENDAR, RULES, today=date(2026, 11, 24))
    # Thu 15 Oct + 10 working days: Fri 16 (1), Mon 19 to Fri 23 (2-6), Mon 26 to Thu 29 Oct
    # (7-10): half term is no holiday for working days.
    assert result.obligation("care_plan:2026-10-15").due_on == date(2026, 10, 29)
    # + 10 more: Fri 30 Oct (11), Mon 2 to Fri 6 Nov (12-16), Mon 9 to Thursday 12 November (20).
    initial = result.obligation("initial_pep:2026-10-15")
    assert (initial.due_on, initial.status) == (date(2026, 11, 12), S.OVERDUE)
    # The autumn PEP, due Fri 4 Dec, is "due" from 15 school days before: back from 4 Dec,
    # Thu 3 to Mon 30 Nov (1-4), Fri 27 to Mon 23 (5-9), Fri 20 to Mon 16 (10-14), Fri 13 Nov (15).
    autumn = result.term(2026, "autumn")
    assert (autumn.status, autumn.due_on) == (S.DUE, date(2026, 12, 4))
    assert autumn.obligation.reminders[0].on == date(2026, 11, 13)
    assert result.term(2026, "spring").status == S.NOT_YET_DUE
    # Thursday 12 November, the day before the first reminder, the autumn PEP is not yet due.
    earlier = evaluate(jayden, [], [], CALENDAR, RULES, today=date(2026, 11, 12))
    assert earlier.term(2026, "autumn").status == S.NOT_YET_DUE
    assert earlier.obligation("initial_pep:2026-10-15").status == S.DUE


def test_a_meeting_booked_shows_until_the_deadline_passes():
    jayden = child(date(2026, 10, 15))
    booked = pep(3, "autumn", pep_type=PepType.INITIAL, meeting_on=date(2026, 12, 1))
    result = evaluate(jayden, [], [booked], CALENDAR, RULES, today=date(2026, 11, 24))
    assert result.term(2026, "autumn").status == S.MEETING_BOOKED
    # Monday 7 December, the first working day after Friday 4 December, not signed off: overdue.
    later = evaluate(jayden, [], [booked], CALENDAR, RULES, today=date(2026, 12, 7))
    assert later.term(2026, "autumn").status == S.OVERDUE
    # Friday 4 December itself is the last day it can be done on time.
    on_the_day = evaluate(jayden, [], [booked], CALENDAR, RULES, today=date(2026, 12, 4))
    assert on_the_day.term(2026, "autumn").status == S.MEETING_BOOKED


def test_signed_off_after_the_termly_deadline_is_done_late():
    signed_late = pep(
        4,
        "autumn",
        state=PepState.SIGNED_OFF,
        meeting_on=date(2026, 12, 1),
        submitted_on=date(2026, 12, 2),
        signed_off_on=date(2026, 12, 16),
    )
    result = evaluate(
        child(date(2025, 9, 1)), [], [signed_late], CALENDAR, RULES, today=date(2027, 1, 5)
    )
    autumn = result.term(2026, "autumn")
    assert (autumn.status, autumn.pep_id) == (S.DONE_LATE, 4)
    # Meeting Tue 1 Dec + 10 working days: Wed 2 to Fri 4 (1-3), Mon 7 to Fri 11 (4-8),
    # Mon 14 (9), Tuesday 15 December (10); signed off Wed 16: late.
    sign_off = result.obligation("sign_off:4")
    assert (sign_off.due_on, sign_off.status) == (date(2026, 12, 15), S.DONE_LATE)


def test_sign_off_after_a_meeting_on_the_last_day_of_term_runs_through_christmas():
    waiting = pep(5, "autumn", state=PepState.SUBMITTED, meeting_on=date(2026, 12, 18))
    result = evaluate(
        child(date(2025, 9, 1)), [], [waiting], CALENDAR, RULES, today=date(2027, 1, 6)
    )
    # Fri 18 Dec + 10 working days: Mon 21 to Thu 24 (1-4), [Fri 25, Mon 28], Tue 29 to Thu 31
    # (5-7), [Fri 1 Jan], Mon 4 (8), Tue 5 (9), Wednesday 6 January 2027 (10).
    sign_off = result.obligation("sign_off:5")
    assert (sign_off.due_on, sign_off.status) == (date(2027, 1, 6), S.DUE)
    # The next day it is overdue, and a cancelled PEP is owed nothing.
    assert (
        evaluate(child(date(2025, 9, 1)), [], [waiting], CALENDAR, RULES, today=date(2027, 1, 7))
        .obligation("sign_off:5")
        .status
        == S.OVERDUE
    )
    cancelled = replace(waiting, state=PepState.CANCELLED)
    gone = evaluate(child(date(2025, 9, 1)), [], [cancelled], CALENDAR, RULES, date(2027, 1, 7))
    assert gone.obligation("sign_off:5") is None
    assert gone.term(2026, "autumn").status == S.OVERDUE


# -- entering care late in a term ------------------------------------------------------------------


def test_entering_care_after_the_termly_deadline_moves_it_to_the_initial_peps():
    # Mon 16 Nov + 20 working days: Tue 17 to Fri 20 (1-4), Mon 23 to Fri 27 (5-9),
    # Mon 30 Nov to Fri 4 Dec (10-14), Mon 7 to Fri 11 (15-19), Monday 14 December 2026 (20).
    # Autumn's deadline (Fri 4 Dec) is earlier, so the term's deadline becomes Mon 14 Dec.
    result = evaluate(child(date(2026, 11, 16)), [], [], CALENDAR, RULES, today=date(2026, 12, 8))
    autumn = result.term(2026, "autumn")
    assert (autumn.status, autumn.due_on) == (S.DUE, date(2026, 12, 14))
    assert "initial PEP counts" in autumn.reason


def test_entering_care_too_late_in_term_makes_the_next_term_the_first():
    # Mon 23 Nov + 20 working days: Tue 24 to Fri 27 (1-4), Mon 30 Nov to Fri 4 Dec (5-9),
    # Mon 7 to Fri 11 (10-14), Mon 14 to Fri 18 (15-19), Monday 21 December 2026 (20): after the
    # autumn term ends, so autumn is not owed and spring is the first term.
    result = evaluate(child(date(2026, 11, 23)), [], [], CALENDAR, RULES, today=date(2026, 12, 8))
    assert result.obligation("initial_pep:2026-11-23").due_on == date(2026, 12, 21)
    assert [term.term for term in result.terms] == ["spring"]


# -- a school with its own term dates, and an authority's own deadline dates -----------------------


def test_a_school_with_its_own_term_dates_has_its_own_deadline():
    # The academy breaks up on Thursday 17 December and takes two weeks at half term.
    academy_autumn = TermDates(
        2026, "autumn", date(2026, 9, 3), date(2026, 12, 17), date(2026, 10, 19), date(2026, 10, 30)
    )
    from workflows.calendar import merge_term_dates

    academy = SchoolCalendar(
        merge_term_dates([AUTUMN_2026, SPRING_2027, SUMMER_2027], [academy_autumn])
    )
    result = evaluate(child(date(2025, 9, 1)), [], [], academy, RULES, today=date(2026, 11, 30))
    # Back 10 school days from Thu 17 Dec: Wed 16 (1), Tue 15, Mon 14 (3), Fri 11 to Mon 7
    # (4-8), Fri 4 (9), Thursday 3 December 2026 (10).
    assert result.term(2026, "autumn").due_on == date(2026, 12, 3)
    # Spring is the authority's: Friday 12 March 2027.
    assert result.term(2026, "spring").due_on == date(2027, 3, 12)


def test_an_authority_may_give_a_deadline_date_for_a_term(tmp_path):
    def set_autumn_date(data: dict) -> None:
        data["rules"]["termly_pep"]["deadline"]["dates"] = [
            {"academic_year": 2026, "term": "autumn", "due_on": date(2026, 11, 27)}
        ]

    rules = rules_with(tmp_path, set_autumn_date)
    result = evaluate(child(date(2025, 9, 1)), [], [], CALENDAR, rules, today=date(2026, 11, 30))
    assert (result.term(2026, "autumn").due_on, result.term(2026, "autumn").status) == (
        date(2026, 11, 27),
        S.OVERDUE,
    )
    assert result.term(2026, "spring").due_on == date(2027, 3, 12)  # counted as before


# -- changes of school and placement ---------------------------------------------------------------


def test_a_change_of_placement_calls_for_a_new_pep_within_10_working_days():
    events = [ChildEvent(EventKind.CHANGE_OF_PLACEMENT, date(2027, 2, 10))]
    late_meeting = pep(
        8, "spring", pep_type=PepType.CHANGE_OF_PLACEMENT, meeting_on=date(2027, 2, 25)
    )
    result = evaluate(
        child(date(2025, 9, 1)), events, [late_meeting], CALENDAR, RULES, today=date(2027, 3, 1)
    )
    # Wed 10 Feb + 10 working days: Thu 11 (1), Fri 12 (2), Mon 15 to Fri 19 (3-7: half term
    # does not stop working days), Mon 22 (8), Tue 23 (9), Wednesday 24 February 2027 (10).
    change = result.obligation("change_of_placement:2027-02-10")
    assert (change.due_on, change.status, change.satisfied_by) == (
        date(2027, 2, 24),
        S.DONE_LATE,
        8,
    )
    assert (change.statutory, change.pep_type) == (False, PepType.CHANGE_OF_PLACEMENT)


def test_a_change_of_school_in_the_holidays_is_still_due_in_working_days():
    events = [ChildEvent(EventKind.CHANGE_OF_SCHOOL, date(2026, 12, 24))]
    result = evaluate(child(date(2025, 9, 1)), events, [], CALENDAR, RULES, today=date(2027, 1, 4))
    # Thu 24 Dec + 10 working days: [Fri 25, Mon 28], Tue 29 (1), Wed 30 (2), Thu 31 (3),
    # [Fri 1], Mon 4 to Fri 8 (4-8), Mon 11 (9), Tuesday 12 January 2027 (10).
    change = result.obligation("change_of_school:2026-12-24")
    assert (change.due_on, change.status) == (date(2027, 1, 12), S.DUE)


# -- exemptions ------------------------------------------------------------------------------------


def test_a_short_breaks_child_is_exempt_from_everything_by_statute():
    short_breaks = child(date(2026, 10, 15), legal_status_code="V3")
    result = evaluate(short_breaks, [], [], CALENDAR, RULES, today=date(2026, 12, 7))
    assert result.exemption.rule == "short_breaks" and result.exemption.statutory
    assert {o.status for o in result.obligations} == {S.EXEMPT}
    assert {t.status for t in result.terms} == {S.EXEMPT}
    assert "V3" in result.term(2026, "autumn").reason
    # V4 too; V2 (a single short-term placement) is not a short break.
    v4 = evaluate(
        replace(short_breaks, legal_status_code="v4"), [], [], CALENDAR, RULES, date(2026, 12, 7)
    )
    assert v4.exemption is not None
    v2 = evaluate(
        replace(short_breaks, legal_status_code="V2"), [], [], CALENDAR, RULES, date(2026, 12, 7)
    )
    assert v2.exemption is None


def test_a_child_who_left_care_mid_term_is_exempt_from_later_terms():
    left = child(date(2026, 9, 7), left_care_on=date(2027, 1, 15))
    result = evaluate(left, [], [], CALENDAR, RULES, today=date(2027, 2, 1))
    # Mon 7 Sep + 20 working days: Tue 8 to Fri 11 (1-4), Mon 14 to Fri 18 (5-9),
    # Mon 21 to Fri 25 (10-14), Mon 28 Sep to Fri 2 Oct (15-19), Monday 5 October 2026 (20).
    initial = result.obligation("initial_pep:2026-09-07")
    assert (initial.due_on, initial.status) == (date(2026, 10, 5), S.OVERDUE)
    # Autumn (due Fri 4 Dec) fell due while in care and was missed; spring (Fri 12 March) and
    # summer (shown as the next term) fall due after Fri 15 January: exempt, a local exemption.
    assert [(t.term, t.status) for t in result.terms] == [
        ("autumn", S.OVERDUE),
        ("spring", S.EXEMPT),
        ("summer", S.EXEMPT),
    ]
    spring = result.term(2026, "spring").obligation
    assert spring.exemption.rule == "left_care" and not spring.exemption.statutory
    assert "Friday 15 January 2027" in spring.exemption.reason


def test_a_child_in_care_for_under_20_days_is_exempt_locally(tmp_path):
    # Mon 2 Nov to Thu 19 Nov 2026: 17 days in care.
    short_stay = child(date(2026, 11, 2), left_care_on=date(2026, 11, 19))
    result = evaluate(short_stay, [], [], CALENDAR, RULES, today=date(2026, 12, 7))
    assert result.exemption.rule == "in_care_under_days"
    assert not result.exemption.statutory
    assert "17 days" in result.exemption.reason
    assert {o.status for o in result.obligations} == {S.EXEMPT}

    def switch_off(data: dict) -> None:
        data["exemptions"]["in_care_under_days"]["enabled"] = False

    # An authority that switches it off still exempts what fell due after leaving, by the
    # left-care exemption: the initial PEP, due Tue 3 to Fri 6 Nov (1-4), Mon 9 to Fri 13 (5-9),
    # Mon 16 to Fri 20 (10-14), Mon 23 to Fri 27 (15-19), Monday 30 November (20). The care
    # plan, due Tue 3 to Fri 6 (1-4), Mon 9 to Fri 13 (5-9), Monday 16 November (10), fell due
    # while the child was in care and was missed.
    rules = rules_with(tmp_path, switch_off)
    strict = evaluate(short_stay, [], [], CALENDAR, rules, date(2026, 12, 7))
    assert strict.exemption is None
    initial = strict.obligation("initial_pep:2026-11-02")
    assert (initial.due_on, initial.status, initial.exemption.rule) == (
        date(2026, 11, 30),
        S.EXEMPT,
        "left_care",
    )
    care_plan = strict.obligation("care_plan:2026-11-02")
    assert (care_plan.due_on, care_plan.status) == (date(2026, 11, 16), S.OVERDUE)


def test_a_previously_looked_after_child_has_no_statutory_pep():
    adopted = child(date(2026, 10, 15), previously_looked_after=True)
    result = evaluate(adopted, [], [], CALENDAR, RULES, today=date(2026, 12, 7))
    assert result.exemption.rule == "previously_looked_after" and result.exemption.statutory
    assert {t.status for t in result.terms} == {S.EXEMPT}


# -- ages: the starting age and 18 -----------------------------------------------------------------


def test_a_child_turning_the_starting_age_is_due_from_the_next_term(tmp_path):
    # Born Wed 15 Nov 2023: 3 on Sunday 15 November 2026, after the autumn term started.
    toddler = child(date(2025, 6, 2), date_of_birth=date(2023, 11, 15))
    result = evaluate(toddler, [], [], CALENDAR, RULES, today=date(2027, 1, 5))
    autumn, spring = result.term(2026, "autumn"), result.term(2026, "spring")
    assert (autumn.status, autumn.due_on, autumn.obligation) == (S.NOT_YET_DUE, None, None)
    assert "Sunday 15 November 2026" in autumn.reason
    assert (spring.status, spring.due_on) == (S.NOT_YET_DUE, date(2027, 3, 12))
    assert result.obligation("termly_pep:2026:autumn") is None
    # Born in 2023/24, Reception in 2028/29: in 2026/27, 2026 - 2023 - 5 = two years below it.
    assert autumn.year_group == -2

    def start_at_two(data: dict) -> None:
        data["rules"]["termly_pep"]["starting_age"] = 2

    from_two = evaluate(
        toddler, [], [], CALENDAR, rules_with(tmp_path, start_at_two), date(2027, 1, 5)
    )
    # At 2 the autumn term counts: due Friday 4 December 2026, and missed.
    assert (from_two.term(2026, "autumn").status, from_two.term(2026, "autumn").due_on) == (
        S.OVERDUE,
        date(2026, 12, 4),
    )


def test_a_young_person_turning_18_leaves_care_and_owes_nothing_after():
    # Born Tue 20 Jan 2009: 18 on Wednesday 20 January 2027, before spring's deadline.
    nearly_adult = child(date(2024, 9, 2), date_of_birth=date(2009, 1, 20))
    result = evaluate(nearly_adult, [], [], CALENDAR, RULES, today=date(2027, 2, 1))
    assert result.term(2026, "autumn").status == S.OVERDUE
    spring = result.term(2026, "spring")
    assert spring.status == S.EXEMPT
    assert "Turned 18 on Wednesday 20 January 2027" in spring.reason
    # Born January 2009 (academic year 2008/09): Year 13 in 2026/27.
    assert spring.year_group == 13


def test_ages_and_year_groups_by_hand():
    # 29 February birthdays are reached on 1 March in other years.
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
    # Born 31 August 2021 (academic year 2020/21): five on 31 August 2026, so Reception was
    # 2025/26 and 2026/27 is Year 1; a day later, 1 September 2021 (2021/22): Reception in 2026/27.
    assert year_group_on(date(2021, 8, 31), date(2026, 9, 2)) == 1
    assert year_group_on(date(2021, 9, 1), date(2026, 9, 2)) == 0
    # Born 10 May 2016 (2015/16): 2026 - 2015 - 5 = Year 6.
    assert year_group_on(TEN_YEAR_OLD, date(2026, 9, 2)) == 6


# -- waiting for approval --------------------------------------------------------------------------


def test_waiting_for_approval_is_chased_after_5_working_days():
    submitted = date(2026, 11, 30)  # Monday
    # Tue 1 to Fri 4 (1-4), Monday 7 December (5): not yet; Tuesday 8 December (6): chase.
    assert not waiting_too_long(submitted, date(2026, 12, 7), CALENDAR, RULES)
    assert waiting_too_long(submitted, date(2026, 12, 8), CALENDAR, RULES)
    # Across Christmas: submitted Wed 23 Dec: Thu 24 (1), Tue 29 (2), Wed 30 (3), Thu 31 (4),
    # Mon 4 Jan (5), Tuesday 5 January (6).
    assert not waiting_too_long(date(2026, 12, 23), date(2027, 1, 4), CALENDAR, RULES)
    assert waiting_too_long(date(2026, 12, 23), date(2027, 1, 5), CALENDAR, RULES)


# -- the rules file --------------------------------------------------------------------------------


def test_the_default_rules_mark_each_rule_statutory_or_local():
    assert RULES.deadline("care_plan").working_days == 10
    assert RULES.deadline("initial_pep").working_days == 20
    assert {key for key, rule in RULES.deadlines.items() if rule.statutory} == {
        "care_plan",
        "initial_pep",
    }
    assert not RULES.termly.statutory
    assert (RULES.termly.starting_age, RULES.termly.until_age) == (3, 18)
    assert RULES.exemptions["short_breaks"].legal_status_codes == {"V3", "V4"}
    assert RULES.exemptions["short_breaks"].statutory
    assert not RULES.exemptions["left_care"].statutory
    assert RULES.exemptions["in_care_under_days"].days == 20
    assert RULES.reminders.due_in_school_days == (15, 5)
    assert RULES.reminders.escalate_overdue_after_working_days == 10
    assert RULES.reminders.waiting_for_approval_working_days == 5
    assert all(rule.description for rule in RULES.deadlines.values())


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (
            lambda d: d["rules"]["initial_pep"].update(working_days=25),
            "rules.initial_pep.working_days",
            "at most 20 working days",
        ),
        (
            lambda d: d["rules"]["care_plan"].update(kind="local"),
            "rules.care_plan.kind",
            "must be statutory",
        ),
        (
            lambda d: d["rules"]["sign_off"].update(kind="optional"),
            "rules.sign_off.kind",
            "statutory or local",
        ),
        (
            lambda d: d["rules"]["termly_pep"].update(starting_age=4),
            "rules.termly_pep.starting_age",
            "2 or 3",
        ),
        (
            lambda d: d["rules"]["termly_pep"].update(until_age=21),
            "rules.termly_pep.until_age",
            "18 or less",
        ),
        (
            lambda d: d["exemptions"]["short_breaks"].update(enabled=False),
            "exemptions.short_breaks.enabled",
            "cannot be switched off",
        ),
        (
            lambda d: d["rules"]["change_of_school"].update(met_by="whenever"),
            "rules.change_of_school.met_by",
            "must be one of",
        ),
        (
            lambda d: d["reminders"].update(due_in_school_days=[5, 5]),
            "reminders.due_in_school_days",
            "different whole numbers",
        ),
        (lambda d: d["rules"].pop("sign_off"), "rules.sign_off", "is missing"),
        (lambda d: d["rules"]["sign_off"].update(weeks=2), "rules.sign_off", "unknown field"),
        (
            lambda d: d["rules"]["termly_pep"]["deadline"].update(
                dates=[{"academic_year": 2026, "term": "autumn", "due_on": date(2027, 12, 4)}]
            ),
            "rules.termly_pep.deadline.dates[0].due_on",
            "academic year 2026/27",
        ),
    ],
)
def test_a_broken_rules_file_says_where_and_what(tmp_path, change, where, problem):
    with pytest.raises(DefinitionError) as raised:
        rules_with(tmp_path, change)
    assert raised.value.path == where
    assert problem in raised.value.problem
    assert "rules.yaml" in str(raised.value)


def test_an_authority_points_the_environment_at_its_own_file(tmp_path):
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    data["rules"]["termly_pep"]["deadline"]["school_days_before_term_ends"] = 0
    own = tmp_path / "our-rules.yaml"
    own.write_text(yaml.safe_dump(data), encoding="utf-8")
    rules = rules_from_environment({"OPENPEP_TIMELINESS_RULES": str(own)})
    assert rules.termly.school_days_before_term_ends == 0
    result = evaluate(child(date(2025, 9, 1)), [], [], CALENDAR, rules, today=date(2026, 12, 1))
    # 0 school days before the end: the last day of term, Friday 18 December 2026.
    assert result.term(2026, "autumn").due_on == date(2026, 12, 18)
    assert rules_from_environment({}) == RULES
    with pytest.raises(DefinitionError, match="cannot be read"):
        rules_from_environment({"OPENPEP_TIMELINESS_RULES": str(tmp_path / "missing.yaml")})
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="not valid YAML"):
        load_rules(broken)


# -- properties ------------------------------------------------------------------------------------

in_care_days = st.dates(min_value=date(2026, 8, 1), max_value=date(2027, 6, 30))


@settings(max_examples=60, deadline=None)
@given(entered=in_care_days, later=st.integers(min_value=0, max_value=200))
def test_deadlines_hold_whatever_the_day_of_entering_care(entered, later):
    today = entered + timedelta(days=later)
    result = evaluate(child(entered), [], [], CALENDAR, RULES, today)
    initial = result.obligation(f"initial_pep:{entered.isoformat()}")
    assert CALENDAR.is_working_day(initial.due_on)
    assert CALENDAR.working_days_between(entered, initial.due_on) == 20
    assert initial.status == (S.OVERDUE if today > initial.due_on else S.DUE)
    keys = [obligation.key for obligation in result.obligations]
    assert len(keys) == len(set(keys))
    for term_status in result.terms:
        term = CALENDAR.term(term_status.academic_year, term_status.term)
        # Each term's deadline is a school day in that term, never before the initial PEP's.
        assert term.contains(term_status.due_on)
        assert CALENDAR.is_school_day(term_status.due_on)
        assert term_status.due_on >= initial.due_on or term.starts_on > initial.due_on
        assert (term_status.status == S.OVERDUE) == (today > term_status.due_on)


@settings(max_examples=60, deadline=None)
@given(
    meeting=st.dates(min_value=date(2026, 9, 2), max_value=date(2027, 7, 21)),
    delay=st.integers(min_value=0, max_value=30),
)
def test_sign_off_is_on_time_exactly_when_within_10_working_days(meeting, delay):
    signed = meeting + timedelta(days=delay)
    record = pep(1, "autumn", state=PepState.SIGNED_OFF, meeting_on=meeting, signed_off_on=signed)
    result = evaluate(child(date(2025, 9, 1)), [], [record], CALENDAR, RULES, date(2027, 8, 31))
    due_on = CALENDAR.add_working_days(meeting, 10)
    on_time = signed <= due_on
    if CALENDAR.is_working_day(signed):  # a sign-off on a weekend counts from the Friday before
        assert on_time == (CALENDAR.working_days_between(meeting, signed) <= 10)
    assert result.obligation("sign_off:1").due_on == due_on
    expected = S.DONE_ON_TIME if on_time else S.DONE_LATE
    assert result.obligation("sign_off:1").status == expected


# -- the dependency rule ---------------------------------------------------------------------------

ALLOWED_THIRD_PARTY = {"yaml", "holidays"}


@pytest.mark.parametrize("module", ["calendar.py", "timeliness.py"])
def test_timeliness_is_pure_python(module):
    path = Path(RULES_FILE).parent.parent / module
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
    }
    offenders = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names
        and name.split(".")[0] not in ALLOWED_THIRD_PARTY
        and not name.startswith("workflows.")
        and name != "__future__"
    }
    assert offenders == set()


# -- records that begin part way through a child's time in care ------------------------------------


def test_what_fell_due_before_records_began_is_left_out():
    # In care since Monday 1 April 2019, and no PEP recorded in the portal before 2026/27.
    long_in_care = child(date(2019, 4, 1))
    everything = evaluate(long_in_care, [], [], CALENDAR, RULES, today=date(2026, 11, 24))
    assert everything.obligation("initial_pep:2019-04-01").status == S.OVERDUE
    from_this_year = evaluate(
        long_in_care, [], [], CALENDAR, RULES, today=date(2026, 11, 24), since=date(2026, 9, 1)
    )
    # Only the autumn term (due Fri 4 Dec) and the next, spring (due Fri 12 March), remain.
    assert [o.key for o in from_this_year.obligations] == [
        "termly_pep:2026:autumn",
        "termly_pep:2026:spring",
    ]
    assert [t.term for t in from_this_year.terms] == ["autumn", "spring"]


def test_a_term_shorter_than_the_deadline_count_is_due_on_its_first_day():
    # A one-week summer term, Mon 12 to Fri 16 April 2027, has 5 school days: counting 10 back
    # from its last day would leave the term, so it is due on its first day, Monday 12 April.
    one_week = TermDates(2026, "summer", date(2027, 4, 12), date(2027, 4, 16), None, None)
    calendar = SchoolCalendar([AUTUMN_2026, SPRING_2027, one_week])
    result = evaluate(child(date(2025, 9, 1)), [], [], calendar, RULES, today=date(2027, 4, 12))
    assert result.term(2026, "summer").due_on == date(2027, 4, 12)


def test_the_portals_uuid_pep_ids_work_as_well_as_numbers():
    import uuid

    pep_id = uuid.uuid4()
    signed = pep(
        0, "autumn", state=PepState.SIGNED_OFF, meeting_on=date(2026, 11, 2)
    )  # signed off Tue 3 Nov, long before Fri 4 Dec
    signed = replace(signed, id=pep_id, signed_off_on=date(2026, 11, 3))
    result = evaluate(child(date(2025, 9, 1)), [], [signed], CALENDAR, RULES, date(2026, 12, 7))
    assert result.term(2026, "autumn").pep_id == pep_id
    assert result.obligation(f"sign_off:{pep_id}").status == S.DONE_ON_TIME


def test_missing_term_dates_are_said_not_read_as_not_yet_due():
    # Term dates recorded to July 2027 only: on 1 October 2027 no term is known, nothing termly
    # can be worked out, and the child is told which year's dates to add.
    result = evaluate(child(date(2026, 9, 1)), [], [], CALENDAR, RULES, today=date(2027, 10, 1))
    assert result.term_dates_missing == "Add the term dates for 2027/28 to work out termly PEPs"
    # In the summer holiday with the next year not entered, the year about to start is named.
    august = evaluate(child(date(2026, 9, 1)), [], [], CALENDAR, RULES, today=date(2027, 8, 2))
    assert august.term_dates_missing_for == 2027
    # In a term, or a holiday before a known term, nothing is missing.
    for today in (date(2026, 11, 2), date(2026, 12, 28)):
        assert (
            evaluate(child(date(2026, 9, 1)), [], [], CALENDAR, RULES, today).term_dates_missing
            is None
        )
