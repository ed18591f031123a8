"""Staff and their roles: the operations, and the admin pages over them. Each refusal is a
sentence and changes nothing; the last active admin can never be removed."""

import contextlib
import re
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    CareEpisode,
    Child,
    ChildEvent,
    ContributionInvite,
    RoleGrant,
    School,
    User,
    UserSession,
)
from portal.operations import staff
from portal.operations.audit import Actor
from portal.operations.demo_seed import SOCIAL_WORKER_CASELOAD
from tests.conftest import DEMO_EMAILS, csrf_token_from
from tests.integration.csv_downloads import csv_records, csv_rows
from tests.integration.pep_helpers import open_pep_id
from tests.integration.sql_statements import statements_sent
from tests.integration.test_invites import create_link, holder_client, holder_page, token_of
from workflows.roles import Role

ACTOR = Actor.system("test")
SW_CASELOAD = len(SOCIAL_WORKER_CASELOAD)
# What the demo seed did is not what a test did.
NOT_THE_SEED = "System: demo seed%"
SAM_EMAIL = DEMO_EMAILS["social_worker"]


def person(email):
    return db.session.scalar(select(User).where(User.email == email))


def demo(who):
    return person(DEMO_EMAILS[who])


def child(reference):
    return db.session.scalar(select(Child).where(Child.authority_reference == reference))


def school(urn):
    return db.session.scalar(select(School).where(School.urn == urn))


def actions(*names):
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.action.in_(names), AuditEvent.actor_description.not_like(NOT_THE_SEED)
            )
        )
    )


def people_count():
    return db.session.scalar(select(func.count()).select_from(User))


def new_child_events(kind=None):
    query = select(ChildEvent).where(ChildEvent.recorded_by_description.not_like(NOT_THE_SEED))
    if kind:
        query = query.where(ChildEvent.kind == kind)
    return db.session.scalars(query).all()


def user_id_of(app, who):
    with app.app_context():
        return demo(who).id


def post(client, path, data, page=None):
    token = csrf_token_from(client, page or "/admin/staff")
    return client.post(path, data={"csrf_token": token, **data})


# ---------------------------------------------------------------------------------------------
# Operations


def test_an_address_in_use_is_refused_whatever_its_case(seeded):
    with seeded.app_context():
        before = people_count()
        added = staff.add_person(db.session, ACTOR, "New.Teacher@Example.gov.uk", "Ann Lee")
        assert not added.refused and added.user.email == "new.teacher@example.gov.uk"
        again = staff.add_person(db.session, ACTOR, "NEW.teacher@example.GOV.uk", "Ann Other")
        assert again.refused and again.field == "email"
        assert again.message == (
            "The email address new.teacher@example.gov.uk is already used by Ann Lee. "
            "Find them in the staff list."
        )
        assert actions("user.added") == ["user.added"]
        assert people_count() == before + 1


@pytest.mark.parametrize(
    ("email", "name", "field", "message"),
    [
        ("", "Ann Lee", "email", "Enter an email address"),
        ("ann lee@example.org", "Ann Lee", "email", "Enter an email address in the correct"),
        ("ann@example", "Ann Lee", "email", "Enter an email address in the correct"),
        ("ann@example.org", "   ", "name", "Enter the person's full name"),
    ],
)
def test_a_bad_address_or_name_is_refused_and_nothing_is_added(app, email, name, field, message):
    with app.app_context():
        outcome = staff.add_person(db.session, ACTOR, email, name)
        assert outcome.refused and outcome.field == field
        assert outcome.message.startswith(message)
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert actions("user.added") == []


def test_a_settings_designated_person_is_a_lead_unless_it_is_a_school(seeded):
    with seeded.app_context():
        nursery_worker = staff.add_person(db.session, ACTOR, "lead@example.org", "Lee Dee").user
        manual = School(
            name="Busy Bees Childminding",
            phase="early_years",
            local_authority="Demo",
            source="manual",
        )
        primary_by_hand = School(
            name="Hand Added Primary", phase="primary", local_authority="Demo", source="manual"
        )
        db.session.add_all([manual, primary_by_hand])
        db.session.commit()
        settings = [school("900101"), school("900201"), school("900401"), manual, primary_by_hand]
        outcome = staff.grant_role(
            db.session, ACTOR, nursery_worker, Role.DESIGNATED_TEACHER, schools=settings
        )
        assert not outcome.refused, outcome.message
        labels = {
            grant.school.name: staff.role_label(grant.role, grant.school)
            for grant in nursery_worker.grants
        }
        assert labels == {
            "Little Acorns Nursery": "Designated lead",
            "Oakfield Primary School": "Designated teacher",
            "Northgate College": "Designated lead",
            "Busy Bees Childminding": "Designated lead",
            "Hand Added Primary": "Designated lead",
        }
        assert {grant.role for grant in nursery_worker.grants} == {"designated_teacher"}
        assert len(actions("role.granted")) == 5
        # Giving the same role again changes nothing.
        again = staff.grant_role(
            db.session, ACTOR, nursery_worker, Role.DESIGNATED_TEACHER, schools=settings[:2]
        )
        assert not again.refused and "nothing changed" in again.message
        assert len(actions("role.granted")) == 5


