"""The two pages of a version 3 PEP the walk through every section leaves out, in a real
browser with the full page checks: the child's own views, reached through an invite link, and
the Virtual School's quality assurance with the checks the portal makes before it.

The child's page is checked on a phone and at 320 px, in every state (empty, refused, saved,
opened again, sent) and without JavaScript; the keyboard reaches every control in order and
shows where it is. The quality assurance page shows the Pupil Premium Plus rule of version 3:
a request that is not the targets' total fails until the difference is explained, which the
designated teacher does through the real section form and the real sign-off process."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import Child, Pep
from tests.e2e.conftest import LiveServer, sign_in_through_provider
from tests.e2e.page_checks import REFLOW_WIDTH, assert_accessible, page_problems, reflow_problems
from tests.e2e.test_invite_links import NARROW, PHONE, assert_feelings_pictures_render

DEMO_DOMAIN = "demo.openpep.test"
OAKFIELD_TEACHER = f"dt.oakfield@{DEMO_DOMAIN}"
SOCIAL_WORKER = f"sw@{DEMO_DOMAIN}"
REVIEWER = f"reviewer@{DEMO_DOMAIN}"

# Amira's targets give £300 and £150 of Pupil Premium Plus: the request is made £50 less.
# Versions 1 and 2 pass a request the targets cover; version 3 asks for the difference to be
# explained, so this request fails only by version 3's rule.
TARGETS_TOTAL = "£450.00"
REQUEST_BELOW_TARGETS = "400"
DIFFERENCE = "The school pays £50 of the ELSA sessions from its own budget."
PUPIL_PREMIUM_CHECK = "Pupil Premium Plus costed and linked to targets"


# Finding the demo PEPs --------------------------------------------------------------------


def version_3_pep_id(server: LiveServer, first_name: str, last_name: str, state: str) -> uuid.UUID:
    """The child's PEP in this state, asserted to be on version 3 of the school-age form with
    the child's own views on version 2 of theirs."""
    with server.app.app_context():
        child = db.session.scalars(
            select(Child).where(Child.first_name == first_name, Child.last_name == last_name)
        ).one()
        pep = db.session.scalars(
            select(Pep).where(Pep.child_id == child.id, Pep.state == state)
        ).one()
        assert (pep.form_key, pep.form_version) == ("school_age", 3)
        voice = definition_for(pep).section("my_views")
        assert (voice.voice_form, voice.voice_form_version) == ("child_voice", 2)
        pep_id = pep.id
        db.session.remove()
    return pep_id


def pep_state(server: LiveServer, pep_id: uuid.UUID) -> str:
    with server.app.app_context():
        state = db.session.get(Pep, pep_id).state
        db.session.remove()
    return state


@dataclass
class Browsing:
    """The browser contexts a test opens, closed after it, and any script error on their
    pages, which fails the test."""

    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def new_page(self, **options: Any) -> Page:
        """A page in a fresh context: no cookies, as on another device."""
        context = self.browser.new_context(**options)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        return page


@pytest.fixture
def browsing(browser: Browser) -> Iterator[Browsing]:
    opened = Browsing(browser)
    yield opened
    for context in opened.contexts:
        context.close()
    assert opened.script_errors == [], opened.script_errors


def signed_in_page(browsing: Browsing, server: LiveServer, email: str) -> Page:
    page = browsing.new_page()
    # The sign-in pages are checked by the sign-in tests; these tests check what follows.
    sign_in_through_provider(page, server.url, email, check_accessibility=False)
    return page


# The keyboard -----------------------------------------------------------------------------

# Every element Tab should stop at, in document order, as indexes into every element of the
# page: a radio group is one stop (its checked radio, or its first when none is), as the
# browser makes it; controls not shown (a collapsed conditional question) are no stop at all.
_TAB_STOPS = """() => {
  const every = [...document.querySelectorAll('*')];
  const focusable = [...document.querySelectorAll(
      'a[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]')]
    .filter(e => !e.disabled && e.type !== 'hidden' && e.tabIndex >= 0
      && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'
      && !e.closest('[inert]'));
  const groups = new Set();
  const stops = [];
  for (const element of focusable) {
    if (element.type === 'radio' && element.name) {
      if (groups.has(element.name)) continue;
      groups.add(element.name);
      const group = focusable.filter(o => o.type === 'radio' && o.name === element.name);
      stops.push(group.find(o => o.checked) || group[0]);
    } else {
      stops.push(element);
    }
  }
  return {
    stops: stops.map(e => every.indexOf(e)),
    positive: focusable.filter(e => e.tabIndex > 0).map(e => e.outerHTML.slice(0, 80)),
  };
}"""

