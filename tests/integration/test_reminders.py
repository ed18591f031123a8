"""`flask --app portal send-reminders` through a real SMTP server on 127.0.0.1: each reminder is
sent once however often the command runs, even two copies at the same moment; a failed
delivery is recorded and sent by the next run."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import case, func, select, update

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Child,
    ContributionInvite,
    Email,
    EmailStatus,
    Pep,
    RoleGrant,
    User,
)
from portal.models.base import utc_now
from portal.operations.audit import Actor
from portal.operations.emails import (
    GIVE_UP_AFTER,
    STALE_CLAIM,
    EmailContent,
    deliver_emails,
    queue_email,
)
from portal.operations.reminders import (
    REMINDER_SOURCES,
    invites_expiring_tomorrow,
    peps_waiting_too_long,
    send_reminders,
    weekly_summaries,
)
from portal.presentation import UK
from tests.conftest import DEMO_EMAILS
from tests.integration.pep_helpers import invite_token, open_pep_id
from tests.integration.smtp import BASE_URL
from tests.integration.test_emails import let_retry_delays_pass
from workflows.calendar import SchoolCalendar
from workflows.pep import PepState
from workflows.roles import Role
from workflows.timeliness import load_rules

SUBMITTED = "DCC-1102"  # Oliver: submitted, waiting for the demo social worker's approval
APPROVED = "DCC-1104"  # Jacob: approved, waiting for quality assurance
DRAFT = "DCC-1106"  # Harry: a draft, whose carer's link can be made
ADVISER = "vs.adviser@demo.openpep.test"  # a Virtual School adviser who does not review


def run_command(app):
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    return result.output


def subjects_to(sink, address):
    return [m.subject for m in sink.received() if address in m.recipients]


def make_wait(app, reference, days, *, changed_days_ago=None):
    """The PEP reached its state `days` calendar days ago (a submitted PEP was submitted then,
    an approved one approved then) and last changed then too, or `changed_days_ago` days ago
    when given."""
    pep_id = open_pep_id(app, reference)
    reached = utc_now() - timedelta(days=days)
    changed = reached if changed_days_ago is None else utc_now() - timedelta(days=changed_days_ago)
    with app.app_context():
        db.session.execute(
            update(Pep)
            .where(Pep.id == pep_id)
            .values(
                updated_at_utc=changed,
                approved_at_utc=case(
                    (Pep.state == PepState.APPROVED.value, reached), else_=Pep.approved_at_utc
                ),
                submitted_at_utc=case(
                    (Pep.state == PepState.SUBMITTED.value, reached), else_=Pep.submitted_at_utc
                ),
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return pep_id


def expire_invite_tomorrow(app, pep_id):
    invite_token(app, pep_id, "carers_views")
    tomorrow_noon = datetime.combine(
        utc_now().astimezone(UK).date() + timedelta(days=1), time(12, 0), tzinfo=UK
    )
    with app.app_context():
        invite_id = db.session.scalar(
            select(ContributionInvite.id).where(ContributionInvite.pep_id == pep_id)
        )
        db.session.execute(
            update(ContributionInvite)
            .where(ContributionInvite.id == invite_id)
            .values(expires_at_utc=tomorrow_noon)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return invite_id


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The subjects of this module's reminders (other sources, due and overdue PEPs, add their own).
OUR_SUBJECTS = {
    "A contribution link you made expires tomorrow",
    "A PEP has been waiting for your approval for over a week",
    "A PEP has been waiting for quality assurance for over a week",
    "Your PEP tasks this week",
}


def times_each_email_arrived(received) -> Counter:
    """Each recorded email's id (carried in its Message-ID) -> how many times it arrived."""
    return Counter(UUID.search(str(m.message["Message-ID"])).group(0) for m in received)


def test_the_reminder_sources_are_a_list_others_can_extend():
    ours = [invites_expiring_tomorrow, peps_waiting_too_long, weekly_summaries]
    assert [source for source in REMINDER_SOURCES if source in ours] == ours