def test_a_role_needs_what_it_covers(seeded):
    with seeded.app_context():
        user = demo("reviewer")
        teacher = staff.grant_role(db.session, ACTOR, user, Role.DESIGNATED_TEACHER)
        assert teacher.refused and teacher.field == "schools"
        worker = staff.grant_role(db.session, ACTOR, user, Role.SOCIAL_WORKER)
        assert worker.refused and worker.field == "children"
        assert staff.grant_role(db.session, ACTOR, user, Role.CHILD).refused
        assert actions("role.granted") == []


def a_child(reference):
    """A child of the test's own, with no episodes of care yet."""
    made = Child(
        first_name="Test",
        last_name=reference,
        date_of_birth=date(2015, 5, 1),
        authority_reference=reference,
        legal_status="C2",
        date_entered_care=date(2024, 1, 8),
    )
    db.session.add(made)
    db.session.commit()
    return made


def test_a_carers_grant_starts_when_the_childs_placement_began(seeded):
    with seeded.app_context():
        moved = a_child("TEST-1")
        db.session.add_all(
            [
                CareEpisode(
                    child_id=moved.id,
                    started_on=date(2024, 1, 8),
                    legal_status="C1",
                    ended_on=date(2025, 3, 1),
                    reason_ended="X1",
                ),
                CareEpisode(child_id=moved.id, started_on=date(2025, 3, 1), legal_status="C1"),
            ]
        )
        db.session.commit()
        carer = demo("carer")
        outcome = staff.grant_role(db.session, ACTOR, carer, Role.CARER, children=[moved])
        assert not outcome.refused, outcome.message
        grant = staff.existing_grant(carer, Role.CARER, child=moved)
        assert grant.starts_on == date(2025, 3, 1)
        # A date the admin gives wins, and correcting it is recorded.
        staff.grant_role(
            db.session, ACTOR, carer, Role.CARER, children=[moved], starts_on=date(2025, 4, 2)
        )
        assert staff.existing_grant(carer, Role.CARER, child=moved).starts_on == date(2025, 4, 2)
        assert actions("role.start_changed") == ["role.start_changed"]
        # Without an episode, the grant starts when it is made (starts_on stays empty).
        unplaced = a_child("TEST-2")
        staff.grant_role(db.session, ACTOR, carer, Role.CARER, children=[unplaced])
        assert staff.existing_grant(carer, Role.CARER, child=unplaced).starts_on is None


def social_workers_of(reference):
    return [user.email for user in staff.social_workers_of(db.session, child(reference))]


def test_giving_a_child_a_social_worker_replaces_the_one_they_had_on_their_timeline(seeded):
    with seeded.app_context():
        sam, alex = demo("social_worker"), demo("reviewer")
        assert social_workers_of("DCC-1101") == [sam.email]
        outcome = staff.grant_role(
            db.session, ACTOR, alex, Role.SOCIAL_WORKER, children=[child("DCC-1101")]
        )
        assert not outcome.refused, outcome.message
        assert outcome.message == (
            "Alex Morgan is now the social worker for Ella Brown (DCC-1101), replacing Sam "
            "Okoro. Each child's timeline shows the change."
        )
        # One social worker, and the old one no longer holds the child.
        assert social_workers_of("DCC-1101") == [alex.email]
        assert "DCC-1101" not in [c.authority_reference for c in staff.caseload_of(db.session, sam)]
        [changed] = new_child_events("social_worker_changed")
        assert changed.child_id == child("DCC-1101").id
        assert (changed.details["from"], changed.details["to"]) == ("Sam Okoro", "Alex Morgan")
        granted = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "role.granted",
                AuditEvent.actor_description.not_like(NOT_THE_SEED),
            )
        ).one()
        assert granted.details["replacing"] == [sam.email]
        # Giving it to the person who already holds it changes nothing.
        again = staff.grant_role(
            db.session, ACTOR, alex, Role.SOCIAL_WORKER, children=[child("DCC-1101")]
        )
        assert not again.refused and again.message == (
            "Alex Morgan is already the social worker for Ella Brown (DCC-1101): nothing changed."
        )
        assert len(new_child_events("social_worker_changed")) == 1
        assert len(actions("role.granted")) == 1


def test_carers_add_up_a_foster_couple_are_two_carers(seeded):
    with seeded.app_context():
        jo = demo("carer")
        partner = staff.add_person(db.session, ACTOR, "partner@example.org", "Kim Marsh").user
        outcome = staff.grant_role(
            db.session, ACTOR, partner, Role.CARER, children=[child("DCC-1102")]
        )
        assert not outcome.refused, outcome.message
        carers = db.session.scalars(
            select(RoleGrant.user_id).where(
                RoleGrant.child_id == child("DCC-1102").id, RoleGrant.role == Role.CARER.value
            )
        ).all()
        assert sorted(carers) == sorted([jo.id, partner.id])
        assert new_child_events("carer_changed") == []


