"""A PEP falls due and its meeting is booked, in a real browser, with real email.

The admin sets the authority's dates for the term the meeting will fall in; a child enters care
today (a children file with one new child placed at Oakfield, whose designated teacher and social
worker have accounts); the children list filtered to "Due" and the child's Timeliness panel show
the initial PEP due 20 working days later (England's bank holidays counted); the designated
teacher starts the PEP (the page proposes "Initial") and arranges its meeting, after which the
timeliness says "Meeting booked"; the social worker's invitation reaches a real SMTP server on
127.0.0.1 with a calendar file that `icalendar` reads. Every page visited passes the page checks.

All dates are worked out from today, so the test means the same whatever day it runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from devtools.oidc_provider import OidcProvider
from devtools.smtp_sink import ReceivedMessage, SmtpSink, running_smtp_sink
from portal import create_app
from portal.academic import Term, current_term
from portal.config import SmtpSettings
from portal.extensions import db
from portal.models import Child, Pep
from portal.operations.emails import wait_for_background_emails
from tests.conftest import portal_config
from tests.e2e.conftest import LiveServer, sign_in_through_provider
from tests.e2e.page_checks import assert_accessible
from tests.e2e.test_admin_loads_a_cohort import sign_out, upload_and_commit
from tests.e2e.test_admin_sets_term_dates import fill_date
from workflows.calendar import SchoolCalendar, academic_year_label

ADMIN = "admin@demo.openpep.test"
DESIGNATED_TEACHER = "dt.oakfield@demo.openpep.test"  # Priya Shah, Oakfield Primary School
SOCIAL_WORKER = "sw@demo.openpep.test"  # Sam Okoro
OAKFIELD = "900201"  # follows the authority's term dates (no dates of its own)
REFERENCE = "E2E-0140"
FIRST_NAME, SURNAME = "Marnie", "Ashcombe"
MAIL_FROM = "virtual.school@testshire.example"

# Hand-checked example of the rule the test computes with the pure calendar: a child entering
# care on Monday 14 December 2026 has the initial PEP due on Thursday 14 January 2027, the 20th
# working day after (15-18 Dec are 4, 21-24 Dec 8, the 25th and 28th are bank holidays and the
# 26th-27th a weekend, 29-31 Dec 11, 1 January a bank holiday, 4-8 Jan 16, 11-14 Jan 20).
HAND_CHECKED = (date(2026, 12, 14), date(2027, 1, 14))


@dataclass(frozen=True)
class Plan:
    """The days the story uses, all from today."""

    today: date
    entered_care_on: date
    initial_pep_due_on: date
    meeting_on: date
    contributions_due_on: date
    academic_year: int
    term: Term
    term_starts_on: date
    term_ends_on: date

    @property
    def term_name(self) -> str:
        return f"{self.term.label} term {academic_year_label(self.academic_year)}"


def rough_term_bounds(academic_year: int, term: Term) -> tuple[date, date]:
    """The months the portal counts as the term when it has no dates (portal.academic): the
    widest dates an admin can give that term without overlapping its neighbours."""
    if term is Term.AUTUMN:
        return date(academic_year, 9, 1), date(academic_year, 12, 31)
    if term is Term.SPRING:
        return date(academic_year + 1, 1, 1), date(academic_year + 1, 3, 31)
    return date(academic_year + 1, 4, 1), date(academic_year + 1, 8, 31)


def plan_for(today: date) -> Plan:
    calendar = SchoolCalendar([])  # working days need only England's bank holidays
    # The meeting: a working day at least three days ahead, so contributions can be due in
    # between (they must be due today or later, and before the meeting).
    meeting_on = today + timedelta(days=3)
    while not calendar.is_working_day(meeting_on):
        meeting_on += timedelta(days=1)
    # The PEP is for the term the meeting falls in: this term, or the next when today is in
    # the last days of one; the start page offers both.
    academic_year, term = current_term(meeting_on)
    assert (academic_year, term) in {current_term(today), _next(current_term(today))}
    starts_on, ends_on = rough_term_bounds(academic_year, term)
    return Plan(
        today=today,
        entered_care_on=today,
        initial_pep_due_on=calendar.add_working_days(today, 20),
        meeting_on=meeting_on,
        contributions_due_on=meeting_on - timedelta(days=1),
        academic_year=academic_year,
        term=term,
        term_starts_on=starts_on,
        term_ends_on=ends_on,
    )


def _next(year_and_term: tuple[int, Term]) -> tuple[int, Term]:
    year, term = year_and_term
    if term is Term.AUTUMN:
        return year, Term.SPRING
    if term is Term.SPRING:
        return year, Term.SUMMER
    return year + 1, Term.AUTUMN


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def children_file(plan: Plan) -> str:
    """One child of Oakfield, entering care today: the SSDA903 columns plus those a PEP needs."""
    born = date(plan.today.year - 8, 1, 15)  # Year 3 or 4: a primary school age
    return (
        "CHILD,FORENAME,SURNAME,SEX,DOB,ETHNIC,UPN,UASC,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,"
        "DEC,REC,HOME_POST,PL_POST,URN,PLACED_LA,SCHOOL_URN,NO_SCHOOL_PLACE,SW_EMAIL\n"
        f"{REFERENCE},{FIRST_NAME},{SURNAME},2,{born:%d/%m/%Y},WBRI,,N,"
        f"{plan.entered_care_on:%d/%m/%Y},S,C2,N1,U4,PR1,,,WR5 2,WR5 3AB,,,{OAKFIELD},,"
        f"{SOCIAL_WORKER}\n"
    )


# -- the portal, sending its email to a real SMTP server on loopback ------------------------------


@pytest.fixture
def mail_sink() -> Iterator[SmtpSink]:
    with running_smtp_sink() as sink:
        yield sink


@pytest.fixture
def live_server(
    migrated_database: str, oidc_provider: OidcProvider, mail_sink: SmtpSink
) -> Iterator[LiveServer]:
    """tests/e2e/conftest.py's server (over the demo data, which `migrated_database` gives a
    test asking for `live_server`), with the email settings OPENPEP_SMTP_HOST and
    OPENPEP_SMTP_PORT would give pointing at the sink, and its links at the server itself."""
    app = create_app(portal_config(migrated_database, oidc_provider))
    server = LiveServer(app)
    app.config.update(
        SMTP=SmtpSettings(host=mail_sink.host, port=mail_sink.port, timeout_seconds=5),
        MAIL_FROM=MAIL_FROM,
        BASE_URL=server.url,
        EMAIL_NOT_SET_UP_REASON=None,
    )
    with server:
        yield server
        # Nothing may still be sending when the sink and the database go away.
        assert wait_for_background_emails(app, timeout=30)
    with app.app_context():
        db.engine.dispose()


# -- the story ---------------------------------------------------------------------------------


def set_the_term(page: Page, base: str, plan: Plan) -> None:
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Term dates", exact=True).click()
    expect(page.get_by_role("heading", name="Term dates", level=1)).to_be_visible()
    assert_accessible(page)
    # Playwright sends a pattern to the browser between slashes: the year's slash is escaped.
    term_words = re.escape(f"{plan.term.value} term {academic_year_label(plan.academic_year)}")
    term_words = term_words.replace("/", r"\/")
    # "Change the ..." when the demo has dates for the term, "Add the ..." when it has none.
    page.get_by_role("link", name=re.compile(f"^(Change|Add) the {term_words}$")).click()
    expect(page.get_by_role("heading", name=re.compile(f"the {term_words}$"))).to_be_visible()
    assert_accessible(page)
    fill_date(page, "starts_on", plan.term_starts_on)
    fill_date(page, "ends_on", plan.term_ends_on)
    # A week's half term well inside the term (half term is still a working week).
    half_term_starts_on = plan.term_starts_on + timedelta(days=49)
    fill_date(page, "half_term_starts_on", half_term_starts_on)
    fill_date(page, "half_term_ends_on", half_term_starts_on + timedelta(days=4))
    page.get_by_role("button", name=f"Save the {plan.term.value} term").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        re.compile(f"The authority's {term_words} has been (changed|added)")
    )
    row = page.locator(f"#year-{plan.academic_year} tr", has_text=plan.term.label)
    expect(row).to_contain_text(f"{plan.term_starts_on.day} {plan.term_starts_on:%B}")
    assert_accessible(page)


def initial_pep_row(page: Page) -> Locator:
    return page.locator(
        "#timeliness-obligations tr",
        has_text="The initial PEP, ready for the first care-plan review",
    )


def test_a_pep_falls_due_and_its_meeting_is_booked(live_server, mail_sink, watched_page, tmp_path):
    page = watched_page
    base = live_server.url
    plan = plan_for(date.today())

    # The admin sets the term's dates, then a child enters care through a children file.
    sign_in_through_provider(page, base, ADMIN)
    set_the_term(page, base, plan)
    file = tmp_path / "children.csv"
    file.write_text(children_file(plan), encoding="utf-8")
    upload_and_commit(page, base, "Children (SSDA903)", Path(file))
    with live_server.app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == REFERENCE))
        assert child is not None and child.date_entered_care == plan.entered_care_on
        child_id = child.id

    # The children list, filtered to "Due", has her; her page gives the initial PEP's date.
    page.goto(base + "/children")
    page.get_by_label("Name or reference contains").fill(REFERENCE)
    page.get_by_label("PEP due", exact=True).select_option(label="Due")
    page.get_by_role("button", name="Show children").click()
    child_row = page.locator("tbody tr", has_text=f"{FIRST_NAME} {SURNAME}")
    expect(child_row).to_have_count(1)
    expect(child_row).to_contain_text("Due by")
    assert_accessible(page)
    child_row.get_by_role("link", name=f"{FIRST_NAME} {SURNAME}").click()
    expect(page.get_by_role("heading", name=f"{FIRST_NAME} {SURNAME}")).to_be_visible()
    expect(initial_pep_row(page)).to_contain_text(long_date(plan.initial_pep_due_on))
    expect(initial_pep_row(page)).to_contain_text("Due")
    expect(initial_pep_row(page)).to_contain_text(
        f"Entered care on {plan.entered_care_on:%A} {long_date(plan.entered_care_on)}"
    )
    assert_accessible(page)
    sign_out(page)

    # The designated teacher starts the PEP: the page proposes an initial PEP.
    sign_in_through_provider(page, base, DESIGNATED_TEACHER, check_accessibility=False)
    page.goto(f"{base}/children/{child_id}")
    expect(page.get_by_role("heading", name=f"{FIRST_NAME} {SURNAME}")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base}/children/{child_id}/peps/new")
    expect(page.get_by_label("Initial PEP (entering care)")).to_be_checked()
    assert_accessible(page)
    page.get_by_label(f"{plan.term.label} {academic_year_label(plan.academic_year)}").check()
    page.get_by_role("button", name="Start PEP").click()
    expect(page.locator("#pep-meeting")).to_be_visible()
    assert_accessible(page)

    # ... and arranges its meeting: the term shown is the one the admin set.
    page.locator("#pep-meeting").get_by_role("link", name="Arrange the PEP meeting").click()
    expect(page.get_by_role("heading", name="PEP meeting", level=1)).to_be_visible()
    assert_accessible(page)
    # A link that looks like a button (GOV.UK's start of a journey).
    page.locator("main").get_by_role("link", name="Arrange the PEP meeting").click()
    expect(page.get_by_role("heading", name="Arrange the PEP meeting")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        f"{plan.term_name} runs from {plan.term_starts_on:%A} {long_date(plan.term_starts_on)}"
    )
    invitees = page.locator("#invitees")
    expect(page.get_by_role("checkbox", name=re.compile("Sam Okoro"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("Priya Shah"))).to_be_checked()
    expect(invitees).to_be_visible()
    assert_accessible(page)
    fill_date(page, "meeting_date", plan.meeting_on)
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("End time").fill("11:30")
    page.get_by_label("Where the meeting will be").fill("Oakfield Primary School, meeting room")
    fill_date(page, "contributions_due_on", plan.contributions_due_on)
    page.get_by_role("button", name="Save and send invitations").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Meeting arranged: the invitations are being sent"
    )
    expect(page.locator("#meeting")).to_contain_text(
        f"{plan.meeting_on:%A} {long_date(plan.meeting_on)}"
    )
    assert_accessible(page)

    # The timeliness now says the meeting is booked, on her page and in the list.
    page.goto(f"{base}/children/{child_id}")
    expect(initial_pep_row(page)).to_contain_text("Meeting booked")
    expect(initial_pep_row(page)).to_contain_text(long_date(plan.initial_pep_due_on))
    assert_accessible(page)
    page.goto(f"{base}/children?q={REFERENCE}&due=meeting_booked")
    expect(page.locator("tbody tr", has_text=f"{FIRST_NAME} {SURNAME}")).to_contain_text(
        "Meeting booked"
    )
    assert_accessible(page)

    # The social worker's invitation arrives, with a calendar file that icalendar reads.
    invitation = wait_for_invitation_to(mail_sink, SOCIAL_WORKER)
    assert FIRST_NAME not in invitation.subject and SURNAME not in invitation.subject
    calendar_parts = [
        part for part in invitation.message.walk() if part.get_content_type() == "text/calendar"
    ]
    assert len(calendar_parts) == 1, [part.get_content_type() for part in invitation.message.walk()]
    assert calendar_parts[0].get_param("method") == "REQUEST"
    ics = calendar_parts[0].get_payload(decode=True)
    calendar = icalendar.Calendar.from_ical(ics)
    assert str(calendar["METHOD"]) == "REQUEST"
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event.get("UID", "")).strip()
    summary = str(event["SUMMARY"])
    assert FIRST_NAME not in summary and SURNAME not in summary
    starts = event["DTSTART"]
    assert starts.params.get("TZID") == "Europe/London"
    assert isinstance(starts.dt, datetime)
    assert starts.dt.replace(tzinfo=None) == datetime.combine(plan.meeting_on, time(10, 30))
    # The same instant as 10:30 UK time that day, whether GMT or BST.
    assert starts.dt == datetime.combine(
        plan.meeting_on, time(10, 30), tzinfo=ZoneInfo("Europe/London")
    )


def wait_for_invitation_to(sink: SmtpSink, address: str, timeout: float = 30) -> ReceivedMessage:
    """The meeting invitation sent to `address` (other emails, such as a PEP being started,
    may reach them first), waiting for it to arrive; exactly one."""
    deadline = datetime.now() + timedelta(seconds=timeout)
    while True:
        invitations = [
            received
            for received in sink.received()
            if address in received.recipients
            and received.subject.startswith("Invitation: PEP meeting")
        ]
        if invitations or datetime.now() > deadline:
            break
        sink.wait_for(len(sink.received()) + 1, timeout=0.5)
    assert len(invitations) == 1, [(m.recipients, m.subject) for m in sink.received()]
    return invitations[0]


def test_the_hand_checked_example_agrees_with_the_calendar() -> None:
    entered_care_on, due_on = HAND_CHECKED
    assert SchoolCalendar([]).add_working_days(entered_care_on, 20) == due_on


def test_the_meeting_form_reflows_at_320_px(live_server, watched_page):
    """Ella Brown (Oakfield) has a draft PEP: her designated teacher may arrange its meeting."""
    page = watched_page
    with live_server.app.app_context():
        ella = db.session.scalar(select(Child).where(Child.authority_reference == "DCC-1101"))
        pep = db.session.scalar(select(Pep).where(Pep.child_id == ella.id, Pep.state == "draft"))
        pep_id = pep.id
    sign_in_through_provider(page, live_server.url, DESIGNATED_TEACHER, check_accessibility=False)
    page.goto(f"{live_server.url}/peps/{pep_id}/meeting/arrange")
    expect(page.get_by_role("heading", name="Arrange the PEP meeting")).to_be_visible()
    assert_accessible(page)
