"""An autosave that fails says so in the status line, in the same live region, and leaves the
rest of the page (and what was typed) alone. axe checks the page with the failure showing."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import LiveServer, assert_accessible, sign_in_through_provider
from tests.integration.pep_helpers import open_pep_id, section_url

DT_EMAIL = "dt.oakfield@demo.openpep.test"
HARRY = "DCC-1106"
SECTION = "transitions_aspirations"
KEEP_TYPING = "Your typing is still on this page; try again or press Save."
SAVED = re.compile(r"Saved at \d\d:\d\d")
# What a proxy or a crashed server answers: a whole page that must never land in the form.
BARE_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>Internal Server Error</h1><p>The server encountered an internal error.</p>"
    "</body></html>"
)


def is_autosave(request: Any) -> bool:
    return request.method == "POST" and "autosave=1" in (request.post_data or "")


def open_the_section(page: Page, live_server: LiveServer) -> None:
    sign_in_through_provider(page, live_server.url, DT_EMAIL)
    pep_id = open_pep_id(live_server.app, HARRY)
    page.goto(live_server.url + section_url(pep_id, SECTION))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Transitions, aspirations and careers"
    )
    # Remember the live region itself, to show later that it was never replaced.
    page.evaluate("() => { window.statusRegion = document.getElementById('autosave-status'); }")


def the_same_live_region(page: Page) -> bool:
    return page.evaluate(
        """() => window.statusRegion === document.getElementById('autosave-status')
                 && document.body.contains(window.statusRegion)
                 && document.querySelectorAll('[role=status]#autosave-status').length === 1"""
    )


def type_and_wait_for_the_autosave(page: Page, text: str) -> None:
    box = page.get_by_label("The child's interests and aspirations")
    with page.expect_request(is_autosave):
        box.fill(text)


def assert_the_page_is_intact(page: Page, typed: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Transitions, aspirations and careers"
    )
    expect(page.get_by_label("The child's interests and aspirations")).to_have_value(typed)
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    status = page.locator("#autosave-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).not_to_contain_text("Internal Server Error")
    expect(page.locator("h1")).to_have_count(1)  # no second page inside the first
    assert the_same_live_region(page)


def test_an_autosave_answered_with_an_error_page_says_not_saved(
    live_server: LiveServer, page: Page
) -> None:
    open_the_section(page, live_server)

    def answer_with_an_error_page(route: Route) -> None:
        if is_autosave(route.request):
            route.fulfill(status=500, content_type="text/html; charset=utf-8", body=BARE_ERROR_PAGE)
        else:
            route.continue_()

    page.route(re.compile(r".*/sections/" + SECTION + "$"), answer_with_an_error_page)
    typed = "Wants to be a vet"
    type_and_wait_for_the_autosave(page, typed)

    status = page.locator("#autosave-status")
    expect(status).to_contain_text("Not saved: there is a problem with the service.")
    expect(status).to_contain_text(KEEP_TYPING)
    assert_the_page_is_intact(page, typed)
    assert_accessible(page)

    # The service answers again: the next autosave says saved, in the same region.
    page.unroute(re.compile(r".*/sections/" + SECTION + "$"))
    typed = "Wants to be a vet, or a zookeeper"
    type_and_wait_for_the_autosave(page, typed)
    expect(status).to_contain_text(SAVED)
    expect(status).not_to_contain_text("Not saved")
    assert the_same_live_region(page)


def test_an_autosave_that_cannot_reach_the_service_says_not_saved(
    live_server: LiveServer, page: Page
) -> None:
    open_the_section(page, live_server)
    page.route(
        re.compile(r".*/sections/" + SECTION + "$"),
        lambda route: (
            route.abort("internetdisconnected") if is_autosave(route.request) else route.continue_()
        ),
    )
    typed = "Likes football"
    type_and_wait_for_the_autosave(page, typed)
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("Not saved: the connection to the service was lost.")
    expect(status).to_contain_text(KEEP_TYPING)
    assert_the_page_is_intact(page, typed)


def test_an_autosave_that_gets_no_answer_gives_up_and_says_not_saved(
    live_server: LiveServer, page: Page
) -> None:
    open_the_section(page, live_server)
    # Twenty seconds is the real wait; half a second proves the same path.
    page.locator("[data-openpep-autosave]").evaluate(
        "el => el.setAttribute('hx-request', JSON.stringify({timeout: 500}))"
    )
    held: list[Route] = []

    def never_answer(route: Route) -> None:
        if is_autosave(route.request):
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r".*/sections/" + SECTION + "$"), never_answer)
    typed = "Enjoys drawing"
    try:
        type_and_wait_for_the_autosave(page, typed)
        status = page.locator("#autosave-status")
        expect(status).to_contain_text("Not saved: the service took too long to answer.")
        expect(status).to_contain_text(KEEP_TYPING)
        assert_the_page_is_intact(page, typed)
    finally:
        for route in held:
            route.abort()


def test_the_portals_own_words_for_a_failure_are_shown_as_they_are(
    live_server: LiveServer, page: Page
) -> None:
    """A 503 from the portal while its database is away carries the status line's words."""
    open_the_section(page, live_server)
    fragment = (
        '<div class="openpep-autosave-status__message" data-autosave-message>'
        '<p class="govuk-body">Not saved: the service is not available right now.</p>'
        f'<p class="govuk-body">{KEEP_TYPING}</p></div>'
    )
    page.route(
        re.compile(r".*/sections/" + SECTION + "$"),
        lambda route: (
            route.fulfill(status=503, content_type="text/html", body=fragment)
            if is_autosave(route.request)
            else route.continue_()
        ),
    )
    typed = "Wants to be an engineer"
    type_and_wait_for_the_autosave(page, typed)
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("Not saved: the service is not available right now.")
    assert_the_page_is_intact(page, typed)
