"""The days a PEP's section forms are judged on: its meeting date (the one posted, on the meeting
details page) and England's today."""

from datetime import date
from types import SimpleNamespace

import pytest

from forms.answers import FormData
from forms.builder import build_section_form
from forms.judging_days import JudgingDays
from forms.schema import load_definitions
from portal import judging_days

MEETING = date(2026, 10, 1)
TODAY = date(2026, 10, 12)


@pytest.fixture(autouse=True)
def england_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(judging_days, "england_today", lambda: TODAY)


def section(key: str):
    return load_definitions().get("school_age", 3).section(key)


def judged_form(key: str, pairs: list[tuple[str, str]], meeting_date: date | None):
    definition = section(key)
    form = build_section_form(definition, draft=True)(formdata=FormData(pairs))
    pep = SimpleNamespace(meeting_date=meeting_date)
    judging_days.judge_form_on_pep_days(form, pep, definition)  # type: ignore[arg-type]
    return form.judging_days


def test_a_pep_is_judged_on_its_meeting_date_and_englands_today() -> None:
    pep = SimpleNamespace(meeting_date=MEETING)
    assert judging_days.judging_days_for(pep) == JudgingDays(TODAY, MEETING)  # type: ignore[arg-type]
    assert judged_form("actions_agreed", [], MEETING) == JudgingDays(TODAY, MEETING)
    assert judged_form("actions_agreed", [], None) == JudgingDays(TODAY, None)


def test_the_meeting_details_page_is_judged_on_the_meeting_date_posted() -> None:
    moved = date(2026, 10, 8)
    assert judged_form("meeting_details", [("meeting_date", moved.isoformat())], MEETING) == (
        JudgingDays(TODAY, moved)
    )
    # Cleared: the answers saved with it have no meeting date to be judged against.
    assert judged_form("meeting_details", [("meeting_date", "")], MEETING) == JudgingDays(TODAY)
    # Unreadable: it is not saved, so the PEP's own stands.
    assert judged_form("meeting_details", [("meeting_date", "31/2/2026")], MEETING) == (
        JudgingDays(TODAY, MEETING)
    )


def test_the_meeting_date_in_a_peps_answers() -> None:
    assert judging_days.meeting_date_in({"meeting_details": {"meeting_date": "2026-10-01"}}) == (
        MEETING
    )
    assert judging_days.meeting_date_in({"meeting_details": {"meeting_date": "soon"}}) is None
    assert judging_days.meeting_date_in({}) is None
