"""A table of rows, by keyboard, with and without JavaScript: removing a row removes that row
and no other, and focus lands where the change happened (WCAG 2.4.3, 4.1.3)."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible
from tests.e2e.test_pep_forms import DT_EMAIL, open_harrys_pep
from tests.integration.pep_helpers import stored_section

ACTIONS = [
    ("Send home a weekly reading record", "Ms Patel", ("6", "3", "2027")),
    ("Book the educational psychologist's visit", "Mr Okafor", ("20", "2", "2027")),
    ("Set up a lunchtime club place", "Mrs Jones", ("9", "1", "2027")),
    ("Share the new timetable with his carer", "Ms Patel", ("15", "12", "2026")),
]


def press(page: Page, name: str) -> None:
    """Activate a button as a keyboard user does: focus it, press Enter."""
    button = page.get_by_role("button", name=name, exact=True)
    button.focus()
    page.keyboard.press("Enter")


def type_row(page: Page, index: int, action: str, owner: str, deadline: tuple) -> None:
    """Type one row by keyboard, moving with Tab as a person would."""
    page.locator(f"#actions-{index}-action").focus()
    page.keyboard.type(action)
    page.locator(f"#actions-{index}-owner").focus()
    page.keyboard.type(owner)
    for part, value in zip(("day", "month", "year"), deadline, strict=True):
        page.locator(f"#actions-{index}-deadline-{part}").focus()
        page.keyboard.type(value)


def rows_on_page(page: Page) -> int:
    return page.get_by_role("heading", name=re.compile(r"^Action \d+$")).count()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_removing_the_second_filled_row_leaves_every_other_row_as_it_was(
    live_server, browser: Browser, javascript: bool
):
    page = browser.new_context(java_script_enabled=javascript).new_page()
    sign_in_through_provider(page, live_server.url, DT_EMAIL, check_accessibility=javascript)
    open_harrys_pep(page, live_server.url)
    pep_id = page.url.rsplit("/", 1)[-1]
    page.goto(f"{live_server.url}/peps/{pep_id}/sections/actions_agreed")
    expect(page.get_by_role("heading", name="Actions agreed at the meeting")).to_be_visible()

    # Start from an empty table (a blank row has nothing to remove), then add four actions by
    # keyboard.
    while page.get_by_role("button", name=re.compile(r"^Remove action \d+$")).count():
        press(page, f"Remove action {rows_on_page(page)}")
        expect(page.locator("#actions-change")).to_be_focused()
    assert rows_on_page(page) <= 1
    for index, (action, owner, deadline) in enumerate(ACTIONS):
        if index >= rows_on_page(page):
            press(page, "Add another action")
            expect(page.get_by_role("heading", name=f"Action {index + 1}")).to_be_visible()
            # Focus lands in the first box of the row just added.
            expect(page.locator(f"#actions-{index}-action")).to_be_focused()
        type_row(page, index, action, owner, deadline)
    press(page, "Save")
    expect(page.get_by_role("heading", name="Actions agreed at the meeting")).to_be_visible()
    if javascript:
        assert_accessible(page)
    saved = stored_section(live_server.app, pep_id, "actions_agreed").answers["actions"]
    assert [row["action"] for row in saved] == [action for action, _, _ in ACTIONS]

    # A blank row between filled ones: the person empties the second row and does not save.
    for box in ("action", "owner", "deadline-day", "deadline-month", "deadline-year"):
        page.locator(f"#actions-1-{box}").fill("")
    # Remove the second filled row (the third on the page), by keyboard.
    press(page, "Remove action 3")
    expect(page.locator("#actions-change")).to_have_text("Action 3 removed.")
    expect(page.locator("#actions-change")).to_be_focused()
    if javascript:
        assert_accessible(page)

    after = stored_section(live_server.app, pep_id, "actions_agreed").answers["actions"]
    kept = {row["row_id"]: row for row in after}
    # The first and last rows are exactly what they were; the one the person emptied went,
    # and the removed one is gone. Nothing else changed.
    assert [row["action"] for row in after] == [ACTIONS[0][0], ACTIONS[3][0]]
    for before in (saved[0], saved[3]):
        assert kept[before["row_id"]] == before