def test_running_twice_sends_nothing_twice(mail, seeded):
    waiting_id = make_wait(seeded, SUBMITTED, days=14)
    reviewing_id = make_wait(seeded, APPROVED, days=14)
    draft_id = open_pep_id(seeded, DRAFT)
    expire_invite_tomorrow(seeded, draft_id)

    first = run_command(seeded)
    assert "Recorded" in first and "Sent" in first
    received = mail.received()
    assert received, first
    # Each email once; each of this module's reminders once, with a subject free of personal
    # detail and a link to act on.
    assert set(times_each_email_arrived(received).values()) == {1}
    ours = [(m.recipients, m.subject) for m in received if m.subject in OUR_SUBJECTS]
    assert len(set(ours)) == len(ours)
    for message in received:
        assert re.search(rf"{re.escape(BASE_URL)}/\S+", message.text), message.text
        for name in ("Oliver", "Jacob", "Harry", "Brown", "Evans", "Wilson"):
            assert name not in message.subject

    social_worker = subjects_to(mail, DEMO_EMAILS["social_worker"])
    assert "A PEP has been waiting for your approval for over a week" in social_worker
    reviewer = subjects_to(mail, DEMO_EMAILS["reviewer"])
    assert "A PEP has been waiting for quality assurance for over a week" in reviewer
    # The invite was made by the admin (for the designated teacher): the admin hears.
    assert "A contribution link you made expires tomorrow" in subjects_to(
        mail, DEMO_EMAILS["admin"]
    )
    expiring = next(m for m in received if m.subject.endswith("expires tomorrow"))
    assert f"{BASE_URL}/peps/{draft_id}/contributions" in expiring.text
    assert "Your PEP tasks this week" in subjects_to(mail, DEMO_EMAILS["dt_oakfield"])
    approval = next(
        m for m in received if m.subject.startswith("A PEP has been waiting for your approval")
    )
    assert f"{BASE_URL}/peps/{waiting_id}" in approval.text
    review = next(m for m in received if "quality assurance for over" in m.subject)
    assert f"{BASE_URL}/peps/{reviewing_id}/quality-assurance" in review.text

    second = run_command(seeded)
    assert "Recorded 0 new reminders" in second and "Sent 0 emails" in second
    assert len(mail.received()) == len(received)
    with seeded.app_context():
        kinds = dict(
            db.session.execute(
                select(Email.kind, func.count())
                .where(Email.status == EmailStatus.SENT.value)
                .group_by(Email.kind)
            ).all()
        )
    assert kinds["invite_expiring"] == 1
    assert kinds["pep_waiting_too_long"] == 2  # the social worker, and the one reviewer
    assert sum(kinds.values()) == len(received)


def test_a_pep_waits_for_quality_assurance_from_its_approval_not_its_last_change(mail, seeded):
    """A reviewer's notes saved since the approval change the PEP: the wait goes on, and is
    chased once, whatever is saved between runs."""
    reviewing_id = make_wait(seeded, APPROVED, days=14, changed_days_ago=1)
    run_command(seeded)
    chased = [m for m in mail.received() if "quality assurance for over" in m.subject]
    assert len(chased) == 1
    approved_on = (utc_now() - timedelta(days=14)).astimezone(UK).date()
    assert f"since {approved_on.day} {approved_on:%B %Y}" in chased[0].text

    # More notes saved (the PEP's version moves on): the same wait, not a new reminder.
    with seeded.app_context():
        pep = db.session.get(Pep, reviewing_id)
        pep.updated_at_utc = utc_now()
        db.session.commit()
    second = run_command(seeded)
    assert "Recorded 0 new reminders" in second
    assert len([m for m in mail.received() if "quality assurance for over" in m.subject]) == 1


def test_a_pep_waits_for_approval_from_its_submission_not_its_last_change(mail, seeded):
    """The carer's views saved since the submission change the PEP: the social worker is still
    chased, once, from the submission."""
    waiting_id = make_wait(seeded, SUBMITTED, days=14, changed_days_ago=1)
    run_command(seeded)
    chased = [m for m in mail.received() if "waiting for your approval" in m.subject]
    assert [m.recipients for m in chased] == [(DEMO_EMAILS["social_worker"],)]
    submitted_on = (utc_now() - timedelta(days=14)).astimezone(UK).date()
    assert f"since {submitted_on.day} {submitted_on:%B %Y}" in chased[0].text
    assert f"/peps/{waiting_id}" in chased[0].text

    with seeded.app_context():
        db.session.get(Pep, waiting_id).updated_at_utc = utc_now()
        db.session.commit()
    assert "Recorded 0 new reminders" in run_command(seeded)


