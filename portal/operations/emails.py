"""Emails: recorded once, claimed by one sender, sent through SMTP, and the outcome kept.

An email is first a row, written in the same transaction as what it is about (a PEP submitted,
a reminder due), with a unique dedupe key: a second copy of the same email, even from another
process at the same moment, is quietly skipped by the database (INSERT ... ON CONFLICT DO
NOTHING), never sent twice. Sending comes after the commit: a sender claims a row with one
conditional UPDATE (only one sender's claim succeeds), commits the claim, hands the message to
the mail server and records what happened. A mail server that fails never undoes or slows the
action the email is about: the email is recorded as failed and the next `send-reminders` run
tries again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import smtplib
import ssl
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from flask import Flask, current_app, has_app_context, render_template
from sqlalchemy import event, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.config import SmtpSettings
from portal.models import Email, EmailStatus, User
from portal.models.base import utc_now
from portal.operations import audit
from portal.operations.audit import Actor

logger = logging.getLogger(__name__)

# A failed email waits before its next attempt: 5 minutes after the first failure, then twice as
# long after each (10, 20, 40 minutes...), never more than 4 hours. An outage of an hour or two,
# with cron every few minutes, costs a few attempts, not the email.
FIRST_RETRY_DELAY = timedelta(minutes=5)
LONGEST_RETRY_DELAY = timedelta(hours=4)
# An email the mail server has not taken this long after it was written is given up, recorded
# as such (its status, its last error, an audit event) for an admin to see: a reminder two days
# late would mislead more than help.
GIVE_UP_AFTER = timedelta(hours=48)
# A claim older than this belongs to a sender that stopped mid-send (a send takes at most the
# SMTP timeout): it counts as a failed attempt, and the email is tried again after its back-off.
# Only a sender that died after the mail server took the message and before recording it could
# make that a second copy.
STALE_CLAIM = timedelta(minutes=15)
# The most emails one delivery run sends, so that one run never holds the queue for long.
DELIVERY_BATCH = 500
SUBJECT_MAX = 200
ERROR_MAX = 500
_PENDING = "openpep_emails_to_deliver"


@dataclass(frozen=True)
class Attachment:
    """A text file sent with an email: a calendar invitation (text/calendar; method=REQUEST)."""

    filename: str
    content_type: str
    text: str


@dataclass(frozen=True)
class EmailContent:
    """What an email says, in GOV.UK style: a subject with no child's name or personal detail,
    short paragraphs, and the one thing to do, with a link."""

    subject: str
    paragraphs: tuple[str, ...]
    action: str  # "Open the PEP", "See your tasks"
    link: str  # absolute URL
    # Words quoted as they were written (a reason for returning a PEP), shown set apart.
    quoted: str | None = None


def portal_link(settings: Mapping[str, Any], endpoint: str, **values: Any) -> str:
    """An absolute link to one of the portal's pages, from OPENPEP_BASE_URL (or the allowed host),
    built from the route itself so it cannot drift from the URL people use."""
    app = current_app
    path = app.url_map.bind("portal.invalid").build(endpoint, values)
    base = settings.get("BASE_URL") or ""
    return f"{base}{path}"


def render_bodies(
    content: EmailContent, recipient_name: str, *, has_account: bool = True
) -> tuple[str, str]:
    """The plain-text and HTML bodies of an email (templates/messages/email.txt and .html);
    someone invited without an account is not told to sign in to read it."""
    context = {"content": content, "recipient_name": recipient_name, "has_account": has_account}
    text = render_template("messages/email.txt", **context)
    html = render_template("messages/email.html", **context)
    return text, html


def dedupe_key(*parts: object) -> str:
    """A stable key for one email: what kind it is, whom it is for, what it is about. Long keys
    keep their start and a hash of the rest, so they still fit the column and stay unique."""
    key = ":".join(str(part) for part in parts)
    if len(key) <= 200:
        return key
    return key[:135] + ":" + hashlib.sha256(key.encode()).hexdigest()


def queue_email(
    session: Session,
    actor: Actor,
    *,
    recipient: User | None,
    kind: str,
    content: EmailContent,
    key: str,
    settings: Mapping[str, Any],
    pep_id: uuid.UUID | None = None,
    deliver_after_commit: bool = True,
    address: str | None = None,
    recipient_name: str | None = None,
    attachment: Attachment | None = None,
) -> uuid.UUID | None:
    """Record one email in the caller's transaction, for sending after it commits.

    Returns the new email's id, or None when an email with this key was already recorded (by
    this process or another at the same moment): that is a quiet skip, never an error that
    would undo the caller's work. Without a mail server set up, the email is recorded as not
    sent, with the reason, and the person can still read it under "Messages"."""
    if len(content.subject) > SUBJECT_MAX:
        raise ValueError(f"An email subject must be {SUBJECT_MAX} characters or fewer.")
    if recipient is None and not (address and recipient_name):
        raise ValueError("An email to someone without an account needs their address and name.")
    text, html = render_bodies(
        content,
        recipient.display_name if recipient else recipient_name,
        has_account=recipient is not None,
    )
    not_set_up = settings.get("SMTP") is None
    now = utc_now()
    values = {
        "id": uuid.uuid4(),
        "created_at_utc": now,
        "updated_at_utc": now,
        "recipient_id": recipient.id if recipient else None,
        "address": recipient.email if recipient else address,
        "kind": kind,
        "subject": content.subject,
        "body_text": text,
        "body_html": html,
        "pep_id": pep_id,
        "dedupe_key": key,
        "status": (EmailStatus.NOT_SENT if not_set_up else EmailStatus.QUEUED).value,
        "attempts": 0,
        "last_error": settings.get("EMAIL_NOT_SET_UP_REASON") if not_set_up else None,
        "attachment_filename": attachment.filename if attachment else None,
        "attachment_content_type": attachment.content_type if attachment else None,
        "attachment_text": attachment.text if attachment else None,
    }
    insert = (
        postgresql.insert(Email)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(Email)
    )
    # The ORM keeps pending changes (the caller's) in the session: send them first, so that
    # they and this row are in one transaction in the order they were made.
    session.flush()
    statement = (
        insert.values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Email.id)
    )
    email_id = session.execute(statement).scalar_one_or_none()
    if email_id is None:
        return None
    audit.record(
        session,
        actor,
        "email.queued" if not not_set_up else "email.not_sent",
        "email",
        email_id,
        kind=kind,
        recipient_id=str(recipient.id) if recipient else None,
        pep_id=str(pep_id) if pep_id else None,
        reason=values["last_error"],
    )
    if deliver_after_commit and not not_set_up:
        session.info.setdefault(_PENDING, []).append(email_id)
    return email_id


# --------------------------------------------------------------------------------------------
# After the commit: hand the new emails to this process's sender, in the background
# --------------------------------------------------------------------------------------------
# Why after the commit and in the background: the email must exist only if the action did
# (same transaction), and the person acting must not wait for, nor be failed by, a mail server.
# If this process stops before sending, the emails stay queued and the next `send-reminders`
# run (cron) sends them.


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session: Session) -> None:
    email_ids = session.info.pop(_PENDING, None)
    if not email_ids or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("EMAIL_DELIVERY", "background") != "background":
        return  # left for send-reminders
    background_sender(app).submit(email_ids)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


class BackgroundSender:
    """One thread per process that sends the emails each commit recorded, one batch at a time
    (so SQLite's single writer is never crowded by senders)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.batches: queue.Queue[list[uuid.UUID]] = queue.Queue()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="openpep-email-sender", daemon=True)
        self.thread.start()

    def submit(self, email_ids: list[uuid.UUID]) -> None:
        self.batches.put(list(email_ids))

    def wait_until_idle(self, timeout: float = 10) -> bool:
        """Whether every batch submitted so far was handled within `timeout` seconds (tests)."""
        done = threading.Event()

        def join() -> None:
            self.batches.join()
            done.set()

        threading.Thread(target=join, daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        from portal.extensions import db

        while True:
            email_ids = self.batches.get()
            try:
                with self.app.app_context():
                    deliver_emails(db.session, self.app.config, email_ids=email_ids)
            except Exception:  # a sender that raised must not stop the next batch
                logger.exception(
                    "Sending %d emails failed; send-reminders will retry them.", len(email_ids)
                )
            finally:
                self.batches.task_done()


_senders_lock = threading.Lock()


def background_sender(app: Flask) -> BackgroundSender:
    """This process's sender for this app (a forked worker starts its own)."""
    with _senders_lock:
        sender = app.extensions.get("openpep_email_sender")
        if sender is None or sender.pid != os.getpid():
            sender = BackgroundSender(app)
            app.extensions["openpep_email_sender"] = sender
        return sender


def wait_for_background_emails(app: Flask, timeout: float = 10) -> bool:
    """Wait until this process's sender has handled every email handed to it (tests, demo)."""
    sender = app.extensions.get("openpep_email_sender")
    return sender is None or sender.wait_until_idle(timeout)


# --------------------------------------------------------------------------------------------
# Delivery: claim, send, record
# --------------------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another sender first, already sent, or account switched off
    gave_up: int = 0  # failed for GIVE_UP_AFTER, or could not be put together: not tried again


def retry_delay(attempts: int) -> timedelta:
    """How long a failed email waits after its `attempts`-th attempt: doubling, capped."""
    doublings = min(max(attempts - 1, 0), 16)  # 2**16 * 5 minutes is far past the cap
    return min(FIRST_RETRY_DELAY * (2**doublings), LONGEST_RETRY_DELAY)


def _deliverable(now: datetime) -> Any:
    """Rows a sender may claim: new, or failed and due for their next attempt."""
    return or_(
        Email.status == EmailStatus.QUEUED.value,
        (Email.status == EmailStatus.FAILED.value)
        & or_(Email.next_attempt_at_utc.is_(None), Email.next_attempt_at_utc <= now),
    )


def _record_failure(email: Email, error: str, failed_at: datetime) -> str:
    """Record one failed attempt: tried again after its back-off, or given up when the next
    attempt would come after GIVE_UP_AFTER (or when trying again cannot help). Returns the
    audit action."""
    next_attempt = failed_at + retry_delay(email.attempts)
    gave_up = next_attempt > email.created_at_utc + GIVE_UP_AFTER
    email.next_attempt_at_utc = None if gave_up else next_attempt
    email.updated_at_utc = failed_at
    if gave_up:
        email.status = EmailStatus.GAVE_UP.value
        email.last_error = (
            f"Gave up after {email.attempts} attempts over "
            f"{_hours(failed_at - email.created_at_utc)}. {error}"
        )[:ERROR_MAX]
        return "email.gave_up"
    email.status = EmailStatus.FAILED.value
    email.last_error = error[:ERROR_MAX]
    return "email.failed"


def _hours(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    return "1 hour" if hours == 1 else f"{hours} hours"


def _audit_outcome(session: Session, actor: Actor, action: str, email: Email) -> None:
    audit.record(
        session,
        actor,
        action,
        "email",
        email.id,
        kind=email.kind,
        recipient_id=str(email.recipient_id) if email.recipient_id else None,
        attempt=email.attempts,
        error=email.last_error,
        next_attempt_at_utc=(
            email.next_attempt_at_utc.isoformat() if email.next_attempt_at_utc else None
        ),
    )


def _fail_stale_claims(
    session: Session, actor: Actor, now: datetime, email_ids: list[uuid.UUID] | None
) -> None:
    """A sender that claimed an email and stopped (killed mid-send) used one attempt: record it
    as failed, with its back-off from the claim, so that it is neither claimed forever nor lost."""
    query = select(Email.id).where(
        Email.status == EmailStatus.SENDING.value, Email.claimed_at_utc < now - STALE_CLAIM
    )
    if email_ids is not None:
        query = query.where(Email.id.in_(email_ids))
    stale_ids = list(session.scalars(query.limit(DELIVERY_BATCH)))
    session.commit()
    for email_id in stale_ids:
        # Only one sender may turn a stale claim into a failure (the conditional update).
        taken = session.execute(
            update(Email)
            .where(
                Email.id == email_id,
                Email.status == EmailStatus.SENDING.value,
                Email.claimed_at_utc < now - STALE_CLAIM,
            )
            .values(status=EmailStatus.FAILED.value, updated_at_utc=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            continue
        email = session.get(Email, email_id, populate_existing=True)
        if email is None:  # pragma: no cover - the row was just updated
            session.rollback()
            continue
        action = _record_failure(
            email,
            "The sender stopped while handing this email to the mail server; it may not "
            "have arrived.",
            email.claimed_at_utc or now,
        )
        _audit_outcome(session, actor, action, email)
        session.commit()


def deliver_emails(
    session: Session,
    settings: Mapping[str, Any],
    *,
    email_ids: Iterable[uuid.UUID] | None = None,
    limit: int = DELIVERY_BATCH,
) -> DeliveryReport:
    """Send these emails (or every deliverable one, oldest first), each at most once."""
    report = DeliveryReport()
    smtp = settings.get("SMTP")
    if smtp is None:
        return report  # queued emails wait for a mail server; none is set up
    system = Actor.system("email delivery")
    wanted = list(email_ids) if email_ids is not None else None
    _fail_stale_claims(session, system, utc_now(), wanted)
    now = utc_now()
    query = select(Email.id).where(_deliverable(now))
    if wanted is not None:
        query = query.where(Email.id.in_(wanted))
    candidates = list(session.scalars(query.order_by(Email.created_at_utc).limit(limit)))
    session.commit()  # end the read, so that each claim is its own short transaction
    for email_id in candidates:
        claimed_at = utc_now()
        claim = session.execute(
            update(Email)
            .where(Email.id == email_id, _deliverable(claimed_at))
            .values(
                status=EmailStatus.SENDING.value,
                claimed_at_utc=claimed_at,
                attempts=Email.attempts + 1,
                updated_at_utc=claimed_at,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if claim.rowcount != 1:  # type: ignore[attr-defined]
            report.skipped += 1  # another sender claimed it first
            continue
        email = session.get(Email, email_id, populate_existing=True)
        if email is None:
            continue
        action = _send_one(smtp, settings, email)
        if action == "email.sent":
            report.sent += 1
        elif action == "email.not_sent":
            report.skipped += 1
        elif action == "email.gave_up":
            report.gave_up += 1
        else:
            report.failed += 1
        _audit_outcome(session, system, action, email)
        session.commit()
    return report


def _send_one(smtp: SmtpSettings, settings: Mapping[str, Any], email: Email) -> str:
    """Send one claimed email and record the outcome on it; returns the audit action. Whatever
    goes wrong with this one email is recorded on it and never stops the run's other emails."""
    recipient = email.recipient
    if recipient is not None and not recipient.active:
        email.status = EmailStatus.ACCOUNT_SWITCHED_OFF.value
        email.last_error = (
            f"Not sent: {recipient.display_name}'s account was switched off before it was sent."
        )[:ERROR_MAX]
        email.updated_at_utc = utc_now()
        return "email.not_sent"
    try:
        message = build_message(settings, email)
    except Exception as error:  # a row that cannot become a message: trying again cannot help
        logger.exception("Email %s could not be put together.", email.id)
        email.status = EmailStatus.GAVE_UP.value
        email.next_attempt_at_utc = None
        email.updated_at_utc = utc_now()
        email.last_error = (
            f"This email could not be put together, so it will not be tried again: {error}"
        )[:ERROR_MAX]
        return "email.gave_up"
    try:
        error = send_through_smtp(smtp, settings, email, message)
    except Exception as unexpected:  # never leave a claimed email in SENDING
        logger.exception("Sending email %s failed unexpectedly.", email.id)
        error = f"Sending failed unexpectedly: {unexpected}"
    finished = utc_now()
    if error is None:
        email.status = EmailStatus.SENT.value
        email.sent_at_utc = finished
        email.next_attempt_at_utc = None
        email.last_error = None
        email.updated_at_utc = finished
        return "email.sent"
    return _record_failure(email, error, finished)


def build_message(settings: Mapping[str, Any], email: Email) -> EmailMessage:
    """The MIME message for one recorded email: plain text, with an HTML alternative."""
    message = EmailMessage()
    sender_name = f"{settings.get('AUTHORITY_NAME', 'OpenPEP')} Virtual School"
    mail_from = str(settings["MAIL_FROM"])
    message["From"] = formataddr((sender_name, mail_from))
    message["To"] = email.address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at_utc)
    message["Message-ID"] = make_msgid(idstring=str(email.id), domain=mail_from.rsplit("@", 1)[-1])
    # Automatic: out-of-office replies and mail rules should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
    if email.attachment_text and email.attachment_content_type and email.attachment_filename:
        kind, _, parameters = email.attachment_content_type.partition(";")
        maintype, _, subtype = kind.strip().partition("/")
        message.add_attachment(
            email.attachment_text.encode(),
            maintype=maintype,
            subtype=subtype,
            filename=email.attachment_filename,
            params=dict(
                part.strip().split("=", 1) for part in parameters.split(";") if "=" in part
            ),
        )
    return message


def send_through_smtp(
    smtp: SmtpSettings,
    settings: Mapping[str, Any],
    email: Email,
    message: EmailMessage | None = None,
) -> str | None:
    """Hand one email to the mail server; None when it accepted it, else why not, in words."""
    try:
        if message is None:
            message = build_message(settings, email)
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if smtp.tls:
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        with client:
            if smtp.starttls:
                client.starttls(context=context)
            if smtp.username and smtp.password:
                client.login(smtp.username, smtp.password)
            refused = client.send_message(message)
        if refused:
            return f"The mail server refused {email.address}: {refused[email.address]!r}"
        return None
    except smtplib.SMTPResponseException as error:
        detail = error.smtp_error.decode(errors="replace") if error.smtp_error else ""
        return f"The mail server answered {error.smtp_code}: {detail}".strip()
    except smtplib.SMTPRecipientsRefused:
        return f"The mail server refused the address {email.address}."
    except (OSError, smtplib.SMTPException) as error:
        where = f"{smtp.host}:{smtp.port}"
        return f"Could not reach the mail server at {where}: {error}"


def record_email_read(session: Session, actor: Actor, email: Email) -> None:
    """Who read which email in the portal; committed on its own (a read changes nothing)."""
    audit.record_at_once(session, actor, "email.read", "email", email.id, kind=email.kind)
    session.commit()
