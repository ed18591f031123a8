"""The roles people hold in the PEP process."""

from enum import StrEnum


class Role(StrEnum):
    """A role a person can hold; section owners use the same names (plus the child)."""

    DESIGNATED_TEACHER = "designated_teacher"
    SOCIAL_WORKER = "social_worker"
    SW_TEAM_MANAGER = "sw_team_manager"
    CARER = "carer"
    VS_ADVISER = "vs_adviser"
    REVIEWER = "reviewer"
    VS_HEAD = "vs_head"
    ADMIN = "admin"
    CHILD = "child"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.DESIGNATED_TEACHER: "Designated teacher",
    Role.SOCIAL_WORKER: "Social worker",
    Role.SW_TEAM_MANAGER: "Social work team manager",
    Role.CARER: "Carer",
    Role.VS_ADVISER: "Virtual School adviser",
    Role.REVIEWER: "Virtual School reviewer",
    Role.VS_HEAD: "Virtual School head",
    Role.ADMIN: "Virtual School admin",
    Role.CHILD: "Child or young person",
}

# Roles granted for a school, for a child (a case assignment), or across the authority.
# The social work team manager is granted for each child of the team's caseload, as the social
# worker is; the Virtual School head leads the whole Virtual School, as the reviewers work across
# it. Both oversee and chase: they read, and own no section and no step of the sign-off. The
# head leads the Virtual School but does not quality-assure or sign off as the head: that is the
# reviewers' work, kept apart so that a sign-off always names who checked the PEP; a head who
# also reviews PEPs is given the reviewer's role as well.
SCHOOL_ROLES = frozenset({Role.DESIGNATED_TEACHER})
CASE_ROLES = frozenset({Role.SOCIAL_WORKER, Role.SW_TEAM_MANAGER, Role.CARER, Role.VS_ADVISER})
AUTHORITY_ROLES = frozenset({Role.REVIEWER, Role.VS_HEAD, Role.ADMIN})

# Who reads every section of a PEP: the people who work on it for the authority and the school,
# and those who oversee it (the team manager, for their team's children; the head, for all).
# The carer and the child read only what a form shares with them (forms.schema.section_readers).
STAFF_READERS = frozenset(
    {
        Role.DESIGNATED_TEACHER,
        Role.SOCIAL_WORKER,
        Role.SW_TEAM_MANAGER,
        Role.VS_ADVISER,
        Role.REVIEWER,
        Role.VS_HEAD,
        Role.ADMIN,
    }
)
