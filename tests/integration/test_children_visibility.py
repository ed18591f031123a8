"""Least privilege: each person sees exactly the children they work with, and no others."""

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Child
from portal.operations.demo_seed import CARER_CHILDREN, CHILDREN, SOCIAL_WORKER_CASELOAD

ALL_REFERENCES = {child.reference for child in CHILDREN}
EXPECTED = {
    "dt_oakfield": {c.reference for c in CHILDREN if c.school_urn == "900201"},
    "dt_riverside": {c.reference for c in CHILDREN if c.school_urn == "900301"},
    "social_worker": set(SOCIAL_WORKER_CASELOAD),
    # Granted for each child of Sam Okoro's caseload, and for no other child.
    "team_manager": set(SOCIAL_WORKER_CASELOAD),
    "carer": set(CARER_CHILDREN),
    "reviewer": ALL_REFERENCES,
    "vs_head": ALL_REFERENCES,
    "admin": ALL_REFERENCES,
}


def listed_references(client):
    page = client.get("/children").get_data(as_text=True)
    return set(re.findall(r"DCC-\d{4}", page))


def child_ids_by_reference(app):
    with app.app_context():
        return {c.authority_reference: c.id for c in db.session.scalars(select(Child))}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_children_list_shows_exactly_the_children_this_person_may_see(who, client_for):
    assert listed_references(client_for(who)) == EXPECTED[who]


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_any_other_child_answers_not_found(who, client_for, seeded):
    client = client_for(who)
    ids = child_ids_by_reference(seeded)
    for reference, child_id in ids.items():
        response = client.get(f"/children/{child_id}")
        if reference in EXPECTED[who]:
            assert response.status_code == 200, reference
            assert reference in response.get_data(as_text=True)
        else:
            # The same answer as for a child that does not exist: existence is not revealed.
            assert response.status_code == 404, reference
            assert reference not in response.get_data(as_text=True)


def test_a_designated_teacher_loses_sight_of_a_child_who_moves_school(client_for, seeded):
    client = client_for("dt_oakfield")
    ids = child_ids_by_reference(seeded)
    assert client.get(f"/children/{ids['DCC-1104']}").status_code == 200
    with seeded.app_context():
        child = db.session.get(Child, ids["DCC-1104"])
        riverside = db.session.get(Child, ids["DCC-1201"]).current_school_id
        child.current_school_id = riverside
        db.session.commit()
    assert client.get(f"/children/{ids['DCC-1104']}").status_code == 404
    assert "DCC-1104" not in listed_references(client)


def test_child_page_shows_details_and_pep_history(client_for, seeded):
    client = client_for("social_worker")
    child_id = child_ids_by_reference(seeded)["DCC-1102"]
    page = client.get(f"/children/{child_id}").get_data(as_text=True)
    assert "Oliver Brown" in page
    assert "Oakfield Primary School" in page
    assert "Full care order" in page
    assert page.count("Signed off") + page.count("Superseded") >= 3


def test_viewing_a_child_record_is_audited(client_for, seeded):
    client = client_for("carer")
    child_id = child_ids_by_reference(seeded)["DCC-1201"]
    client.get(f"/children/{child_id}")
    with seeded.app_context():
        viewed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "child.viewed")
        ).all()
        assert [event.object_id for event in viewed] == [str(child_id)]
        assert "carer@demo.openpep.test" in viewed[0].actor_description


def test_a_user_with_no_role_sees_no_children(seeded, sign_in):
    from portal.models import User

    with seeded.app_context():
        db.session.add(User(email="new.starter@demo.openpep.test", display_name="New Starter"))
        db.session.commit()
    client = seeded.test_client()
    assert sign_in(client, "new.starter@demo.openpep.test").status_code == 302
    assert listed_references(client) == set()
    assert "You have no children to see yet" in client.get("/children").get_data(as_text=True)
