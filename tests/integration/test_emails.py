"""Emails when something happens to a PEP, through a real SMTP server on 127.0.0.1: the right
people, a subject with no personal detail, a link to act on; recorded once, in the action's own
transaction; a failed delivery recorded and sent again later; each person reads only their own."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import lxml.html
from sqlalchemy import func, select, update

from devtools.smtp_sink import ReceivedMessage, SmtpSink
from portal.extensions import db
from portal.models import AuditEvent, Child, Email, EmailStatus, Pep, RoleGrant, Term, User
from portal.models.base import utc_now
from portal.operations.audit import Actor
from portal.operations.emails import wait_for_background_emails
from portal.operations.peps import start_pep
from portal.peps.permissions import recorded_term_end, term_ends_on
from tests.conftest import DEMO_EMAILS, csrf_token_from
from tests.integration.pep_helpers import open_pep_id
from tests.integration.smtp import BASE_URL, send_email_through
from tests.integration.sql_statements import statements_sent
from workflows.quality import load_qa_criteria
from workflows.roles import Role

SUBMITTED = "DCC-1102"  # Oliver Brown: Oakfield, the demo social worker and carer
NO_OPEN_PEP = "DCC-1105"  # Sophie Nowak: this term's PEP is signed off
DT = DEMO_EMAILS["dt_oakfield"]
SW = DEMO_EMAILS["social_worker"]
CARER = DEMO_EMAILS["carer"]
REVIEWER = DEMO_EMAILS["reviewer"]


def approval_email(pep_id):
    """The test's approval email (the demo seed recorded none for this PEP)."""
    return select(Email).where(Email.pep_id == pep_id, Email.kind == "pep_approved")


def post_event(client, pep_id, event, reason=None):
    data = {"csrf_token": csrf_token_from(client, f"/peps/{pep_id}")}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"/peps/{pep_id}/events/{event}", data=data)


def sign_off(client, pep_id):
    data = {
        "csrf_token": csrf_token_from(client, f"/peps/{pep_id}/quality-assurance"),
        "decision": "signed_off",
        "feedback": "A strong plan.",
        "rating": "green",
    }
    for criterion in load_qa_criteria().criteria:
        data[f"judgement-{criterion.key}"] = "met"
    return client.post(f"/peps/{pep_id}/quality-assurance", data=data)


def child_names(app, reference):
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == reference))
        return child.first_name, child.last_name


def new_messages(app, sink: SmtpSink, before: int, count: int) -> list[ReceivedMessage]:
    """The messages the action sent, once its background sender has finished."""
    assert wait_for_background_emails(app, timeout=30)
    messages = sink.wait_for(before + count)[before:]
    assert len(messages) == count, [(m.recipients, m.subject) for m in messages]
    return messages


