"""Children in the authority's care."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.academic import year_group_label, year_group_on
from portal.models.base import Entity
from portal.models.school import School

if TYPE_CHECKING:
    from portal.models.pep import Pep


class LegalStatus(StrEnum):
    """Legal basis of care (Children Act 1989)."""

    SECTION_20 = "section_20"
    INTERIM_CARE_ORDER = "interim_care_order"
    FULL_CARE_ORDER = "full_care_order"
    PLACEMENT_ORDER = "placement_order"
    REMANDED = "remanded"

    @property
    def label(self) -> str:
        return {
            "section_20": "Accommodated under section 20",
            "interim_care_order": "Interim care order (section 38)",
            "full_care_order": "Full care order (section 31)",
            "placement_order": "Placement order",
            "remanded": "Remanded to local authority accommodation",
        }[self.value]


class Child(Entity):
    """A child in care whose education the Virtual School tracks."""

    __tablename__ = "children"

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    authority_reference: Mapped[str] = mapped_column(String(40), unique=True)
    upn: Mapped[str | None] = mapped_column(String(13))
    legal_status: Mapped[str] = mapped_column(String(30))
    date_entered_care: Mapped[date] = mapped_column(Date)
    current_school_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("schools.id"), index=True
    )

    current_school: Mapped[School | None] = relationship(lazy="joined")
    peps: Mapped[list[Pep]] = relationship(
        back_populates="child",
        order_by="(Pep.academic_year.desc(), Pep.term.desc(), Pep.created_at_utc.desc())",
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def legal_status_label(self) -> str:
        return LegalStatus(self.legal_status).label

    def year_group(self, on: date | None = None) -> int | None:
        return year_group_on(self.date_of_birth, on or date.today())

    def year_group_label(self, on: date | None = None) -> str:
        return year_group_label(self.year_group(on))
