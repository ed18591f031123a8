"""Who may read what: each section says who reads it, a carer reads from the start of the
placement on, the signed-off record is for staff, every view is audited, and an admin can list
and export everything that happened to one child's records."""

import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Child, Pep, RoleGrant, User
from portal.operations import audit, staff
from portal.operations.audit import Actor
from tests.conftest import DEMO_EMAILS
from tests.integration.csv_downloads import csv_rows
from tests.integration.pep_helpers import open_pep_id, section_url
from tests.integration.test_invites import create_link, holder_client, holder_page, token_of
from workflows.roles import Role

OLIVER = "DCC-1102"  # the carer's, the social worker's and Oakfield's; a submitted PEP
CHLOE = "DCC-1201"  # the carer's; a draft


def child_of(app, reference):
    with app.app_context():
        return db.session.scalar(select(Child).where(Child.authority_reference == reference)).id


def earlier_pep_id(app, reference, state="signed_off"):
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == reference))
        return db.session.scalar(select(Pep.id).where(Pep.child_id == child.id, Pep.state == state))


def set_placement_start(app, reference, starts_on):
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == reference))
        carer = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["carer"]))
        grant = db.session.scalar(
            select(RoleGrant).where(RoleGrant.user_id == carer.id, RoleGrant.child_id == child.id)
        )
        grant.starts_on = starts_on
        db.session.commit()


def views_of(app, pep_id):
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "pep.viewed", AuditEvent.object_id == str(pep_id))
                .order_by(AuditEvent.occurred_at_utc)
            )
        )