# The focused element (as an index into every element of the page) and where it shows its
# focus: the control, and for a radio or checkbox (an invisible input) the item drawn for it,
# with room for a focus ring around them. The page is first scrolled back to where the browser
# had put it, when a picture of an earlier control was taken from elsewhere.
_FOCUS_AREA = """(scrollTo) => {
  if (scrollTo) window.scrollTo(scrollTo[0], scrollTo[1]);
  const element = document.activeElement;
  const index = [...document.querySelectorAll('*')].indexOf(element);
  const drawn = element.closest('.govuk-radios__item, .govuk-checkboxes__item') || element;
  const boxes = [element.getBoundingClientRect(), drawn.getBoundingClientRect()];
  const left = Math.max(0, Math.min(...boxes.map(b => b.left)) - 4);
  const top = Math.max(0, Math.min(...boxes.map(b => b.top)) - 4);
  const right = Math.min(window.innerWidth, Math.max(...boxes.map(b => b.right)) + 4);
  const bottom = Math.min(window.innerHeight, Math.max(...boxes.map(b => b.bottom)) + 4);
  return {index, x: left, y: top, width: Math.max(1, right - left),
          height: Math.max(1, bottom - top), scroll: [window.scrollX, window.scrollY],
          describe: element.outerHTML.slice(0, 100)};
}"""

# Scroll to where the page was, and say where it had scrolled to.
_SCROLL_BACK = """([x, y]) => {
  const now = [window.scrollX, window.scrollY];
  window.scrollTo(x, y);
  return now;
}"""


def _area_picture(page: Page, area: dict[str, Any]) -> bytes:
    clip = {key: area[key] for key in ("x", "y", "width", "height")}
    return page.screenshot(clip=clip, animations="disabled", caret="hide")


def assert_keyboard_reaches_every_control_in_order(page: Page) -> None:
    """Tab goes through every control on the page, in the order they are read, with no
    positive tabindex reordering them (WCAG 2.4.3), and each control looks different while it
    has focus (WCAG 2.4.7): what its place showed while it had focus is compared with what the
    same place shows once Tab has moved on, scrolled back to where it was."""
    page.wait_for_load_state("load")
    found = page.evaluate(_TAB_STOPS)
    assert found["positive"] == [], f"tabindex above 0 on {page.url}: {found['positive']}"
    expected: list[int] = found["stops"]
    assert expected, f"nothing to reach by keyboard on {page.url}"
    # Start at the first stop: Tab then walks the rest, as from the top of the page.
    page.evaluate("(index) => document.querySelectorAll('*')[index].focus()", expected[0])
    reached: list[int] = []
    focus_not_shown: list[str] = []
    moved_to = None
    for stop in expected:
        area = page.evaluate(_FOCUS_AREA, moved_to)
        reached.append(area["index"])
        if area["index"] != stop:
            break
        with_focus = _area_picture(page, area)
        page.keyboard.press("Tab")
        moved_to = page.evaluate(_SCROLL_BACK, area["scroll"])
        if _area_picture(page, area) == with_focus:
            focus_not_shown.append(area["describe"])
    if reached != expected:
        wrong = page.evaluate(
            "(index) => index >= 0 ? document.querySelectorAll('*')[index].outerHTML.slice(0, 120)"
            " : 'the page itself'",
            reached[-1],
        )
        pytest.fail(f"Tab on {page.url} went {reached}, expected {expected}: it reached {wrong}")
    # Past the last control, Tab leaves the page (or comes round to the first): nothing the
    # list above left out is reached after it.
    after_last = page.evaluate(_FOCUS_AREA, None)
    body = page.evaluate("() => [...document.querySelectorAll('*')].indexOf(document.body)")
    assert after_last["index"] in (body, expected[0]), (
        f"Tab on {page.url} reached {after_last['describe']} after the last control"
    )
    assert focus_not_shown == [], f"focus not visible on {page.url}: {focus_not_shown}"