def test_a_submission_records_when_it_was_made(client_for, seeded):
    """The social worker's queue and the reminder wait from it: set by the submission itself."""
    with seeded.app_context():
        pep = db.session.get(Pep, open_pep_id(seeded, SUBMITTED))
        assert pep.submitted_at_utc is not None
        assert pep.submitted_at_utc <= pep.updated_at_utc


def test_a_pep_approved_before_approval_times_were_kept_waits_from_its_last_change(mail, seeded):
    with seeded.app_context():
        db.session.execute(
            update(Pep)
            .where(Pep.id == open_pep_id(seeded, APPROVED))
            .values(approved_at_utc=None, updated_at_utc=utc_now() - timedelta(days=14))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    run_command(seeded)
    chased = [m for m in mail.received() if "quality assurance for over" in m.subject]
    reviewing_id = open_pep_id(seeded, APPROVED)
    assert [m for m in chased if f"/peps/{reviewing_id}/quality-assurance" in m.text]


def test_a_pep_that_has_waited_five_working_days_or_fewer_is_not_chased(mail, seeded):
    make_wait(seeded, SUBMITTED, days=1)
    run_command(seeded)
    assert not [m for m in mail.received() if "over a week" in m.subject]


def days_ago_for_working_days(working_days: int) -> int:
    """How many calendar days ago a wait began that has lasted `working_days` working days by
    today (weekends and England's bank holidays are not counted)."""
    calendar, today = SchoolCalendar(()), utc_now().astimezone(UK).date()
    days = 0
    while calendar.working_days_between(today - timedelta(days=days), today) < working_days:
        days += 1
    return days


def with_reminder_rules(app, monkeypatch, **reminders: int) -> None:
    """The authority's rules file, with these reminder rules changed, for this test only."""
    rules = load_rules()
    monkeypatch.setitem(
        app.config,
        "TIMELINESS_RULES",
        dataclasses.replace(rules, reminders=dataclasses.replace(rules.reminders, **reminders)),
    )


@pytest.mark.parametrize(("allowed", "chased"), [(2, True), (5, False)])
def test_the_wait_allowed_is_the_authoritys_rule(mail, seeded, monkeypatch, allowed, chased):
    """Three working days of waiting: chased where the rules file allows 2, not where it
    allows the default 5. The subject says how long the rule allows."""
    with_reminder_rules(seeded, monkeypatch, waiting_for_approval_working_days=allowed)
    make_wait(seeded, SUBMITTED, days=days_ago_for_working_days(3))
    run_command(seeded)
    subjects = subjects_to(mail, DEMO_EMAILS["social_worker"])
    expected = "A PEP has been waiting for your approval for more than 2 working days"
    assert (expected in subjects) is chased, subjects
    assert not [s for s in subjects if "over a week" in s]


def grant_adviser(app, email: str, reference: str) -> None:
    with app.app_context():
        db.session.add(
            RoleGrant(
                user_id=db.session.scalar(select(User.id).where(User.email == email)),
                role=Role.VS_ADVISER.value,
                child_id=db.session.scalar(
                    select(Child.id).where(Child.authority_reference == reference)
                ),
            )
        )
        db.session.commit()


def chased_for_quality_assurance(mail) -> set[str]:
    return {
        address
        for m in mail.received()
        if "quality assurance for over" in m.subject
        for address in m.recipients
    }


def test_quality_assurance_is_chased_with_a_reviewer_as_well_as_the_childs_adviser(mail, seeded):
    """The demo adviser may not sign off: the reviewers hear too, else nobody who can act would."""
    grant_adviser(seeded, ADVISER, APPROVED)
    make_wait(seeded, APPROVED, days=14)
    run_command(seeded)
    assert chased_for_quality_assurance(mail) == {
        ADVISER,
        DEMO_EMAILS["reviewer"],
    }
    to_adviser = next(m for m in mail.received() if ADVISER in m.recipients)
    assert "/quality-assurance" not in to_adviser.text  # they may only open the PEP
    assert "reviewers have been asked to check it" in to_adviser.text
    assert "rate it" not in to_adviser.text
    to_reviewer = next(m for m in mail.received() if DEMO_EMAILS["reviewer"] in m.recipients)
    assert "Check it, rate it, then sign it off" in to_reviewer.text
    # The PEP named as written: its reference in capitals, as held.
    assert f"PEP for the child with reference {APPROVED} has been waiting" in to_reviewer.text


def test_quality_assurance_is_chased_with_the_childs_adviser_alone_when_they_review(mail, seeded):
    with seeded.app_context():
        reviewers = db.session.scalars(
            select(User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.REVIEWER.value)
        ).all()
    assert reviewers == [DEMO_EMAILS["reviewer"]]
    grant_adviser(seeded, ADVISER, APPROVED)
    grant_adviser(seeded, DEMO_EMAILS["reviewer"], APPROVED)
    make_wait(seeded, APPROVED, days=14)
    run_command(seeded)
    assert chased_for_quality_assurance(mail) == {DEMO_EMAILS["reviewer"]}


def test_two_copies_at_the_same_moment_send_each_reminder_once(mail, seeded):
    make_wait(seeded, SUBMITTED, days=14)
    make_wait(seeded, APPROVED, days=14)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def one_copy() -> None:
        try:
            with seeded.app_context():
                start.wait(timeout=10)
                send_reminders(db.session, seeded.config)
                db.session.remove()
        except BaseException as error:  # the test reports it below
            errors.append(error)

    copies = [threading.Thread(target=one_copy) for _ in range(2)]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join(timeout=120)
    assert errors == []
    received = mail.received()
    assert received and set(times_each_email_arrived(received).values()) == {1}
    ours = Counter((m.recipients, m.subject) for m in received if m.subject in OUR_SUBJECTS)
    assert ours and max(ours.values()) == 1, ours
    with seeded.app_context():
        sent = db.session.scalar(
            select(func.count()).select_from(Email).where(Email.status == EmailStatus.SENT.value)
        )
        assert sent == len(received)
        assert db.session.scalar(select(func.max(Email.attempts))) == 1


def test_a_failed_reminder_is_recorded_then_sent_by_the_next_run(mail, seeded):
    make_wait(seeded, SUBMITTED, days=14)
    mail.refusing = True
    output = run_command(seeded)
    assert "could not be delivered" in output
    assert mail.received() == []
    with seeded.app_context():
        failed = db.session.scalars(
            select(Email).where(Email.status == EmailStatus.FAILED.value)
        ).all()
        assert failed and all("554" in email.last_error for email in failed)
        failed_count = len(failed)

    mail.refusing = False
    run_command(seeded)
    assert mail.received() == []  # each failed email waits out its back-off first
    let_retry_delays_pass(seeded)
    run_command(seeded)
    assert len(mail.received()) == failed_count
    with seeded.app_context():
        assert not db.session.scalar(
            select(func.count()).select_from(Email).where(Email.status == "failed")
        )
    run_command(seeded)
    assert len(mail.received()) == failed_count


def test_without_a_mail_server_reminders_are_recorded_and_readable(seeded, client_for):
    make_wait(seeded, SUBMITTED, days=14)
    output = run_command(seeded)
    assert "Email is not set up" in output
    page = client_for("social_worker").get("/messages").get_data(as_text=True)
    assert "A PEP has been waiting for your approval for over a week" in page
    assert "Not sent: email is not set up" in page


def test_a_stale_claim_counts_as_an_attempt_and_old_failures_are_given_up(mail, seeded):
    now = utc_now()
    stale = now - STALE_CLAIM - timedelta(minutes=1)
    two_days_ago = now - GIVE_UP_AFTER - timedelta(minutes=1)
    # subject: (status, claimed at, attempts, written at, next attempt at)
    states = {
        "stale claim": (EmailStatus.SENDING, stale, 1, now, None),
        "stale claim, two days old": (EmailStatus.SENDING, stale, 9, two_days_ago, None),
        "fresh claim": (EmailStatus.SENDING, now - timedelta(minutes=1), 1, now, None),
        "gave up": (EmailStatus.GAVE_UP, None, 12, two_days_ago, None),
        "failed once": (EmailStatus.FAILED, None, 1, now, now - timedelta(seconds=1)),
        "failed, waiting": (EmailStatus.FAILED, None, 1, now, now + timedelta(minutes=4)),
    }
    ids = {}
    with seeded.app_context():
        teacher = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["dt_oakfield"]))
        for subject, (status, claimed_at, attempts, written, next_at) in states.items():
            ids[subject] = queue_email(
                db.session,
                Actor.system("test"),
                recipient=teacher,
                kind="test",
                content=EmailContent(subject, ("Hello.",), "Open", BASE_URL + "/"),
                key=f"test:{subject}",
                settings=seeded.config,
                deliver_after_commit=False,
            )
            db.session.execute(
                update(Email)
                .where(Email.id == ids[subject])
                .values(
                    status=status.value,
                    claimed_at_utc=claimed_at,
                    attempts=attempts,
                    created_at_utc=written,
                    next_attempt_at_utc=next_at,
                )
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    with seeded.app_context():
        deliver_emails(db.session, seeded.config)
    assert sorted(m.subject for m in mail.received()) == ["failed once", "stale claim"]
    with seeded.app_context():
        taken_over = db.session.get(Email, ids["stale claim"])
        # The stopped sender's claim was an attempt, and so was the one that sent it.
        assert (taken_over.status, taken_over.attempts) == (EmailStatus.SENT.value, 2)
        old = db.session.get(Email, ids["stale claim, two days old"])
        assert old.status == EmailStatus.GAVE_UP.value
        assert old.last_error.startswith(
            "Gave up after 9 attempts over 47 hours."
        )  # from the claim
        assert "sender stopped" in old.last_error
        gave_up = db.session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.action == "email.gave_up")
        ).all()
        assert gave_up == [str(ids["stale claim, two days old"])]
        waiting = db.session.get(Email, ids["failed, waiting"])
        assert (waiting.status, waiting.attempts) == (EmailStatus.FAILED.value, 1)
    # Another run a moment later claims nothing more: the fresh claim is still its sender's.
    with seeded.app_context():
        report = deliver_emails(db.session, seeded.config)
    assert (report.sent, report.failed, report.gave_up) == (0, 0, 0)


