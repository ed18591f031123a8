"""Filling in a PEP in a real browser: autosave, reload, target rows, bad input, conflicts,
and the same form without JavaScript. axe checks every page visited."""

import re
from urllib.parse import quote, quote_plus

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import RoleGrant, School, User
from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible

DT_EMAIL = "dt.oakfield@demo.openpep.test"
SAVED = re.compile(r"Saved at \d\d:\d\d")
ATTENDANCE = "Attendance, suspensions and exclusions"


def autosave_carrying(text: str):
    """Matches the autosave that sends `text`: typing stops, a second later the form saves."""
    encoded = {quote(text), quote_plus(text)}

    def is_autosave(response) -> bool:
        request = response.request
        body = request.post_data or ""
        return (
            request.method == "POST"
            and "autosave=1" in body
            and any(candidate in body for candidate in encoded)
        )

    return is_autosave


def open_harrys_pep(page: Page, base_url: str) -> None:
    page.get_by_role("link", name="Children", exact=True).click()
    expect(page.get_by_role("heading", name="Children", level=1)).to_be_visible()
    page.get_by_role("link", name="Harry Wilson").click()
    expect(page.get_by_role("heading", name="Harry Wilson", level=1)).to_be_visible()
    page.locator("table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Personal Education Plan")


def test_designated_teacher_fills_a_section_and_targets_with_autosave(live_server, watched_page):
    page = watched_page
    sign_in_through_provider(page, live_server.url, DT_EMAIL)
    open_harrys_pep(page, live_server.url)
    assert_accessible(page)  # the task list

    page.get_by_role("link", name=ATTENDANCE).click()
    expect(page.get_by_role("heading", name=ATTENDANCE)).to_be_visible()
    assert_accessible(page)
    # Sessions that add up: a count that did not would be refused, even by autosave.
    for label, value in (
        ("Sessions possible this term", "120"),
        ("Sessions attended this term", "108"),
        ("Authorised absences this term (sessions)", "8"),
        ("Unauthorised absences this term (sessions)", "4"),
        ("Sessions possible this school year so far", "120"),
        ("Sessions attended this school year so far", "108"),
        ("Authorised absences this school year so far (sessions)", "8"),
        ("Unauthorised absences this school year so far (sessions)", "4"),
    ):
        page.get_by_label(label, exact=True).fill(value)
    # The absence rate is worked out, not typed: 12 of 120 sessions is persistent absence.
    expect(page.get_by_text("10.0% - Persistent absence").first).to_be_visible()
    for question in ("suspended this school year", "permanently excluded"):
        page.get_by_role("group", name=re.compile(question, re.I)).get_by_label("No").check()
    support = page.get_by_label(re.compile("support", re.I)).first
    with page.expect_response(autosave_carrying("Morning check-in with his key adult")):
        support.fill("Morning check-in with his key adult")
    expect(page.locator("#autosave-status")).to_contain_text(SAVED)
    page.reload()
    expect(page.get_by_label("Sessions possible this term", exact=True)).to_have_value("120")
    expect(support).to_have_value("Morning check-in with his key adult")

    page.goto(page.url.rsplit("/", 1)[0] + "/smart_targets")
    expect(page.get_by_role("heading", name="SMART targets")).to_be_visible()
    rows_before = page.get_by_role("heading", name=re.compile(r"^Target \d+$")).count()
    page.get_by_role("button", name="Add another target").click()
    new_row = rows_before  # zero-based index of the row just added
    expect(page.get_by_role("heading", name=f"Target {new_row + 1}")).to_be_visible()
    assert_accessible(page)
    page.locator(f"#targets-{new_row}-outcome").fill("Read a chapter book on his own")
    with page.expect_response(autosave_carrying("120")):
        page.locator(f"#targets-{new_row}-pp_plus_amount").fill("120")
    expect(page.locator("#autosave-status")).to_contain_text(SAVED)
    page.reload()
    # Blank rows are not kept, so the new target may have moved up: find it by its words.
    outcomes = page.locator("textarea[id^='targets-'][id$='-outcome']")
    expect(outcomes.first).to_be_visible()
    assert "Read a chapter book on his own" in [box.input_value() for box in outcomes.all()]
    expect(page.get_by_text("Total Pupil Premium Plus for these targets")).to_be_visible()


def test_bad_input_shows_an_error_summary(live_server, watched_page):
    page = watched_page
    sign_in_through_provider(page, live_server.url, DT_EMAIL)
    open_harrys_pep(page, live_server.url)
    page.get_by_role("link", name=ATTENDANCE).click()
    page.get_by_label("Sessions possible this term", exact=True).fill("250")
    page.get_by_role("button", name="Save", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("from 0 to 200")
    expect(page).to_have_title(re.compile("^Error:"))
    assert_accessible(page)
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Sessions possible this term", exact=True)).to_be_focused()


def test_a_conflict_shows_both_versions(live_server, browser: Browser):
    with live_server.app.app_context():
        school = db.session.scalar(select(School).where(School.urn == "900201"))
        deputy = User(email="deputy.oakfield@demo.openpep.test", display_name="Dev Patel")
        db.session.add(deputy)
        db.session.flush()
        db.session.add(RoleGrant(user_id=deputy.id, role="designated_teacher", school_id=school.id))
        db.session.commit()

    first = browser.new_context().new_page()
    second = browser.new_context().new_page()
    for page, email in ((first, DT_EMAIL), (second, "deputy.oakfield@demo.openpep.test")):
        sign_in_through_provider(page, live_server.url, email)
        open_harrys_pep(page, live_server.url)
        page.get_by_role("link", name="Transitions, aspirations and careers").click()

    aspirations = re.compile("aspirations", re.I)
    first.get_by_label(aspirations).first.fill("Wants to be a nurse")
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.get_by_text("Your answers have been saved.")).to_be_visible()

    # The second teacher types with autosave held back, then presses Save with a stale version.
    second.evaluate("htmx.config.defaultSettleDelay = 0")
    second.locator("[hx-trigger]").first.evaluate("el => el.removeAttribute('hx-trigger')")
    second.evaluate("htmx.process(document.body)")
    second.get_by_label(aspirations).first.fill("Wants to be a footballer")
    second.get_by_role("button", name="Save", exact=True).click()
    expect(second.get_by_role("heading", level=1)).to_contain_text("Someone else saved")
    expect(second.locator("table")).to_contain_text("Wants to be a nurse")
    expect(second.get_by_label(aspirations).first).to_have_value("Wants to be a footballer")
    assert_accessible(second)
    second.get_by_role("button", name="Save my answers").click()
    expect(second.get_by_text("Your answers have been saved.")).to_be_visible()
    expect(second.get_by_label(aspirations).first).to_have_value("Wants to be a footballer")


def test_the_form_saves_without_javascript(live_server, browser: Browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in_through_provider(page, live_server.url, DT_EMAIL, check_accessibility=False)
    open_harrys_pep(page, live_server.url)
    page.get_by_role("link", name="Pupil Premium Plus").click()
    page.get_by_label(re.compile("amount", re.I)).first.fill("300")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your answers have been saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label(re.compile("amount", re.I)).first).to_have_value("300.00")
    context.close()