def test_the_staff_page_says_a_social_worker_replaces_the_childs_one(client_for, seeded):
    client = client_for("admin")
    reviewer = user_id_of(seeded, "reviewer")
    path = f"/admin/staff/{reviewer}"
    page = client.get(path).get_data(as_text=True)
    assert (
        "A child has one social worker: this person replaces the one the child has now, and "
        "the child's timeline shows the change." in page
    )
    response = post(
        client, f"{path}/roles", {"role": "social_worker", "children": "DCC-1101"}, path
    )
    assert response.status_code == 303
    shown = client.get(path).get_data(as_text=True)
    assert "Alex Morgan is now the social worker for Ella Brown (DCC-1101), replacing Sam" in shown
    with seeded.app_context():
        assert social_workers_of("DCC-1101") == [demo("reviewer").email]


def test_the_staff_page_gives_no_childs_case_to_a_switched_off_account(client_for, seeded):
    # The child's page, the caseload move and the staff import refuse it too: the child would
    # lose the social worker who can sign in to someone who cannot.
    with seeded.app_context():
        staff.switch_off(db.session, ACTOR, demo("reviewer"))
    client = client_for("admin")
    reviewer = user_id_of(seeded, "reviewer")
    path = f"/admin/staff/{reviewer}"
    response = post(
        client, f"{path}/roles", {"role": "social_worker", "children": "DCC-1101"}, path
    )
    assert response.status_code == 400
    assert (
        "Alex Morgan&#39;s account is switched off. Switch it on first, or choose another "
        "social worker" in response.get_data(as_text=True)
    )
    with seeded.app_context():
        assert social_workers_of("DCC-1101") == [demo("social_worker").email]


def make_admin(who):
    user = demo(who)
    staff.grant_role(db.session, ACTOR, user, Role.ADMIN)
    return user


def test_the_last_active_admin_keeps_the_role_and_the_account(seeded):
    with seeded.app_context():
        admin = demo("admin")
        myself = Actor.for_user(admin, "127.0.0.1")
        admin_grant = staff.grants_matching(admin, Role.ADMIN)
        refused = staff.revoke_grants(db.session, myself, admin, admin_grant)
        assert refused.refused
        assert refused.message == (
            "You cannot give up the admin role: you are the only active admin. Give another "
            "person the admin role first"
        )
        refused = staff.switch_off(db.session, myself, admin)
        assert refused.message.startswith("You cannot switch off your own account: you are")
        by_system = staff.switch_off(db.session, ACTOR, admin)
        assert by_system.message.startswith("You cannot switch off Chris Byrne: they are the")
        # A second admin whose account is switched off does not count.
        reviewer = make_admin("reviewer")
        assert not staff.switch_off(db.session, ACTOR, reviewer).refused
        assert staff.revoke_grants(db.session, myself, admin, admin_grant).refused
        db.session.refresh(admin)
        assert admin.active and admin.has_authority_role(Role.ADMIN)
        assert actions("role.revoked") == []
        # With another active admin, an admin may step down.
        staff.switch_on(db.session, ACTOR, reviewer)
        stepped_down = staff.revoke_grants(db.session, myself, admin, admin_grant)
        assert not stepped_down.refused, stepped_down.message
        assert not admin.has_authority_role(Role.ADMIN)
        # ...and now the reviewer is the last one.
        last = staff.revoke_grants(
            db.session, myself, reviewer, staff.grants_matching(reviewer, Role.ADMIN)
        )
        assert last.message.startswith("You cannot take the admin role from Alex Morgan")


def test_a_caseload_moves_in_one_step_and_each_childs_timeline_shows_it(seeded):
    with seeded.app_context():
        sam, other = demo("social_worker"), demo("reviewer")
        moved = staff.move_caseload(db.session, ACTOR, sam, other, on=date(2026, 11, 2))
        assert not moved.refused, moved.message
        assert moved.message == (
            f"{SW_CASELOAD} children moved from Sam Okoro to Alex Morgan from 02/11/2026."
        )
        assert staff.caseload_of(db.session, sam) == []
        assert len(staff.caseload_of(db.session, other)) == SW_CASELOAD
        events = new_child_events("social_worker_changed")
        assert len(events) == SW_CASELOAD
        assert {(e.details["from"], e.details["to"], e.occurred_on) for e in events} == {
            ("Sam Okoro", "Alex Morgan", date(2026, 11, 2))
        }
        assert actions("caseload.moved") == ["caseload.moved"]


def test_chosen_children_move_and_the_rest_stay(seeded):
    with seeded.app_context():
        sam, other = demo("social_worker"), demo("reviewer")
        chosen = [child("DCC-1101"), child("DCC-1203")]
        moved = staff.move_caseload(db.session, ACTOR, sam, other, children=chosen)
        assert moved.message.startswith("2 children moved from Sam Okoro to Alex Morgan")
        assert [c.authority_reference for c in staff.caseload_of(db.session, other)] == [
            "DCC-1101",
            "DCC-1203",
        ]
        assert len(staff.caseload_of(db.session, sam)) == SW_CASELOAD - 2


