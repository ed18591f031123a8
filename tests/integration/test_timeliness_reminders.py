"""Reminders of PEP deadlines through a real SMTP server on 127.0.0.1: due soon to the designated
teacher and social worker, overdue to the adviser too, escalated to the Virtual School's admins;
each once (a second run sends nothing), no child's name in a subject, a link to the deadlines."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Child, RoleGrant, User
from portal.operations.demo_seed import CHILDREN
from portal.operations.reminders import REMINDER_SOURCES, send_reminders
from portal.timeliness.reminders import pep_deadline_reminders
from tests.conftest import DEMO_EMAILS
from tests.integration.smtp import BASE_URL
from workflows.roles import Role

JAYDEN = "DCC-1501"


def run(app):
    with app.app_context():
        return send_reminders(db.session, app.config, sources=[pep_deadline_reminders])


def test_pep_deadlines_are_a_reminder_source():
    assert pep_deadline_reminders in REMINDER_SOURCES


def test_deadline_reminders_go_once_to_the_right_people(mail, seeded):
    with seeded.app_context():
        jayden = db.session.scalar(select(Child).where(Child.authority_reference == JAYDEN))
        assert jayden is not None
        jayden_id = jayden.id
        adviser = db.session.scalar(
            select(User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.child_id == jayden_id, RoleGrant.role == Role.VS_ADVISER.value)
        )
    assert adviser is not None

    first = run(seeded)
    received = mail.received()
    assert received and sum(first.recorded.values()) == len(received)
    names = {word for child in CHILDREN for word in (child.first_name, child.last_name)}
    for message in received:
        assert not any(re.search(rf"\b{name}\b", message.subject) for name in names)
        assert re.search(rf"{re.escape(BASE_URL)}/children/\S+#timeliness", message.text)

    # A long subject is folded onto a second header line, which leaves a leading space.
    about_jayden = [m for m in received if JAYDEN in m.text]
    link = f"{BASE_URL}/children/{jayden_id}#timeliness"
    assert all(link in m.text for m in about_jayden)
    # In care since October with no PEP: overdue to the adviser (who acts as his designated
    # teacher, with no school place), and the care plan, missed weeks ago, escalated.
    to_adviser = [m.subject.strip() for m in about_jayden if adviser in m.recipients]
    assert any(s.startswith("Overdue since") and "initial PEP" in s for s in to_adviser)
    to_admin = [m.subject.strip() for m in about_jayden if DEMO_EMAILS["admin"] in m.recipients]
    assert any(s.startswith("Escalated, overdue since") and "care plan" in s for s in to_admin)
    # The school's designated teachers hear nothing of a child not at their school.
    assert not [m for m in about_jayden if DEMO_EMAILS["dt_oakfield"] in m.recipients]

    second = run(seeded)
    assert sum(second.recorded.values()) == 0
    assert second.already_recorded == sum(first.recorded.values())
    assert len(mail.received()) == len(received)
