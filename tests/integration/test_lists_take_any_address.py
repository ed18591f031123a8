"""Lists answer whatever is typed into their address: a page past the last shows the last page
(never "nothing was recorded" about a child whose history is long), and a search holding a
control character (a NUL, %00) searches without it rather than failing in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Child, ImportRun
from tests.integration.test_child_life_events import child_id_of

OLIVER = "DCC-1102"


def test_a_childs_history_past_its_last_page_shows_the_last_page(client_for, seeded):
    admin, child_id = client_for("admin"), child_id_of(seeded, OLIVER)
    first = admin.get(f"/children/{child_id}/history").get_data(as_text=True)
    assert "Nothing has been recorded yet." not in first
    response = admin.get(f"/children/{child_id}/history?page=999")
    assert response.status_code == 200
    late = response.get_data(as_text=True)
    assert "Nothing has been recorded yet." not in late
    assert "?page=998" not in late  # no link back from a page that is not there
    with seeded.app_context():
        viewed = db.session.scalars(
            select(AuditEvent.details)
            .where(AuditEvent.action == "child.history_viewed")
            .order_by(AuditEvent.occurred_at_utc.desc())
        ).first()
    assert viewed["page"] != 999  # the page shown is the page audited


def test_a_childs_timeline_past_its_last_page_shows_the_last_page(client_for, seeded):
    admin, child_id = client_for("admin"), child_id_of(seeded, OLIVER)
    assert "No change has been recorded yet." not in admin.get(f"/children/{child_id}").get_data(
        as_text=True
    )
    late = admin.get(f"/children/{child_id}?page=999")
    assert late.status_code == 200
    assert "No change has been recorded yet." not in late.get_data(as_text=True)


def test_the_imports_list_past_its_last_page_shows_the_last_page(client_for, seeded):
    with seeded.app_context():
        db.session.add(
            ImportRun(
                kind="children",
                status="refused",
                file_name="children-autumn.csv",
                sha256="0" * 64,
                byte_size=10,
                refusal="The file is empty.",
            )
        )
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 1
    late = client_for("admin").get("/admin/imports?page=999")
    assert late.status_code == 200
    assert "No file has been imported yet." not in late.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("admin", "/children?q=Oli%00ver"),
        ("admin", "/children?school=Oak%00field"),
        ("admin", "/children.csv?q=Oli%00ver"),
        ("admin", "/admin/staff?q=Sam%00"),
        ("admin", "/admin/schools?q=Oak%00field"),
        ("admin", "/admin/schools.csv?q=Oak%00field"),
        ("dt_oakfield", "/children?q=Oli%00ver"),
    ],
)
def test_a_search_with_a_nul_character_searches_without_it(who, url, client_for, seeded):
    response = client_for(who).get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    if "children" in url and "q=" in url:
        assert "Oliver" in response.get_data(as_text=True)


def test_a_school_search_with_a_nul_character_searches_without_it(client_for, seeded):
    with seeded.app_context():
        child_id = db.session.scalar(select(Child.id).where(Child.authority_reference == OLIVER))
    response = client_for("admin").get(f"/admin/children/{child_id}/school?search=Oak%00field")
    assert response.status_code == 200
    assert "Oakfield" in response.get_data(as_text=True)
