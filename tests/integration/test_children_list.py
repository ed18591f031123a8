"""The children list: found, sorted and paged in the database, each filter and order proven
against the children worked out one by one in Python; filters kept in every link; the CSV of
the filtered list safe in a spreadsheet, recorded, and for staff only."""

from datetime import date, timedelta

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Child, Pep, RoleGrant, School, User
from portal.operations.demo_seed import CARER_CHILDREN, CHILDREN
from tests.conftest import DEMO_EMAILS
from tests.integration.csv_downloads import csv_rows as downloaded_rows
from tests.integration.pep_helpers import add_pep_with_empty_sections
from tests.integration.test_page_accessibility import assert_accessible
from workflows.roles import Role

OAKFIELD = {c.reference for c in CHILDREN if c.school_urn == "900201"}


def document(client: FlaskClient, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, url
    return lxml.html.document_fromstring(response.get_data(as_text=True))


def references(client: FlaskClient, url: str) -> list[str]:
    """The references the page lists, in order."""
    cells = document(client, url).xpath("//table/tbody/tr/td[1]")
    return [cell.text_content().removeprefix("Reference").strip() for cell in cells]


def words(page: lxml.html.HtmlElement) -> str:
    return " ".join(page.text_content().split())


def everyone(app: Flask) -> list[Child]:
    """Every child, for an admin: what the filters are checked against."""
    with app.app_context():
        children = list(db.session.scalars(select(Child)))
        for child in children:
            # Read what the checks need while the session is open.
            _ = child.peps, child.current_school
        db.session.expunge_all()
        return children


def latest_state(child: Child) -> str:
    return child.peps[0].state if child.peps else "none"


def name_order(child: Child) -> tuple[str, str, str]:
    return (child.last_name, child.first_name, str(child.id))


# --- Filters -------------------------------------------------------------------------------------


def test_the_whole_cohort_for_an_admin_in_name_order(seeded, client_for) -> None:
    children = sorted(everyone(seeded), key=name_order)
    assert len(children) <= 50  # one page of demo data
    assert references(client_for("admin"), "/children") == [c.authority_reference for c in children]


@pytest.mark.parametrize("text", ["brown", "BROWN", "dcc-11", "Ella Brown"])
def test_name_or_reference_contains(seeded, client_for, text) -> None:
    expected = {
        c.authority_reference
        for c in everyone(seeded)
        if text.lower() in c.full_name.lower() or text.lower() in c.authority_reference.lower()
    }
    assert expected
    assert set(references(client_for("admin"), f"/children?q={text}")) == expected


@pytest.mark.parametrize("text", ["%", "_", "\\"])
def test_search_characters_match_as_typed(seeded, client_for, text) -> None:
    page = document(client_for("admin"), f"/children?q={text}".replace("%", "%25"))
    assert page.xpath("//table") == []
    assert "No children match" in words(page)


def test_school_contains(seeded, client_for) -> None:
    listed = set(references(client_for("admin"), "/children?school=oakfield"))
    assert listed == {
        c.authority_reference
        for c in everyone(seeded)
        if c.current_school and "oakfield" in c.current_school.name.lower()
    }
    assert OAKFIELD & listed == OAKFIELD - {
        c.authority_reference for c in everyone(seeded) if c.current_school is None
    }


@pytest.mark.parametrize(
    ("stage", "year_groups"),
    [
        ("early_years", range(-3, 1)),
        ("ks1", range(1, 3)),
        ("ks2", range(3, 7)),
        ("ks3", range(7, 10)),
        ("ks4", range(10, 12)),
        ("post_16", range(12, 14)),
        ("reception", [0]),
        ("nursery", [-1]),
        ("year5", [5]),
    ],
)
def test_key_stage_or_year_group(seeded, client_for, stage, year_groups) -> None:
    expected = {
        c.authority_reference for c in everyone(seeded) if c.year_group() in set(year_groups)
    }
    assert expected  # the demo data has such children: the check can fail
    assert set(references(client_for("admin"), f"/children?stage={stage}")) == expected


@pytest.mark.parametrize(
    "state", ["draft", "submitted", "returned", "approved", "signed_off", "none"]
)
def test_latest_pep_state(seeded, client_for, state) -> None:
    expected = {c.authority_reference for c in everyone(seeded) if latest_state(c) == state}
    assert expected  # the demo data has such children: the check can fail
    assert set(references(client_for("admin"), f"/children?state={state}")) == expected


def test_every_filter_finds_someone_in_the_demo_data(seeded) -> None:
    """The filter tests above are not all empty sets agreeing with each other."""
    children = everyone(seeded)
    assert {latest_state(c) for c in children} >= {"draft", "signed_off", "none"}
    assert any(c.date_left_care for c in children)
    assert any(c.current_school is None for c in children)


@pytest.mark.parametrize(
    ("status", "matches"),
    [
        ("in_care", lambda c: c.date_left_care is None),
        ("left_care", lambda c: c.date_left_care is not None),
        ("previously_looked_after", lambda c: c.previously_looked_after),
        ("no_school_place", lambda c: c.current_school_id is None),
        ("uasc", lambda c: c.uasc),
    ],
)
def test_care_status(seeded, client_for, status, matches) -> None:
    expected = {c.authority_reference for c in everyone(seeded) if matches(c)}
    assert expected  # the demo data has such children: the check can fail
    assert set(references(client_for("admin"), f"/children?status={status}")) == expected


def test_filters_combine(seeded, client_for) -> None:
    expected = {
        c.authority_reference
        for c in everyone(seeded)
        if c.current_school
        and "oakfield" in c.current_school.name.lower()
        and latest_state(c) == "signed_off"
    }
    url = "/children?school=Oakfield&state=signed_off"
    assert expected  # the demo data has such children: the check can fail
    assert set(references(client_for("admin"), url)) == expected


def test_an_empty_result_says_so_and_keeps_the_filters_in_the_form(client_for) -> None:
    page = document(client_for("admin"), "/children?q=nobody-is-called-this&state=draft")
    assert page.xpath("//table") == []
    assert "No children match. Try fewer words, or other filters." in words(page)
    assert page.xpath("//input[@id='q']/@value") == ["nobody-is-called-this"]
    assert page.xpath("//select[@id='state']/option[@selected]/@value") == ["draft"]


def test_values_not_offered_are_ignored(seeded, client_for) -> None:
    client = client_for("admin")
    everything = references(client, "/children")
    url = "/children?stage=year99&state=lost&status=nowhere&sort=secret&page=-3"
    assert references(client, url) == everything


# --- Who sees what: filters only narrow -----------------------------------------------------------


def test_filters_never_widen_what_a_designated_teacher_sees(seeded, client_for) -> None:
    client = client_for("dt_oakfield")
    assert set(references(client, "/children")) <= OAKFIELD
    assert references(client, "/children?q=DCC-1201") == []
    assert references(client, "/children?school=Riverside") == []
    assert references(client, "/children?status=left_care") == []


def test_a_carer_sees_their_children_without_care_filters_or_a_download(seeded, client_for) -> None:
    client = client_for("carer")
    page = document(client, "/children?status=uasc")
    listed = [
        cell.text_content().removeprefix("Reference").strip()
        for cell in page.xpath("//table/tbody/tr/td[1]")
    ]
    assert set(listed) <= set(CARER_CHILDREN) and listed  # the care filter was not applied
    assert page.xpath("//select[@id='status']") == []
    assert page.xpath("//a[contains(@href, 'children.csv')]") == []
    assert client.get("/children.csv").status_code == 403


NEW_PLACEMENT = "EDGE-NEWCARER"


def place_a_child_with_the_demo_carer_after_a_draft(app: Flask) -> None:
    """An Oakfield child placed with the demo carer from 1 September 2026, with a draft for
    the summer term before: a PEP the carer may not read (`may_read_pep`)."""
    with app.app_context():
        carer = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["carer"]))
        oakfield = db.session.scalar(select(School).where(School.urn == "900201"))
        child = Child(
            first_name="Edge",
            last_name="Newcarer",
            date_of_birth=date(2014, 3, 3),
            authority_reference=NEW_PLACEMENT,
            legal_status="C2",
            date_entered_care=date(2021, 1, 1),
            current_school_id=oakfield.id,
        )
        db.session.add(child)
        db.session.flush()
        db.session.add(
            RoleGrant(
                role=Role.CARER.value, child_id=child.id, user=carer, starts_on=date(2026, 9, 1)
            )
        )
        add_pep_with_empty_sections(child.id, 2025, "summer")
        db.session.commit()