def assert_error_summary_leads_to_its_questions(page: Page) -> None:
    """Each link in the error summary points at an element that is on the page."""
    links = page.locator(".govuk-error-summary a")
    assert links.count() > 0
    for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))"):
        assert href.startswith("#") and page.locator(href).count() == 1, (
            f"the error summary on {page.url} links to {href}, which is not on the page"
        )


def assert_reflows_on_the_narrowest_phone(page: Page) -> None:
    """A phone's page, turned to 320 px wide, still scrolls only up and down: the page checks
    measure a phone at its own width, and every state of the child's page is seen at 320 px."""
    viewport = page.viewport_size
    assert viewport is not None
    if viewport["width"] == REFLOW_WIDTH:
        return
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": viewport["height"]})
    try:
        problems = reflow_problems(page)
    finally:
        page.set_viewport_size(viewport)
    assert problems == [], f"problems on {page.url}: {problems}"


def assert_child_page_passes(page: Page) -> None:
    """The child's page in the state it is in: axe and the other page checks, at 320 px too,
    the pictures, and the keyboard."""
    assert_feelings_pictures_render(page)
    assert_accessible(page)
    assert_reflows_on_the_narrowest_phone(page)
    assert_keyboard_reaches_every_control_in_order(page)


def assert_passes_without_javascript(page: Page) -> None:
    """The page checks a page with JavaScript off can run: axe-core's run awaits promises,
    which such a page never settles, so axe sees the same page with its script elsewhere."""
    problems = page_problems(page)
    assert problems == [], f"problems on {page.url}: {problems}"
    assert_reflows_on_the_narrowest_phone(page)
    assert_keyboard_reaches_every_control_in_order(page)


# The child's own views ------------------------------------------------------------------


def test_the_child_gives_their_views_on_a_version_3_pep_and_the_teacher_reads_them(
    live_server: LiveServer, browsing: Browsing
) -> None:
    pep_id = version_3_pep_id(live_server, "Harry", "Wilson", "draft")
    pep_url = f"{live_server.url}/peps/{pep_id}"
    teacher = signed_in_page(browsing, live_server, OAKFIELD_TEACHER)
    teacher.goto(pep_url + "/contributions")
    expect(teacher.get_by_role("heading", name="Views from the child and carer")).to_be_visible()
    teacher.get_by_role("button", name="Create a link for the child").click()
    expect(teacher.get_by_role("heading", name="Link created for the child")).to_be_visible()
    assert_accessible(teacher)
    link = teacher.get_by_label("Link").input_value()

    # On a phone: the page as the child first sees it.
    child = browsing.new_page(**PHONE)
    child.goto(link)
    expect(child.get_by_role("heading", name="Your views", level=1)).to_be_visible()
    assert_child_page_passes(child)

    # Sending with nothing said is refused, and the page says what to do.
    child.get_by_role("button", name="Send to my teacher").click()
    summary = child.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Answer at least one question before you send")
    expect(summary).to_be_focused()
    expect(child).to_have_title(re.compile("^Error: "))
    assert_error_summary_leads_to_its_questions(child)
    assert_child_page_passes(child)

    # An answer too long to keep is refused where it was typed, and the page says so.
    child.get_by_label("What is going well?").fill("Swimming. " * 201)
    child.get_by_role("button", name="Save and come back later").click()
    expect(summary).to_contain_text("must be 2,000 characters or fewer")
    expect(summary).to_be_focused()
    assert_error_summary_leads_to_its_questions(child)
    assert_child_page_passes(child)

    # The child answers with a tap and in words, and saves to come back later.
    child.get_by_role("group", name="How do you feel about school?").get_by_text(
        "Happy", exact=True
    ).tap()
    child.locator("input[name='feel_about_friends'][value='okay']").check()
    child.get_by_label("What is going well?").fill("Swimming & art with Mr Ahmed <3")
    child.get_by_role("button", name="Save and come back later").click()
    expect(child.get_by_text("Your answers have been saved.")).to_be_visible()
    expect(child.locator("input[name='feel_about_school'][value='happy']")).to_be_checked()
    assert_child_page_passes(child)

    # Coming back later in a window 320 pixels wide: what was saved is there.
    narrow = browsing.new_page(**NARROW)
    narrow.goto(link)
    expect(narrow.get_by_role("heading", name="Your views", level=1)).to_be_visible()
    assert narrow.viewport_size == {"width": REFLOW_WIDTH, "height": 640}
    expect(narrow.locator("input[name='feel_about_school'][value='happy']")).to_be_checked()
    expect(narrow.get_by_label("What is going well?")).to_have_value(
        "Swimming & art with Mr Ahmed <3"
    )
    assert_child_page_passes(narrow)

    # Without JavaScript, on another phone: the child adds an answer, saves, and sends.
    plain = browsing.new_page(java_script_enabled=False, **PHONE)
    plain.goto(link)
    expect(plain.get_by_role("heading", name="Your views", level=1)).to_be_visible()
    expect(plain.get_by_label("What is going well?")).to_have_value(
        "Swimming & art with Mr Ahmed <3"
    )
    assert_feelings_pictures_render(plain)
    assert_passes_without_javascript(plain)
    plain.get_by_label("What is hard?").fill("Spellings, and when it is loud.")
    plain.get_by_role("button", name="Save and come back later").click()
    expect(plain.get_by_text("Your answers have been saved.")).to_be_visible()
    expect(plain.get_by_label("What is hard?")).to_have_value("Spellings, and when it is loud.")
    assert_passes_without_javascript(plain)
    plain.get_by_role("button", name="Send to my teacher").click()
    thanks = plain.get_by_role("heading", name="Thank you, your views have been sent")
    expect(thanks).to_be_visible()
    assert_passes_without_javascript(plain)

    # The phone that opened the link first now only says thank you.
    child.goto(link)
    expect(
        child.get_by_role("heading", name="Thank you, your views have been sent")
    ).to_be_visible()
    expect(child.get_by_role("button", name="Send to my teacher")).to_have_count(0)
    assert_accessible(child)
    assert_reflows_on_the_narrowest_phone(child)
    assert_keyboard_reaches_every_control_in_order(child)

    # The designated teacher reads the child's views in the PEP.
    teacher.goto(pep_url + "/sections/my_views")
    expect(teacher.get_by_role("heading", name="My views", level=1)).to_be_visible()
    expect(teacher.locator("#section-form")).to_have_count(0)
    for question, answer in (
        ("How do you feel about school?", "Happy"),
        ("How do you feel about your friends?", "Okay"),
        ("What is going well?", "Swimming & art with Mr Ahmed <3"),
        ("What is hard?", "Spellings, and when it is loud."),
    ):
        row = teacher.locator(".govuk-summary-list__row").filter(
            has=teacher.locator("dt", has_text=question)
        )
        expect(row.locator("dd")).to_have_text(answer)
    assert_accessible(teacher)
    assert_keyboard_reaches_every_control_in_order(teacher)


