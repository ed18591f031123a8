"""Working days and school days in England: bank holidays, term dates, half terms and INSET days.

Pure: dates in, dates out. Timeliness rules count in two units:
- working days: Monday to Friday, not a bank holiday in England (the statutory care-plan deadlines,
  which run through school holidays so that a holiday cannot hide a missed review);
- school days: working days inside a term, outside its half-term break and its INSET days (the
  local termly deadlines and reminders).

England's bank holidays come from the maintained `holidays` package (substitute days such as
Monday 28 December 2026 and one-off holidays such as a state funeral included), never a hand list.
The authority's term dates are the default; a school that sets its own (academies, foundation and
voluntary-aided schools) replaces them term by term (`merge_term_dates`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise

import holidays

TERMS = ("autumn", "spring", "summer")
TERM_LABELS = {"autumn": "Autumn", "spring": "Spring", "summer": "Summer"}
ONE_DAY = timedelta(days=1)


class CalendarError(ValueError):
    """Term dates that cannot be used, or a question they cannot answer: a plain sentence."""


class NoTermDatesError(CalendarError):
    """Counting school days ran past the last term recorded (or before the first)."""


def academic_year_label(academic_year: int) -> str:
    """2026 -> "2026/27", the way schools write it."""
    return f"{academic_year}/{(academic_year + 1) % 100:02d}"


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


@dataclass(frozen=True)
class TermDates:
    """One term of one academic year; `academic_year` is the calendar year the year starts in.

    The half-term break (both dates inclusive) and INSET days are inside the term but are not
    school days. A term that cannot be right raises CalendarError saying what to correct.
    """

    academic_year: int
    term: str
    starts_on: date
    ends_on: date
    half_term_starts_on: date | None
    half_term_ends_on: date | None
    inset_days: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        # Accept any iterable of dates (a JSON list from storage) but keep the record hashable.
        if not isinstance(self.inset_days, tuple):
            object.__setattr__(self, "inset_days", tuple(self.inset_days))
        problems = term_dates_problems(self)
        if problems:
            raise CalendarError(" ".join(problems))

    @property
    def name(self) -> str:
        """ "Autumn term 2026/27"."""
        label = TERM_LABELS.get(self.term, self.term)
        return f"{label} term {academic_year_label(self.academic_year)}"

    @property
    def key(self) -> tuple[int, str]:
        return (self.academic_year, self.term)

    def contains(self, day: date) -> bool:
        """Whether the day is between the first and last day of term (half term included)."""
        return self.starts_on <= day <= self.ends_on

    def in_half_term(self, day: date) -> bool:
        return (
            self.half_term_starts_on is not None
            and self.half_term_ends_on is not None
            and self.half_term_starts_on <= day <= self.half_term_ends_on
        )


def term_dates_problems(term: TermDates) -> list[str]:
    """What is wrong with one term's dates, as sentences a person can act on (empty when none)."""
    name = f"The {term.term} term of {academic_year_label(term.academic_year)}"
    if term.term not in TERMS:
        return [f'"{term.term}" is not a term: use autumn, spring or summer.']
    problems: list[str] = []
    if term.ends_on < term.starts_on:
        problems.append(
            f"{name} ends ({_long(term.ends_on)}) before it starts ({_long(term.starts_on)}): "
            "check both dates."
        )
    # Autumn starts in the calendar year the academic year is named after; spring and summer in
    # the next one. A date in the wrong year is almost always a typing mistake.
    expected_year = term.academic_year if term.term == "autumn" else term.academic_year + 1
    if term.starts_on.year != expected_year:
        problems.append(
            f"{name} should start in {expected_year}, not {term.starts_on.year}: check the year."
        )
    half_start, half_end = term.half_term_starts_on, term.half_term_ends_on
    if (half_start is None) != (half_end is None):
        problems.append(f"{name} has half term's first or last day but not both: give both.")
    elif half_start is not None and half_end is not None:
        if half_end < half_start:
            problems.append(f"{name}'s half term ends before it starts: check both dates.")
        elif term.starts_on <= term.ends_on and not (
            term.starts_on < half_start and half_end < term.ends_on
        ):
            problems.append(
                f"{name}'s half term ({_long(half_start)} to {_long(half_end)}) must fall inside "
                f"the term ({_long(term.starts_on)} to {_long(term.ends_on)})."
            )
    for inset_day in term.inset_days:
        if not term.contains(inset_day):
            problems.append(
                f"The INSET day {_long(inset_day)} is not in {name.lower()} "
                f"({_long(term.starts_on)} to {_long(term.ends_on)})."
            )
    if len(set(term.inset_days)) != len(term.inset_days):
        problems.append(f"{name} lists the same INSET day twice.")
    return problems


def terms_problems(terms: Iterable[TermDates]) -> list[str]:
    """What is wrong with a set of terms together: the same term twice, overlaps, wrong order."""
    problems: list[str] = []
    seen: set[tuple[int, str]] = set()
    ordered = sorted(terms, key=lambda term: (term.starts_on, term.ends_on))
    for term in ordered:
        if term.key in seen:
            problems.append(f"The {term.name.lower()} is given twice: keep one.")
        seen.add(term.key)
    for earlier, later in pairwise(ordered):
        if later.starts_on <= earlier.ends_on:
            problems.append(
                f"The {earlier.name.lower()} ({_long(earlier.starts_on)} to "
                f"{_long(earlier.ends_on)}) overlaps the {later.name.lower()} "
                f"({_long(later.starts_on)} to {_long(later.ends_on)}): "
                "one term must end before the next starts."
            )
        elif (later.academic_year, TERMS.index(later.term)) < (
            earlier.academic_year,
            TERMS.index(earlier.term),
        ):
            problems.append(
                f"The {later.name.lower()} starts after the {earlier.name.lower()}: "
                "check their years and dates."
            )
    return problems


