"""Every section of version 3 of each PEP form, in a real browser over the demo data: the
editing page of each section with every question asked only under a condition revealed (the
questions they depend on answered, each alternative in turn), the read view of each section
after saving, a cross-field check's error summary, the keyboard path into a revealed question,
and the attendance section without JavaScript. Every page passes the page checks.

Each section is edited by the account that owns it: the designated teacher, the social worker,
the carer. The child's own views page is reached through an invite link, and the Virtual
School's quality assurance only once a PEP is submitted: neither is visited here."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from forms.schema import SectionType
from portal.extensions import db
from portal.form_registry import form_registry
from portal.models import Child, Pep
from tests.e2e.conftest import LiveServer, sign_in_through_provider
from tests.e2e.page_checks import assert_accessible, page_problems

DEMO_DOMAIN = "demo.openpep.test"


@dataclass(frozen=True)
class DemoPep:
    """A demo child whose PEP for this term is open, and the accounts that own its sections."""

    form_key: str
    first_name: str
    last_name: str
    owners: dict[str, str]  # section owner role -> email of the demo account


DEMO_PEPS = (
    DemoPep(
        "school_age",
        "Chloe",
        "Brown",
        {
            "designated_teacher": f"dt.riverside@{DEMO_DOMAIN}",
            "social_worker": f"sw@{DEMO_DOMAIN}",
            "carer": f"carer@{DEMO_DOMAIN}",
        },
    ),
    DemoPep(
        "early_years",
        "Ava",
        "Thompson",
        {
            "designated_teacher": f"dt.littleacorns@{DEMO_DOMAIN}",
            "social_worker": f"sw.north@{DEMO_DOMAIN}",
        },
    ),
    DemoPep(
        "post_16",
        "Jade",
        "Morris",
        {
            "designated_teacher": f"dt.northgate@{DEMO_DOMAIN}",
            "social_worker": f"sw.north@{DEMO_DOMAIN}",
        },
    ),
)

# Sections whose editing page is not a plain section form for a signed-in owner.
NOT_EDITED_HERE = frozenset({SectionType.CHILD_VOICE, SectionType.QUALITY_ASSURANCE})
# Reading: a section owned by the designated teacher is read by the social worker, any other
# by the designated teacher.
READER_OF = {"designated_teacher": "social_worker"}


def open_pep_id(server: LiveServer, demo: DemoPep) -> uuid.UUID:
    """The child's open PEP for this term, which the demo data starts on version 3."""
    with server.app.app_context():
        child = db.session.scalars(
            select(Child).where(
                Child.first_name == demo.first_name, Child.last_name == demo.last_name
            )
        ).one()
        pep = db.session.scalars(
            select(Pep).where(Pep.child_id == child.id, Pep.state == "draft")
        ).one()
        assert (pep.form_key, pep.form_version) == (demo.form_key, 3)
        pep_id = pep.id
        db.session.remove()
    return pep_id


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Browser contexts opened by a test, closed after it."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def signed_in_page(
    browser: Browser, contexts: list[BrowserContext], server: LiveServer, email: str
) -> Page:
    context = browser.new_context()
    contexts.append(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The sign-in pages are checked by the sign-in tests; these tests check the form pages.
    sign_in_through_provider(page, server.url, email, check_accessibility=False)
    return page


# Revealing answers -------------------------------------------------------------------------


def leaf_assignments(condition: dict[str, Any]) -> list[list[tuple[str, str, object]]]:
    """Ways to make a condition true, each a list of (field, test, value) to answer."""
    if "all" in condition:
        ways: list[list[tuple[str, str, object]]] = [[]]
        for part in condition["all"]:
            ways = [way + more for way in ways for more in leaf_assignments(part)]
        return ways
    if "any" in condition:
        return [way for part in condition["any"] for way in leaf_assignments(part)]
    field = condition["field"]
    for test in ("equals", "in", "includes", "more_than", "answered"):
        if test in condition:
            value = condition[test]
            if test == "in":
                return [[(field, "equals", option)] for option in value]
            return [[(field, test, value)]]
    raise AssertionError(f"a condition this test does not know: {condition}")


def reveal_question(page: Page, name: str, depth: int) -> None:
    """Bring the question named `name` on show when a later answer has hidden it again (a
    nursery class's suspensions need the child in a setting after the walk has tried "not in
    a setting"): answer the innermost condition around it, and so on outwards."""
    wrappers = page.locator(f'[data-openpep-shown-if]:has([name^="{name}"])')
    if depth > 5 or wrappers.count() == 0:
        return
    wrapper = wrappers.last
    condition = json.loads(wrapper.get_attribute("data-openpep-shown-if") or "{}")
    prefix = wrapper.get_attribute("data-openpep-name-prefix") or ""
    for way in leaf_assignments(condition):
        if all(answer(page, prefix + field, test, value, depth + 1) for field, test, value in way):
            return


def answer(page: Page, name: str, test: str, value: object, depth: int = 0) -> bool:
    """Answer the question named `name` so the test holds; False if it cannot be on show."""
    # A checkbox list carries a hidden input of its name too (so unticking every box posts).
    controls = page.locator(f'[name="{name}"]:not([type="hidden"])')
    first_control = controls.first if controls.count() else page.locator(f'[name^="{name}-"]').first
    if first_control.count() and not first_control.is_visible():
        reveal_question(page, name, depth)
    if controls.count() == 0:
        # A date: its day, month and year inputs carry the name with a suffix.
        parts = page.locator(f'[name^="{name}-"]')
        if parts.count() == 0 or not parts.first.is_visible():
            return False
        for index, text in enumerate(("1", "9", "2025")[: parts.count()]):
            parts.nth(index).fill(text)
        return True
    first = controls.first
    kind = first.evaluate("e => e.tagName === 'INPUT' ? e.type : e.tagName.toLowerCase()")
    if kind in ("radio", "checkbox"):
        if test == "answered":
            choice = controls.first
        else:
            wanted = {True: "yes", False: "no"}.get(value, value)  # type: ignore[call-overload]
            choice = page.locator(f'[name="{name}"][value="{wanted}"]')
        if not choice.is_visible():
            return False
        choice.check()
        return True
    if not first.is_visible():
        return False
    if kind == "select":
        if test == "answered":
            first.select_option(index=1)
        else:
            first.select_option(value=str(value))
        return True
    if test == "more_than":
        first.fill(str(int(float(str(value))) + 1))
    elif test == "answered":
        first.fill("5")
    else:
        first.fill(str(value))
    return True


def conditional_wrappers(page: Page) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        "[data-openpep-shown-if]",
        """elements => elements.map(e => ({
            id: e.id, condition: e.dataset.openpepShownIf,
            prefix: e.dataset.openpepNamePrefix || '', visible: e.getClientRects().length > 0}))""",
    )


