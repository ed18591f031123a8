"""A Virtual School admin sets term dates in a real browser: adds the next academic year on one
page (a mistake first, put right beside its box), changes a term, and gives an academy its own
spring term, then removes it again. Every page passes the accessibility checks."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import School, TermDate
from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible

OAKFIELD = "900201"


def fill_date(page: Page, name: str, on: date | None) -> None:
    for box, value in (("day", on.day), ("month", on.month), ("year", on.year)) if on else (
        ("day", ""), ("month", ""), ("year", "")
    ):  # fmt: skip
        page.locator(f"#{name}-{box}").fill(str(value))


def fill_term(
    page: Page,
    prefix: str,
    starts_on: date,
    ends_on: date | None,
    half_term: tuple[date, date],
) -> None:
    fill_date(page, f"{prefix}starts_on", starts_on)
    fill_date(page, f"{prefix}ends_on", ends_on)
    fill_date(page, f"{prefix}half_term_starts_on", half_term[0])
    fill_date(page, f"{prefix}half_term_ends_on", half_term[1])


def stored(live_server, school_id, academic_year: int, term: str) -> TermDate | None:
    with live_server.app.app_context():
        whose = TermDate.school_id.is_(None) if school_id is None else (
            TermDate.school_id == school_id
        )  # fmt: skip
        row = db.session.scalar(
            select(TermDate).where(
                whose, TermDate.academic_year == academic_year, TermDate.term == term
            )
        )
        if row is not None:
            db.session.expunge(row)
        return row


def test_an_admin_adds_a_year_changes_a_term_and_sets_a_schools_own(live_server, watched_page):
    page = watched_page
    base = live_server.url
    with live_server.app.app_context():
        oakfield = db.session.scalar(select(School).where(School.urn == OAKFIELD))
        oakfield_id = oakfield.id
    sign_in_through_provider(page, base, "admin@demo.openpep.test")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Term dates", exact=True).click()
    expect(page.get_by_role("heading", name="Term dates", level=1)).to_be_visible()
    # The demo's dates for this year and next are there.
    expect(page.locator("#year-2026")).to_contain_text("Wed 2 September 2026 to Fri 18 December")
    expect(page.locator("#year-2027")).to_contain_text("Tue 18 April 2028 to Thu 20 July 2028")
    assert_accessible(page)

    # The next academic year, on one page; the summer term's last day forgotten first.
    page.get_by_role("link", name="Add the term dates for 2028/29").click()
    expect(page.get_by_role("heading", name="Add the term dates for 2028/29")).to_be_visible()
    assert_accessible(page)
    fill_term(page, "autumn-", date(2028, 9, 4), date(2028, 12, 20),
              (date(2028, 10, 23), date(2028, 10, 27)))  # fmt: skip
    page.get_by_text("INSET days of the autumn term (optional)").click()
    fill_date(page, "autumn-inset_1", date(2028, 9, 4))
    fill_term(page, "spring-", date(2029, 1, 3), date(2029, 3, 29),
              (date(2029, 2, 12), date(2029, 2, 16)))  # fmt: skip
    fill_term(page, "summer-", date(2029, 4, 16), None, (date(2029, 5, 28), date(2029, 6, 1)))
    page.get_by_role("button", name="Add the term dates for 2028/29").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the date the term ends.")
    expect(page).to_have_title(re.compile("^Error: Add the term dates for 2028/29 - Term dates"))
    assert_accessible(page)
    # The summary's link takes the person to the box; what they typed is kept.
    summary.get_by_role("link", name="Enter the date the term ends.").click()
    expect(page.locator("#summer-ends_on-day")).to_be_focused()
    expect(page.locator("#autumn-inset_1-day")).to_have_value("4")
    fill_date(page, "summer-ends_on", date(2029, 7, 20))
    page.get_by_role("button", name="Add the term dates for 2028/29").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The authority's term dates for 2028/29 have been added."
    )
    expect(page.locator("#year-2028")).to_contain_text("Mon 4 September 2028")
    assert_accessible(page)
    assert stored(live_server, None, 2028, "summer").ends_on == date(2029, 7, 20)
    assert stored(live_server, None, 2028, "autumn").inset_days == ["2028-09-04"]

    # One term changed from its own page.
    page.get_by_role("link", name="Change the autumn term 2028/29").click()
    expect(page.get_by_role("heading", name="Change the autumn term 2028/29")).to_be_visible()
    expect(page.locator("#starts_on-day")).to_have_value("4")
    assert_accessible(page)
    fill_date(page, "ends_on", date(2028, 12, 19))
    page.get_by_role("button", name="Save the autumn term").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The authority's autumn term 2028/29 has been changed."
    )
    assert stored(live_server, None, 2028, "autumn").ends_on == date(2028, 12, 19)

    # A school's own spring term, from the school's page.
    page.goto(f"{base}/admin/schools/{oakfield_id}")
    page.get_by_role("link", name="Term dates of Oakfield Primary School").click()
    expect(page.get_by_role("heading", name="Term dates", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Set the school's own spring term 2026/27").click()
    expect(page.get_by_role("heading", name="Set its own spring term 2026/27")).to_be_visible()
    expect(page.locator("main")).to_contain_text("The authority's spring term is")
    assert_accessible(page)
    fill_term(page, "", date(2027, 1, 6), date(2027, 3, 25), (date(2027, 2, 15), date(2027, 2, 19)))
    page.get_by_text("INSET days (optional)").click()
    fill_date(page, "inset_1", date(2027, 1, 6))
    fill_date(page, "inset_2", date(2027, 1, 9))  # a Saturday: refused
    page.get_by_role("button", name="Save the spring term").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Saturday 9 January 2027 is a Saturday"
    )
    assert_accessible(page)
    fill_date(page, "inset_2", None)
    page.get_by_role("button", name="Save the spring term").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Oakfield Primary School's own spring term 2026/27 has been added."
    )
    expect(page.locator("#year-2026")).to_contain_text("The school's own")
    assert_accessible(page)
    assert stored(live_server, oakfield_id, 2026, "spring").inset_days == ["2027-01-06"]

    # Removed after a confirmation: the school follows the authority's spring again.
    page.get_by_role("link", name="Remove the school's own spring term 2026/27").click()
    expect(page.get_by_role("heading", name="Remove its own spring term 2026/27?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Remove the dates").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "the school follows the authority's dates for that term."
    )
    assert stored(live_server, oakfield_id, 2026, "spring") is None
    assert_accessible(page)
