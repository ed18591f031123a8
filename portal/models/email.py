"""Emails the portal sends: each one a row, recorded before it is sent and never sent twice."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Entity, UtcDateTime
from portal.models.user import User


class EmailStatus(StrEnum):
    """Where an email is in its delivery; values are stored in the database."""

    QUEUED = "queued"  # recorded, waiting for a sender to claim it
    SENDING = "sending"  # claimed by one sender, which is handing it to the mail server
    SENT = "sent"  # the mail server accepted it
    FAILED = "failed"  # the mail server could not be reached or refused it: tried again later
    NOT_SENT = "not_sent"  # email is not set up: kept so the person can still read it here
    # Tried for GIVE_UP_AFTER (two days) without the mail server taking it: no more attempts.
    GAVE_UP = "gave_up"
    # The recipient's account was switched off before it was sent: a leaver is not emailed.
    ACCOUNT_SWITCHED_OFF = "account_switched_off"

    @property
    def label(self) -> str:
        return EMAIL_STATUS_LABELS[self]


EMAIL_STATUS_LABELS: dict[EmailStatus, str] = {
    EmailStatus.QUEUED: "Waiting to be sent",
    EmailStatus.SENDING: "Being sent",
    EmailStatus.SENT: "Sent",
    EmailStatus.FAILED: "Not delivered: the mail server could not take it",
    EmailStatus.NOT_SENT: "Not sent: email is not set up",
    EmailStatus.GAVE_UP: "Not delivered: the mail server could not take it for two days",
    EmailStatus.ACCOUNT_SWITCHED_OFF: "Not sent: the account was switched off",
}


class Email(Entity):
    """One email to one person. The row is written first (in the same transaction as what the
    email is about), then claimed by exactly one sender, then sent: a second copy of the same
    reminder fails on ``dedupe_key`` and is skipped, so nobody gets it twice."""

    __tablename__ = "emails"
    __table_args__ = (
        # "What was sent to you": one person's emails, newest first.
        Index("ix_emails_recipient_newest", "recipient_id", "created_at_utc"),
        # The sender's queue: emails still to deliver, oldest first.
        Index("ix_emails_status_created", "status", "created_at_utc"),
    )

    # Who the email is for; None only for an address with no account (none are sent yet).
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The address as it was when the email was written: the account's may change later.
    address: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    pep_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("peps.id"), index=True)
    # What makes this email this email (kind, recipient, and what it is about): unique, so the
    # same reminder is recorded once however many senders run at the same moment.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=EmailStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a sender claimed it: a claim much older than a send can take means that sender died.
    claimed_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A failed email is not tried again before this (a back-off that doubles with each attempt),
    # so that an hour's outage does not use up its attempts.
    next_attempt_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why the last attempt did not deliver it, in words an admin can act on.
    last_error: Mapped[str | None] = mapped_column(String(500))
    # A file sent with the email (a meeting's calendar invitation): name, MIME type, text.
    attachment_filename: Mapped[str | None] = mapped_column(String(100))
    attachment_content_type: Mapped[str | None] = mapped_column(String(100))
    attachment_text: Mapped[str | None] = mapped_column(Text)

    recipient: Mapped[User | None] = relationship()

    @property
    def status_enum(self) -> EmailStatus:
        return EmailStatus(self.status)