def reveal_every_question(page: Page, where: str) -> None:
    """Answer the questions others depend on, one way after another, until every conditional
    question has shown; the page checks run in each state."""
    seen: set[str] = set()
    tried: set[tuple[str, str]] = set()
    for _round in range(200):
        wrappers = conditional_wrappers(page)
        seen |= {wrapper["id"] for wrapper in wrappers if wrapper["visible"]}
        waiting = [wrapper for wrapper in wrappers if wrapper["id"] not in seen]
        if not waiting:
            break
        changed = False
        for wrapper in waiting:
            condition = json.loads(wrapper["condition"])
            for way in leaf_assignments(condition):
                key = (wrapper["id"], json.dumps(way, default=str))
                if key in tried:
                    continue
                if all(
                    answer(page, wrapper["prefix"] + field, test, value)
                    for field, test, value in way
                ):
                    tried.add(key)
                    changed = True
                    break
            if changed:
                break  # one answer at a time: a later one may undo what this revealed
        if changed:
            wrappers = conditional_wrappers(page)
            newly = {w["id"] for w in wrappers if w["visible"]} - seen
            if newly:
                assert_accessible(page)
            seen |= newly
        else:
            break
    missing = [w["id"] for w in conditional_wrappers(page) if w["id"] not in seen]
    assert missing == [], f"{where}: questions never revealed: {missing}"


