"""Version 3 of the school-age form in a real browser: a question asked only under a condition
is hidden and revealed as the answer it depends on changes, a table's column too, and the
absence rate is worked out as the sessions are typed. On the early years form the absence rate
is hidden and revealed with the attendance questions it is worked out from (a child with no
nursery place has none). axe checks the page as it changes.

The portal reads the published definitions and the drafts of the next versions from a folder
of their own (OPENPEP_FORMS_DIRECTORY), and Harry's PEP is moved onto version 3 of his form;
Ava's early years PEP is on version 3 in the demo data.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from devtools.oidc_provider import OidcProvider
from forms.schema import DEFAULT_DIRECTORY
from portal import create_app
from portal.extensions import db
from portal.form_registry import form_registry
from portal.models import Child, Pep
from tests.conftest import portal_config
from tests.e2e.conftest import LiveServer, sign_in_through_provider
from tests.e2e.page_checks import assert_accessible

DT_EMAIL = "dt.oakfield@demo.openpep.test"
NURSERY_DT_EMAIL = "dt.littleacorns@demo.openpep.test"
DRAFTS = DEFAULT_DIRECTORY.parent / "drafts"
NOT_WORKED_OUT = re.compile(r"^Not worked out yet: it needs ")
NOTHING_POSSIBLE = '"Sessions possible this term" is 0, so there is no percentage to work out'
NOTHING_BOOKED = (
    '"Sessions the child was booked in for this term" is 0, so there is no percentage to work out'
)


@pytest.fixture
def next_versions_server(
    seeded: Flask, migrated_database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> Iterator[LiveServer]:
    """The portal over the demo data, reading the next versions of the forms as published."""
    folder = tmp_path / "definitions"
    folder.mkdir()
    for source in (*DEFAULT_DIRECTORY.glob("*.yaml"), *DRAFTS.glob("*.yaml")):
        shutil.copy(source, folder / source.name)
    app = create_app({**portal_config(migrated_database, oidc_provider), "FORMS_DIRECTORY": folder})
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def move_onto_the_latest_version(app: Flask, pep_id: uuid.UUID) -> None:
    """The PEP now uses the latest version of its form, its attendance section unanswered."""
    with app.app_context():
        pep = db.session.get(Pep, pep_id)
        assert pep is not None
        latest = form_registry().latest(pep.form_key)
        assert latest.version >= 3
        pep.form_version = latest.version
        for section in pep.sections:
            if section.section_key == "attendance_exclusions":
                section.answers = {}
        db.session.commit()
        db.session.remove()


def open_harrys_attendance(page: Page, server: LiveServer) -> None:
    page.get_by_role("link", name="Children", exact=True).click()
    page.get_by_role("link", name="Harry Wilson").click()
    expect(page.get_by_role("heading", name="Harry Wilson", level=1)).to_be_visible()
    page.locator("table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Personal Education Plan")
    found = re.search(r"/peps/([0-9a-f-]{36})", page.url)
    assert found is not None
    move_onto_the_latest_version(server.app, uuid.UUID(found[1]))
    page.goto(f"{server.url}/peps/{found[1]}/sections/attendance_exclusions")
    heading = page.get_by_role("heading", name="Attendance, suspensions and exclusions")
    expect(heading).to_be_visible()


def test_questions_are_revealed_and_the_absence_rate_worked_out_as_answers_change(
    next_versions_server: LiveServer, watched_page: Page
) -> None:
    page = watched_page
    sign_in_through_provider(page, next_versions_server.url, DT_EMAIL, check_accessibility=False)
    open_harrys_attendance(page, next_versions_server)
    suspended = page.get_by_role("group", name=re.compile("suspended this school year"))
    suspensions = page.locator("#suspensions-conditional")
    sixth_day = page.locator("#suspensions-0-sixth_day_provision-conditional")

    # With the script, the hints for people without it are hidden, and so is a question whose
    # answer it depends on is not given yet.
    expect(page.locator("#suspensions-only-if")).to_be_hidden()
    expect(suspensions).to_be_hidden()
    expect(suspended.get_by_label("Yes")).to_have_attribute(
        "aria-controls", re.compile(r"\bsuspensions-conditional\b")
    )
    assert_accessible(page)

    suspended.get_by_label("Yes").check()
    expect(suspensions).to_be_visible()
    expect(page.locator("#suspensions-only-if")).to_be_hidden()
    # A column of a row is asked only of a suspension longer than 10 sessions.
    expect(sixth_day).to_be_hidden()
    page.locator("#suspensions-0-length_sessions").fill("12")
    expect(sixth_day).to_be_visible()
    page.locator("#suspensions-0-length_sessions").fill("3")
    expect(sixth_day).to_be_hidden()
    page.locator("#suspensions-0-length_sessions").fill("12")
    expect(sixth_day).to_be_visible()
    assert_accessible(page)

    suspended.get_by_label("No").check()
    expect(suspensions).to_be_hidden()
    # Hidden, not removed: what was typed is still there if the answer changes back.
    expect(page.locator("#suspensions-0-length_sessions")).to_have_value("12")
    suspended.get_by_label("Yes").check()
    expect(suspensions).to_be_visible()

    rate = page.locator("#absence_rate_term")
    expect(rate).to_have_text(NOT_WORKED_OUT)
    page.get_by_label("Sessions possible this term").fill("80")
    page.get_by_label("Authorised absences this term (sessions)", exact=True).fill("6")
    expect(rate).to_have_text(NOT_WORKED_OUT)
    page.get_by_label("Unauthorised absences this term (sessions)", exact=True).fill("4")
    expect(rate).to_have_text("12.5% - Persistent absence (10% or more of sessions missed)")
    page.get_by_label("Sessions possible this term").fill("20")
    expect(rate).to_have_text("50.0% - Severe absence (50% or more of sessions missed)")
    page.get_by_label("Sessions possible this term").fill("400")
    expect(rate).to_have_text("2.5% - Not persistently absent")
    # Every input answered and no session possible: there is no percentage, and it says so.
    page.get_by_label("Sessions possible this term").fill("0")
    expect(rate).to_have_text(NOTHING_POSSIBLE)
    # Rounded half up, as the server rounds: 1 session in 16 is 6.25%, shown as 6.3%.
    page.get_by_label("Sessions possible this term").fill("16")
    page.get_by_label("Authorised absences this term (sessions)", exact=True).fill("1")
    page.get_by_label("Unauthorised absences this term (sessions)", exact=True).fill("0")
    expect(rate).to_have_text("6.3% - Not persistently absent")
    page.get_by_label("Authorised absences this term (sessions)", exact=True).fill("6")
    page.get_by_label("Unauthorised absences this term (sessions)", exact=True).fill("4")
    page.get_by_label("Sessions possible this term").fill("80")
    expect(rate).to_have_text("12.5% - Persistent absence (10% or more of sessions missed)")
    assert_accessible(page)

    # Saved and read back, the page works the same figure out on the server.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#absence_rate_term")).to_have_text(
        "12.5% - Persistent absence (10% or more of sessions missed)"
    )
    expect(page.locator("#suspensions-conditional")).to_be_visible()
    assert_accessible(page)


def open_avas_setting(page: Page, server: LiveServer) -> None:
    """The setting section of Ava's open early years PEP, on version 3 of its form."""
    with server.app.app_context():
        child = db.session.scalars(
            select(Child).where(Child.first_name == "Ava", Child.last_name == "Thompson")
        ).one()
        pep = db.session.scalars(
            select(Pep).where(Pep.child_id == child.id, Pep.state == "draft")
        ).one()
        assert (pep.form_key, pep.form_version) == ("early_years", 3)
        pep_id = pep.id
        db.session.remove()
    page.goto(f"{server.url}/peps/{pep_id}/sections/setting")
    expect(page.get_by_role("heading", name="The early years setting")).to_be_visible()