def let_retry_delays_pass(app) -> None:
    """Move every failed email's next attempt to now, as if its back-off had passed."""
    with app.app_context():
        db.session.execute(
            update(Email)
            .where(Email.status == EmailStatus.FAILED.value)
            .values(next_attempt_at_utc=utc_now() - timedelta(seconds=1))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def assert_good_email(message: ReceivedMessage, names: tuple[str, ...], path: str) -> None:
    """No personal detail in the subject, a plain-text body saying what to do with a link."""
    for name in names:
        assert name.lower() not in message.subject.lower()
    assert message.message["From"].addresses[0].addr_spec == "virtual.school@testshire.example"
    links = re.findall(r"https?://\S+", message.text)
    assert f"{BASE_URL}{path}" in links, message.text
    assert message.html and f'href="{BASE_URL}{path}"' in message.html


def test_each_step_of_sign_off_emails_whoever_acts_next(mail, seeded, client_for):
    pep_id = open_pep_id(seeded, SUBMITTED)
    names = child_names(seeded, SUBMITTED)
    social_worker, teacher = client_for("social_worker"), client_for("dt_oakfield")

    reason = "Please add the new school's URN to the education section."
    assert post_event(social_worker, pep_id, "returned", reason).status_code == 303
    (returned,) = new_messages(seeded, mail, 0, 1)
    assert returned.recipients == (DT,)
    assert returned.subject == "A PEP has been returned to you"
    assert reason in returned.text  # the reason, as written
    assert "DCC-1102" in returned.text
    assert_good_email(returned, names, f"/peps/{pep_id}")

    assert post_event(teacher, pep_id, "resubmitted").status_code == 303
    (resubmitted,) = new_messages(seeded, mail, 1, 1)
    assert resubmitted.recipients == (SW,)
    assert resubmitted.subject == "A PEP is waiting for your approval"
    assert_good_email(resubmitted, names, f"/peps/{pep_id}")

    assert post_event(social_worker, pep_id, "approved").status_code == 303
    (approved,) = new_messages(seeded, mail, 2, 1)  # the child has no Virtual School adviser
    assert approved.recipients == (REVIEWER,)
    assert approved.subject == "A PEP is ready for quality assurance"
    assert_good_email(approved, names, f"/peps/{pep_id}/quality-assurance")

    assert sign_off(client_for("reviewer"), pep_id).status_code == 303
    signed_off = new_messages(seeded, mail, 3, 2)
    assert sorted(m.recipients for m in signed_off) == [(DT,), (SW,)]
    for message in signed_off:
        assert message.subject == "A PEP has been signed off"
        assert_good_email(message, names, f"/peps/{pep_id}")

    with seeded.app_context():
        emails = db.session.scalars(
            select(Email).where(Email.pep_id == pep_id, Email.status != "not_sent")
        ).all()  # the demo seed's emails were recorded while email was not set up
        assert len(emails) == 5
        assert {email.status for email in emails} == {EmailStatus.SENT.value}
        assert all(email.sent_at_utc and email.attempts == 1 for email in emails)
        sent = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "email.sent",
                AuditEvent.object_id.in_([str(email.id) for email in emails]),
            )
        )
        assert sent == 5


def admin_starts_sophies_spring_pep() -> uuid.UUID:
    """Inside an app context: the admin starts a spring 2026 PEP for Sophie."""
    child = db.session.scalar(select(Child).where(Child.authority_reference == NO_OPEN_PEP))
    admin = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["admin"]))
    pep = start_pep(
        db.session, Actor.for_user(admin, None), child, frozenset({Role.ADMIN}), 2026, Term.SPRING
    )
    return pep.id


def test_a_new_pep_tells_each_person_with_sections_that_they_are_waiting(mail, seeded):
    names = child_names(seeded, NO_OPEN_PEP)
    with seeded.app_context():
        pep_id = admin_starts_sophies_spring_pep()
    messages = new_messages(seeded, mail, 0, 2)
    assert sorted(m.recipients for m in messages) == [(DT,), (SW,)]  # Sophie has no carer login
    for message in messages:
        assert message.subject == "A PEP section is waiting for you"
        assert_good_email(message, names, f"/peps/{pep_id}")
        # The PEP named as people write it: the child's reference in capitals, as held.
        assert f"The Spring 2026/27 PEP for the child with reference {NO_OPEN_PEP} has" in (
            message.text
        )


def started_with_a_carer_placed_from(app, days_after_the_terms_end: int) -> uuid.UUID:
    """Start a spring 2026 PEP for Sophie, whose placement with the demo carer begins the
    given number of days after that term's last day (negative: before it ends): the last day
    by the term dates her school follows, where recorded."""
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == NO_OPEN_PEP))
        carer = db.session.scalar(select(User).where(User.email == CARER))
        last_day = recorded_term_end(child.id, 2026, Term.SPRING) or term_ends_on(2026, Term.SPRING)
        db.session.add(
            RoleGrant(
                user=carer,
                role=Role.CARER.value,
                child=child,
                starts_on=last_day + timedelta(days=days_after_the_terms_end),
            )
        )
        db.session.commit()
        return admin_starts_sophies_spring_pep()


def test_a_carer_placed_after_the_peps_term_is_not_emailed_about_it(mail, seeded, client_for):
    pep_id = started_with_a_carer_placed_from(seeded, days_after_the_terms_end=1)
    messages = new_messages(seeded, mail, 0, 2)
    assert sorted(m.recipients for m in messages) == [(DT,), (SW,)]
    # The email would have named a PEP the carer cannot open.
    assert client_for("carer").get(f"/peps/{pep_id}").status_code == 404