# The tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "demo",
    [pytest.param(demo, id=demo.form_key) for demo in DEMO_PEPS],
)
def test_every_section_of_version_3_passes_the_page_checks(
    demo: DemoPep,
    live_server: LiveServer,
    browser: Browser,
    contexts: list[BrowserContext],
) -> None:
    pep_id = open_pep_id(live_server, demo)
    with live_server.app.app_context():
        definition = form_registry().get(demo.form_key, 3)
    pages = {
        role: signed_in_page(browser, contexts, live_server, email)
        for role, email in demo.owners.items()
    }
    not_visited: list[str] = []
    for section in definition.sections:
        url = f"{live_server.url}/peps/{pep_id}/sections/{section.key}"
        owner = str(section.owner)
        if section.section_type in NOT_EDITED_HERE or owner not in pages:
            not_visited.append(section.key)
            continue
        page = pages[owner]
        page.goto(url)
        expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
        assert_accessible(page)
        reveal_every_question(page, f"{demo.form_key} {section.key}")
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_load_state()
        assert_accessible(page)
        reader = pages[READER_OF.get(owner, "designated_teacher")]
        reader.goto(url)
        expect(reader.get_by_role("heading", level=1)).to_be_visible()
        assert reader.get_by_role("button", name="Save", exact=True).count() == 0
        assert_accessible(reader)
    # The carer's section of the children with no demo carer, the child's views and the
    # quality assurance are the only ones left.
    assert set(not_visited) <= {"my_views", "quality_assurance", "carers_views"}


def test_sessions_that_do_not_add_up_and_the_keyboard_path_into_a_revealed_question(
    live_server: LiveServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    demo = DEMO_PEPS[0]
    pep_id = open_pep_id(live_server, demo)
    page = signed_in_page(browser, contexts, live_server, demo.owners["designated_teacher"])
    page.goto(f"{live_server.url}/peps/{pep_id}/sections/attendance_exclusions")

    suspended = page.get_by_role("group", name=re.compile("suspended this school year"))
    suspended.get_by_label("No").check()
    suspended.get_by_label("No").focus()
    page.keyboard.press("ArrowUp")  # a radio group is one stop: arrows choose within it
    expect(suspended.get_by_label("Yes")).to_be_checked()
    page.keyboard.press("Tab")
    focused_inside = page.evaluate(
        "() => !!document.activeElement.closest('#suspensions-conditional')"
    )
    assert focused_inside, "Tab from the answer did not reach the question it revealed"

    page.locator("#sessions_possible_term").fill("80")
    page.locator("#sessions_attended_term").fill("10")
    page.get_by_label("Authorised absences this term (sessions)", exact=True).fill("1")
    page.get_by_label("Unauthorised absences this term (sessions)", exact=True).fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert_accessible(page)


def test_attendance_without_javascript_shows_every_question_with_when_to_answer_it(
    live_server: LiveServer, browser: Browser
) -> None:
    demo = DEMO_PEPS[0]
    pep_id = open_pep_id(live_server, demo)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in_through_provider(
            page, live_server.url, demo.owners["designated_teacher"], check_accessibility=False
        )
        page.goto(f"{live_server.url}/peps/{pep_id}/sections/attendance_exclusions")
        wrappers = page.locator("[data-openpep-shown-if]")
        assert wrappers.count() > 0
        for index in range(wrappers.count()):
            wrapper = wrappers.nth(index)
            expect(wrapper).to_be_visible()
            expect(wrapper.locator(".openpep-conditional__hint").first).to_contain_text(
                "Answer this only if"
            )
        # The page as served, without the script. axe-core's run awaits promises, which a page
        # with JavaScript off never settles: axe checks this page with the script elsewhere.
        problems = page_problems(page)
        assert problems == [], problems
    finally:
        context.close()