# Quality assurance ----------------------------------------------------------------------


def resubmit_and_approve(teacher: Page, social_worker: Page, pep_url: str) -> None:
    """The designated teacher resubmits the PEP and the social worker approves it."""
    teacher.goto(pep_url)
    teacher.get_by_role("button", name="Resubmit PEP").click()
    expect(teacher.get_by_text("The PEP is now submitted")).to_be_visible()
    social_worker.goto(pep_url)
    social_worker.get_by_role("button", name="Approve").click()
    expect(social_worker.get_by_text("The PEP is now approved by social worker")).to_be_visible()


def save_pupil_premium_plus(teacher: Page, pep_url: str, **answers: str) -> None:
    """The designated teacher saves the Pupil Premium Plus section through its form."""
    teacher.goto(pep_url + "/sections/pupil_premium_plus")
    expect(teacher.get_by_role("heading", name="Pupil Premium Plus", level=1)).to_be_visible()
    labels = {
        "amount_requested": "Amount requested this term (£)",
        "difference_explained": "Why the amount requested differs from the total for the targets",
    }
    for key, value in answers.items():
        # A question not required is labelled so after its words ("(optional)").
        teacher.get_by_label(re.compile(re.escape(labels[key]))).fill(value)
    teacher.get_by_role("button", name="Save", exact=True).click()
    expect(teacher.locator(".govuk-error-summary")).to_have_count(0)
    teacher.wait_for_load_state()


def pre_check(reviewer: Page, title: str) -> tuple[str, str]:
    """The status and the words of one of the portal's checks on the QA page."""
    row = reviewer.locator(".govuk-summary-list__row").filter(
        has=reviewer.locator("dt", has_text=title)
    )
    expect(row).to_have_count(1)
    value = row.locator("dd")
    return value.locator(".govuk-tag").inner_text().strip(), value.locator("p").inner_text()