def test_a_carer_placed_by_the_peps_last_day_is_emailed_about_it(mail, seeded, client_for):
    pep_id = started_with_a_carer_placed_from(seeded, days_after_the_terms_end=0)
    messages = new_messages(seeded, mail, 0, 3)
    assert sorted(m.recipients for m in messages) == [(CARER,), (DT,), (SW,)]
    assert client_for("carer").get(f"/peps/{pep_id}").status_code == 200


def test_the_person_who_acts_is_not_emailed_about_their_own_action(mail, seeded):
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == NO_OPEN_PEP))
        worker = db.session.scalar(select(User).where(User.email == SW))
        start_pep(
            db.session,
            Actor.for_user(worker, None),
            child,
            frozenset({Role.SOCIAL_WORKER}),
            2026,
            Term.SPRING,
        )
    (message,) = new_messages(seeded, mail, 0, 1)
    assert message.recipients == (DT,)


def test_a_refusing_mail_server_neither_fails_the_action_nor_loses_the_email(
    mail, seeded, client_for
):
    pep_id = open_pep_id(seeded, SUBMITTED)
    mail.refusing = True
    response = post_event(client_for("social_worker"), pep_id, "approved")
    assert response.status_code == 303  # the PEP moved on whatever the mail server said
    assert wait_for_background_emails(seeded, timeout=30)
    assert mail.received() == []
    with seeded.app_context():
        email = db.session.scalar(approval_email(pep_id))
        assert db.session.get(Pep, pep_id).state == "approved"
        assert email.status == EmailStatus.FAILED.value
        assert email.attempts == 1
        assert "554" in email.last_error

    mail.refusing = False
    let_retry_delays_pass(seeded)
    result = seeded.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Sent" in result.output
    delivered = [m for m in mail.received() if m.subject == "A PEP is ready for quality assurance"]
    assert len(delivered) == 1
    with seeded.app_context():
        email = db.session.scalar(approval_email(pep_id))
        assert (email.status, email.attempts, email.last_error) == ("sent", 2, None)

    again = seeded.test_cli_runner().invoke(args=["send-reminders"])
    assert again.exit_code == 0, again.output
    assert len([m for m in mail.received() if m.subject == delivered[0].subject]) == 1


def test_a_mail_server_that_cannot_be_reached_is_recorded_and_retried(
    mail, closed_port, seeded, client_for
):
    send_email_through(seeded, "127.0.0.1", closed_port)
    pep_id = open_pep_id(seeded, SUBMITTED)
    assert post_event(client_for("social_worker"), pep_id, "approved").status_code == 303
    assert wait_for_background_emails(seeded, timeout=30)
    with seeded.app_context():
        email = db.session.scalar(approval_email(pep_id))
        assert email.status == "failed"
        assert f"127.0.0.1:{closed_port}" in email.last_error
    send_email_through(seeded, mail.host, mail.port)
    let_retry_delays_pass(seeded)
    assert seeded.test_cli_runner().invoke(args=["send-reminders"]).exit_code == 0
    retried = [m for m in mail.received() if m.subject == "A PEP is ready for quality assurance"]
    assert [m.recipients for m in retried] == [(REVIEWER,)]


def test_without_a_mail_server_emails_are_recorded_as_not_sent_with_the_reason(seeded, client_for):
    pep_id = open_pep_id(seeded, SUBMITTED)
    assert post_event(client_for("social_worker"), pep_id, "approved").status_code == 303
    with seeded.app_context():
        email = db.session.scalar(approval_email(pep_id))
        assert email.status == EmailStatus.NOT_SENT.value
        assert "OPENPEP_SMTP_HOST is not set" in email.last_error


def test_a_second_copy_of_the_same_email_is_quietly_skipped(mail, seeded):
    from portal.operations.emails import EmailContent, queue_email

    with seeded.app_context():
        teacher = db.session.scalar(select(User).where(User.email == DT))
        content = EmailContent("A test", ("Something happened.",), "Open it", BASE_URL + "/")
        first = queue_email(
            db.session,
            Actor.system("test"),
            recipient=teacher,
            kind="test",
            content=content,
            key="test:once",
            settings=seeded.config,
        )
        second = queue_email(
            db.session,
            Actor.system("test"),
            recipient=teacher,
            kind="test",
            content=content,
            key="test:once",
            settings=seeded.config,
        )
        db.session.commit()
        assert first is not None and second is None
        count = db.session.scalar(
            select(func.count()).select_from(Email).where(Email.dedupe_key == "test:once")
        )
        assert count == 1
    assert len(new_messages(seeded, mail, 0, 1)) == 1


