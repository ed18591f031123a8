"""The days a PEP's answers are judged on (``forms.judging_days``): today in England, and the
PEP meeting its agreed dates start from.

The meeting date is one value, kept in step by the operations: the PEP's own (``pep.meeting_date``)
and the meeting details section's ``meeting_date`` answer are set together when a meeting is
arranged, the section is saved, or the PEP is submitted. The PEP's own is read here: a section
page loads no other section's answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from wtforms import Form

from forms.answers import stored_date
from forms.judging_days import JudgingDays
from forms.schema import SectionDefinition
from portal.academic import england_today
from portal.models import Pep
from portal.operations.meetings import MEETING_SECTION


def meeting_date_in(answers_by_section: Mapping[str, object]) -> date | None:
    """The meeting date the meeting details section's answers give, if any that reads."""
    section = answers_by_section.get(MEETING_SECTION)
    return stored_date(section.get("meeting_date")) if isinstance(section, Mapping) else None


def judging_days_for(pep: Pep, today: date | None = None) -> JudgingDays:
    """The days this PEP's answers are judged on: ``today`` (England's, if not given) and its
    meeting date."""
    return JudgingDays(today=today or england_today(), meeting_date=pep.meeting_date)


def judge_form_on_pep_days(form: Form, pep: Pep, section: SectionDefinition) -> None:
    """Set the days a section form of this PEP is judged on, before it is validated. On the
    meeting details page the meeting date posted with the other answers is the one they are
    judged against: moving the meeting and its next date together must be possible."""
    days = judging_days_for(pep)
    if section.key == MEETING_SECTION and "meeting_date" in form:
        posted = form["meeting_date"]
        if not posted.process_errors:  # read well, or left empty: it is the date to be saved
            meeting_date = posted.data if isinstance(posted.data, date) else None
            days = JudgingDays(today=days.today, meeting_date=meeting_date)
    form.judging_days = days  # type: ignore[attr-defined]