def row_of(page: lxml.html.HtmlElement, reference: str) -> str:
    (row,) = [row for row in page.xpath("//table/tbody/tr") if reference in words(row)]
    return words(row)


def test_a_carer_is_not_shown_a_pep_from_before_the_placement(seeded, client_for) -> None:
    place_a_child_with_the_demo_carer_after_a_draft(seeded)
    carer, teacher = client_for("carer"), client_for("dt_oakfield")
    # The school sees the draft; the carer sees a child with no PEP yet.
    assert NEW_PLACEMENT in references(teacher, "/children?state=draft")
    assert NEW_PLACEMENT not in references(carer, "/children?state=draft")
    assert NEW_PLACEMENT in references(carer, "/children?state=none")
    assert NEW_PLACEMENT not in references(teacher, "/children?state=none")
    assert "Latest PEP None yet" in row_of(document(carer, "/children"), NEW_PLACEMENT)
    assert "Latest PEP Summer 2025/26" in row_of(document(teacher, "/children"), NEW_PLACEMENT)
    # By latest PEP, the carer's list puts the child among those with none: last.
    assert references(carer, "/children?sort=latest_pep")[-1] == NEW_PLACEMENT


# --- Orders ------------------------------------------------------------------------------------


def latest_key(child: Child) -> tuple:
    latest = child.peps[0] if child.peps else None
    if latest is None:
        return (1, 0, "", *name_order(child))
    return (0, -latest.academic_year, [-ord(ch) for ch in latest.term], *name_order(child))