@pytest.mark.parametrize(
    ("state", "left_care", "reminded"),
    [
        (PepState.DRAFT, False, True),
        (PepState.RETURNED, False, True),
        (PepState.SUBMITTED, False, False),
        (PepState.APPROVED, False, False),
        (PepState.SIGNED_OFF, False, False),
        (PepState.CANCELLED, False, False),
        (PepState.SUPERSEDED, False, False),
        (PepState.DRAFT, True, False),
    ],
)
def test_no_expiry_reminder_for_a_link_that_can_no_longer_be_used(
    seeded, state, left_care, reminded
):
    """A link on a PEP its holder can no longer write in (submitted, approved, signed off,
    cancelled, superseded), or for a child who has left care, is not worth a new one."""
    pep_id = open_pep_id(seeded, DRAFT)
    invite_id = expire_invite_tomorrow(seeded, pep_id)
    with seeded.app_context():
        db.session.execute(update(Pep).where(Pep.id == pep_id).values(state=state.value))
        if left_care:
            db.session.execute(
                update(Child)
                .where(Child.authority_reference == DRAFT)
                .values(date_left_care=utc_now().date())
            )
        db.session.commit()
        reminders = list(invites_expiring_tomorrow(db.session, seeded.config, utc_now()))
    assert [reminder.key for reminder in reminders if str(invite_id) in reminder.key] == (
        [f"invite-expiring:{invite_id}"] if reminded else []
    )
