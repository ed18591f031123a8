"""Every route the app serves is listed here with who may use it; an unlisted route fails."""

import uuid

import pytest
from sqlalchemy import select

from portal.auth.access import access_rule_of
from portal.extensions import db
from portal.models import Child

ROLES = ["dt_oakfield", "dt_riverside", "social_worker", "carer", "reviewer", "admin"]
STARTERS = {"dt_oakfield", "dt_riverside", "social_worker", "admin"}

# endpoint -> the access rule its view declares. Views narrow further by the child's record:
# REACHABLE_BY lists the routes only some roles reach (others get 403).
ACCESS_MATRIX = {
    "pages.home": "public",
    "pages.accessibility_statement": "public",
    "pages.privacy_notice": "public",
    "pages.brand_stylesheet": "public",
    "pages.health": "public",
    "auth.login": "public",
    "auth.start_sign_in": "public",
    "auth.finish_sign_in": "public",
    "auth.logout": "public",
    "auth.signed_out": "public",
    "auth.session_status": "public",
    "auth.extend_session": "signed_in",
    "children.list_children": "signed_in",
    "children.export_children": "signed_in",
    "children.show_child": "signed_in",
    # A child's history, for subject access requests: admins only.
    "children.child_history": "roles:admin",
    "children.child_history_csv": "roles:admin",
    "peps.show_pep": "signed_in",
    "peps.show_section": "signed_in",
    "peps.save_section_answers": "signed_in",
    "peps.new_pep": "signed_in",
    "peps.create_pep": "signed_in",
    "exports.download_draft": "signed_in",
    "exports.download_record": "signed_in",
    "peps.record_event": "signed_in",
    "peps.quality_assurance": "roles:reviewer",
    "peps.my_tasks": "signed_in",
    "invites.manage": "signed_in",
    "invites.create": "signed_in",
    "invites.revoke": "signed_in",
    "invites.reopen": "signed_in",
    "invites.save_note": "signed_in",
    "invites.save_absent_reason": "signed_in",
    # The child's and carer's invite links: the token in the address is the credential.
    "invites.contribute": "public",
    "invites.save_contribution": "public",
    "invites.send_contribution": "public",
    # A PEP's meeting: read by everyone who reads the PEP; arranged by the child's designated
    # teacher, social worker or Virtual School adviser.
    "meetings.show_meeting": "signed_in",
    "meetings.arrange_meeting": "signed_in",
    "meetings.save_meeting": "signed_in",
    "meetings.cancel": "signed_in",
    "meetings.download_ics": "signed_in",
    # What was sent to you: each person's own emails; another's is not found.
    "messages.list_messages": "signed_in",
    "messages.show_message": "signed_in",
}
STAFF = set(ROLES) - {"carer"}
REACHABLE_BY = {
    "peps.new_pep": STARTERS,
    "peps.quality_assurance": {"reviewer"},
    # The signed-off record holds every section: staff only.
    "exports.download_record": STAFF,
    # The links page holds the staff note and who has links: staff only.
    "invites.manage": STAFF,
    "children.child_history": {"admin"},
    "children.child_history_csv": {"admin"},
    # The children list as CSV: staff only (a carer reads PEPs, not lists of children).
    "children.export_children": STAFF,
    # Arranging the meeting: the child's designated teacher and social worker (and adviser).
    "meetings.arrange_meeting": {"dt_oakfield", "dt_riverside", "social_worker"},
}
# Routes that answer 404 until something exists (a signed-off record).
NOT_FOUND_UNTIL_MADE = {"exports.download_record"}
# Routes that answer 404 until a meeting is arranged (the demo data arranges none).
NOT_FOUND_WITHOUT_A_MEETING = {"meetings.download_ics"}
# An email is found only by the person it was sent to (an example id is nobody's).
NOT_FOUND_UNLESS_ONES_OWN = {"messages.show_message"}


def routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


# The admin area: every view is for Virtual School admins alone, whatever it does.
ADMIN_AREA = "admin."


def expected_rule(endpoint):
    return "roles:admin" if endpoint.startswith(ADMIN_AREA) else ACCESS_MATRIX[endpoint]


