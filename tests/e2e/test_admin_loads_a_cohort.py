"""A Virtual School admin loads a cohort in a real browser: imports the GIAS schools extract and
a children file from the social-care system (each checked in the background with its progress,
previewed row by row, then committed), adds a designated teacher and gives them their school;
the teacher signs in and sees the child. Every admin page passes the accessibility checks."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Child, School
from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
GIAS_EXTRACT = FIXTURES / "schools" / "gias_extract.csv"
# One child of the extract's St Mary's (URN 116202), in care since spring: the columns of the
# SSDA903 return plus those a PEP needs.
CHILDREN_FILE = (
    "CHILD,FORENAME,SURNAME,SEX,DOB,ETHNIC,UPN,UASC,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,"
    "DEC,REC,HOME_POST,PL_POST,URN,PLACED_LA,SCHOOL_URN,NO_SCHOOL_PLACE,SW_EMAIL\n"
    "E2E-0001,Keira,Holloway,2,11/02/2017,WBRI,,N,03/03/2026,S,C2,N1,U4,PR1,,,WR5 2,WR5 3AB,"
    ",,116202,,sw@demo.openpep.test\n"
)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()


def upload_and_commit(page: Page, base_url: str, kind_label: str, path: Path) -> None:
    page.goto(base_url + "/admin/imports")
    expect(page.get_by_role("heading", name="Imports", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label(kind_label).check()
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Upload and check").click()
    # The check runs in the background; the page asks for its progress and reloads when done.
    expect(page.get_by_role("heading", level=2, name="What the file would change")).to_be_visible(
        timeout=30_000
    )
    assert_accessible(page)
    page.get_by_role("button", name="Commit the import").click()
    expect(page.get_by_role("heading", level=2, name="What the file changed")).to_be_visible(
        timeout=30_000
    )
    expect(page.locator("#import-status")).to_contain_text("Imported")
    assert_accessible(page)


def test_an_admin_loads_schools_and_children_and_a_teacher_sees_their_child(
    live_server, watched_page, tmp_path
):
    page = watched_page
    base = live_server.url
    sign_in_through_provider(page, base, "admin@demo.openpep.test")
    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()
    assert_accessible(page)

    upload_and_commit(page, base, "Schools (Get Information About Schools)", GIAS_EXTRACT)
    with live_server.app.app_context():
        school = db.session.scalar(select(School).where(School.urn == "116202"))
        assert school is not None and school.name == "St Mary\u2019s Catholic Primary School"

    children_file = tmp_path / "children.csv"
    children_file.write_text(CHILDREN_FILE, encoding="utf-8")
    upload_and_commit(page, base, "Children (SSDA903)", children_file)
    with live_server.app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == "E2E-0001"))
        assert child is not None and child.current_school_id == school.id

    # The schools list finds the school the import brought in.
    page.goto(base + "/admin/schools")
    assert_accessible(page)

    page.goto(base + "/admin/staff/new")
    expect(page.get_by_role("heading", name="Add a person")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Erin Walsh")
    page.get_by_label("Email address").fill("erin.walsh@stmarys.example.org")
    page.get_by_role("button", name="Add the person").click()
    expect(page.get_by_role("heading", name="Erin Walsh")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Designated teacher or lead", exact=True).check()
    page.get_by_label("Settings (designated teacher or lead)").fill("116202")
    page.get_by_role("button", name=re.compile("^Give (the )?role")).click()
    expect(page.locator("main")).to_contain_text("St Mary\u2019s Catholic Primary School")
    assert_accessible(page)

    sign_out(page)

    sign_in_through_provider(page, base, "erin.walsh@stmarys.example.org")
    page.get_by_role("link", name="Children", exact=True).click()
    expect(page.get_by_role("link", name="Keira Holloway")).to_be_visible()
    main_text = page.locator("main").inner_text()
    assert re.findall(r"DCC-\d{4}", main_text) == [], "only her own school's child"
    page.get_by_role("link", name="Keira Holloway").click()
    expect(page.get_by_role("heading", name="Keira Holloway")).to_be_visible()
    assert_accessible(page)
    # The teacher is not an admin: the admin area is not offered, and refused if asked for.
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    assert page.goto(base + "/admin/imports").status == 403


def test_an_admin_records_a_change_of_school_and_the_old_teacher_loses_the_child(
    live_server, watched_page
):
    page = watched_page
    base = live_server.url
    with live_server.app.app_context():
        jacob = db.session.scalar(select(Child).where(Child.authority_reference == "DCC-1104"))
        jacob_id = jacob.id
    sign_in_through_provider(page, base, "admin@demo.openpep.test")
    page.goto(f"{base}/children/{jacob_id}")
    expect(page.get_by_role("heading", name="Jacob Evans")).to_be_visible()
    # Every change page of the child passes the checks before anything is recorded.
    for link in ("placement", "carer", "social worker", "leaving care", "school or setting"):
        page.goto(f"{base}/children/{jacob_id}")
        page.get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)

    page.get_by_label("Find the school or setting by URN or name").fill("St Anne")
    page.get_by_role("button", name="Find schools").click()
    page.get_by_label(re.compile("St Anne.s CE Primary School")).check()
    page.get_by_label("Day", exact=True).fill("2")
    page.get_by_label("Month", exact=True).fill("11")
    page.get_by_label("Year", exact=True).fill("2026")
    page.get_by_role("button", name="Record the change").click()
    expect(page.get_by_role("heading", name="Jacob Evans")).to_be_visible()
    expect(page.locator("#timeline ~ table")).to_contain_text("Oakfield Primary School")
    expect(page.locator("main")).to_contain_text("St Anne")
    assert_accessible(page)

    sign_out(page)
    sign_in_through_provider(page, base, "dt.oakfield@demo.openpep.test", check_accessibility=False)
    assert page.goto(f"{base}/children/{jacob_id}").status == 404
    sign_out(page)
    sign_in_through_provider(page, base, "dt.stannes@demo.openpep.test", check_accessibility=False)
    page.goto(f"{base}/children/{jacob_id}")
    expect(page.get_by_role("heading", name="Jacob Evans")).to_be_visible()
