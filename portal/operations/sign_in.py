"""Signing in with OpenID Connect: only people an admin has provisioned get in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import User
from portal.operations import audit
from portal.operations.audit import Actor


@dataclass(frozen=True)
class VerifiedClaims:
    """What the provider asserted in a validated ID token."""

    provider: str
    issuer: str
    subject: str
    email: str
    email_verified: bool


class SignInRefusal(StrEnum):
    EMAIL_NOT_VERIFIED = "email_not_verified"
    NO_ACCOUNT = "no_account"
    ACCOUNT_INACTIVE = "account_inactive"
    IDENTITY_MISMATCH = "identity_mismatch"
    IDENTITY_BELONGS_TO_ANOTHER_USER = "identity_belongs_to_another_user"


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    refusal: SignInRefusal | None = None


def sign_in_with_oidc(
    session: Session, claims: VerifiedClaims, client_address: str | None
) -> SignInResult:
    """Let in an active, provisioned user; bind their SSO identity on first sign-in."""
    email = claims.email.strip().lower()
    user = None
    if email:
        user = session.scalar(select(User).where(func.lower(User.email) == email))

    refusal = _refusal_for(session, claims, user)
    if refusal is not None or user is None:
        audit.record(
            session,
            Actor.anonymous(client_address),
            "sign_in.refused",
            "user",
            user.id if user else None,
            reason=(refusal or SignInRefusal.NO_ACCOUNT).value,
            provider=claims.provider,
            issuer=claims.issuer,
            email=email,
        )
        session.commit()
        return SignInResult(None, refusal or SignInRefusal.NO_ACCOUNT)

    actor = Actor.for_user(user, client_address)
    if user.sso_subject is None:
        user.sso_issuer = claims.issuer
        user.sso_subject = claims.subject
        audit.record(
            session,
            actor,
            "sign_in.identity_bound",
            "user",
            user.id,
            provider=claims.provider,
            issuer=claims.issuer,
        )
    user.last_signed_in_at_utc = datetime.now(UTC)
    audit.record(session, actor, "sign_in.succeeded", "user", user.id, provider=claims.provider)
    session.commit()
    return SignInResult(user)


def _refusal_for(
    session: Session, claims: VerifiedClaims, user: User | None
) -> SignInRefusal | None:
    if not claims.email_verified:
        return SignInRefusal.EMAIL_NOT_VERIFIED
    if user is None:
        return SignInRefusal.NO_ACCOUNT
    if not user.active:
        return SignInRefusal.ACCOUNT_INACTIVE
    if user.sso_subject is not None:
        if (user.sso_issuer, user.sso_subject) != (claims.issuer, claims.subject):
            return SignInRefusal.IDENTITY_MISMATCH
        return None
    holder = session.scalar(
        select(User).where(User.sso_issuer == claims.issuer, User.sso_subject == claims.subject)
    )
    if holder is not None and holder.id != user.id:
        return SignInRefusal.IDENTITY_BELONGS_TO_ANOTHER_USER
    return None


def record_sign_out(session: Session, user: User, client_address: str | None) -> None:
    audit.record(session, Actor.for_user(user, client_address), "sign_out", "user", user.id)
    session.commit()
