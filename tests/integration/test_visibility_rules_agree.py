"""Who may see a child is written twice, on purpose: as a query for lists
(`visible_children`) and in Python for one child already loaded (`roles_for_child`: no role,
no sight). A section page and an autosave load the PEP by id and then ask `roles_for_child`,
so that one statement serves everyone. These tests hold the two rules to the same answer, over
children in care, children who have left care and a child with no school place, and check that
a section page and a save refuse exactly the PEPs of children a person may not see."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.children.queries import roles_for_child, visible_children
from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import Child, Pep, RoleGrant, User
from tests.conftest import DEMO_EMAILS, csrf_token_from
from tests.integration.test_my_tasks import ADVISER_EMAIL

LEFT_CARE = "DCC-1104"  # at Oakfield, on a social worker's caseload
NO_SCHOOL = "DCC-1201"  # the carer's
ADVISED = "DCC-1102"


def _give_the_cohort_every_case(app) -> None:
    """A child who has left care, a child with no school place, and an adviser's grant."""
    with app.app_context():
        children = {c.authority_reference: c for c in db.session.scalars(select(Child))}
        children[LEFT_CARE].date_left_care = date(2026, 9, 30)
        children[NO_SCHOOL].current_school_id = None
        adviser = db.session.scalar(select(User).where(User.email == ADVISER_EMAIL))
        db.session.add(
            RoleGrant(user_id=adviser.id, role="vs_adviser", child_id=children[ADVISED].id)
        )
        db.session.commit()


def test_the_query_and_the_python_rule_agree_for_every_person_and_child(seeded):
    _give_the_cohort_every_case(seeded)
    with seeded.app_context():
        children = list(db.session.scalars(select(Child)))
        people = list(db.session.scalars(select(User)))
        assert len(people) >= len(DEMO_EMAILS) + 1
        for person in people:
            by_query = set(db.session.scalars(visible_children(person).with_only_columns(Child.id)))
            by_rule = {child.id for child in children if roles_for_child(person, child)}
            assert by_query == by_rule, person.email
        # The cases that matter were really there to be judged.
        teacher = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["dt_oakfield"]))
        left = next(c for c in children if c.authority_reference == LEFT_CARE)
        assert roles_for_child(teacher, left) == frozenset()
        admin = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["admin"]))
        assert roles_for_child(admin, left)


def test_a_section_page_and_a_save_refuse_the_peps_of_children_out_of_sight(seeded, sign_in):
    _give_the_cohort_every_case(seeded)
    with seeded.app_context():
        # Each child's latest PEP, and the first section its form has.
        latest: dict[object, tuple[object, str]] = {}
        for pep in db.session.scalars(select(Pep).order_by(Pep.academic_year, Pep.term)):
            latest[pep.child_id] = (pep.id, definition_for(pep).sections[0].key)
    people = {**DEMO_EMAILS, "vs_adviser": ADVISER_EMAIL}
    for who, email in people.items():
        client = seeded.test_client()
        assert sign_in(client, email).status_code == 302, who
        token = csrf_token_from(client, "/children")
        with seeded.app_context():
            person = db.session.scalar(select(User).where(User.email == email))
            seen = set(db.session.scalars(visible_children(person).with_only_columns(Child.id)))
        shown = refused = 0
        for child_id, (pep_id, key) in latest.items():
            path = f"/peps/{pep_id}/sections/{key}"
            answer = client.get(path)
            if child_id in seen:
                # Seen: the page, or 403 for a section that is not theirs to read; only a
                # carer may find a PEP from before the placement "not found".
                allowed = (200, 403, 404) if who == "carer" else (200, 403)
                assert answer.status_code in allowed, (who, path, answer.status_code)
                shown += answer.status_code == 200
                continue
            refused += 1
            assert answer.status_code == 404, (who, path)
            save = client.post(path, data={"action": "save", "csrf_token": token})
            assert save.status_code == 404, (who, path)
        assert shown, who
        if who not in ("reviewer", "vs_head", "admin"):
            assert refused, who
