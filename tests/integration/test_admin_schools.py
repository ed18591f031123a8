"""Admin: the list of schools and settings, adding and changing settings by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.imports.reading import read_rows
from portal.models import AuditEvent, Child, School
from portal.operations.audit import Actor
from portal.operations.importers.schools import IMPORTER
from tests.conftest import csrf_token_from
from tests.integration.csv_downloads import csv_rows
from tests.integration.sql_statements import statements_sent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "schools"


def import_fixture(app, file_name: str) -> None:
    with app.app_context():
        _, rows = read_rows(
            (FIXTURES / file_name).read_bytes(),
            encodings=IMPORTER.encodings,
            required_columns=IMPORTER.required_columns,
            optional_columns=IMPORTER.optional_columns,
        )
        plan = IMPORTER.check(db.session, rows, lambda done: None)
        assert plan.problems == []
        IMPORTER.apply(db.session, Actor.system("test"), plan)
        db.session.commit()


def add_schools(app, count: int, prefix: str = "Test School", first_urn: int = 500000) -> None:
    with app.app_context():
        for number in range(count):
            db.session.add(
                School(
                    urn=f"{first_urn + number}",
                    name=f"{prefix} {number:03}",
                    phase="primary",
                    local_authority="Worcestershire",
                )
            )
        db.session.commit()


def school_named(app, name: str) -> School | None:
    with app.app_context():
        return db.session.scalar(select(School).where(School.name == name))


def names_on(page: str) -> list[str]:
    return re.findall(
        r'<a class="govuk-link" href="/admin/schools/[0-9a-f-]{36}">([^<]+)</a>', page
    )


def counted(page: str) -> str:
    match = re.search(r'<p class="govuk-body" id="schools-count">([^.]+)\.', page)
    assert match
    return match.group(1)


def test_the_list_is_paginated_in_pages_of_25(app, client_for):
    add_schools(app, 40)
    client = client_for("admin")
    first = client.get("/admin/schools?q=test+school").get_data(as_text=True)
    assert counted(first) == "40 schools and settings match, page 1 of 2"
    assert names_on(first) == [f"Test School {n:03}" for n in range(25)]
    second = client.get("/admin/schools?q=test+school&page=2").get_data(as_text=True)
    assert names_on(second) == [f"Test School {n:03}" for n in range(25, 40)]
    # A page past the end shows the last page.
    assert names_on(client.get("/admin/schools?q=test+school&page=9").get_data(as_text=True)) == (
        names_on(second)
    )


def test_a_page_of_the_list_costs_the_same_queries_however_many_schools(app, client_for):
    client = client_for("admin")
    add_schools(app, 3)
    with statements_sent(app) as few:
        assert client.get("/admin/schools").status_code == 200
    add_schools(app, 60, prefix="More", first_urn=600000)
    with statements_sent(app) as many:
        assert client.get("/admin/schools").status_code == 200
    assert len(many) == len(few)
    listing = [s for s in many if "LIMIT" in s.upper() and "FROM schools" in s]
    assert len(listing) == 1


def test_the_list_filters_by_name_or_urn_authority_phase_status_and_source(app, client_for):
    import_fixture(app, "gias_extract.csv")
    client = client_for("admin")

    def names(query: str) -> list[str]:
        return names_on(client.get(f"/admin/schools?{query}").get_data(as_text=True))

    assert names("q=sixth+form") == [
        "Evesham Sixth Form Centre",
        "Kidderminster Sixth Form Free School",
        "Worcester Sixth Form College",
    ]
    assert names("q=13074") == ["Heart of Worcestershire College", "Worcester Sixth Form College"]
    assert names("la=Kensington+and+Chelsea") == ["Lycée Français Charles de Gaulle"]
    assert names("phase=alternative_provision") == [
        "Orchard Pupil Referral Unit",
        "Riverside Alternative Provision Academy",
    ]
    assert names("status=closed") == ["Droitwich Spa Middle School"]
    assert "Droitwich Spa Middle School" not in names("status=open&q=school")
    assert names("source=manual") == []
    assert names("q=100%25") == []  # a % is a character to find, not a wildcard
    assert names("phase=special&sort=urn") == [
        "Vale of Evesham School", "Sunfield School", "Derwen College", "Rigby Hall School",
    ]  # fmt: skip


def test_the_csv_export_holds_the_filtered_list_with_formula_cells_neutralised(app, client_for):
    import_fixture(app, "hostile_formula_cells.csv")
    client = client_for("admin")
    response = client.get("/admin/schools.csv?q=1163")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="schools.csv"'
    rows = csv_rows(response)
    assert rows[0][:3] == ["Name", "URN", "UKPRN"]
    assert [(row[0], row[1], row[5]) for row in rows[1:]] == [
        ("'+44 Academy", "116303", "'-2+3"),
        ("'=cmd|' /C calc'!A0", "116301", "Worcestershire"),
        ("'@SUM(1+1)*cmd|' /C calc'!A0", "116302", "Worcestershire"),
    ]
    with app.app_context():
        exported = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "school.list_exported")
        )
        assert exported is not None
        assert exported.details == {"rows": 3, "filter_q": "1163"}


def new_setting_form(client, **values: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf_token_from(client, "/admin/schools/new"),
        "name": "Little Sparrows Day Nursery",
        "kind": "Private, voluntary or independent nursery",
        "phase": "early_years",
        "local_authority": "Worcestershire",
        "postcode": "wr5 3dd",
        "urn": "EY123456",
        "ukprn": "",
        "status": "Open",
    }
    form.update(values)
    return form


def test_an_admin_adds_a_setting_by_hand(app, client_for):
    client = client_for("admin")
    response = client.post("/admin/schools/new", data=new_setting_form(client))
    assert response.status_code == 303
    setting = school_named(app, "Little Sparrows Day Nursery")
    assert setting is not None
    assert response.headers["Location"] == f"/admin/schools/{setting.id}"
    assert (setting.source, setting.urn, setting.postcode, setting.phase, setting.status) == (
        "manual", "EY123456", "WR5 3DD", "early_years", "Open",
    )  # fmt: skip
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Little Sparrows Day Nursery has been added." in page
    assert "Added by hand" in page
    assert "Change this setting" in page
    with app.app_context():
        added = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "school.added"))
        assert added is not None and added.object_id == str(setting.id)


def test_a_training_provider_with_a_ukprn_and_no_urn(app, client_for):
    client = client_for("admin")
    form = new_setting_form(client, name="Pathways Training Ltd", kind="Training provider",
                            phase="post_16", urn="", ukprn="10012345")  # fmt: skip
    assert client.post("/admin/schools/new", data=form).status_code == 303
    setting = school_named(app, "Pathways Training Ltd")
    assert setting is not None
    assert (setting.urn, setting.ukprn) == (None, "10012345")


def test_adding_a_setting_refuses_in_plain_english_and_saves_nothing(app, client_for):
    client = client_for("admin")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(School))
    cases = [
        ({"ukprn": "20012345"}, "ukprn", "Enter a UKPRN of 8 digits starting with 1"),
        ({"ukprn": "1001234"}, "ukprn", "Enter a UKPRN of 8 digits starting with 1"),
        ({"urn": "900201"}, "urn", "URN 900201 is already Oakfield Primary School&#39;s."),
        ({"name": "  "}, "name", "Enter the setting&#39;s name."),
        ({"local_authority": ""}, "local_authority", "Enter the local authority it is in."),
        ({"phase": "space"}, "phase", "Choose the setting&#39;s phase."),
        ({"status": "Closed"}, "closed_on-day", "Enter the date the setting closed."),
        ({"status": "Closed", "closed_on-day": "31", "closed_on-month": "2",
          "closed_on-year": "2025"}, "closed_on-day", "must be a real date"),
    ]  # fmt: skip
    for values, field_id, message in cases:
        response = client.post("/admin/schools/new", data=new_setting_form(client, **values))
        page = response.get_data(as_text=True)
        assert response.status_code == 400, values
        assert "There is a problem" in page
        assert f'href="#{field_id}"' in page, values
        assert f'id="{field_id}"' in page, values
        assert message in page, values
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(School)) == before


@pytest.mark.parametrize(
    "day_month_year",
    [
        ("99999999999999999999", "1", "2026"),  # too large for a day: once a server error
        ("1", "99999999999999999999", "2026"),
        ("١٢", "1", "2026"),  # Arabic-Indic digits
        ("31", "2", "2026"),  # no such day
    ],
)
def test_a_closing_date_that_is_not_real_is_refused_in_plain_words(app, client_for, day_month_year):
    client = client_for("admin")
    day, month, year = day_month_year
    form = new_setting_form(
        client,
        name="Quillwort Test Nursery",
        status="Closed",
        **{"closed_on-day": day, "closed_on-month": month, "closed_on-year": year},
    )
    response = client.post("/admin/schools/new", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page[page.index("govuk-error-summary") :]
    assert 'href="#closed_on-day"' in summary
    assert "The date the setting closed must be a real date, like 27 3 2026." in summary
    assert 'id="closed_on-day"' in page
    assert school_named(app, "Quillwort Test Nursery") is None


def test_a_ukprn_already_held_is_refused(app, client_for):
    import_fixture(app, "gias_extract.csv")
    client = client_for("admin")
    response = client.post("/admin/schools/new", data=new_setting_form(client, ukprn="10007928"))
    assert response.status_code == 400
    assert "UKPRN 10007928 is already Heart of Worcestershire College&#39;s." in (
        response.get_data(as_text=True)
    )


def test_a_gias_school_shows_its_details_and_children_on_roll_and_no_form(app, client_for):
    client = client_for("admin")
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == "900201"))
        on_roll = db.session.scalar(
            select(func.count()).select_from(Child).where(Child.current_school_id == school.id)
        )
    assert on_roll
    page = client.get(f"/admin/schools/{school.id}").get_data(as_text=True)
    assert "Updated from GIAS" in page
    assert f'<dd class="govuk-summary-list__value" id="children-on-roll">{on_roll} ' in page
    assert "Change this setting" not in page
    assert 'name="name"' not in page


def test_a_gias_school_cannot_be_changed_by_hand(app, client_for):
    client = client_for("admin")
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == "900201"))
    form = new_setting_form(client, name="Renamed by hand")
    response = client.post(f"/admin/schools/{school.id}", data=form, follow_redirects=True)
    assert "is updated from Get Information About Schools" in response.get_data(as_text=True)
    assert school_named(app, "Oakfield Primary School") is not None
    assert school_named(app, "Renamed by hand") is None


def test_an_admin_changes_a_setting_added_by_hand(app, client_for):
    client = client_for("admin")
    client.post("/admin/schools/new", data=new_setting_form(client))
    setting = school_named(app, "Little Sparrows Day Nursery")
    form = new_setting_form(client, name="Little Sparrows Nursery", status="Closed",
                            **{"closed_on-day": "31", "closed_on-month": "8",
                               "closed_on-year": "2026"})  # fmt: skip
    response = client.post(f"/admin/schools/{setting.id}", data=form)
    assert response.status_code == 303
    changed = school_named(app, "Little Sparrows Nursery")
    assert changed is not None and changed.is_closed
    assert str(changed.closed_on) == "2026-08-31"
    with app.app_context():
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "school.changed"))
        assert audit.details["changes"]["name"] == [
            "Little Sparrows Day Nursery",
            "Little Sparrows Nursery",
        ]
        assert audit.details["changes"]["status"] == ["Open", "Closed"]
    # The same details again change nothing.
    again = client.post(f"/admin/schools/{setting.id}", data=form, follow_redirects=True)
    assert "Nothing changed: Little Sparrows Nursery is as it was." in again.get_data(as_text=True)
    # A bad change keeps what was saved and shows the error beside the field.
    bad = client.post(f"/admin/schools/{setting.id}", data={**form, "ukprn": "x"})
    assert bad.status_code == 400
    assert school_named(app, "Little Sparrows Nursery").ukprn is None


def test_a_school_that_does_not_exist_is_not_found(client_for):
    client = client_for("admin")
    missing = "/admin/schools/00000000-0000-4000-8000-000000000000"
    assert client.get(missing).status_code == 404
    assert client.get("/admin/schools/not-a-uuid").status_code == 404


def test_only_admins_reach_the_schools_pages(client_for):
    for who in ("social_worker", "dt_oakfield", "reviewer", "carer"):
        client = client_for(who)
        assert client.get("/admin/schools").status_code == 403, who
        assert client.get("/admin/schools.csv").status_code == 403, who
        assert client.get("/admin/schools/new").status_code == 403, who


def test_the_schools_pages_meet_the_page_checks(app, client_for):
    from tests.integration.test_page_accessibility import assert_accessible

    import_fixture(app, "gias_extract.csv")
    client = client_for("admin")
    client.post("/admin/schools/new", data=new_setting_form(client))
    setting = school_named(app, "Little Sparrows Day Nursery")
    gias_school = school_named(app, "Heart of Worcestershire College")
    pages = {
        "the list": client.get("/admin/schools"),
        "a filtered list": client.get("/admin/schools?phase=post_16&sort=local_authority"),
        "an empty list": client.get("/admin/schools?q=nothing+like+this"),
        "the new setting form": client.get("/admin/schools/new"),
        "the new setting form with errors": client.post(
            "/admin/schools/new",
            data=new_setting_form(client, name="", ukprn="2", status="Closed"),
        ),
        "a school from GIAS": client.get(f"/admin/schools/{gias_school.id}"),
        "a setting added by hand": client.get(f"/admin/schools/{setting.id}"),
        "a setting with errors": client.post(
            f"/admin/schools/{setting.id}",
            data=new_setting_form(client, local_authority="", **{"closed_on-day": "x"}),
        ),
    }
    for where, response in pages.items():
        assert response.status_code in (200, 400), where
        assert_accessible(response.get_data(as_text=True), where)
