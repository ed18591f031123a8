"""Children in the authority's care."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.academic import england_today, year_group_label, year_group_on
from portal.codes import ssda903
from portal.models.base import Entity
from portal.models.school import School

if TYPE_CHECKING:
    from portal.models.pep import Pep


class NoSchoolPlace(StrEnum):
    """Why a child has no school or setting: they still get a PEP, and the Virtual School
    adviser completes the setting's sections."""

    NOT_ON_ROLL = "not_on_roll"
    EDUCATION_OTHERWISE = "education_otherwise"
    NEET = "neet"
    NO_EARLY_YEARS_SETTING = "no_early_years_setting"

    @property
    def label(self) -> str:
        return NO_SCHOOL_PLACE_LABELS[self]


NO_SCHOOL_PLACE_LABELS: dict[NoSchoolPlace, str] = {
    NoSchoolPlace.NOT_ON_ROLL: "Not on roll at any school (missing education)",
    NoSchoolPlace.EDUCATION_OTHERWISE: "Receiving education otherwise than at school",
    NoSchoolPlace.NEET: "Not in education, employment or training",
    NoSchoolPlace.NO_EARLY_YEARS_SETTING: "Early years child not in a setting",
}


class Child(Entity):
    """A child in care whose education the Virtual School tracks."""

    __tablename__ = "children"
    __table_args__ = (
        # The children list's default order and its order by age.
        Index("ix_children_by_name", "last_name", "first_name", "id"),
        Index("ix_children_date_of_birth", "date_of_birth"),
    )

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    authority_reference: Mapped[str] = mapped_column(String(40), unique=True)
    upn: Mapped[str | None] = mapped_column(String(13))
    # The SSDA903 legal status code (C2, E1, V2...); labels live in portal/codes.
    legal_status: Mapped[str] = mapped_column(String(30))
    date_entered_care: Mapped[date] = mapped_column(Date)
    current_school_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("schools.id"), index=True
    )
    # SSDA903 SEX (1 male, 2 female) and ETHNIC codes, where the import carried them.
    sex: Mapped[str | None] = mapped_column(String(1))
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    # Unaccompanied asylum-seeking child.
    uasc: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The authority the child lives in when placed out of the home authority's area.
    placed_in_authority: Mapped[str | None] = mapped_column(String(120))
    # Set when the child has no school or setting (NoSchoolPlace); None when on roll.
    no_school_place: Mapped[str | None] = mapped_column(String(30))
    # Leaving care: the date and the SSDA903 reason (REC) code.
    date_left_care: Mapped[date | None] = mapped_column(Date)
    reason_left_care: Mapped[str | None] = mapped_column(String(4))
    # Left care by adoption, child arrangements or special guardianship: the Virtual School
    # keeps and reads the records and advises; no new PEP is due.
    previously_looked_after: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
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
        return ssda903().legal_status_label(self.legal_status)

    @property
    def in_care(self) -> bool:
        return self.date_left_care is None

    @property
    def has_pep_duty(self) -> bool:
        """A PEP is due for a child in care, unless their legal status is a short break."""
        return self.in_care and ssda903().has_pep_duty(self.legal_status)

    @property
    def no_school_place_label(self) -> str | None:
        return NoSchoolPlace(self.no_school_place).label if self.no_school_place else None

    def year_group(self, on: date | None = None) -> int | None:
        return year_group_on(self.date_of_birth, on or england_today())

    def year_group_label(self, on: date | None = None) -> str:
        return year_group_label(self.year_group(on))


class CareEpisode(Entity):
    """One episode of care as the SSDA903 return records it: a legal status and placement
    from a start date (DECOM) to an end date (DEC) with the reason it ended (REC)."""

    __tablename__ = "care_episodes"
    __table_args__ = (UniqueConstraint("child_id", "started_on", name="one_episode_a_start"),)

    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    started_on: Mapped[date] = mapped_column(Date)  # DECOM
    reason_new_episode: Mapped[str | None] = mapped_column(String(2))  # RNE
    legal_status: Mapped[str] = mapped_column(String(4))  # LS
    category_of_need: Mapped[str | None] = mapped_column(String(4))  # CIN
    placement_type: Mapped[str | None] = mapped_column(String(4))  # PLACE
    placement_provider: Mapped[str | None] = mapped_column(String(4))  # PLACE_PROVIDER
    ended_on: Mapped[date | None] = mapped_column(Date)  # DEC
    reason_ended: Mapped[str | None] = mapped_column(String(4))  # REC
    home_postcode: Mapped[str | None] = mapped_column(String(10))  # HOME_POST
    placement_postcode: Mapped[str | None] = mapped_column(String(10))  # PL_POST
    # The placement provider's Ofsted URN (URN in the return): not a school's DfE URN.
    provider_ofsted_urn: Mapped[str | None] = mapped_column(String(10))

    child: Mapped[Child] = relationship()
