"""PEP meetings: when and where, who is invited, and by when contributions are due."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Entity, UtcDateTime
from portal.models.pep import Pep
from portal.models.user import User

# Times are wall-clock times in England: a meeting at 10:00 is at 10:00 in winter and summer.
MEETING_TIME_ZONE = "Europe/London"


class InviteeRole(StrEnum):
    """An invitee's place in the child's network (or someone added by hand)."""

    DESIGNATED_TEACHER = "designated_teacher"
    SOCIAL_WORKER = "social_worker"
    CARER = "carer"
    VS_ADVISER = "vs_adviser"
    INDEPENDENT_REVIEWING_OFFICER = "independent_reviewing_officer"
    CHILD = "child"
    OTHER = "other"

    @property
    def label(self) -> str:
        return INVITEE_ROLE_LABELS[self]


INVITEE_ROLE_LABELS: dict[InviteeRole, str] = {
    InviteeRole.DESIGNATED_TEACHER: "Designated teacher",
    InviteeRole.SOCIAL_WORKER: "Social worker",
    InviteeRole.CARER: "Carer",
    InviteeRole.VS_ADVISER: "Virtual School adviser",
    InviteeRole.INDEPENDENT_REVIEWING_OFFICER: "Independent reviewing officer",
    InviteeRole.CHILD: "Child or young person",
    InviteeRole.OTHER: "Other",
}

_CURRENT_SQL = text("cancelled_at_utc IS NULL")


class PepMeeting(Entity):
    """A PEP's meeting. Rescheduling changes this row (the calendar invitation keeps its UID
    and its sequence goes up); cancelling marks it cancelled, after which another may be
    arranged."""

    __tablename__ = "pep_meetings"
    __table_args__ = (
        # A PEP has at most one meeting that is not cancelled: enforced by the database.
        Index(
            "uq_pep_meetings_one_current_per_pep",
            "pep_id",
            unique=True,
            postgresql_where=_CURRENT_SQL,
            sqlite_where=_CURRENT_SQL,
        ),
        CheckConstraint("starts_at < ends_at", name="starts_before_it_ends"),
        CheckConstraint("contributions_due_on < meeting_date", name="contributions_due_before"),
        CheckConstraint("place IS NOT NULL OR online_link IS NOT NULL", name="somewhere_to_meet"),
    )

    pep_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peps.id"), index=True)
    meeting_date: Mapped[date] = mapped_column(Date)
    # Local times in England (MEETING_TIME_ZONE), never UTC: the date says which offset applies.
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    place: Mapped[str | None] = mapped_column(String(300))
    online_link: Mapped[str | None] = mapped_column(String(500))
    contributions_due_on: Mapped[date] = mapped_column(Date)
    # The calendar invitation's SEQUENCE: 0 when first sent, one more at each change.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    arranged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Optimistic locking: two people may reschedule the same meeting from two pages.
    version: Mapped[int] = mapped_column(Integer, default=1)

    pep: Mapped[Pep] = relationship()
    arranged_by: Mapped[User | None] = relationship(foreign_keys=[arranged_by_id])
    invitees: Mapped[list[PepMeetingInvitee]] = relationship(
        back_populates="meeting",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="PepMeetingInvitee.position",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at_utc is not None

    @property
    def calendar_uid(self) -> str:
        """The invitation's UID: the same for every version of this meeting."""
        return f"pep-meeting-{self.id}@openpep"


class PepMeetingInvitee(Entity):
    """Someone invited to a PEP meeting: a user when they have an account, else a name and
    (for those invited by email) an address."""

    __tablename__ = "pep_meeting_invitees"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pep_meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # InviteeRole: their place in the child's network.
    role: Mapped[str] = mapped_column(String(40))
    invited_by_email: Mapped[bool] = mapped_column(Boolean, default=True)
    # How someone not emailed is invited (the child: through their carer).
    note: Mapped[str | None] = mapped_column(String(300))

    meeting: Mapped[PepMeeting] = relationship(back_populates="invitees")
    user: Mapped[User | None] = relationship()

    @property
    def role_enum(self) -> InviteeRole:
        return InviteeRole(self.role)
