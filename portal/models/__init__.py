"""SQLAlchemy models, one module per aggregate."""

from portal.models.audit import AuditEvent
from portal.models.base import Base, Entity
from portal.models.child import Child, LegalStatus
from portal.models.invite import ContributionInvite
from portal.models.pep import Pep, PepSection, Term
from portal.models.rate_limit import RateLimitCounter
from portal.models.record import PepRecord
from portal.models.school import School, SchoolPhase
from portal.models.session import UserSession
from portal.models.user import RoleGrant, User

__all__ = [
    "AuditEvent",
    "Base",
    "Child",
    "ContributionInvite",
    "Entity",
    "LegalStatus",
    "Pep",
    "PepRecord",
    "PepSection",
    "RateLimitCounter",
    "RoleGrant",
    "School",
    "SchoolPhase",
    "Term",
    "User",
    "UserSession",
]