def test_a_caseload_move_that_cannot_be_made_changes_nothing(seeded):
    with seeded.app_context():
        sam, other = demo("social_worker"), demo("reviewer")
        outside = staff.move_caseload(
            db.session, ACTOR, sam, other, children=[child("DCC-1101"), child("DCC-1001")]
        )
        assert outside.refused and outside.message.startswith(
            "Ava Thompson (DCC-1001) is not in Sam Okoro's caseload"
        )
        assert staff.move_caseload(db.session, ACTOR, sam, sam).refused
        staff.switch_off(db.session, ACTOR, other)
        switched_off = staff.move_caseload(db.session, ACTOR, sam, other)
        assert switched_off.message.startswith("Alex Morgan's account is switched off")
        empty = staff.move_caseload(db.session, ACTOR, demo("carer"), sam)
        assert empty.message == "Jo Marsh has no children to move."
        assert len(staff.caseload_of(db.session, sam)) == SW_CASELOAD
        assert new_child_events() == []


def test_settings_and_children_are_found_by_reference_or_name(seeded):
    with seeded.app_context():
        found = staff.find_settings(db.session, ["900201", "riverside", "", "Oakfield Primary"])
        assert [s.name for s in found.found] == ["Oakfield Primary School", "Riverside Academy"]
        assert found.problems == []
        ambiguous = staff.find_settings(db.session, ["o"])
        assert ambiguous.problems[0].startswith("More than one setting matches 'o': ")
        assert ambiguous.problems[0].endswith("Enter the URN.")
        missing = staff.find_settings(db.session, ["999999"])
        assert missing.problems[0].startswith("No setting has the URN or name '999999'")
        kids = staff.find_children(db.session, ["dcc-1101", "Jayden Scott"])
        assert [c.authority_reference for c in kids.found] == ["DCC-1101", "DCC-1501"]
        browns = staff.find_children(db.session, ["brown"])
        assert browns.problems[0].startswith("More than one child matches 'brown': ")
        assert "Ella Brown (DCC-1101)" in browns.problems[0]


# ---------------------------------------------------------------------------------------------
# Pages


def add_people(count, prefix="person"):
    for number in range(count):
        staff.add_person(
            db.session, ACTOR, f"{prefix}{number:02d}@example.org", f"Zed {prefix} {number:02d}"
        )


def names_on(page_html):
    return re.findall(
        r'<th scope="row" class="govuk-table__header"><a [^>]+>([^<]+)</a>', page_html
    )


def sorted_names(query):
    return [user.display_name for user in db.session.scalars(query)]


def test_the_list_is_paginated_filtered_and_sorted_in_the_database(seeded, client_for):
    client = client_for("admin")
    with seeded.app_context():
        add_people(30)
        staff.switch_off(db.session, ACTOR, person("person03@example.org"))
        everyone = people_count()
        by_name = sorted_names(select(User).order_by(func.lower(User.display_name)))
        social_workers = sorted_names(
            select(User)
            .where(User.grants.any(RoleGrant.role == "social_worker"))
            .order_by(func.lower(User.display_name))
        )
        demo_people = people_count() - 30
        by_email = sorted_names(select(User).order_by(User.email))
        sams_children = len(staff.caseload_of(db.session, demo("social_worker")))
    first = client.get("/admin/staff").get_data(as_text=True)
    assert f"{everyone} people" in first and "page 1 of 2" in first
    assert names_on(first) == by_name[:25]
    second = client.get("/admin/staff?page=2").get_data(as_text=True)
    assert names_on(second) == by_name[25:50]
    assert client.get("/admin/staff?page=99").status_code == 200  # the last page, not an error

    ours = client.get("/admin/staff?q=Example.ORG").get_data(as_text=True)
    assert "30 people match, page 1 of 2" in ours
    assert names_on(ours)[:2] == ["Zed person 00", "Zed person 01"]
    social = client.get("/admin/staff?role=social_worker").get_data(as_text=True)
    assert names_on(social) == social_workers
    assert f"Social worker ({sams_children} children)" in social
    off = client.get("/admin/staff?status=off").get_data(as_text=True)
    assert names_on(off) == ["Zed person 03"]
    found = client.get("/admin/staff?q=DEMO.OPENPEP").get_data(as_text=True)
    assert len(names_on(found)) == min(25, demo_people)
    wildcard = client.get("/admin/staff?q=%25").get_data(as_text=True)  # a %, not "anything"
    assert names_on(wildcard) == []
    sorted_by_email = client.get("/admin/staff?sort=email").get_data(as_text=True)
    assert names_on(sorted_by_email) == by_email[:25]
    recent = client.get("/admin/staff?sort=last_signed_in").get_data(as_text=True)
    assert names_on(recent)[0] == "Chris Byrne"  # the admin signed in to read the page
    # Unknown values are ignored, not errors.
    assert client.get("/admin/staff?role=child&status=x&sort=evil").status_code == 200


