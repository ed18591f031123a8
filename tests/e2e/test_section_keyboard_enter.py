"""Enter in a box of a section form saves, in a real browser, with and without JavaScript: it
never presses a table's "Remove person 1" or "Add another" button, which come before "Save" in
the form (HTML implicit submission sends the form's first submit button). The same on the page
shown when someone else saved the section first."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible
from tests.e2e.test_pep_forms import DT_EMAIL, open_harrys_pep
from tests.integration.pep_helpers import stored_section

SAVED_BANNER = "Your answers have been saved."


def people_saved(app, pep_id: str) -> list[str | None]:
    return [
        row.get("name")
        for row in stored_section(app, pep_id, "meeting_details").answers["attendees"]
    ]


def type_venue_and_press_enter(page: Page, venue: str) -> None:
    box = page.locator("#meeting_venue")
    box.focus()
    box.press("ControlOrMeta+a")
    page.keyboard.type(venue)
    page.keyboard.press("Enter")


def open_meeting_details(page: Page, base_url: str, pep_id: str) -> None:
    page.goto(f"{base_url}/peps/{pep_id}/sections/meeting_details")
    expect(page.locator("#meeting_venue")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_enter_in_the_venue_box_saves_and_keeps_every_person(
    live_server, browser: Browser, javascript: bool
):
    page = browser.new_context(java_script_enabled=javascript).new_page()
    sign_in_through_provider(page, live_server.url, DT_EMAIL, check_accessibility=javascript)
    open_harrys_pep(page, live_server.url)
    pep_id = page.url.split("?")[0].rsplit("/", 1)[-1]
    open_meeting_details(page, live_server.url, pep_id)
    people = page.get_by_role("button", name=re.compile(r"^Remove person \d+$"))
    rows = people.count()
    assert rows >= 2
    before = people_saved(live_server.app, pep_id)
    # One "Save" for a screen reader and for the keyboard: the default button is neither read
    # out nor reached by Tab.
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(1)
    if javascript:
        assert_accessible(page)  # axe and the Nu Html Checker, with the default button in it

    type_venue_and_press_enter(page, "Oakfield Primary, room 4")

    expect(page.get_by_text(SAVED_BANNER)).to_be_visible()
    expect(page.locator("#meeting_venue")).to_have_value("Oakfield Primary, room 4")
    expect(people).to_have_count(rows)
    after = stored_section(live_server.app, pep_id, "meeting_details").answers
    assert after["meeting_venue"] == "Oakfield Primary, room 4"
    assert people_saved(live_server.app, pep_id) == before
    if javascript:
        assert_accessible(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_enter_on_the_conflict_page_saves_my_answers_and_keeps_every_person(
    live_server, browser: Browser, javascript: bool
):
    context = browser.new_context(java_script_enabled=javascript)
    first = context.new_page()
    sign_in_through_provider(first, live_server.url, DT_EMAIL, check_accessibility=javascript)
    open_harrys_pep(first, live_server.url)
    pep_id = first.url.split("?")[0].rsplit("/", 1)[-1]
    before = people_saved(live_server.app, pep_id)
    second = context.new_page()
    open_meeting_details(first, live_server.url, pep_id)
    open_meeting_details(second, live_server.url, pep_id)

    type_venue_and_press_enter(first, "Room 4")
    expect(first.get_by_text(SAVED_BANNER)).to_be_visible()
    # The second tab, behind: its save is refused and it is shown both versions. The date
    # cannot be read either: the page says so in an error summary.
    second.locator("#next_pep_date-day").fill("31")
    second.locator("#next_pep_date-month").fill("2")
    second.locator("#next_pep_date-year").fill("2027")
    type_venue_and_press_enter(second, "The library")
    expect(second.get_by_role("heading", level=1)).to_contain_text("Someone else saved")
    summary = second.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_attribute("href", "#next_pep_date-day")
    expect(second).to_have_title(re.compile("^Error: "))
    expect(second.get_by_role("button", name="Save my answers", exact=True)).to_have_count(1)
    expect(second.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    if javascript:
        assert_accessible(second)

    # Put the date right, then Enter in the venue box: "Your answers" are saved over.
    second.locator("#next_pep_date-day").fill("28")
    type_venue_and_press_enter(second, "The library")
    expect(second.get_by_text(SAVED_BANNER)).to_be_visible()
    after = stored_section(live_server.app, pep_id, "meeting_details").answers
    assert after["meeting_venue"] == "The library"
    assert people_saved(live_server.app, pep_id) == before
