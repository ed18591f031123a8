"""Signing in with OpenID Connect: only people an admin has provisioned get in.

The address a provider sends finds the account only at its first sign-in, which binds the
account to the provider's identity for that person. From then on the binding alone decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.auth.identity import ProviderIdentity, ProviderKind
from portal.models import User
from portal.operations import audit
from portal.operations.audit import Actor


class SignInRefusal(StrEnum):
    """Why a sign-in was refused, as the audit trail records it."""

    NO_ACCOUNT = "no_account"
    EMAIL_NOT_VERIFIED = "email_not_verified"
    NO_EMAIL_ADDRESS = "no_email_address"
    ACCOUNT_INACTIVE = "account_inactive"
    # The account is linked to another sign-in (another provider, or another account there).
    IDENTITY_MISMATCH = "identity_mismatch"
    TENANT_NOT_ALLOWED = "tenant_not_allowed"
    DOMAIN_NOT_ALLOWED = "domain_not_allowed"
    PROVIDER_CLOCK_WRONG = "provider_clock_wrong"
    PROVIDER_REFUSED_CLIENT = "provider_refused_client"
    PROVIDER_DENIED = "provider_denied"
    SIGN_IN_EXPIRED = "sign_in_expired"
    INVALID_ID_TOKEN = "invalid_id_token"  # noqa: S105 - a reason, not a secret
    USERINFO_SUBJECT_MISMATCH = "userinfo_subject_mismatch"


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    refusal: SignInRefusal | None = None
    # With IDENTITY_MISMATCH: the provider the account is linked to, if it is known.
    linked_provider: str | None = None


def sign_in_with_oidc(
    session: Session, provider: str, identity: ProviderIdentity, client_address: str | None
) -> SignInResult:
    """Let in an active, provisioned user: by their binding, or by address at first sign-in."""
    user = bound_user(session, identity)
    first_sign_in = user is None or not _binding_is_current(user, identity)
    refusal = None
    if user is None:
        refusal, user = _account_for_first_sign_in(session, identity)
    if refusal is None and user is not None and not user.active:
        refusal = SignInRefusal.ACCOUNT_INACTIVE
    if refusal is not None or user is None:
        refusal = refusal or SignInRefusal.NO_ACCOUNT
        linked = user.sso_provider if user and refusal is SignInRefusal.IDENTITY_MISMATCH else None
        record_refusal(
            session,
            provider,
            refusal,
            client_address,
            user=user,
            issuer=identity.issuer,
            email=identity.address,
            tenant_id=identity.tenant_id,
            linked_provider=linked,
        )
        return SignInResult(None, refusal, linked)

    actor = Actor.for_user(user, client_address)
    if first_sign_in:
        _bind(user, provider, identity)
        audit.record(
            session,
            actor,
            "sign_in.identity_bound",
            "user",
            user.id,
            provider=provider,
            issuer=identity.issuer,
            tenant_id=identity.tenant_id,
            binding="tenant_and_object_id" if identity.tenant_id else "issuer_and_subject",
        )
    user.sso_provider = provider  # the name it is configured under now
    user.last_signed_in_at_utc = datetime.now(UTC)
    audit.record(session, actor, "sign_in.succeeded", "user", user.id, provider=provider)
    try:
        session.commit()
    except IntegrityError:  # the same identity was bound to another account at this moment
        session.rollback()
        record_refusal(
            session,
            provider,
            SignInRefusal.IDENTITY_MISMATCH,
            client_address,
            issuer=identity.issuer,
            email=identity.address,
        )
        return SignInResult(None, SignInRefusal.IDENTITY_MISMATCH)
    return SignInResult(user)


def bound_user(session: Session, identity: ProviderIdentity) -> User | None:
    """The account already bound to this identity, if any."""
    if identity.kind is ProviderKind.ENTRA:
        user = session.scalar(
            select(User).where(
                User.sso_tenant_id == identity.tenant_id,
                User.sso_object_id == identity.object_id,
            )
        )
        if user is not None:
            return user
        # Bound by issuer + subject before the provider was set up as Entra ID: still theirs,
        # and rebound to tenant + object id at this sign-in.
        return session.scalar(
            select(User).where(
                User.sso_object_id.is_(None),
                User.sso_issuer == identity.issuer,
                User.sso_subject == identity.subject,
            )
        )
    return session.scalar(
        select(User).where(User.sso_issuer == identity.issuer, User.sso_subject == identity.subject)
    )


def _binding_is_current(user: User, identity: ProviderIdentity) -> bool:
    if identity.kind is ProviderKind.ENTRA:
        return (user.sso_tenant_id, user.sso_object_id) == (identity.tenant_id, identity.object_id)
    return True


def _account_for_first_sign_in(
    session: Session, identity: ProviderIdentity
) -> tuple[SignInRefusal | None, User | None]:
    if not identity.address:
        return SignInRefusal.NO_EMAIL_ADDRESS, None
    if not identity.address_verified:
        return SignInRefusal.EMAIL_NOT_VERIFIED, None
    user = session.scalar(select(User).where(func.lower(User.email) == identity.address))
    if user is None:
        return SignInRefusal.NO_ACCOUNT, None
    if user.sign_in_is_linked:
        return SignInRefusal.IDENTITY_MISMATCH, user
    return None, user


def _bind(user: User, provider: str, identity: ProviderIdentity) -> None:
    user.sso_provider = provider
    if identity.kind is ProviderKind.ENTRA:
        user.sso_tenant_id, user.sso_object_id = identity.tenant_id, identity.object_id
        user.sso_issuer = user.sso_subject = None
    else:
        user.sso_issuer, user.sso_subject = identity.issuer, identity.subject
        user.sso_tenant_id = user.sso_object_id = None


def record_refusal(
    session: Session,
    provider: str,
    reason: SignInRefusal,
    client_address: str | None,
    *,
    user: User | None = None,
    **details: Any,
) -> None:
    """Audit a refused sign-in with its reason (and whatever the provider said)."""
    audit.record(
        session,
        Actor.anonymous(client_address),
        "sign_in.refused",
        "user",
        user.id if user else None,
        reason=reason.value,
        provider=provider,
        **details,
    )
    session.commit()


def unlink_sign_in(session: Session, actor: Actor, user: User) -> bool:
    """Forget the account's sign-in binding, so its next sign-in binds afresh by address."""
    if not user.sign_in_is_linked:
        return False
    audit.record(
        session,
        actor,
        "sign_in.unlinked",
        "user",
        user.id,
        provider=user.sso_provider,
        issuer=user.sso_issuer,
        tenant_id=user.sso_tenant_id,
    )
    user.sso_provider = user.sso_issuer = user.sso_subject = None
    user.sso_tenant_id = user.sso_object_id = None
    session.commit()
    return True