def merge_term_dates(
    authority: Sequence[TermDates], school_own: Sequence[TermDates]
) -> list[TermDates]:
    """The terms a school follows: its own for each (academic year, term) it gives, else the
    authority's; in date order."""
    own_keys = {term.key for term in school_own}
    merged = [term for term in authority if term.key not in own_keys] + list(school_own)
    return sorted(merged, key=lambda term: (term.starts_on, term.ends_on))


@lru_cache(maxsize=64)
def _england_bank_holidays_in(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_england_bank_holiday(day: date) -> bool:
    """England's bank holidays (with substitute days and one-off holidays) from `holidays`."""
    return day in _england_bank_holidays_in(day.year)


class SchoolCalendar:
    """Working days and school days for one school: its terms (already merged) and bank holidays.

    `bank_holidays` None means England's (the `holidays` package); tests may pass their own.
    Counting is "n days after": `add_working_days(d, 10)` is the tenth working day after d, d not
    counted (whether or not d is itself a working day), and
    `working_days_between(d, add_working_days(d, 10)) == 10`.
    """

    def __init__(
        self,
        terms: Sequence[TermDates],
        bank_holidays: Callable[[date], bool] | None = None,
    ) -> None:
        problems = terms_problems(terms)
        if problems:
            raise CalendarError(" ".join(problems))
        self.terms: tuple[TermDates, ...] = tuple(
            sorted(terms, key=lambda term: (term.starts_on, term.ends_on))
        )
        self._by_key = {term.key: term for term in self.terms}
        self._is_bank_holiday = bank_holidays or is_england_bank_holiday
        # A calendar does not change once built, and the same few hundred days are asked about
        # for every child at a school: remember each answer (plain dicts: safe under the GIL).
        self._working: dict[date, bool] = {}
        self._school: dict[date, bool] = {}
        self._added: dict[tuple[str, date, int], date] = {}

    # -- single days -----------------------------------------------------------------------

    def is_bank_holiday(self, day: date) -> bool:
        return self._is_bank_holiday(day)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a bank holiday."""
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = day.weekday() < 5 and not self._is_bank_holiday(day)
        return known

    def is_school_day(self, day: date) -> bool:
        """A working day inside a term, outside its half term and INSET days."""
        known = self._school.get(day)
        if known is None:
            term = self.term_containing(day) if self.is_working_day(day) else None
            known = self._school[day] = (
                term is not None and not term.in_half_term(day) and day not in term.inset_days
            )
        return known

    def term_containing(self, day: date) -> TermDates | None:
        """The term whose first-to-last-day span holds the day (half term included); None in a
        holiday between terms or outside the terms recorded."""
        for term in self.terms:
            if term.contains(day):
                return term
            if term.starts_on > day:
                return None
        return None

    def term(self, academic_year: int, term: str) -> TermDates | None:
        return self._by_key.get((academic_year, term))

    def next_term_after(self, day: date) -> TermDates | None:
        """The first term starting after the day."""
        return next((term for term in self.terms if term.starts_on > day), None)

    # -- counting --------------------------------------------------------------------------

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after start (before it when negative); start when 0."""
        key = ("working", start, days)
        if (known := self._added.get(key)) is None:
            known = self._added[key] = self._step(start, days, self.is_working_day, bounded=False)
        return known

    def add_school_days(self, start: date, days: int) -> date:
        """The `days`-th school day after start (before it when negative); start when 0.

        NoTermDatesError when the count runs past the terms recorded."""
        key = ("school", start, days)
        if (known := self._added.get(key)) is None:
            known = self._added[key] = self._step(start, days, self.is_school_day, bounded=True)
        return known

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after start up to and including end; when end is before start, minus the
        working days from end up to the day before start."""
        return self._count(start, end, self.is_working_day)

    def school_days_between(self, start: date, end: date) -> int:
        """School days after start up to and including end; when end is before start, minus the
        school days from end up to the day before start."""
        return self._count(start, end, self.is_school_day)

    def _step(
        self, start: date, days: int, counts: Callable[[date], bool], *, bounded: bool
    ) -> date:
        step = ONE_DAY if days >= 0 else -ONE_DAY
        remaining = abs(days)
        day = start
        while remaining:
            day += step
            if bounded:
                self._check_within_terms(day, start, days)
            if counts(day):
                remaining -= 1
        return day

    def _check_within_terms(self, day: date, start: date, days: int) -> None:
        if not self.terms:
            raise NoTermDatesError("No term dates are recorded: add this year's term dates.")
        if day > self.terms[-1].ends_on or day < self.terms[0].starts_on:
            count = f"{abs(days)} school days {'after' if days >= 0 else 'before'} {_long(start)}"
            if days >= 0:
                edge, wanted = f"after the {self.terms[-1].name.lower()}", "the next term's"
            else:
                edge, wanted = f"before the {self.terms[0].name.lower()}", "the previous term's"
            raise NoTermDatesError(
                f"There are no term dates {edge} to count {count}: add {wanted} dates."
            )

    @staticmethod
    def _count(start: date, end: date, counts: Callable[[date], bool]) -> int:
        # Forwards: the days after start up to and including end. Backwards: the days from end up
        # to but not including start, negated, so that add_*(start, n) == end gives n both ways.
        if end < start:
            first, last, sign = end, start - ONE_DAY, -1
        else:
            first, last, sign = start + ONE_DAY, end, 1
        total = 0
        day = first
        while day <= last:
            if counts(day):
                total += 1
            day += ONE_DAY
        return sign * total


def academic_year_of(day: date) -> int:
    """The academic year a date belongs to, named by its starting year: September to August."""
    return day.year if day.month >= 9 else day.year - 1