# --------------------------------------------------------------------------------------------
# What was sent to you
# --------------------------------------------------------------------------------------------


def test_each_person_reads_their_own_emails_and_nobody_elses(mail, seeded, client_for):
    pep_id = open_pep_id(seeded, SUBMITTED)
    social_worker, teacher = client_for("social_worker"), client_for("dt_oakfield")
    reason = "Add the attendance figures for this term."
    assert post_event(social_worker, pep_id, "returned", reason).status_code == 303
    assert wait_for_background_emails(seeded, timeout=30)
    with seeded.app_context():
        returned = db.session.scalar(
            select(Email).where(Email.pep_id == pep_id, Email.kind == "pep_returned")
        )
        returned_id, returned_subject = returned.id, returned.subject

    page = teacher.get("/messages").get_data(as_text=True)
    assert returned_subject in page
    assert f"/messages/{returned_id}" in page
    assert "Your messages" in page  # the header links here
    full = teacher.get(f"/messages/{returned_id}")
    assert full.status_code == 200
    text = full.get_data(as_text=True)
    assert "Add the attendance figures for this term." in text
    assert f'href="{BASE_URL}/peps/{pep_id}"' in text
    assert "Sent" in text

    # The social worker, a reviewer and an admin are each refused the teacher's email: not found.
    for who in ("social_worker", "reviewer", "admin", "carer"):
        other = social_worker if who == "social_worker" else client_for(who)
        assert other.get(f"/messages/{returned_id}").status_code == 404, who
        assert f"/messages/{returned_id}" not in other.get("/messages").get_data(as_text=True)
    assert teacher.get(f"/messages/{uuid.uuid4()}").status_code == 404
    assert teacher.get("/messages/not-an-id").status_code == 404
    with seeded.app_context():
        reads = db.session.execute(
            select(AuditEvent.actor_user_id).where(
                AuditEvent.action == "email.read", AuditEvent.object_id == str(returned_id)
            )
        ).all()
        teacher_id = db.session.scalar(select(User.id).where(User.email == DT))
        assert reads == [(teacher_id,)]  # the refusals read nothing


def test_messages_are_newest_first_a_page_at_a_time(seeded, client_for):
    from portal.operations.emails import EmailContent, queue_email

    with seeded.app_context():
        carer = db.session.scalar(select(User).where(User.email == CARER))
        already = db.session.scalar(
            select(func.count()).select_from(Email).where(Email.recipient_id == carer.id)
        )
        for number in range(1, 26):
            queue_email(
                db.session,
                Actor.system("test"),
                recipient=carer,
                kind="test",
                content=EmailContent(f"Message number {number:02d}", ("Hello.",), "Open", "/"),
                key=f"test:page:{number}",
                settings=seeded.config,
            )
            db.session.commit()
    client = client_for("carer")
    first = client.get("/messages").get_data(as_text=True)
    total = already + 25
    assert f"{total} emails, page 1 of {-(-total // 20)}" in first
    assert first.index("Message number 25") < first.index("Message number 24")
    assert "Message number 01" not in first
    second = client.get("/messages?page=2").get_data(as_text=True)
    assert "Message number 01" in second and "Message number 25" not in second


