"""Every CSV download opens in Excel with names in any script intact: UTF-8 that starts with a
byte order mark (without it Excel reads Windows-1252, and "Zoë Ахмедова" becomes "ZoÃ« Ð..."),
sent as `text/csv; charset=utf-8`, the heading row straight after the mark."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Child, School, User
from portal.operations import audit
from portal.operations.audit import Actor
from tests.conftest import DEMO_EMAILS, csrf_token_from
from tests.integration.csv_downloads import UTF8_BOM, csv_rows

NAME = "Zoë Ахмедова"
REFERENCE = "DCC-1101"

# What puts NAME into a download, and gives the download's address.
Setup = Callable[[Flask, FlaskClient], str]


def _children(app: Flask, admin: FlaskClient) -> str:
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == REFERENCE))
        child.first_name, child.last_name = NAME.split()
        db.session.commit()
    return f"/children.csv?q={REFERENCE}"


def _staff(app: Flask, admin: FlaskClient) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["reviewer"]))
        user.display_name = NAME
        db.session.commit()
    return "/admin/staff.csv"


def _schools(app: Flask, admin: FlaskClient) -> str:
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == "900201"))
        school.name = f"{NAME} Primary School"
        db.session.commit()
    return "/admin/schools.csv"


def _import_problems(app: Flask, admin: FlaskClient) -> str:
    # A staff file saved from Excel as 'CSV UTF-8': a byte order mark, then the name twice,
    # spelt two ways, which is a problem the download quotes.
    app.config["IMPORTS_IN_BACKGROUND"] = False
    content = (
        "\ufeffEmail,Name,Role\r\n"
        f"zoe@example.org,{NAME},Virtual School reviewer\r\n"
        "zoe@example.org,Zoe Akhmedova,Virtual School reviewer\r\n"
    ).encode()
    response = admin.post(
        "/admin/imports",
        data={
            "csrf_token": csrf_token_from(admin, "/admin/imports"),
            "kind": "staff",
            "file": (BytesIO(content), "staff.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    run_id = response.headers["Location"].rsplit("/", 1)[1]
    return f"/admin/imports/{run_id}/problems.csv"


def _child_history(app: Flask, admin: FlaskClient) -> str:
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == REFERENCE))
        audit.record(db.session, Actor.system(NAME), "child.viewed", "child", child.id, note=NAME)
        db.session.commit()
        return f"/children/{child.id}/history.csv"


DOWNLOADS: dict[str, tuple[Setup, tuple[str, ...]]] = {
    "children.export_children": (_children, ("Name", "Reference", "Date of birth")),
    "admin.export_staff": (_staff, ("Name", "Email", "Roles")),
    "admin.export_schools": (_schools, ("Name", "URN", "UKPRN")),
    "admin.download_import_problems": (_import_problems, ("Row", "Column", "What is wrong")),
    "children.child_history_csv": (_child_history, ("When (UTC)", "Who", "What happened")),
}


def test_every_csv_download_is_checked_here(app: Flask) -> None:
    downloads = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv")}
    assert downloads == set(DOWNLOADS)


@pytest.mark.parametrize("endpoint", sorted(DOWNLOADS))
def test_a_csv_download_opens_in_excel_as_utf8(
    seeded: Flask, client_for: Callable[[str], FlaskClient], endpoint: str
) -> None:
    setup, headings = DOWNLOADS[endpoint]
    admin = client_for("admin")
    response = admin.get(setup(seeded, admin))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body.startswith(UTF8_BOM)
    # The heading row straight after the mark: Excel names the first column as it should.
    assert body[len(UTF8_BOM) :].startswith(",".join(headings).encode() + b",")
    # Read as Excel reads it, the name comes back exactly.
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][: len(headings)] == list(headings)
    assert any(NAME in cell for row in rows[1:] for cell in row), rows
    assert rows == csv_rows(response)
