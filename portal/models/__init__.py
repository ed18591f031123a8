"""SQLAlchemy models, one module per aggregate."""

from portal.models.audit import AuditEvent
from portal.models.base import Base, Entity
from portal.models.calendar import TermDate
from portal.models.child import CareEpisode, Child, NoSchoolPlace
from portal.models.child_event import ChildEvent, ChildEventKind
from portal.models.email import Email, EmailStatus
from portal.models.import_run import ImportKind, ImportRun, ImportStatus
from portal.models.invite import ContributionInvite
from portal.models.meeting import InviteeRole, PepMeeting, PepMeetingInvitee
from portal.models.pep import Pep, PepSection, Term
from portal.models.rate_limit import RateLimitCounter
from portal.models.record import PepRecord
from portal.models.school import School, SchoolPhase, SettingSource
from portal.models.session import UserSession
from portal.models.timeliness import ChildTimeliness, TimelinessObligation
from portal.models.user import RoleGrant, User

__all__ = [
    "AuditEvent",
    "Base",
    "CareEpisode",
    "Child",
    "ChildEvent",
    "ChildEventKind",
    "ChildTimeliness",
    "ContributionInvite",
    "Email",
    "EmailStatus",
    "Entity",
    "ImportKind",
    "ImportRun",
    "ImportStatus",
    "InviteeRole",
    "NoSchoolPlace",
    "Pep",
    "PepMeeting",
    "PepMeetingInvitee",
    "PepRecord",
    "PepSection",
    "RateLimitCounter",
    "RoleGrant",
    "School",
    "SchoolPhase",
    "SettingSource",
    "Term",
    "TermDate",
    "TimelinessObligation",
    "User",
    "UserSession",
]
