"""Schools and other education settings: from GIAS, or added by hand."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Date, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Entity


class SchoolPhase(StrEnum):
    EARLY_YEARS = "early_years"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    ALL_THROUGH = "all_through"
    SPECIAL = "special"
    POST_16 = "post_16"
    ALTERNATIVE_PROVISION = "alternative_provision"

    @property
    def label(self) -> str:
        return {
            "early_years": "Early years setting",
            "primary": "Primary",
            "secondary": "Secondary",
            "all_through": "All-through",
            "special": "Special school",
            "post_16": "Post-16 provider",
            "alternative_provision": "Alternative provision",
        }[self.value]


class SettingSource(StrEnum):
    GIAS = "gias"  # imported from Get Information About Schools, identified by URN
    MANUAL = "manual"  # added by hand: private nurseries, childminders, training providers


class School(Entity):
    """A school or other setting; it may be in any local authority in England."""

    __tablename__ = "schools"
    __table_args__ = (
        Index("uq_schools_ukprn", "ukprn", unique=True),
        # The admin's schools list in name order reads a page of this index.
        Index("ix_schools_by_name", func.lower(text("name")), "urn", "id"),
    )

    # The DfE URN. Settings added by hand may have none (a childminder has an Ofsted number).
    urn: Mapped[str | None] = mapped_column(String(12), unique=True)
    # UK Provider Reference Number: training providers and colleges.
    ukprn: Mapped[str | None] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(30))
    local_authority: Mapped[str] = mapped_column(String(120))
    # GIAS's own words: TypeOfEstablishment (name), PhaseOfEducation (name),
    # EstablishmentStatus (name); for a setting added by hand, its kind.
    establishment_type: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(60), default="Open", server_default="Open")
    closed_on: Mapped[date | None] = mapped_column(Date)
    postcode: Mapped[str | None] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(
        String(10), default=SettingSource.GIAS.value, server_default=SettingSource.GIAS.value
    )

    @property
    def phase_label(self) -> str:
        return SchoolPhase(self.phase).label

    @property
    def is_closed(self) -> bool:
        """Closed schools are kept (children's history names them) and marked, never deleted."""
        return self.status.strip().lower() == "closed"