def count_queries(app, client, path):
    with statements_sent(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_the_list_runs_the_same_queries_however_many_people_it_shows(seeded, client_for):
    client = client_for("admin")
    client.get("/admin/staff")
    few = count_queries(seeded, client, "/admin/staff")
    with seeded.app_context():
        add_people(30)
        for number in range(30):
            staff.grant_role(
                db.session, ACTOR, person(f"person{number:02d}@example.org"), Role.REVIEWER
            )
    many = count_queries(seeded, client, "/admin/staff")
    assert many == few


def test_the_export_holds_the_filtered_list_with_formula_cells_neutralised(seeded, client_for):
    with seeded.app_context():
        staff.add_person(db.session, ACTOR, "hostile@example.org", '=HYPERLINK("http://x","y")')
    client = client_for("admin")
    response = client.get("/admin/staff.csv?q=example.org")
    assert "no-store" in response.headers["Cache-Control"]
    rows = csv_rows(response)
    assert rows[0] == [
        "Name",
        "Email",
        "Roles",
        "Account",
        "Sign-in linked",
        "Last signed in (UTC)",
    ]
    assert rows[1:] == [
        ['\'=HYPERLINK("http://x","y")', "hostile@example.org", "", "Switched on", "No", "Never"]
    ]
    everyone = csv_rows(client.get("/admin/staff.csv"))
    with seeded.app_context():
        assert len(everyone) == 1 + people_count()
    with seeded.app_context():
        assert actions("staff.exported") == ["staff.exported", "staff.exported"]
        # Stored exactly as typed; only the export neutralises it.
        assert person("hostile@example.org").display_name == '=HYPERLINK("http://x","y")'


def test_the_export_gives_the_last_sign_in_in_utc_as_its_heading_says(seeded, client_for):
    # Noon UTC in July is 13:00 in England: the list shows the clock, the download UTC.
    with seeded.app_context():
        staff.add_person(db.session, ACTOR, "summer@example.org", "Sunny Day")
        person("summer@example.org").last_signed_in_at_utc = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
        db.session.commit()
    client = client_for("admin")
    [row] = csv_records(client.get("/admin/staff.csv?q=summer@example.org"))
    assert row["Last signed in (UTC)"] == "2026-07-01 12:00:00"
    listed = client.get("/admin/staff?q=summer@example.org").get_data(as_text=True)
    assert "at 13:00" in listed and "12:00" not in listed


def test_an_admin_adds_a_person_and_an_address_in_use_is_refused(client_for, seeded):
    client = client_for("admin")
    response = post(
        client,
        "/admin/staff/new",
        {"email": "Jo.New@Example.org", "name": "Jo New"},
        "/admin/staff/new",
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Jo New (jo.new@example.org) has been added." in page
    again = post(client, "/admin/staff/new", {"email": "JO.NEW@example.org", "name": "Jo"})
    html = again.get_data(as_text=True)
    assert again.status_code == 400
    assert 'href="#email">The email address jo.new@example.org is already used by Jo New' in html
    assert 'value="JO.NEW@example.org"' in html  # what was typed is kept


def test_a_missing_person_is_not_found(client_for):
    client = client_for("admin")
    missing = uuid.uuid4()
    assert client.get(f"/admin/staff/{missing}").status_code == 404
    assert post(client, f"/admin/staff/{missing}/name", {"name": "X"}).status_code == 404
    assert post(client, f"/admin/staff/{missing}/switch-off", {}).status_code == 404


def test_no_one_but_an_admin_changes_staff(client_for, seeded):
    sam_id = user_id_of(seeded, "social_worker")
    client = client_for("reviewer")
    token = csrf_token_from(client, "/children")
    for path, data in [
        ("/admin/staff/new", {"email": "x@example.org", "name": "X"}),
        (f"/admin/staff/{sam_id}/roles", {"role": "admin"}),
        (f"/admin/staff/{sam_id}/switch-off", {}),
        (f"/admin/staff/{sam_id}/caseload/move", {"to_worker": DEMO_EMAILS["reviewer"]}),
    ]:
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    with seeded.app_context():
        assert not demo("reviewer").has_authority_role(Role.ADMIN)
        assert demo("social_worker").active


def test_a_persons_page_shows_their_roles_and_sign_in(client_for, seeded):
    client = client_for("admin")
    client_for("dt_oakfield")  # signs in, so the account is linked
    html = client.get(f"/admin/staff/{user_id_of(seeded, 'dt_oakfield')}").get_data(as_text=True)
    assert "Priya Shah" in html
    assert "Designated teacher" in html and "Oakfield Primary School (URN 900201)" in html
    assert "Linked to their sign-in with Demo sign-in" in html
    sam = client.get(f"/admin/staff/{user_id_of(seeded, 'social_worker')}").get_data(as_text=True)
    assert "Not linked yet" in sam and "Never" in sam
    assert "Move the caseload" in sam and "Ella Brown (DCC-1101)" in sam


def test_an_admin_gives_roles_by_urn_name_or_reference(client_for, seeded):
    client = client_for("admin")
    reviewer = user_id_of(seeded, "reviewer")
    path = f"/admin/staff/{reviewer}"
    response = post(
        client,
        f"{path}/roles",
        {"role": "designated_teacher", "schools": "900101\nNorthgate"},
        path,
    )
    assert response.status_code == 303
    page = client.get(path).get_data(as_text=True)
    assert "Designated lead" in page and "Little Acorns Nursery (URN 900101)" in page
    response = post(client, f"{path}/roles", {"role": "social_worker", "children": "Jayden"}, path)
    assert response.status_code == 303
    with seeded.app_context():
        assert [c.authority_reference for c in staff.caseload_of(db.session, demo("reviewer"))] == [
            "DCC-1501"
        ]

    refused = post(
        client,
        f"{path}/roles",
        {"role": "social_worker", "children": "brown\nNo Such Child"},
        path,
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert 'href="#children">More than one child matches &#39;brown&#39;' in html
    assert "No child has the reference or name &#39;No Such Child&#39;" in html
    assert "brown\nNo Such Child</textarea>" in html
    no_role = post(client, f"{path}/roles", {"schools": "900101"}, path)
    assert no_role.status_code == 400 and 'href="#role">Choose a role to give' in no_role.get_data(
        as_text=True
    )
    bad_date = post(
        client,
        f"{path}/roles",
        {"role": "carer", "children": "DCC-1101", "starts_on": "31/02/2026"},
        path,
    )
    assert 'href="#starts_on">Enter the date the placement started' in bad_date.get_data(
        as_text=True
    )
    with seeded.app_context():
        assert not staff.grants_matching(demo("reviewer"), Role.CARER)


def test_an_admin_cannot_remove_themselves_as_the_last_admin_on_the_page(client_for, seeded):
    client = client_for("admin")
    with seeded.app_context():
        admin = demo("admin")
        admin_id, grant_id = admin.id, staff.grants_matching(admin, Role.ADMIN)[0].id
    path = f"/admin/staff/{admin_id}"
    response = post(client, f"{path}/roles/{grant_id}/take-away", {}, path)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'href="#take-away-{grant_id}">You cannot give up the admin role' in html
    assert f'id="take-away-{grant_id}"' in html
    response = post(client, f"{path}/switch-off", {}, path)
    assert response.status_code == 400
    assert 'href="#switch-off">You cannot switch off your own account' in response.get_data(
        as_text=True
    )
    assert client.get("/admin/staff").status_code == 200  # still an admin, still signed in
    with seeded.app_context():
        assert demo("admin").active and demo("admin").has_authority_role(Role.ADMIN)


def test_taking_a_role_away_on_the_page(client_for, seeded):
    client = client_for("admin")
    with seeded.app_context():
        carer = demo("carer")
        carer_id = carer.id
        grant_id = staff.existing_grant(carer, Role.CARER, child=child("DCC-1102")).id
    path = f"/admin/staff/{carer_id}"
    response = post(client, f"{path}/roles/{grant_id}/take-away", {}, path)
    assert response.status_code == 303
    page = client.get(path).get_data(as_text=True)
    assert "Jo Marsh no longer holds: Carer for Oliver Brown (DCC-1102)" in page
    with seeded.app_context():
        assert [g.child.authority_reference for g in demo("carer").grants] == ["DCC-1201"]
        assert actions("role.revoked") == ["role.revoked"]


def test_switching_off_asks_first_then_ends_the_persons_sessions(client_for, seeded):
    worker = client_for("social_worker")
    client = client_for("admin")
    sam_id = user_id_of(seeded, "social_worker")
    confirm = client.get(f"/admin/staff/{sam_id}/switch-off").get_data(as_text=True)
    assert "Are you sure you want to switch off Sam Okoro&#39;s account?" in confirm
    response = post(client, f"/admin/staff/{sam_id}/switch-off", {}, f"/admin/staff/{sam_id}")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Sam Okoro&#39;s account is switched off: they cannot sign in, and 1 open session" in page
    )
    assert worker.get("/children").status_code == 302
    with seeded.app_context():
        open_sessions = db.session.scalars(
            select(UserSession).where(
                UserSession.user_id == sam_id, UserSession.ended_at_utc.is_(None)
            )
        ).all()
        assert open_sessions == []
    response = post(client, f"/admin/staff/{sam_id}/switch-on", {}, f"/admin/staff/{sam_id}")
    assert response.status_code == 303
    with seeded.app_context():
        assert demo("social_worker").active


def test_unlinking_asks_first_then_forgets_the_sign_in(client_for, seeded):
    client_for("dt_riverside")
    client = client_for("admin")
    tom = user_id_of(seeded, "dt_riverside")
    confirm = client.get(f"/admin/staff/{tom}/unlink").get_data(as_text=True)
    assert "Are you sure you want to unlink Tom Fletcher&#39;s sign-in?" in confirm
    assert "Demo sign-in" in confirm
    response = post(client, f"/admin/staff/{tom}/unlink", {}, f"/admin/staff/{tom}")
    assert response.status_code == 303
    with seeded.app_context():
        assert not demo("dt_riverside").sign_in_is_linked
        assert actions("sign_in.unlinked") == ["sign_in.unlinked"]


def test_moving_a_caseload_on_the_page_asks_first(client_for, seeded):
    client = client_for("admin")
    with seeded.app_context():
        sam = demo("social_worker")
        sam_id = sam.id
        chosen = [str(child("DCC-1101").id), str(child("DCC-1203").id)]
    path = f"/admin/staff/{sam_id}"
    token = csrf_token_from(client, path)
    check = client.post(
        f"{path}/caseload",
        data={
            "csrf_token": token,
            "to_worker": "Alex",
            "which": "chosen",
            "child_id": chosen,
            "on": "02/11/2026",
        },
    )
    html = check.get_data(as_text=True)
    assert check.status_code == 200
    assert "Are you sure you want to move 2 children from Sam Okoro to Alex Morgan?" in html
    assert "Ella Brown (DCC-1101)" in html and "Grace Taylor (DCC-1203)" in html
    with seeded.app_context():
        assert len(staff.caseload_of(db.session, demo("social_worker"))) == SW_CASELOAD  # not yet
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))
    ids = re.findall(r'<input type="hidden" name="child_id" value="([^"]*)">', html)
    moved = client.post(
        f"{path}/caseload/move",
        data={
            "csrf_token": token,
            "to_worker": fields["to_worker"],
            "which": fields["which"],
            "on": fields["on"],
            "child_id": ids,
        },
    )
    assert moved.status_code == 303
    with seeded.app_context():
        assert len(staff.caseload_of(db.session, demo("social_worker"))) == SW_CASELOAD - 2
        assert len(staff.caseload_of(db.session, demo("reviewer"))) == 2

    themselves = client.post(
        f"{path}/caseload", data={"csrf_token": token, "to_worker": SAM_EMAIL, "which": "all"}
    )
    assert themselves.status_code == 400
    assert 'href="#to_worker">Choose a different social worker' in themselves.get_data(as_text=True)
    unknown = client.post(
        f"{path}/caseload", data={"csrf_token": token, "to_worker": "nobody", "which": "all"}
    )
    assert unknown.status_code == 400
    assert 'href="#to_worker">No one has the email address or name &#39;nobody&#39;' in (
        unknown.get_data(as_text=True)
    )


