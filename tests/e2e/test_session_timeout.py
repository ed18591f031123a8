"""The timeout warning (WCAG 2.2.1) and no copies of pages left in the tab after sign-out, in a
real browser. The portal here ends sessions after 30 seconds without use, so the warning
(half the idle time before the end, when that is under two minutes) shows within seconds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from devtools.oidc_provider import OidcProvider
from portal import create_app
from portal.extensions import db
from portal.models import User, UserSession
from tests.conftest import portal_config
from tests.e2e.conftest import LiveServer, sign_in_through_provider
from tests.e2e.page_checks import assert_accessible

IDLE_SECONDS = 30
REVIEWER = "reviewer@demo.openpep.test"


@pytest.fixture
def live_server(migrated_database: str, oidc_provider: OidcProvider) -> Iterator[LiveServer]:
    """The shared fixture's server, with a short idle timeout (the name asks for demo data)."""
    app = create_app(
        portal_config(migrated_database, oidc_provider, SESSION_IDLE_MINUTES=IDLE_SECONDS / 60)
    )
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


def open_session_of(server: LiveServer, email: str) -> UserSession:
    with server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return db.session.scalar(
            select(UserSession).where(
                UserSession.user_id == user.id, UserSession.ended_at_utc.is_(None)
            )
        )


def test_a_warning_before_the_idle_timeout_offers_more_time(live_server, watched_page: Page):
    page = watched_page
    sign_in_through_provider(page, live_server.url, REVIEWER, check_accessibility=False)
    dialog = page.get_by_role("dialog", name="You are about to be signed out")
    expect(dialog).to_be_visible(timeout=IDLE_SECONDS * 1000)
    expect(dialog).to_contain_text(re.compile(r"sign you out in \d+ seconds"))
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()  # a modal dialog: focus moves into it
    assert_accessible(page)

    before = open_session_of(live_server, REVIEWER).last_seen_at_utc
    stay.click()
    expect(dialog).to_be_hidden()
    after = open_session_of(live_server, REVIEWER)
    assert after.last_seen_at_utc > before
    assert datetime.now(UTC) - after.last_seen_at_utc < timedelta(seconds=5)

    # Left alone again, the page warns again and then signs the person out, saying why.
    expect(dialog).to_be_visible(timeout=IDLE_SECONDS * 1000)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=IDLE_SECONDS * 1000)
    expect(page.get_by_text("you had not used the service for 30 seconds")).to_be_visible()
    assert_accessible(page)
    with live_server.app.app_context():
        ended = db.session.scalars(select(UserSession)).all()
        assert [row.ended_why for row in ended] == ["idle_timeout"]


def test_escape_also_keeps_the_person_signed_in(live_server, watched_page: Page):
    page = watched_page
    sign_in_through_provider(page, live_server.url, REVIEWER, check_accessibility=False)
    dialog = page.get_by_role("dialog", name="You are about to be signed out")
    expect(dialog).to_be_visible(timeout=IDLE_SECONDS * 1000)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert datetime.now(UTC) - open_session_of(live_server, REVIEWER).last_seen_at_utc < (
        timedelta(seconds=5)
    )


def test_no_copies_of_pages_stay_in_the_tab_after_sign_out(live_server, watched_page: Page):
    page = watched_page
    sign_in_through_provider(
        page, live_server.url, "dt.oakfield@demo.openpep.test", check_accessibility=False
    )
    # Boosted links: htmx would keep each page it leaves in the tab's storage.
    page.get_by_role("link", name="Children", exact=True).click()
    expect(page.get_by_role("heading", name="Children")).to_be_visible()
    page.get_by_role("link", name="Jacob Evans").click()
    expect(page.get_by_role("heading", name="Jacob Evans")).to_be_visible()
    page.get_by_role("link", name="My tasks").click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    # htmx 2 keeps its history cache in sessionStorage (1.x used localStorage): look in both.
    stored = "[sessionStorage, localStorage].map((s) => s.getItem('htmx-history-cache'))"
    assert page.evaluate(stored) == [None, None]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    assert page.evaluate(stored) == [None, None]
    everything = "JSON.stringify([{...sessionStorage}, {...localStorage}])"
    assert "Jacob" not in page.evaluate(everything)
    # Back to the pages seen before: the server asks again, and a signed-out person signs in.
    page.go_back()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "Jacob" not in page.content()
