"""Schools and other education settings."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Entity


class SchoolPhase(StrEnum):
    EARLY_YEARS = "early_years"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    ALL_THROUGH = "all_through"
    SPECIAL = "special"
    POST_16 = "post_16"

    @property
    def label(self) -> str:
        return {
            "early_years": "Early years setting",
            "primary": "Primary",
            "secondary": "Secondary",
            "all_through": "All-through",
            "special": "Special school",
            "post_16": "Post-16 provider",
        }[self.value]


class School(Entity):
    """A school or provider; it may be in any local authority."""

    __tablename__ = "schools"

    urn: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(20))
    local_authority: Mapped[str] = mapped_column(String(120))

    @property
    def phase_label(self) -> str:
        return SchoolPhase(self.phase).label