def test_the_staff_pages_meet_the_page_checks(client_for, seeded):
    from tests.integration.test_page_accessibility import assert_accessible

    client = client_for("admin")
    client_for("social_worker")  # linked, so the unlink button shows
    with seeded.app_context():
        add_people(30)
        admin = demo("admin")
        admin_id, admin_grant = admin.id, staff.grants_matching(admin, Role.ADMIN)[0].id
    sam = user_id_of(seeded, "social_worker")
    token = csrf_token_from(client, "/admin/staff")
    pages = {
        "the list": client.get("/admin/staff"),
        "a filtered list": client.get("/admin/staff?role=social_worker&sort=last_signed_in"),
        "an empty list": client.get("/admin/staff?q=nothing+like+this"),
        "the new person form": client.get("/admin/staff/new"),
        "the new person form with errors": client.post(
            "/admin/staff/new", data={"csrf_token": token, "email": "x", "name": ""}
        ),
        "a social worker's page": client.get(f"/admin/staff/{sam}"),
        "a role refused": client.post(
            f"/admin/staff/{sam}/roles",
            data={"csrf_token": token, "role": "carer", "children": "brown", "starts_on": "x"},
        ),
        "a caseload move refused": client.post(
            f"/admin/staff/{sam}/caseload",
            data={"csrf_token": token, "to_worker": "", "which": "chosen", "on": "x"},
        ),
        "the caseload move to confirm": client.post(
            f"/admin/staff/{sam}/caseload",
            data={"csrf_token": token, "to_worker": DEMO_EMAILS["reviewer"], "which": "all"},
        ),
        "switching off to confirm": client.get(f"/admin/staff/{sam}/switch-off"),
        "unlinking to confirm": client.get(f"/admin/staff/{sam}/unlink"),
        "the last admin refused": client.post(
            f"/admin/staff/{admin_id}/roles/{admin_grant}/take-away", data={"csrf_token": token}
        ),
        "the last admin not switched off": client.post(
            f"/admin/staff/{admin_id}/switch-off", data={"csrf_token": token}
        ),
    }
    for where, response in pages.items():
        assert response.status_code in (200, 400), where
        assert_accessible(response.get_data(as_text=True), where)


