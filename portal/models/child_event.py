"""What happened in a child's life: the events of their timeline."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Entity
from portal.models.child import Child
from portal.models.user import User


class ChildEventKind(StrEnum):
    ENTERED_CARE = "entered_care"
    SCHOOL_CHANGED = "school_changed"
    NO_SCHOOL_PLACE = "no_school_place"
    PLACEMENT_CHANGED = "placement_changed"
    CARER_CHANGED = "carer_changed"
    SOCIAL_WORKER_CHANGED = "social_worker_changed"
    LEGAL_STATUS_CHANGED = "legal_status_changed"
    LEFT_CARE = "left_care"

    @property
    def label(self) -> str:
        return CHILD_EVENT_LABELS[self]


CHILD_EVENT_LABELS: dict[ChildEventKind, str] = {
    ChildEventKind.ENTERED_CARE: "Entered care",
    ChildEventKind.SCHOOL_CHANGED: "Changed school or setting",
    ChildEventKind.NO_SCHOOL_PLACE: "Left their school or setting with no new place",
    ChildEventKind.PLACEMENT_CHANGED: "Changed placement",
    ChildEventKind.CARER_CHANGED: "Changed carer",
    ChildEventKind.SOCIAL_WORKER_CHANGED: "Changed social worker",
    ChildEventKind.LEGAL_STATUS_CHANGED: "Legal status changed",
    ChildEventKind.LEFT_CARE: "Left care",
}


class ChildEvent(Entity):
    """One change in a child's life, on the day it happened, with what it changed from and to.

    The audit trail says who recorded it and when; this says what happened to the child, and
    is what the child's timeline shows."""

    __tablename__ = "child_events"
    __table_args__ = (Index("ix_child_events_child_day", "child_id", "occurred_on"),)

    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"))
    kind: Mapped[str] = mapped_column(String(40))
    occurred_on: Mapped[date] = mapped_column(Date)
    # Plain facts for the timeline: {"from": "...", "to": "...", "reason": "E11", ...}.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Who recorded it, as the audit trail names them (a person, or an import).
    recorded_by_description: Mapped[str] = mapped_column(String(300))

    child: Mapped[Child] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return ChildEventKind(self.kind).label
