"""Why a PEP was started: its type decides when it is due."""

from __future__ import annotations

from enum import StrEnum


class PepType(StrEnum):
    """The kinds of PEP a Virtual School counts apart (DfE 2018 guidance and local practice)."""

    INITIAL = "initial"  # the child has just entered care: ready for the first care review
    TERMLY = "termly"  # the review each term
    CHANGE_OF_SCHOOL = "change_of_school"  # a new school or setting
    CHANGE_OF_PLACEMENT = "change_of_placement"  # a new home
    AFTER_EXCLUSION = "after_exclusion"  # after a permanent exclusion

    @property
    def label(self) -> str:
        return PEP_TYPE_LABELS[self]


PEP_TYPE_LABELS = {
    PepType.INITIAL: "Initial PEP (entering care)",
    PepType.TERMLY: "Termly review",
    PepType.CHANGE_OF_SCHOOL: "Change of school or setting",
    PepType.CHANGE_OF_PLACEMENT: "Change of placement",
    PepType.AFTER_EXCLUSION: "After a permanent exclusion",
}