def test_an_admin_who_steps_down_goes_home_not_to_a_page_they_cannot_see(client_for, seeded):
    with seeded.app_context():
        make_admin("reviewer")
        admin = demo("admin")
        admin_id, grant_id = admin.id, staff.grants_matching(admin, Role.ADMIN)[0].id
    client = client_for("admin")
    path = f"/admin/staff/{admin_id}"
    response = post(client, f"{path}/roles/{grant_id}/take-away", {}, path)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/admin/staff").status_code == 403
    with seeded.app_context():
        assert not demo("admin").has_authority_role(Role.ADMIN)


def test_two_admins_removing_each_other_at_once_leave_one_admin_and_a_sentence(
    client_for, seeded, database_backend
):
    """Each request waits, after reading the admins, until the other has read them too (or
    3 seconds have passed): the moment two requests that each lock only the other admin
    deadlock. Locking every admin in id order, the second waits for the first, then is
    refused."""
    if database_backend != "postgresql":
        pytest.skip("row locks and deadlocks are PostgreSQL's; SQLite runs one writer at a time")
    chris, alex = client_for("admin"), client_for("reviewer")
    with seeded.app_context():
        make_admin("reviewer")
        chris_id, alex_id = demo("admin").id, demo("reviewer").id
        chris_grant = staff.grants_matching(demo("admin"), Role.ADMIN)[0].id
        alex_grant = staff.grants_matching(demo("reviewer"), Role.ADMIN)[0].id
        engine = db.engine
    chris_page, alex_page = f"/admin/staff/{alex_id}", f"/admin/staff/{chris_id}"
    chris_token = csrf_token_from(chris, chris_page)
    alex_token = csrf_token_from(alex, alex_page)
    both_read = threading.Barrier(2, timeout=3)

    def after_reading_the_admins(_conn, _cursor, statement, *_args):
        if "FOR UPDATE" in statement and "role_grants" in statement:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait()

    requests = [
        lambda: chris.post(
            f"{chris_page}/roles/{alex_grant}/take-away", data={"csrf_token": chris_token}
        ),
        lambda: alex.post(
            f"{alex_page}/roles/{chris_grant}/take-away", data={"csrf_token": alex_token}
        ),
    ]
    event.listen(engine, "after_cursor_execute", after_reading_the_admins)
    try:
        answers = all_at_once(requests)
    finally:
        event.remove(engine, "after_cursor_execute", after_reading_the_admins)

    assert not [answer for answer in answers if isinstance(answer, Exception)], answers
    assert sorted(answer.status_code for answer in answers) == [303, 400], answers
    refused = next(answer for answer in answers if answer.status_code == 400)
    html = refused.get_data(as_text=True)
    assert "govuk-error-summary" in html and "Traceback" not in html
    assert re.search(
        r"You cannot (take the admin role from|give up the admin role)|Someone changed who the "
        r"admins are at the same moment",
        html,
    )
    with seeded.app_context():
        admins = [
            user.email
            for user in (demo("admin"), demo("reviewer"))
            if user.active and user.has_authority_role(Role.ADMIN)
        ]
        assert len(admins) == 1