def test_words_in_an_email_stay_words_in_the_email_and_on_the_page(mail, seeded, client_for):
    pep_id = open_pep_id(seeded, SUBMITTED)
    reason = 'Say <b>why</b> & "how": https://elsewhere.example/phish'
    assert post_event(client_for("social_worker"), pep_id, "returned", reason).status_code == 303
    (message,) = new_messages(seeded, mail, 0, 1)
    assert reason in message.text
    assert "<b>why</b>" not in message.html and "&lt;b&gt;why&lt;/b&gt;" in message.html
    with seeded.app_context():
        email_id = db.session.scalar(
            select(Email.id).where(Email.pep_id == pep_id, Email.kind == "pep_returned")
        )
    page = client_for("dt_oakfield").get(f"/messages/{email_id}").get_data(as_text=True)
    assert "&lt;b&gt;why&lt;/b&gt;" in page and "<b>why</b>" not in page
    assert 'href="https://elsewhere.example' not in page  # only the portal's own links link
    document = lxml.html.fromstring(page)
    ids = [element.get("id") for element in document.iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    assert [h1.text_content() for h1 in document.iter("h1")] == [message.subject]
    assert document.findtext(".//title").startswith(message.subject)


def test_the_messages_list_reads_the_same_few_queries_at_any_length(seeded, client_for):
    from portal.operations.emails import EmailContent, queue_email

    client = client_for("carer")

    def queries_for_the_list() -> int:
        with statements_sent(seeded) as statements:
            assert client.get("/messages").status_code == 200
        return len(statements)

    def add(count: int, start: int) -> None:
        with seeded.app_context():
            carer = db.session.scalar(select(User).where(User.email == CARER))
            for number in range(start, start + count):
                queue_email(
                    db.session,
                    Actor.system("test"),
                    recipient=carer,
                    kind="test",
                    content=EmailContent(f"Message {number}", ("Hello.",), "Open", "/"),
                    key=f"test:queries:{number}",
                    settings=seeded.config,
                )
            db.session.commit()

    add(2, 0)
    few = queries_for_the_list()
    add(30, 2)
    assert queries_for_the_list() == few


def test_an_approved_pep_goes_to_the_childs_own_virtual_school_adviser(mail, seeded):
    from portal.operations.workflow import transition_pep
    from workflows.pep import PepEvent

    pep_id = open_pep_id(seeded, "DCC-1406")  # submitted; a Virtual School adviser assigned
    with seeded.app_context():
        worker = db.session.scalar(select(User).where(User.email == "sw.north@demo.openpep.test"))
        pep = db.session.get(Pep, pep_id)
        outcome = transition_pep(
            db.session,
            Actor.for_user(worker, None),
            worker,
            pep,
            frozenset({Role.SOCIAL_WORKER}),
            PepEvent.APPROVED,
            seeded.config,
        )
        assert pep.state == "approved", outcome
    (message,) = new_messages(seeded, mail, 0, 1)
    assert message.recipients == ("vs.adviser@demo.openpep.test",)  # not every reviewer
    assert_good_email(message, child_names(seeded, "DCC-1406"), f"/peps/{pep_id}")


def test_for_a_child_with_no_school_place_the_adviser_hears_in_the_teachers_place(mail, seeded):
    no_school = "DCC-1501"  # Jayden: no school place, no PEP yet
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == no_school))
        assert child.current_school_id is None
        admin = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["admin"]))
        pep = start_pep(
            db.session,
            Actor.for_user(admin, None),
            child,
            frozenset({Role.ADMIN}),
            2026,
            Term.AUTUMN,
        )
        pep_id = pep.id
    messages = new_messages(seeded, mail, 0, 2)
    assert sorted(m.recipients for m in messages) == [(SW,), ("vs.adviser@demo.openpep.test",)]
    for message in messages:
        assert_good_email(message, child_names(seeded, no_school), f"/peps/{pep_id}")


# --------------------------------------------------------------------------------------------
# Retries: a back-off, giving up by age, and one bad email never stopping the others
# --------------------------------------------------------------------------------------------


def queue_test_email(app, subject, *, recipient_email=DT, address=None):
    from portal.operations.emails import EmailContent, queue_email

    with app.app_context():
        recipient = (
            db.session.scalar(select(User).where(User.email == recipient_email))
            if address is None
            else None
        )
        email_id = queue_email(
            db.session,
            Actor.system("test"),
            recipient=recipient,
            kind="test",
            content=EmailContent(subject, ("Something happened.",), "Open it", BASE_URL + "/"),
            key=f"test:{subject}",
            settings=app.config,
            deliver_after_commit=False,
            address=address,
            recipient_name="Someone" if address else None,
        )
        db.session.commit()
        return email_id


def deliver_only(app, email_id) -> None:
    """One delivery run for this one email (cron's run, without the day's reminders)."""
    from portal.operations.emails import deliver_emails

    with app.app_context():
        deliver_emails(db.session, app.config, email_ids=[email_id])


