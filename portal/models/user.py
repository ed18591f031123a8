"""People who sign in, and the roles they hold."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.academic import england_day
from portal.models.base import Entity, UtcDateTime
from portal.models.child import Child
from portal.models.school import School
from workflows.roles import AUTHORITY_ROLES, CASE_ROLES, SCHOOL_ROLES, Role


def _quoted(roles: frozenset[Role]) -> str:
    return ", ".join(f"'{role.value}'" for role in sorted(roles))


class User(Entity):
    """A person with an account, provisioned by an admin or an import before first sign-in."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("sso_issuer", "sso_subject", name="sso_identity"),
        # An Entra ID person (tenant + object id) is bound to at most one account.
        Index("uq_users_entra_identity", "sso_tenant_id", "sso_object_id", unique=True),
        # One account per address whatever its case, on SQLite and PostgreSQL alike.
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
        # The admin's staff list in name order reads a page of this index.
        Index("ix_users_by_name", func.lower(text("display_name")), "email", "id"),
    )

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bound at first sign-in, after which the binding (never the address) finds the account:
    # issuer + subject for most providers; Entra ID's tenant + object id (Microsoft advises
    # against identifying people by address, and its `sub` differs for each app registration).
    sso_issuer: Mapped[str | None] = mapped_column(String(300))
    sso_subject: Mapped[str | None] = mapped_column(String(255))
    sso_tenant_id: Mapped[str | None] = mapped_column(String(64))
    sso_object_id: Mapped[str | None] = mapped_column(String(64))
    # The configured provider the binding was made with, to name it when another is used.
    sso_provider: Mapped[str | None] = mapped_column(String(40))
    last_signed_in_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", lazy="selectin", cascade="all, delete-orphan"
    )

    @validates("email")
    def _normalise_email(self, _key: str, address: str) -> str:
        """Addresses are kept in lower case, as sign-in looks them up."""
        return address.strip().lower()

    @property
    def sign_in_is_linked(self) -> bool:
        return self.sso_subject is not None or self.sso_object_id is not None

    def roles(self) -> frozenset[Role]:
        return frozenset(Role(grant.role) for grant in self.grants)

    def has_authority_role(self, *roles: Role) -> bool:
        return any(Role(grant.role) in roles for grant in self.grants)


class RoleGrant(Entity):
    """A role held by a user: for a school, for one child (a case assignment), or authority-wide."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "school_id", "child_id", name="one_grant"),
        CheckConstraint(
            f"(role IN ({_quoted(SCHOOL_ROLES)})"
            " AND school_id IS NOT NULL AND child_id IS NULL)"
            f" OR (role IN ({_quoted(CASE_ROLES)})"
            " AND child_id IS NOT NULL AND school_id IS NULL)"
            f" OR (role IN ({_quoted(AUTHORITY_ROLES)})"
            " AND school_id IS NULL AND child_id IS NULL)",
            name="scope_matches_role",
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("schools.id"), index=True)
    child_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("children.id"), index=True)
    # A carer's grant: the day the child's placement with them began. They read only PEPs of
    # terms that end on or after it; without it, the day the grant was made.
    starts_on: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship(back_populates="grants")
    school: Mapped[School | None] = relationship()
    child: Mapped[Child | None] = relationship()

    @property
    def placement_start(self) -> date:
        """The first day this grant's holder may read about: its start, or the day in England
        it was made (a grant made at 23:30 UTC on 31 August was made on 1 September here)."""
        if self.starts_on is not None:
            return self.starts_on
        return england_day(self.created_at_utc)