def test_the_absence_rate_is_hidden_and_revealed_with_the_questions_it_is_worked_out_from(
    next_versions_server: LiveServer, watched_page: Page
) -> None:
    page = watched_page
    sign_in_through_provider(
        page, next_versions_server.url, NURSERY_DT_EMAIL, check_accessibility=False
    )
    open_avas_setting(page, next_versions_server)
    in_setting = page.get_by_role("group", name=re.compile("in an early years setting"))
    figures = [page.locator("#absence_rate_term-conditional")]
    figures.append(page.locator("#absence_rate_year-conditional"))
    rate = page.locator("#absence_rate_term")
    possible = page.locator("#sessions_possible_term")

    # The choice that hides the attendance questions says it controls the figure too.
    expect(in_setting.get_by_label("No")).to_have_attribute(
        "aria-controls", re.compile(r"\babsence_rate_term-conditional\b")
    )

    # No setting: the attendance questions go, and the figures worked out from them with them.
    in_setting.get_by_label("No").check()
    expect(possible).to_be_hidden()
    for figure in figures:
        expect(figure).to_be_hidden()
    expect(page.locator("text=Not worked out yet >> visible=true")).to_have_count(0)
    assert_accessible(page)

    # A setting: the questions and the figures come back.
    in_setting.get_by_label("Yes").check()
    expect(possible).to_be_visible()
    for figure in figures:
        expect(figure).to_be_visible()

    # A child who started the day before the meeting: nothing was possible yet.
    possible.fill("0")
    page.locator("#sessions_attended_term").fill("0")
    page.locator("#authorised_absences_term").fill("0")
    page.locator("#unauthorised_absences_term").fill("0")
    expect(rate).to_have_text(NOTHING_BOOKED)
    possible.fill("")
    expect(rate).to_have_text(NOT_WORKED_OUT)
    possible.fill("20")
    page.locator("#authorised_absences_term").fill("2")
    expect(rate).to_have_text("10.0% - Persistent absence (10% or more of sessions missed)")
    assert_accessible(page)

    # Back to no setting: hidden again, however far the sessions had got.
    in_setting.get_by_label("No").check()
    for figure in figures:
        expect(figure).to_be_hidden()


def test_without_javascript_every_question_is_shown_with_when_to_answer_it(
    next_versions_server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in_through_provider(page, next_versions_server.url, DT_EMAIL, check_accessibility=False)
    open_harrys_attendance(page, next_versions_server)

    expect(page.locator("#suspensions-conditional")).to_be_visible()
    expect(page.locator("#suspensions-only-if")).to_have_text(
        'Answer this only if "Has the child been suspended this school year?" is "Yes"'
    )
    expect(page.locator("#suspensions-0-length_sessions")).to_be_visible()
    expect(page.locator("#absence_rate_term")).to_have_text(NOT_WORKED_OUT)

    # The figure is worked out by the server once the sessions are saved.
    page.get_by_label("Sessions possible this term").fill("80")
    page.get_by_label("Authorised absences this term (sessions)", exact=True).fill("6")
    page.get_by_label("Unauthorised absences this term (sessions)", exact=True).fill("4")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#absence_rate_term")).to_have_text(
        "12.5% - Persistent absence (10% or more of sessions missed)"
    )
    context.close()
