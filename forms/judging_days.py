"""The days a PEP's answers are judged on: today, and the PEP meeting its plans start from.

A date that must not be in the past (a target's "by when", an action's deadline, the date of
the next PEP meeting) was agreed at the PEP meeting. Once the meeting has happened it is judged
against that meeting, not against the day someone happens to look: a PEP written up a week after
the meeting, approved a week later, or returned and resubmitted, stays complete without anyone
moving an agreed date. Before the meeting, and while the PEP has no meeting date, such a date is
judged against today (a care plan review may rightly come before a meeting still to come).
A date that must not be in the future (a date of birth, the latest assessment) is always judged
on today.

Everything that works out whether an answer is valid (the section forms, the completeness of a
PEP) takes one ``JudgingDays`` where it used to take ``today``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from forms.dates import today_in_england
from forms.field_types.base import FieldDefinition
from forms.field_types.date import DateDefinition, earliest_agreed_day


@dataclass(frozen=True)
class JudgingDays:
    """``today``: the day in England now. ``meeting_date``: the PEP meeting's date, the day its
    plans start from; None while the PEP has none (plans are then judged against today)."""

    today: date
    meeting_date: date | None = None

    @classmethod
    def of(cls, days: JudgingDays | None = None, *, today: date | None = None) -> JudgingDays:
        """The days given, or judging on ``today`` alone (the day in England now if not
        given): the shorthand older callers use, passing ``today`` and knowing no meeting
        date."""
        if days is not None and today is not None:
            raise TypeError("pass either the judging days or today, not both")
        return days if days is not None else cls(today=today or today_in_england())

    @property
    def plans_start_on(self) -> date:
        """The earliest day a date that must not be in the past may fall on (the date rule's
        own ``earliest_agreed_day``)."""
        return earliest_agreed_day(self.today, self.meeting_date)

    def answer_problem(self, definition: FieldDefinition, value: object) -> str | None:
        """What is wrong with an answered value on these days (``forms.validation``'s rules),
        as a GOV.UK-style message; None if nothing is."""
        if isinstance(definition, DateDefinition):
            # Only dates read the meeting date: every other rule is the same on any day.
            return definition.answer_problem(
                value, today=self.today, meeting_date=self.meeting_date
            )
        return definition.answer_problem(value, today=self.today)