def all_at_once(requests):
    """Each request in its own thread, released together; what each answered (or raised)."""
    start = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(index):
        start.wait()
        try:
            answers[index] = requests[index]()
        except Exception as error:  # a 500 re-raised by the test client is reported, not lost
            answers[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_taking_a_carers_role_away_stops_their_links_to_the_carers_views(client_for, seeded):
    # As when the child's page changes the carer: a link is not tied to one account, and one
    # held by someone who no longer looks after the child must not open the carer's views.
    pep_id = open_pep_id(seeded, "DCC-1201")
    social_worker = client_for("social_worker")
    carer_token = token_of(create_link(social_worker, pep_id, "carers_views")[0])
    child_token = token_of(create_link(social_worker, pep_id, "my_views")[0])
    with seeded.app_context():
        jo = demo("carer")
        (grant,) = [g for g in jo.grants if g.child and g.child.authority_reference == "DCC-1201"]
        jo_id, grant_id = jo.id, grant.id
    admin = client_for("admin")
    path = f"/admin/staff/{jo_id}"
    response = admin.post(
        f"{path}/roles/{grant_id}/take-away", data={"csrf_token": csrf_token_from(admin, path)}
    )
    assert response.status_code == 303
    shown = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "The link to the carer&#39;s views on the child&#39;s open PEP stopped working" in shown
    holder_page(holder_client(seeded), carer_token, status=404)
    holder_page(holder_client(seeded), child_token, status=200)  # the child's own goes on


@pytest.mark.parametrize(
    ("link_made_days_ago", "status"), [(3, 404), (0, 200)], ids=["old placement's", "new one's"]
)
def test_taking_away_a_former_carers_leftover_role_stops_only_the_old_placements_link(
    client_for, seeded, link_made_days_ago, status
):
    # The new carer was given the role on this page before the old one's was taken away (carer
    # grants add up: a foster couple are two carers). A link made during the old placement
    # stops; one made for the new carer, from their placement on, goes on working.
    pep_id = open_pep_id(seeded, "DCC-1201")
    token = token_of(create_link(client_for("social_worker"), pep_id, "carers_views")[0])
    with seeded.app_context():
        made = db.session.scalar(
            select(ContributionInvite).where(ContributionInvite.pep_id == pep_id)
        )
        made.created_at_utc -= timedelta(days=link_made_days_ago)
        new_carer = staff.create_person(db.session, ACTOR, "nia.new@example.test", "Nia New")
        db.session.commit()
        given = staff.grant_role(
            db.session,
            ACTOR,
            new_carer,
            Role.CARER,
            children=[child("DCC-1201")],
            starts_on=date.today() - timedelta(days=1),
        )
        assert not given.refused, given.message
        jo = demo("carer")
        (grant,) = [g for g in jo.grants if g.child and g.child.authority_reference == "DCC-1201"]
        jo_id, grant_id = jo.id, grant.id
    holder_page(holder_client(seeded), token, status=200)
    admin = client_for("admin")
    path = f"/admin/staff/{jo_id}"
    response = admin.post(
        f"{path}/roles/{grant_id}/take-away", data={"csrf_token": csrf_token_from(admin, path)}
    )
    assert response.status_code == 303
    holder_page(holder_client(seeded), token, status=status)