def test_quality_assurance_of_a_version_3_pep_checks_its_pupil_premium_plus(
    live_server: LiveServer, browsing: Browsing
) -> None:
    pep_id = version_3_pep_id(live_server, "Amira", "Hussain", "returned")
    pep_url = f"{live_server.url}/peps/{pep_id}"
    teacher = signed_in_page(browsing, live_server, OAKFIELD_TEACHER)
    social_worker = signed_in_page(browsing, live_server, SOCIAL_WORKER)
    reviewer = signed_in_page(browsing, live_server, REVIEWER)

    # The request is made less than the targets' total, with nothing to explain it.
    save_pupil_premium_plus(
        teacher, pep_url, amount_requested=REQUEST_BELOW_TARGETS, difference_explained=""
    )
    resubmit_and_approve(teacher, social_worker, pep_url)
    assert pep_state(live_server, pep_id) == "approved"

    reviewer.goto(pep_url + "/quality-assurance")
    expect(reviewer.get_by_role("heading", name="Quality assurance", level=1)).to_be_visible()
    assert pre_check(reviewer, PUPIL_PREMIUM_CHECK) == (
        "Failed",
        f"£400.00 requested; {TARGETS_TOTAL} is linked to targets; "
        "the difference is not explained.",
    )
    # The other checks read version 3's answers: attendance in sessions, attainment by key
    # stage, both recorded for Amira.
    assert pre_check(reviewer, "Attendance and attainment recorded") == (
        "Passed",
        "Both are recorded.",
    )
    assert pre_check(reviewer, "Child's views captured") == (
        "Passed",
        "The child's views are recorded.",
    )
    assert_accessible(reviewer)
    assert_keyboard_reaches_every_control_in_order(reviewer)

    # Signing off below the pass mark is refused, and the error summary says why.
    for group in reviewer.locator(".govuk-radios--inline").all():
        group.get_by_label("Met", exact=True).check()
    rating = reviewer.get_by_role("group", name=re.compile("Overall rating"))
    rating.get_by_label("Red").check()
    reviewer.get_by_role("button", name="Sign off").click()
    summary = reviewer.locator(".govuk-error-summary")
    expect(summary).to_contain_text("must be returned with feedback")
    expect(summary).to_be_focused()
    expect(reviewer).to_have_title(re.compile("^Error: Quality assurance"))
    assert_error_summary_leads_to_its_questions(reviewer)
    assert pre_check(reviewer, PUPIL_PREMIUM_CHECK)[0] == "Failed"
    assert_accessible(reviewer)
    assert_keyboard_reaches_every_control_in_order(reviewer)

    # The reviewer returns it; the designated teacher explains the difference and resubmits.
    rating.get_by_label("Amber").check()
    reviewer.get_by_label("Feedback for the designated teacher").fill(
        "Please explain why the request is less than the targets' total."
    )
    reviewer.get_by_role("button", name="Return with feedback").click()
    expect(reviewer.get_by_role("heading", name="History")).to_be_visible()
    assert pep_state(live_server, pep_id) == "returned"
    save_pupil_premium_plus(teacher, pep_url, difference_explained=DIFFERENCE)
    resubmit_and_approve(teacher, social_worker, pep_url)

    reviewer.goto(pep_url + "/quality-assurance")
    expect(reviewer.get_by_role("heading", name="Quality assurance", level=1)).to_be_visible()
    assert pre_check(reviewer, PUPIL_PREMIUM_CHECK) == (
        "Passed",
        f"£400.00 requested; {TARGETS_TOTAL} is linked to targets; "
        f"the difference is explained: {DIFFERENCE}",
    )
    assert_accessible(reviewer)
    assert_keyboard_reaches_every_control_in_order(reviewer)

    for group in reviewer.locator(".govuk-radios--inline").all():
        group.get_by_label("Met", exact=True).check()
    reviewer.get_by_role("group", name=re.compile("Overall rating")).get_by_label("Green").check()
    reviewer.get_by_label("Feedback for the designated teacher").fill("Clear and well costed.")
    reviewer.get_by_role("button", name="Sign off").click()
    expect(reviewer.get_by_role("heading", name="History")).to_be_visible()
    assert pep_state(live_server, pep_id) == "signed_off"
