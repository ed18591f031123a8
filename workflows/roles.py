"""The roles people hold in the PEP process."""

from enum import StrEnum


class Role(StrEnum):
    """A role a person can hold; section owners use the same names (plus the child)."""

    DESIGNATED_TEACHER = "designated_teacher"
    SOCIAL_WORKER = "social_worker"
    CARER = "carer"
    VS_ADVISER = "vs_adviser"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    CHILD = "child"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.DESIGNATED_TEACHER: "Designated teacher",
    Role.SOCIAL_WORKER: "Social worker",
    Role.CARER: "Carer",
    Role.VS_ADVISER: "Virtual School adviser",
    Role.REVIEWER: "Virtual School reviewer",
    Role.ADMIN: "Virtual School admin",
    Role.CHILD: "Child or young person",
}

# Roles granted for a school, for a child (a case assignment), or across the authority.
SCHOOL_ROLES = frozenset({Role.DESIGNATED_TEACHER})
CASE_ROLES = frozenset({Role.SOCIAL_WORKER, Role.CARER, Role.VS_ADVISER})
AUTHORITY_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})

# Who reads every section of a PEP: the people who work on it for the authority and the school.
# The carer and the child read only what a form shares with them (forms.schema.section_readers).
STAFF_READERS = frozenset(
    {Role.DESIGNATED_TEACHER, Role.SOCIAL_WORKER, Role.VS_ADVISER, Role.REVIEWER, Role.ADMIN}
)