SORTS = {
    "name": name_order,
    "reference": lambda c: c.authority_reference,
    "year_group": lambda c: (-c.date_of_birth.toordinal(), *name_order(c)),
    "school": lambda c: (
        c.current_school is None,
        c.current_school.name if c.current_school else "",
        *name_order(c),
    ),
    "latest_pep": latest_key,
}


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_each_order(seeded, client_for, sort) -> None:
    expected = [c.authority_reference for c in sorted(everyone(seeded), key=SORTS[sort])]
    assert references(client_for("admin"), f"/children?sort={sort}") == expected


# --- Pages ---------------------------------------------------------------------------------------


def add_children(app: Flask, count: int, last_name: str = "Pager") -> None:
    with app.app_context():
        oakfield = db.session.scalar(select(School).where(School.urn == "900201"))
        today = date.today()
        for number in range(count):
            child = Child(
                first_name=f"Child{number:03d}",
                last_name=last_name,
                date_of_birth=today - timedelta(days=3000),
                authority_reference=f"PGR-{number:04d}",
                legal_status="C2",
                date_entered_care=today - timedelta(days=400),
                current_school_id=oakfield.id,
            )
            db.session.add(child)
            db.session.flush()
            db.session.add(
                Pep(
                    child_id=child.id,
                    academic_year=today.year - 1,
                    term="summer",
                    state="signed_off",
                    form_key="school_age",
                    form_version=1,
                )
            )
        db.session.commit()


def test_fifty_a_page_with_the_filters_in_every_link(seeded, client_for) -> None:
    add_children(seeded, 120)
    client = client_for("admin")
    url = "/children?q=pager&sort=reference"
    first = document(client, url)
    listed = [f"PGR-{n:04d}" for n in range(120)]
    assert references(client, url) == listed[:50]
    assert "120 children match, page 1 of 3." in words(first)
    next_link = first.xpath("//nav[contains(@class, 'govuk-pagination')]//a[@rel='next']/@href")
    assert next_link and "q=pager" in next_link[0] and "sort=reference" in next_link[0]
    assert references(client, next_link[0]) == listed[50:100]
    assert references(client, url + "&page=3") == listed[100:]
    # A page past the end shows the last one.
    assert references(client, url + "&page=99") == listed[100:]
    # The download link carries the filters too.
    download = first.xpath("//a[contains(@href, 'children.csv')]/@href")[0]
    assert "q=pager" in download and "sort=reference" in download
    assert_accessible(client.get(url + "&page=2").get_data(as_text=True), "children page 2")


def test_the_list_passes_the_page_checks_filtered_and_empty(seeded, client_for) -> None:
    client = client_for("dt_oakfield")
    for url in ("/children?state=draft", "/children?q=nobody-at-all", "/children?sort=school"):
        assert_accessible(client.get(url).get_data(as_text=True), url)


# --- The download ---------------------------------------------------------------------------


def csv_rows(client: FlaskClient, url: str) -> list[list[str]]:
    response = client.get(url)
    assert "no-store" in response.headers["Cache-Control"]
    return downloaded_rows(response)


def test_the_download_holds_every_matching_child_in_the_order_asked(seeded, client_for) -> None:
    add_children(seeded, 70)
    client = client_for("admin")
    rows = csv_rows(client, "/children.csv?school=oakfield&sort=reference")
    assert rows[0] == [
        "Name",
        "Reference",
        "Date of birth",
        "Year group",
        "School or setting",
        "Latest PEP",
        "Latest PEP type",
        "Latest PEP state",
        "PEP due status",
        "PEP due date",
    ]
    expected = sorted(
        c.authority_reference
        for c in everyone(seeded)
        if c.current_school and "oakfield" in c.current_school.name.lower()
    )
    assert [row[1] for row in rows[1:]] == expected
    assert len(rows) - 1 > 50  # every match, not a page
    by_reference = {row[1]: row for row in rows[1:]}
    assert by_reference["PGR-0001"][4] == "Oakfield Primary School"
    assert by_reference["PGR-0001"][6] == "Termly review"
    assert by_reference["PGR-0001"][7] == "Signed off"
    # Added straight into the database, so not worked out until the next refresh.
    assert by_reference["PGR-0001"][8:] == ["Not worked out yet", ""]


def test_a_designated_teacher_downloads_only_their_schools_children(seeded, client_for) -> None:
    rows = csv_rows(client_for("dt_oakfield"), "/children.csv")
    assert {row[1] for row in rows[1:]} == set(references(client_for("dt_oakfield"), "/children"))
    assert {row[1] for row in rows[1:]} <= OAKFIELD


def test_formula_cells_are_neutralised_and_the_download_is_recorded(seeded, client_for) -> None:
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == "DCC-1101"))
        child.first_name = '=HYPERLINK("http://evil.example","x")'
        child.last_name = "+Cmd"
        db.session.commit()
    client = client_for("admin")
    rows = csv_rows(client, "/children.csv?q=DCC-1101")
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","x") +Cmd'
    with seeded.app_context():
        events = list(
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == "child.list_exported"))
        )
    assert len(events) == 1
    assert events[0].details["rows"] == 1
    assert events[0].details["filter_q"] == "DCC-1101"