def run_send_reminders(app) -> str:
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_hours_outage_costs_attempts_with_a_growing_wait_not_the_email(
    mail, closed_port, seeded
):
    email_id = queue_test_email(seeded, "Through an outage")
    send_email_through(seeded, "127.0.0.1", closed_port)
    waits = []
    # Cron every 5 minutes for an hour, with the mail server down.
    for _run in range(12):
        deliver_only(seeded, email_id)
        with seeded.app_context():
            email = db.session.get(Email, email_id)
            if email.next_attempt_at_utc and email.next_attempt_at_utc > utc_now():
                waits.append(email.next_attempt_at_utc - email.updated_at_utc)
        let_retry_delays_pass(seeded)
    with seeded.app_context():
        email = db.session.get(Email, email_id)
        assert email.status == EmailStatus.FAILED.value
    assert [round(wait.total_seconds() / 60) for wait in waits[:7]] == [5, 10, 20, 40, 80, 160, 240]
    assert round(waits[-1].total_seconds() / 3600) == 4  # capped
    # Without the back-off pushed along, a run straight after a failure leaves the email alone.
    send_email_through(seeded, "127.0.0.1", closed_port)
    deliver_only(seeded, email_id)
    with seeded.app_context():
        attempts = db.session.get(Email, email_id).attempts
    deliver_only(seeded, email_id)
    with seeded.app_context():
        assert db.session.get(Email, email_id).attempts == attempts
    # The mail server is back: the email arrives.
    send_email_through(seeded, mail.host, mail.port)
    let_retry_delays_pass(seeded)
    deliver_only(seeded, email_id)
    assert [m.subject for m in mail.received() if m.subject == "Through an outage"] == [
        "Through an outage"
    ]


def test_an_email_failing_for_two_days_is_given_up_and_the_admin_can_see_why(closed_port, seeded):
    send_email_through(seeded, "127.0.0.1", closed_port)
    email_id = queue_test_email(seeded, "Never arrives")
    run_send_reminders(seeded)
    with seeded.app_context():
        db.session.execute(
            update(Email)
            .where(Email.id == email_id)
            .values(created_at_utc=utc_now() - timedelta(hours=47, minutes=58))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    let_retry_delays_pass(seeded)
    output = run_send_reminders(seeded)
    assert "Gave up on 1 email" in output
    with seeded.app_context():
        email = db.session.get(Email, email_id)
        assert email.status == EmailStatus.GAVE_UP.value
        assert email.last_error.startswith("Gave up after 2 attempts over 47 hours.")
        assert f"127.0.0.1:{closed_port}" in email.last_error
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "email.gave_up", AuditEvent.object_id == str(email_id)
            )
        )
        assert event is not None
    let_retry_delays_pass(seeded)
    run_send_reminders(seeded)
    with seeded.app_context():
        assert db.session.get(Email, email_id).attempts == 2  # never tried again


def test_an_email_that_cannot_be_put_together_does_not_stop_the_others(mail, seeded):
    bad_id = queue_test_email(seeded, "Bad address", address="someone@example.org\nBcc: x@y.z")
    good_id = queue_test_email(seeded, "Good one")
    output = run_send_reminders(seeded)
    assert "Gave up on 1 email" in output
    ours = [m.subject for m in mail.received() if m.subject in ("Bad address", "Good one")]
    assert ours == ["Good one"]
    with seeded.app_context():
        bad = db.session.get(Email, bad_id)
        assert bad.status == EmailStatus.GAVE_UP.value
        assert bad.last_error.startswith("This email could not be put together")
        assert db.session.get(Email, good_id).status == EmailStatus.SENT.value


def test_an_email_to_a_switched_off_account_is_not_sent_and_says_why(mail, seeded):
    switched_off_id = queue_test_email(seeded, "For a leaver")
    other_id = queue_test_email(seeded, "For a colleague", recipient_email=SW)
    with seeded.app_context():
        teacher = db.session.scalar(select(User).where(User.email == DT))
        teacher.active = False  # switched off after the email was written
        db.session.commit()
    run_send_reminders(seeded)
    ours = [(m.recipients, m.subject) for m in mail.received() if m.subject.startswith("For a")]
    assert ours == [((SW,), "For a colleague")]
    with seeded.app_context():
        email = db.session.get(Email, switched_off_id)
        assert email.status == EmailStatus.ACCOUNT_SWITCHED_OFF.value
        assert "account was switched off" in email.last_error
        assert email.status_enum.label == "Not sent: the account was switched off"
        assert db.session.get(Email, other_id).status == EmailStatus.SENT.value
        assert db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "email.not_sent",
                AuditEvent.object_id == str(switched_off_id),
            )
        )
