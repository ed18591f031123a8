"""A designated teacher signs in through the provider and sees only their school's children."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Child
from portal.operations.demo_seed import CHILDREN
from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible

OAKFIELD = {c.reference for c in CHILDREN if c.school_urn == "900201"}


def test_designated_teacher_sees_only_their_schools_children(live_server, watched_page):
    page = watched_page
    sign_in_through_provider(page, live_server.url, "dt.oakfield@demo.openpep.test")
    expect(page.get_by_role("heading", name="Hello, Priya Shah")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Children", exact=True).click()
    expect(page.get_by_role("heading", name="Children")).to_be_visible()
    assert_accessible(page)
    listed = set(re.findall(r"DCC-\d{4}", page.locator("main").inner_text()))
    assert listed == OAKFIELD

    page.get_by_role("link", name="Jacob Evans").click()
    expect(page.get_by_role("heading", name="Jacob Evans")).to_be_visible()
    expect(page.get_by_text("Oakfield Primary School")).to_be_visible()
    assert_accessible(page)

    with live_server.app.app_context():
        other = db.session.scalar(select(Child).where(Child.authority_reference == "DCC-1201"))
        other_id = other.id
    response = page.goto(f"{live_server.url}/children/{other_id}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert "Chloe" not in page.content()
    assert_accessible(page)


def test_sign_out_by_keyboard(live_server, watched_page):
    page = watched_page
    sign_in_through_provider(page, live_server.url, "reviewer@demo.openpep.test")
    # Keyboard only: tab from the skip link to the sign-out button and press Enter.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Sign out":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    assert_accessible(page)
    page.goto(live_server.url + "/children")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_an_unknown_person_is_told_they_have_no_access(live_server, watched_page):
    page = watched_page
    page.goto(live_server.url + "/login")
    page.get_by_role("button", name=re.compile("Sign in with Demo")).click()
    page.get_by_label("Email address").fill("stranger@example.org")
    page.get_by_label("Password").fill("whatever")
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("heading", name="You do not have access to this service")
    ).to_be_visible()
    assert_accessible(page)


def test_public_pages_are_accessible(live_server, watched_page):
    page = watched_page
    for path, heading in [
        ("/accessibility", "Accessibility statement"),
        ("/privacy", "Privacy notice"),
        ("/no-such-page", "Page not found"),
    ]:
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_accessible(page)