# --- Sections -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "section_key",
    ["about_me", "health_wellbeing", "parents_views", "smart_targets", "quality_assurance"],
)
def test_a_carer_cannot_read_another_partys_section(section_key, client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    response = client_for("carer").get(section_url(pep_id, section_key))
    assert response.status_code == 403
    assert "Legal status" not in response.get_data(as_text=True)


@pytest.mark.parametrize("section_key", ["carers_views", "meeting_details", "actions_agreed"])
def test_a_carer_reads_their_own_section_and_what_the_form_shares(section_key, client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    assert client_for("carer").get(section_url(pep_id, section_key)).status_code == 200


def test_the_carers_task_list_lists_only_what_they_may_read(client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    carer_page = client_for("carer").get(f"/peps/{pep_id}").get_data(as_text=True)
    assert "Carer&#39;s views" in carer_page and "Meeting details" in carer_page
    for title in ("About me and my care", "Health and emotional wellbeing", "Parent&#39;s views"):
        assert title not in carer_page, title
    assert "Quality assurance" not in carer_page
    staff_page = client_for("social_worker").get(f"/peps/{pep_id}").get_data(as_text=True)
    assert "Health and emotional wellbeing" in staff_page and "Parent&#39;s views" in staff_page


def test_staff_read_every_section(client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    client = client_for("dt_oakfield")
    for key in ("about_me", "health_wellbeing", "parents_views", "carers_views"):
        assert client.get(section_url(pep_id, key)).status_code == 200, key


def test_the_parents_views_belong_to_the_social_worker_with_a_sharing_question(client_for, seeded):
    pep_id = open_pep_id(seeded, CHLOE)
    page = client_for("social_worker").get(section_url(pep_id, "parents_views"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "May this be shared with the parent?" in html
    carers = client_for("carer").get(section_url(pep_id, "carers_views")).get_data(as_text=True)
    assert "Parent&#39;s views" not in carers


def test_a_version_one_pep_still_renders_for_its_owners_with_the_safe_default(client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        pep.form_version = 1
        db.session.commit()
    carer = client_for("carer")
    own = carer.get(section_url(pep_id, "carers_views"))
    assert own.status_code == 200
    assert "Parent&#39;s views, where appropriate" in own.get_data(as_text=True)
    # Version 1 shares nothing more with carers: the safe default.
    assert carer.get(section_url(pep_id, "meeting_details")).status_code == 403
    assert carer.get(f"/peps/{pep_id}").status_code == 200
    teacher = client_for("dt_oakfield")
    for key in ("meeting_details", "about_me", "carers_views", "quality_assurance"):
        assert teacher.get(section_url(pep_id, key)).status_code == 200, key
    assert client_for("social_worker").get(f"/peps/{pep_id}").status_code == 200


# --- From the start of the placement ------------------------------------------------------


def test_a_carer_cannot_read_a_pep_from_before_the_placement(client_for, seeded):
    old = earlier_pep_id(seeded, OLIVER)
    carer = client_for("carer")
    for path in (
        f"/peps/{old}",
        section_url(old, "carers_views"),
        f"/peps/{old}/export/draft.docx",
        f"/peps/{old}/contributions",
    ):
        assert carer.get(path).status_code == 404, path
    child_page = carer.get(f"/children/{child_of(seeded, OLIVER)}").get_data(as_text=True)
    assert str(old) not in child_page
    assert str(open_pep_id(seeded, OLIVER)) in child_page
    # Care details are the social worker's to share.
    assert "Legal status" not in child_page
    assert client_for("social_worker").get(f"/peps/{old}").status_code == 200


def test_a_carer_reads_the_peps_of_terms_ending_after_the_placement_began(client_for, seeded):
    old = earlier_pep_id(seeded, OLIVER)
    set_placement_start(seeded, OLIVER, date(2000, 1, 1))
    carer = client_for("carer")
    assert carer.get(f"/peps/{old}").status_code == 200
    assert carer.get(section_url(old, "carers_views")).status_code == 200
    assert carer.get(section_url(old, "about_me")).status_code == 403


# --- The record, the QA page, the contributions page ---------------------------------------


def test_only_staff_download_the_signed_off_record(client_for, seeded):
    old = earlier_pep_id(seeded, OLIVER)
    set_placement_start(seeded, OLIVER, date(2000, 1, 1))
    assert client_for("carer").get(f"/peps/{old}/export/record.docx").status_code == 403
    carer_page = client_for("carer").get(f"/peps/{old}").get_data(as_text=True)
    assert "record.docx" not in carer_page
    response = client_for("social_worker").get(f"/peps/{old}/export/record.docx")
    assert response.status_code == 200


def test_a_carer_cannot_open_the_quality_assurance_page(client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    assert client_for("carer").get(f"/peps/{pep_id}/quality-assurance").status_code == 403
    assert client_for("carer").get(section_url(pep_id, "quality_assurance")).status_code == 403


def test_an_invite_holder_sees_only_their_own_section(client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        pep.state = "draft"
        db.session.commit()
    token = token_of(create_link(client_for("dt_oakfield"), pep_id, "carers_views")[0])
    holder = holder_client(seeded)
    page = holder_page(holder, token).get_data(as_text=True)
    assert "How you support learning at home" in page
    for other in ("Legal status", "SDQ", "Parent&#39;s views", "Meeting details", "Rating"):
        assert other not in page, other
    # The link opens no other part of the PEP: every other page wants a sign-in.
    for path in (
        f"/peps/{pep_id}",
        section_url(pep_id, "about_me"),
        f"/peps/{pep_id}/contributions",
    ):
        response = holder.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_carers_section_page_offers_no_link_to_the_staff_only_links_page(client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    contributions = f"/peps/{pep_id}/contributions"
    carer_page = client_for("carer").get(section_url(pep_id, "carers_views"))
    assert carer_page.status_code == 200
    assert contributions not in carer_page.get_data(as_text=True)
    assert client_for("carer").get(contributions).status_code == 403
    # Staff reading the same section are offered the page, which they may open.
    teacher_page = client_for("dt_oakfield").get(section_url(pep_id, "carers_views"))
    assert contributions in teacher_page.get_data(as_text=True)
    assert client_for("dt_oakfield").get(contributions).status_code == 200


# --- Views are audited --------------------------------------------------------------------


def test_every_view_of_a_pep_is_audited_with_who_which_child_and_which_part(client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    child_id = child_of(seeded, OLIVER)
    carer = client_for("carer")
    carer.get(f"/peps/{pep_id}")
    carer.get(section_url(pep_id, "carers_views"))
    assert carer.get(f"/peps/{pep_id}/contributions").status_code == 403  # staff only
    carer.get(section_url(pep_id, "about_me"))  # refused: not a view
    client_for("social_worker").get(f"/peps/{pep_id}/contributions")
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        pep.state = "approved"
        db.session.commit()
    client_for("reviewer").get(f"/peps/{pep_id}/quality-assurance")
    views = views_of(seeded, pep_id)
    assert [(v.details["part"], v.details.get("section")) for v in views] == [
        ("task_list", None),
        ("section", "carers_views"),
        ("contributions", None),
        ("quality_assurance", None),
    ]
    assert all(v.details["child_id"] == str(child_id) for v in views)
    assert [v.actor_description.split(" <")[0] for v in views] == [
        "Jo Marsh",
        "Jo Marsh",
        "Sam Okoro",
        "Alex Morgan",
    ]
    assert all(v.actor_user_id is not None and v.object_type == "pep" for v in views)


# --- Subject access: a child's history ----------------------------------------------------


@pytest.mark.parametrize("who", ["dt_oakfield", "social_worker", "carer", "reviewer"])
def test_only_an_admin_reads_or_exports_a_childs_history(who, client_for, seeded):
    child_id = child_of(seeded, OLIVER)
    client = client_for(who)
    assert client.get(f"/children/{child_id}/history").status_code == 403
    assert client.get(f"/children/{child_id}/history.csv").status_code == 403
    assert "/history" not in client.get(f"/children/{child_id}").get_data(as_text=True)


def test_an_unknown_child_has_no_history(client_for):
    admin = client_for("admin")
    assert admin.get(f"/children/{uuid.uuid4()}/history").status_code == 404
    assert admin.get(f"/children/{uuid.uuid4()}/history.csv").status_code == 404


def test_the_admin_lists_everything_that_happened_to_one_childs_records(client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    child_id = child_of(seeded, OLIVER)
    client_for("carer").get(section_url(pep_id, "carers_views"))
    client_for("dt_oakfield").get(f"/children/{child_of(seeded, CHLOE)}")  # another child
    admin = client_for("admin")
    assert f"/children/{child_id}/history" in admin.get(f"/children/{child_id}").get_data(
        as_text=True
    )
    page = admin.get(f"/children/{child_id}/history")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "pep.viewed" in html and "Jo Marsh" in html and "carers_views" in html
    assert "child.viewed" in html
    # The whole history, back to the records stored at sign-off, is in the export; none of it
    # is about another child.
    exported = admin.get(f"/children/{child_id}/history.csv").get_data(as_text=True)
    assert "pep.record_stored" in exported and "pep.viewed" in exported
    assert str(child_of(seeded, CHLOE)) not in exported and "Chloe" not in exported
    # Reading the history is itself in the history.
    assert any(e.action == "child.history_viewed" for e in _history_events(seeded, child_id))


def _history_events(app, child_id):
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(child_id)))
        )


def test_the_history_is_paginated(client_for, seeded):
    child_id = child_of(seeded, OLIVER)
    with seeded.app_context():
        child = db.session.get(Child, child_id)
        for number in range(60):
            audit.record(
                db.session, Actor.system("test"), "child.viewed", "child", child.id, n=number
            )
        db.session.commit()
    admin = client_for("admin")
    first = admin.get(f"/children/{child_id}/history").get_data(as_text=True)
    assert re.search(r"page 1 of [2-9]", first)
    assert f"/children/{child_id}/history?page=2" in first
    second = admin.get(f"/children/{child_id}/history?page=2")
    assert second.status_code == 200 and "page 2 of" in second.get_data(as_text=True)
    assert admin.get(f"/children/{child_id}/history?page=nonsense").status_code == 200


def test_the_history_csv_neutralises_formulas(client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    child_id = child_of(seeded, OLIVER)
    hostile = '=HYPERLINK("http://evil.example","click")'
    with seeded.app_context():
        worker = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["social_worker"]))
        worker.display_name = hostile
        db.session.commit()
    client_for("social_worker").get(section_url(pep_id, "health_wellbeing"))
    response = client_for("admin").get(f"/children/{child_id}/history.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Oliver" not in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    rows = csv_rows(response)
    assert rows[0][:3] == ["When (UTC)", "Who", "What happened"]
    cells = [cell for row in rows[1:] for cell in row]
    assert any(cell.startswith("'" + hostile) for cell in cells)
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)
    viewed = [row for row in rows[1:] if row[2] == "pep.viewed"]
    assert any("health_wellbeing" in row[5] for row in viewed)
    with seeded.app_context():
        exported = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "child.history_exported")
        )
        assert exported.object_id == str(child_id) and exported.details["rows"] == len(rows) - 1


def test_a_childs_history_says_who_was_given_and_who_lost_a_role_for_the_child(client_for, seeded):
    """Who the child's records were opened to is what a subject access request asks: a role
    given for the child on the staff page, and taken away, is in the child's history (the rows
    are recorded against the person's account, naming the child)."""
    oliver_id, chloe_id = child_of(seeded, OLIVER), child_of(seeded, CHLOE)
    with seeded.app_context():
        admin_user = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["admin"]))
        actor = Actor.for_user(admin_user, "127.0.0.1")
        kim = staff.create_person(db.session, actor, "kim.ward@example.test", "Kim Ward")
        db.session.commit()
        given = staff.grant_role(
            db.session, actor, kim, Role.CARER, children=[db.session.get(Child, oliver_id)]
        )
        assert not given.refused, given.message
        taken = staff.revoke_grants(db.session, actor, kim, list(kim.grants))
        assert not taken.refused, taken.message
    admin = client_for("admin")
    exported = csv_rows(admin.get(f"/children/{oliver_id}/history.csv"))
    rows = [row for row in exported if "Kim Ward" in ",".join(row)]
    assert sorted(row[2] for row in rows) == ["role.granted", "role.revoked"]
    assert all("kim.ward@example.test" in row[5] for row in rows)
    assert "Kim Ward" in admin.get(f"/children/{oliver_id}/history").get_data(as_text=True)
    # Not another child's.
    other = admin.get(f"/children/{chloe_id}/history.csv").get_data(as_text=True)
    assert "Kim Ward" not in other
