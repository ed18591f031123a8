"""A deadline still missed 10 working days on is escalated, through a real SMTP server on
127.0.0.1, to the child's social work team manager and the Virtual School head; where a child
has no team manager, or the authority no head, the admins hear of it as well, so that nothing
is lost. A team manager hears only of their team's children."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import Child, RoleGrant, User
from portal.operations.demo_seed import SOCIAL_WORKER_CASELOAD
from portal.operations.reminders import send_reminders
from portal.timeliness.reminders import pep_deadline_reminders
from tests.conftest import DEMO_EMAILS
from workflows.roles import Role

JAYDEN = "DCC-1501"  # in care since October, no PEP: his care plan's deadline is escalated
ESCALATED = "Escalated, overdue since"


def run(app: Flask) -> None:
    with app.app_context():
        send_reminders(db.session, app.config, sources=[pep_deadline_reminders])


def escalations_about(mail, reference: str) -> dict[str, list[str]]:
    """Who received an escalation about this child: each recipient's subjects."""
    received: dict[str, list[str]] = {}
    for message in mail.received():
        if reference in message.text and message.subject.strip().startswith(ESCALATED):
            for recipient in message.recipients:
                received.setdefault(recipient, []).append(message.subject.strip())
    return received


def take_away(app: Flask, role: Role, reference: str | None = None) -> None:
    with app.app_context():
        query = delete(RoleGrant).where(RoleGrant.role == role.value)
        if reference is not None:
            child_id = db.session.scalar(
                select(Child.id).where(Child.authority_reference == reference)
            )
            query = query.where(RoleGrant.child_id == child_id)
        db.session.execute(query)
        db.session.commit()


def test_escalations_go_to_the_team_manager_and_the_head(mail, seeded):
    run(seeded)
    escalated = escalations_about(mail, JAYDEN)
    assert set(escalated) == {DEMO_EMAILS["team_manager"], DEMO_EMAILS["vs_head"]}
    assert any("care plan" in subject for subject in escalated[DEMO_EMAILS["vs_head"]])


def test_a_child_with_no_team_manager_is_escalated_to_the_admins_as_well(mail, seeded):
    take_away(seeded, Role.SW_TEAM_MANAGER, JAYDEN)
    run(seeded)
    escalated = escalations_about(mail, JAYDEN)
    assert set(escalated) == {DEMO_EMAILS["vs_head"], DEMO_EMAILS["admin"]}


def test_an_authority_with_no_head_escalates_to_the_admins_as_well(mail, seeded):
    take_away(seeded, Role.VS_HEAD)
    run(seeded)
    escalated = escalations_about(mail, JAYDEN)
    assert set(escalated) == {DEMO_EMAILS["team_manager"], DEMO_EMAILS["admin"]}


def test_a_head_whose_account_is_switched_off_is_as_good_as_none(mail, seeded):
    with seeded.app_context():
        head = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["vs_head"]))
        head.active = False
        db.session.commit()
    run(seeded)
    escalated = escalations_about(mail, JAYDEN)
    assert set(escalated) == {DEMO_EMAILS["team_manager"], DEMO_EMAILS["admin"]}


def test_a_team_manager_hears_only_of_escalations_about_their_teams_children(mail, seeded):
    run(seeded)
    to_manager = [m for m in mail.received() if DEMO_EMAILS["team_manager"] in m.recipients]
    assert to_manager
    for message in to_manager:
        # Escalations only: the reminders before that are for the people doing the work.
        assert message.subject.strip().startswith(ESCALATED), message.subject
        reference = re.search(r"the child with reference (DCC-\d+)", message.text)
        assert reference and reference.group(1) in SOCIAL_WORKER_CASELOAD
    # The head hears of every child's escalation and nothing before it.
    to_head = [m for m in mail.received() if DEMO_EMAILS["vs_head"] in m.recipients]
    assert to_head and all(m.subject.strip().startswith(ESCALATED) for m in to_head)
