"""Whole journeys with the keyboard alone (WCAG 2.1.1, 2.4.3): the child's page through a link,
and sign-off by the social worker and the reviewer. Controls are reached by focus and worked
with the keys a keyboard user presses (Space, arrows, Enter, typing), never by a mouse click;
after each action the test asserts where focus landed."""

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible
from tests.e2e.test_pep_forms import DT_EMAIL, open_harrys_pep


def focus_is_on(page: Page, selector: str) -> None:
    expect(page.locator(selector).first).to_be_focused()


def press_button(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).focus()
    page.keyboard.press("Enter")


def first_tab_stop_is_the_skip_link(page: Page) -> None:
    """A page just loaded starts at its top: the first Tab reaches "Skip to main content"."""
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()


def test_the_child_fills_in_and_sends_their_page_by_keyboard(live_server, browser: Browser):
    teacher = browser.new_context().new_page()
    sign_in_through_provider(teacher, live_server.url, DT_EMAIL)
    open_harrys_pep(teacher, live_server.url)
    teacher.goto(teacher.url.split("?")[0] + "/contributions")
    press_button(teacher, "Create a link for the child")
    expect(teacher.get_by_role("heading", name="Link created for the child")).to_be_visible()
    link = teacher.get_by_label("Link").input_value()

    child = browser.new_context().new_page()
    child.goto(link)
    expect(child.get_by_role("heading", name="Your views", level=1)).to_be_visible()
    first_tab_stop_is_the_skip_link(child)
    child.keyboard.press("Enter")
    focus_is_on(child, "#main-content")

    # A feelings question: Space picks the focused picture, the arrow keys move along them.
    first_feeling = child.locator(".openpep-feelings input[type=radio]").first
    first_feeling.focus()
    child.keyboard.press("Space")
    child.keyboard.press("ArrowDown")
    checked = child.locator(".openpep-feelings input[type=radio]:checked").first
    expect(checked).to_be_focused()
    # A question in words: typed, then Tab moves on to the next control.
    words = child.locator("textarea").first
    words.focus()
    child.keyboard.type("Reading with Mr Ahmed at lunchtime")
    child.keyboard.press("Tab")
    assert child.evaluate("() => document.activeElement.tagName") in {
        "TEXTAREA",
        "INPUT",
        "BUTTON",
        "A",
    }

    press_button(child, "Save and come back later")
    expect(child.get_by_text("Your answers have been saved.")).to_be_visible()
    # The banner that says so takes focus, so a screen reader reads it out.
    focus_is_on(child, ".govuk-notification-banner")
    assert_accessible(child)
    expect(child.locator("textarea").first).to_have_value("Reading with Mr Ahmed at lunchtime")

    press_button(child, "Send to my teacher")
    expect(child.get_by_role("heading", level=1)).to_contain_text(re.compile("[Tt]hank"))
    first_tab_stop_is_the_skip_link(child)
    assert_accessible(child)


def test_sign_off_by_keyboard(live_server, browser: Browser):
    social_worker = browser.new_context().new_page()
    sign_in_through_provider(social_worker, live_server.url, "sw@demo.openpep.test")
    my_tasks = social_worker.get_by_role("link", name="My tasks")
    my_tasks.focus()
    social_worker.keyboard.press("Enter")
    expect(social_worker.get_by_role("heading", name="My tasks")).to_be_visible()
    task = social_worker.get_by_role(
        "link", name=re.compile("Check and approve, or return for Oliver Brown")
    )
    task.focus()
    social_worker.keyboard.press("Enter")
    expect(social_worker.get_by_role("heading", name="What you can do")).to_be_visible()
    press_button(social_worker, "Approve")
    expect(social_worker.get_by_text("The PEP is now approved by social worker")).to_be_visible()
    focus_is_on(social_worker, ".govuk-notification-banner")
    assert_accessible(social_worker)

    reviewer = browser.new_context().new_page()
    sign_in_through_provider(reviewer, live_server.url, "reviewer@demo.openpep.test")
    reviewer.get_by_role("link", name="My tasks").focus()
    reviewer.keyboard.press("Enter")
    reviewer.get_by_role(
        "link", name=re.compile("Quality-assure and sign off for Oliver Brown")
    ).focus()
    reviewer.keyboard.press("Enter")
    expect(reviewer.get_by_role("heading", name="Quality assurance")).to_be_visible()
    # Each judgement: focus its first choice ("Met") and press Space.
    for group in reviewer.locator(".govuk-radios--inline").all():
        group.locator("input[type=radio]").first.focus()
        reviewer.keyboard.press("Space")
    rating = reviewer.get_by_role("group", name=re.compile("Overall rating"))
    rating.get_by_label("Red").focus()
    reviewer.keyboard.press("Space")
    press_button(reviewer, "Sign off")
    # Refused: the error summary takes focus, and its link takes focus to the rating.
    expect(reviewer.locator(".govuk-error-summary")).to_contain_text(
        "must be returned with feedback"
    )
    focus_is_on(reviewer, ".govuk-error-summary")
    assert_accessible(reviewer)
    reviewer.locator(".govuk-error-summary a").first.focus()
    reviewer.keyboard.press("Enter")
    focus_is_on(reviewer, "#rating")

    rating.get_by_label("Green").focus()
    reviewer.keyboard.press("Space")
    reviewer.get_by_label("Feedback for the designated teacher").focus()
    reviewer.keyboard.type("A clear, well-costed plan.")
    press_button(reviewer, "Sign off")
    expect(reviewer.get_by_role("heading", name="History")).to_be_visible()
    focus_is_on(reviewer, ".govuk-notification-banner")
    assert_accessible(reviewer)
