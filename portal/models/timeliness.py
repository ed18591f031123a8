"""Each child's PEP obligations and term statuses, as the timeliness rules last worked them out.

The rules (workflows/timeliness.py) are pure and need the child's whole history, the school's
calendar and today; working them out for every child on every page would cost a query per child.
So `refresh_timeliness` (portal/operations/timeliness.py) stores what they return, when a fact
changes and each night. A status moves with the calendar (due, then overdue) without any fact
changing, so each row keeps the dates it moves on (`due_from`, `due_on`) and the pages work out
today's status from them (portal/timeliness/status.py): the list filter is right on the day even
if the nightly refresh has not run.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Entity, UtcDateTime


class TimelinessObligation(Entity):
    """One thing a child is owed (the care plan, the initial PEP, a term's PEP, a new PEP after
    a change, a sign-off), or one term before the child reached the starting age."""

    __tablename__ = "timeliness_obligations"
    __table_args__ = (UniqueConstraint("child_id", "key", name="one_row_an_obligation"),)

    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    # Stable from one day to the next ("termly_pep:2026:autumn", "initial_pep:2026-10-15"):
    # reminders are recorded once by it.
    key: Mapped[str] = mapped_column(String(120))
    rule: Mapped[str] = mapped_column(String(40))  # a rule of workflows/definitions/timeliness.yaml
    statutory: Mapped[bool] = mapped_column(Boolean)
    pep_type: Mapped[str] = mapped_column(String(30))  # workflows.pep_types.PepType
    what: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(String(400))
    # Set on a term's row: the term it is for.
    academic_year: Mapped[int | None] = mapped_column(Integer)
    term: Mapped[str | None] = mapped_column(String(10))
    # Empty only for a term before the child reached the starting age: nothing is due.
    due_on: Mapped[date | None] = mapped_column(Date)
    # The day it shows as due (the first reminder for a term's PEP; the day the clock started
    # for a deadline counted in working days).
    due_from: Mapped[date | None] = mapped_column(Date)
    # TimelinessStatus on `evaluated_on`; pages move it on with the date (status.py).
    status: Mapped[str] = mapped_column(String(20))
    completed_on: Mapped[date | None] = mapped_column(Date)
    satisfied_by_pep_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    exemption_rule: Mapped[str | None] = mapped_column(String(40))
    exemption_reason: Mapped[str | None] = mapped_column(String(300))
    # Reminder kind (due_in_15, due_in_5, overdue, escalation) -> ISO date it falls on.
    reminders: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    evaluated_on: Mapped[date] = mapped_column(Date)
    refreshed_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)


class ChildTimeliness(Entity):
    """One row a child: what the children list shows and filters on, as dates the database
    turns into today's status (the most pressing of the child's obligations)."""

    __tablename__ = "child_timeliness"

    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), unique=True)
    # The earliest due date of what is still open (not done, not exempt): overdue after it.
    open_due_on: Mapped[date | None] = mapped_column(Date)
    # The earliest day an open obligation with no meeting booked shows as due.
    unbooked_due_from: Mapped[date | None] = mapped_column(Date)
    # An open obligation has its meeting booked.
    meeting_booked: Mapped[bool] = mapped_column(Boolean, default=False)
    # With nothing open: the latest term's (or obligation's) status and due date.
    settled_status: Mapped[str | None] = mapped_column(String(20))
    settled_due_on: Mapped[date | None] = mapped_column(Date)
    evaluated_on: Mapped[date] = mapped_column(Date)
    refreshed_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