def test_every_route_is_in_the_matrix_and_the_matrix_has_no_stale_rows(app):
    served = {rule.endpoint for rule in routes(app) if not rule.endpoint.startswith(ADMIN_AREA)}
    assert served - ACCESS_MATRIX.keys() == set(), "add these routes to ACCESS_MATRIX"
    assert ACCESS_MATRIX.keys() - served == set(), "these rows no longer match a route"


def test_every_route_declares_the_rule_the_matrix_expects(app):
    for rule in routes(app):
        declared = access_rule_of(app, rule.endpoint)
        assert declared is not None, rule.endpoint
        assert declared.describe() == expected_rule(rule.endpoint), rule.endpoint


KNOWN_ARGUMENTS = {
    "provider",
    "child_id",
    "pep_id",
    "section_key",
    "event_name",
    "invite_id",
    "token",
}


def example_url(app, rule, child_id, pep_id=None):
    values = {
        "provider": "demo",
        "child_id": child_id,
        "pep_id": pep_id or uuid.uuid4(),
        "section_key": "meeting_details",
        "event_name": "submitted",
        "invite_id": uuid.uuid4(),
        "token": "not-a-real-token",
    }
    with app.test_request_context():
        from flask import url_for

        # Any other id (a user, a school, an import) is one that does not exist.
        return url_for(
            rule.endpoint, **{arg: values.get(arg, uuid.uuid4()) for arg in rule.arguments}
        )


def get_routes(app):
    return [rule for rule in routes(app) if "GET" in rule.methods]


def test_signed_in_routes_send_anonymous_visitors_to_sign_in(seeded):
    client = seeded.test_client()
    for rule in get_routes(seeded):
        if expected_rule(rule.endpoint) == "public":
            continue
        response = client.get(example_url(seeded, rule, uuid.uuid4()))
        assert response.status_code == 302, rule.endpoint
        assert response.headers["Location"].startswith("/login?next="), rule.endpoint


@pytest.mark.parametrize("who", ROLES)
def test_every_role_can_reach_every_route_the_matrix_allows(who, client_for, seeded):
    client = client_for(who)
    from portal.models import User
    from tests.conftest import DEMO_EMAILS

    with seeded.app_context():
        from portal.children.queries import list_visible_children

        user = db.session.scalar(select(User).where(User.email == DEMO_EMAILS[who]))
        visible = [child for child in list_visible_children(db.session, user) if child.peps]
        child_id = visible[0].id
        pep_id = visible[0].peps[0].id
        pep_state = visible[0].peps[0].state
    for rule in get_routes(seeded):
        if rule.endpoint in {"auth.start_sign_in", "auth.finish_sign_in"}:
            continue  # these talk to the provider; covered by the sign-in tests
        if rule.endpoint == "invites.contribute":
            continue  # opens only with a real token, for anyone; covered by test_invites
        response = client.get(example_url(seeded, rule, child_id, pep_id))
        if rule.endpoint.startswith(ADMIN_AREA):
            # An admin page about a record that does not exist is not found, for admins only.
            names_a_missing_record = bool(set(rule.arguments) - KNOWN_ARGUMENTS)
            expected = (404 if names_a_missing_record else 200) if who == "admin" else 403
            assert response.status_code == expected, (rule.endpoint, response.status_code)
            continue
        expected = 200 if who in REACHABLE_BY.get(rule.endpoint, {who}) else 403
        if rule.endpoint in NOT_FOUND_UNTIL_MADE and expected == 200:
            expected = 200 if pep_state in ("signed_off", "superseded") else 404
        if rule.endpoint in NOT_FOUND_WITHOUT_A_MEETING and expected == 200:
            expected = 404
        if rule.endpoint in NOT_FOUND_UNLESS_ONES_OWN and expected == 200:
            expected = 404
        assert response.status_code == expected, (rule.endpoint, response.status_code)


def test_post_routes_refuse_get(seeded):
    client = seeded.test_client()
    readable = {rule.rule for rule in get_routes(seeded)}
    for rule in routes(seeded):
        if "GET" not in rule.methods and rule.rule not in readable:
            assert client.get(example_url(seeded, rule, uuid.uuid4())).status_code == 405


def test_a_child_id_that_is_not_a_uuid_is_not_found(client_for):
    assert client_for("admin").get("/children/1").status_code == 404


def test_child_ids_in_urls_are_uuids(seeded):
    with seeded.app_context():
        for child in db.session.scalars(select(Child)):
            assert isinstance(child.id, uuid.UUID)
