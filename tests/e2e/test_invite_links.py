"""The child's voice through a link: the designated teacher creates it, the child fills it in
on a phone, saves, comes back and sends; the teacher reads it. axe checks every page."""

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible
from tests.e2e.test_pep_forms import DT_EMAIL, open_harrys_pep

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# The narrowest screen WCAG 1.4.10 asks a page to reflow to, as a plain window (no phone
# emulation, which would widen the window to fit an overflowing page and hide the fault).
NARROW = {"viewport": {"width": 320, "height": 640}}


def assert_reflows(page: Page, width: int) -> None:
    """Nothing on the page is wider than the screen, so it never scrolls sideways."""
    page.wait_for_load_state("load")
    window_width, page_width = page.evaluate(
        "() => [window.innerWidth, document.documentElement.scrollWidth]"
    )
    where = f"{page.url} in a {width}px screen"
    assert page_width <= width, f"{where} is {page_width}px wide"
    assert window_width == width, f"{where} widened the window to {window_width}px"


def assert_feelings_pictures_render(page: Page) -> None:
    """Each feeling shows as a picture a child can see, never as the markup for one."""
    page.wait_for_load_state("load")
    pictures = page.locator("img.openpep-feeling__picture")
    assert pictures.count() > 0
    shown = pictures.evaluate_all(
        """images => images.map(image => ({
            loaded: image.complete && image.naturalWidth > 0,
            width: image.getBoundingClientRect().width,
            alt: image.getAttribute("alt"),
        }))"""
    )
    for picture in shown:
        assert picture["loaded"] and picture["width"] > 0, shown
        assert picture["alt"] == "", shown  # decorative: the word beside it says the same
    seen = page.locator("body").inner_text()
    assert "<img" not in seen and "&lt;img" not in seen
    assert "&lt;img" not in page.content()


def test_a_child_gives_their_views_on_a_phone_through_a_link(
    live_server, watched_page: Page, browser: Browser
):
    teacher = watched_page
    sign_in_through_provider(teacher, live_server.url, DT_EMAIL)
    open_harrys_pep(teacher, live_server.url)
    pep_url = teacher.url.split("?")[0]

    teacher.goto(pep_url + "/contributions")
    expect(teacher.get_by_role("heading", name="Views from the child and carer")).to_be_visible()
    assert_accessible(teacher)
    teacher.get_by_role("button", name="Create a link for the child").click()
    expect(teacher.get_by_role("heading", name="Link created for the child")).to_be_visible()
    expect(teacher.get_by_role("img", name="QR code for the link above")).to_be_visible()
    expect(teacher.get_by_text("This link is shown only once")).to_be_visible()
    assert_accessible(teacher)
    link = teacher.get_by_label("Link").input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/i/[A-Za-z0-9_-]{43}", link)

    # The same page in a window only 320 pixels wide.
    narrow_context = browser.new_context(**NARROW)
    narrow = narrow_context.new_page()
    narrow.goto(link)
    expect(narrow.get_by_role("heading", name="Your views", level=1)).to_be_visible()
    assert_feelings_pictures_render(narrow)
    assert_reflows(narrow, 320)
    assert_accessible(narrow)

    phone_context = browser.new_context(**PHONE)
    child = phone_context.new_page()
    errors: list[str] = []
    child.on("console", lambda message: message.type == "error" and errors.append(message.text))
    child.goto(link)
    expect(child.get_by_role("heading", name="Your views", level=1)).to_be_visible()
    # The link is exchanged for a cookie: the address the child's browser keeps has no token.
    token = link.rsplit("/", 1)[1]
    assert token not in child.url and re.search(r"/contribute/[0-9a-f-]{36}$", child.url)
    expect(child.get_by_text("Your teacher will read this before your PEP meeting")).to_be_visible()
    expect(child.get_by_role("link", name="Children")).to_have_count(0)
    expect(child.get_by_text("Signed in as")).to_have_count(0)
    assert_feelings_pictures_render(child)
    assert_reflows(child, 390)
    assert_accessible(child)

    # Each feeling is a picture and its word: the child taps the word, as a child would.
    school_happy = child.locator("input[name='feel_about_school'][value='happy']")
    child.get_by_role("group", name="How do you feel about school?").get_by_text(
        "Happy", exact=True
    ).tap()
    expect(school_happy).to_be_checked()
    child.locator("input[name='feel_about_friends'][value='very_happy']").check()
    child.get_by_label("What is going well?").fill("Art club and reading with Miss Shah")
    # A real tap on the button where the child sees it: nothing may lie over it.
    child.get_by_role("button", name="Save and come back later").click()
    expect(child.get_by_text("Your answers have been saved.")).to_be_visible()
    assert_feelings_pictures_render(child)
    assert_reflows(child, 390)
    assert_accessible(child)

    child.reload()
    expect(school_happy).to_be_checked()
    expect(child.get_by_label("What is going well?")).to_have_value(
        "Art club and reading with Miss Shah"
    )
    child.get_by_role("button", name="Send to my teacher").click()
    expect(
        child.get_by_role("heading", name="Thank you, your views have been sent")
    ).to_be_visible()
    assert_accessible(child)
    assert_reflows(child, 390)
    child.goto(link)  # the same link now only says thank you
    expect(child.get_by_role("button", name="Send to my teacher")).to_have_count(0)
    phone_context.close()
    assert errors == [], errors

    narrow.goto(link)
    expect(
        narrow.get_by_role("heading", name="Thank you, your views have been sent")
    ).to_be_visible()
    assert_reflows(narrow, 320)
    narrow.goto(live_server.url + "/i/" + "x" * 43)  # a link that does not work
    expect(narrow.get_by_role("heading", name="This link does not work")).to_be_visible()
    assert_reflows(narrow, 320)
    assert_accessible(narrow)
    narrow_context.close()

    teacher.goto(pep_url + "/sections/my_views")
    expect(teacher.get_by_role("heading", name="My views", level=1)).to_be_visible()
    expect(teacher.get_by_text("Art club and reading with Miss Shah")).to_be_visible()
    expect(teacher.locator("#section-form")).to_have_count(0)
    assert_accessible(teacher)

    teacher.goto(pep_url + "/contributions")
    expect(teacher.get_by_role("cell", name="Sent")).to_be_visible()
    assert_accessible(teacher)
