"""Reminders of PEP deadlines through a real SMTP server on 127.0.0.1: due soon to the designated
teacher and social worker, overdue to the adviser too, escalated to the child's social work team
manager and the Virtual School head (or the admins, where either is missing: see
test_escalation_of_overdue_peps.py);
each once (a second run sends nothing), no child's name in a subject, a link to the deadlines."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import Child, Pep, RoleGrant, TimelinessObligation, User
from portal.models.base import utc_now
from portal.operations.demo_seed import CHILDREN
from portal.operations.reminders import REMINDER_SOURCES, send_reminders
from portal.presentation import UK
from portal.timeliness.reminders import DUE_SOON, ESCALATED, pep_deadline_reminders
from tests.conftest import DEMO_EMAILS
from tests.integration.pep_helpers import open_pep_id
from tests.integration.smtp import BASE_URL
from tests.integration.test_reminders import ADVISER, grant_adviser, with_reminder_rules
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
        # No personal detail in a subject: not even the child's reference, which is in the body.
        assert not re.search(r"DCC-\d+", message.subject), message.subject
        assert re.search(r"the child with reference DCC-\d+", message.text), message.text
        assert re.search(rf"{re.escape(BASE_URL)}/children/\S+#timeliness", message.text)

    # A long subject is folded onto a second header line, which leaves a leading space.
    about_jayden = [m for m in received if JAYDEN in m.text]
    link = f"{BASE_URL}/children/{jayden_id}#timeliness"
    assert all(link in m.text for m in about_jayden)
    # In care since October with no PEP: overdue to the adviser (who acts as his designated
    # teacher, with no school place), and the care plan, missed weeks ago, escalated.
    to_adviser = [m.subject.strip() for m in about_jayden if adviser in m.recipients]
    assert any(s.startswith("Overdue since") and "initial PEP" in s for s in to_adviser)
    # Escalated to his social worker's team manager and the Virtual School head; the admins
    # are not needed when both are there.
    for who in ("team_manager", "vs_head"):
        to_them = [m.subject.strip() for m in about_jayden if DEMO_EMAILS[who] in m.recipients]
        assert any(s.startswith("Escalated, overdue since") and "care plan" in s for s in to_them)
        assert not [s for s in to_them if not s.startswith("Escalated")]
    assert not [m for m in about_jayden if DEMO_EMAILS["admin"] in m.recipients]
    # The school's designated teachers hear nothing of a child not at their school.
    assert not [m for m in about_jayden if DEMO_EMAILS["dt_oakfield"] in m.recipients]

    second = run(seeded)
    assert sum(second.recorded.values()) == 0
    assert second.already_recorded == sum(first.recorded.values())
    assert len(mail.received()) == len(received)


SUBMITTED = "DCC-1102"  # Oliver: submitted, waiting for the demo social worker's approval
APPROVED = "DCC-1104"  # Jacob: approved, waiting for quality assurance


def sign_off_due_in_5_days(app, reference, rule="sign_off", what="The PEP signed off"):
    """The PEP's meeting has happened: its sign-off deadline's 5-day reminder falls today (or
    another rule's deadline for the same child)."""
    pep_id = open_pep_id(app, reference)
    with app.app_context():
        pep = db.session.get(Pep, pep_id)
        today = utc_now().astimezone(UK).date()
        db.session.execute(
            delete(TimelinessObligation).where(TimelinessObligation.child_id == pep.child_id)
        )
        db.session.add(
            TimelinessObligation(
                id=uuid.uuid4(),
                child_id=pep.child_id,
                key=f"{rule}:{pep.id}",
                rule=rule,
                statutory=False,
                pep_type=pep.pep_type,
                what=what,
                why="PEP meeting: signed off within 10 working days",
                due_on=today + timedelta(days=7),
                due_from=today - timedelta(days=7),
                status="due",
                reminders={"due_in_5": today.isoformat()},
                evaluated_on=today,
                refreshed_at_utc=utc_now(),
            )
        )
        db.session.commit()
    return pep_id


def termly_obligation(app, reference, *, due_in_days, status, reminders):
    """The child's only obligation: the autumn term's PEP, due `due_in_days` from today (before
    today when negative), with its reminder days stored as a refresh would."""
    with app.app_context():
        child_id = db.session.scalar(select(Child.id).where(Child.authority_reference == reference))
        today = utc_now().astimezone(UK).date()
        db.session.execute(
            delete(TimelinessObligation).where(TimelinessObligation.child_id == child_id)
        )
        db.session.add(
            TimelinessObligation(
                id=uuid.uuid4(),
                child_id=child_id,
                key="termly_pep:2026:autumn",
                rule="termly_pep",
                statutory=False,
                pep_type="termly",
                what="A signed-off PEP for the autumn term",
                why="A PEP every term",
                academic_year=2026,
                term="autumn",
                due_on=today + timedelta(days=due_in_days),
                due_from=today + timedelta(days=due_in_days - 60),
                status=status,
                reminders={kind: (today + timedelta(days=d)).isoformat() for kind, d in reminders},
                evaluated_on=today,
                refreshed_at_utc=utc_now(),
            )
        )
        db.session.commit()


def reminders_about(app, reference):
    with app.app_context():
        return [
            reminder.kind
            for reminder in pep_deadline_reminders(db.session, app.config, utc_now())
            if reference in reminder.content.paragraphs[0]
        ]


def test_an_escalation_the_authority_sets_later_is_still_sent(seeded, monkeypatch):
    """An authority that escalates after 25 working days: the escalation falls 35 or more days
    after the due date, and is sent on its day."""
    with_reminder_rules(seeded, monkeypatch, escalate_overdue_after_working_days=25)
    termly_obligation(
        seeded,
        SUBMITTED,
        due_in_days=-35,
        status="overdue",
        reminders=[("overdue", -34), ("escalation", 0)],
    )
    assert reminders_about(seeded, SUBMITTED) == [ESCALATED] * 2  # the manager and the head


def test_a_first_reminder_before_the_summer_holiday_is_sent_on_its_day(seeded):
    """A PEP due early in the autumn term: 15 school days before it fall in July, more than
    nine weeks before the due date."""
    termly_obligation(
        seeded,
        SUBMITTED,
        due_in_days=62,
        status="not_yet_due",
        reminders=[("due_in_15", 0), ("due_in_5", 55)],
    )
    kinds = reminders_about(seeded, SUBMITTED)
    assert kinds and set(kinds) == {DUE_SOON}


def sign_off_messages(mail, reference):
    return [m for m in mail.received() if "the PEP signed off" in m.subject and reference in m.text]


def test_a_sign_off_deadline_goes_to_whoever_the_pep_is_waiting_for(mail, seeded):
    grant_adviser(seeded, ADVISER, APPROVED)  # an adviser who does not review
    sign_off_due_in_5_days(seeded, SUBMITTED)
    sign_off_due_in_5_days(seeded, APPROVED)
    run(seeded)
    submitted = sign_off_messages(mail, SUBMITTED)
    assert [m.recipients for m in submitted] == [(DEMO_EMAILS["social_worker"],)]
    assert "waiting for your approval" in submitted[0].text
    assert "Arrange the PEP meeting" not in submitted[0].text
    approved = sign_off_messages(mail, APPROVED)
    with seeded.app_context():
        child_id = db.session.scalar(select(Child.id).where(Child.authority_reference == APPROVED))
        adviser = db.session.scalar(
            select(User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.child_id == child_id, RoleGrant.role == Role.VS_ADVISER.value)
        )
        reviewers = set(
            db.session.scalars(
                select(User.email)
                .join(RoleGrant, RoleGrant.user_id == User.id)
                .where(RoleGrant.role == Role.REVIEWER.value, RoleGrant.child_id.is_(None))
            )
        )
    # Only a reviewer may sign off: the reviewers hear, with the child's adviser (who does not
    # review in the demo) told as well.
    assert adviser and adviser not in reviewers
    expected = reviewers | {adviser}
    assert {r for m in approved for r in m.recipients} == expected
    # Each is told what is theirs to do: the adviser may not sign off, so is not asked to.
    for message in approved:
        if adviser in message.recipients:
            assert "reviewers have been asked to check it and sign it off" in message.text
            assert "check it, then sign it off" not in message.text
        else:
            assert "check it, then sign it off" in message.text
    assert all("waiting for quality assurance" in m.text for m in approved)
    assert all(m.subject.strip().startswith("Due by") for m in [*submitted, *approved])


def test_a_care_plan_reminder_asks_for_the_pep_to_be_started_not_a_meeting_alone(mail, seeded):
    sign_off_due_in_5_days(seeded, SUBMITTED, "care_plan", "The care plan, with the PEP started")
    run(seeded)
    messages = [m for m in mail.received() if "care plan" in m.subject and SUBMITTED in m.text]
    assert messages
    assert all("start the PEP now if it is not started" in m.text for m in messages)
    assert all(not re.search(r"DCC-\d+", m.subject) for m in messages)
