"""Who signed in, read from a provider's claims: pure rules, no Flask, no database.

Providers differ in what they send. Entra ID never sends `email_verified` and may carry the
address only in `preferred_username` or `upn`; some providers send `email_verified` as the
string "true"; some put `email` only in userinfo. The address finds an account only at its first
sign-in: after that the binding decides (Entra: `oid` + `tid`; elsewhere: issuer + `sub`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ProviderKind(StrEnum):
    """How a provider identifies people: by issuer + `sub`, or (Entra ID) by `tid` + `oid`."""

    GENERIC = "generic"
    ENTRA = "entra"


class ClientAuthMethod(StrEnum):
    """How the portal authenticates itself to the provider's token endpoint."""

    BASIC = "client_secret_basic"
    POST = "client_secret_post"


ADDRESS_CLAIMS = ("email", "preferred_username", "upn")
# Entra's "email domain owner verified" optional claim.
ENTRA_DOMAIN_VERIFIED_CLAIM = "xms_edov"
# Entra's multi-tenant endpoints; their discovery document names the issuer as a template.
ENTRA_MULTI_TENANT_SEGMENTS = frozenset({"organizations", "common", "consumers"})
TENANT_PLACEHOLDER = "{tenantid}"
# A tenant id is a GUID; a test tenant may be a plain name. Never a path or a URL.
TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$")
# How far the provider's clock may be from ours before its tokens are refused.
CLOCK_LEEWAY_SECONDS = 120
# Claims userinfo may supply when the ID token lacks them; the rest come from the ID token only.
USERINFO_FILLS = (*ADDRESS_CLAIMS, "email_verified", "name")


@dataclass(frozen=True)
class ClaimRules:
    """How to read one provider's claims (built from its settings)."""

    kind: ProviderKind = ProviderKind.GENERIC
    email_claim: str = "email"
    trust_email: bool = False
    allowed_tenants: frozenset[str] = field(default_factory=frozenset)
    allowed_domains: frozenset[str] = field(default_factory=frozenset)


class ClaimsRefused(Exception):
    """The claims themselves rule the sign-in out; `reason` is what the audit records."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says signed in, and the address it gave, read by the provider's rules."""

    kind: ProviderKind
    issuer: str
    subject: str
    address: str  # lower case; "" when the provider sent none
    address_verified: bool
    tenant_id: str | None = None
    object_id: str | None = None


@dataclass(frozen=True)
class ClockProblem:
    """A token stamped outside the leeway: the provider's clock (or ours) is wrong."""

    claim: str  # iat, nbf or exp
    seconds_off: int


def read_boolean_claim(value: object) -> bool | None:
    """A boolean claim sent as JSON true/false or as the string "true"/"false"; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return None


def address_from(claims: Mapping[str, Any], rules: ClaimRules) -> str:
    """The address in the claim the provider carries it in, in lower case ("" if none)."""
    value = claims.get(rules.email_claim)
    if not isinstance(value, str) or "@" not in value:
        return ""
    return value.strip().lower()


def address_is_verified(claims: Mapping[str, Any], rules: ClaimRules) -> bool:
    """What the token says first; then Entra's xms_edov; then whether the provider is trusted.

    `email_verified` is about the `email` claim (OpenID Connect Core 5.1), nothing else: it
    vouches for an address read from `preferred_username` or `upn` only where `email` carries
    that same address. Where people choose their own username (a self-registration realm), a
    verified address of one's own says nothing about a username spelled as someone else's
    address, which would otherwise find that person's account at its first sign-in.
    """
    stated = read_boolean_claim(claims.get("email_verified"))
    if stated is False:  # a token that says "not verified" is never overruled
        return False
    if stated is True and _email_claim_carries(claims, rules):
        return True
    if rules.kind is ProviderKind.ENTRA:
        # Entra's own statement, from a tenant whose administrators set every user's names.
        domain_owner_verified = read_boolean_claim(claims.get(ENTRA_DOMAIN_VERIFIED_CLAIM))
        if domain_owner_verified is not None:
            return domain_owner_verified
    return rules.trust_email


def _email_claim_carries(claims: Mapping[str, Any], rules: ClaimRules) -> bool:
    """Whether the address the account is found by is the one in the `email` claim."""
    if rules.email_claim == "email":
        return True
    email = claims.get("email")
    return isinstance(email, str) and email.strip().lower() == address_from(claims, rules)


def needs_userinfo(claims: Mapping[str, Any], rules: ClaimRules) -> bool:
    """Whether the ID token lacks what userinfo may have: the address, or whether it is verified.

    Entra never says whether an address is verified, so its userinfo is read only for the address.
    """
    if not address_from(claims, rules):
        return True
    # `email_verified` is about `email` (address_is_verified): where the address is read from
    # another claim, userinfo may hold the `email` that shows the two are the same address.
    return rules.kind is ProviderKind.GENERIC and (
        "email_verified" not in claims or (rules.email_claim != "email" and "email" not in claims)
    )


def merge_userinfo(claims: Mapping[str, Any], userinfo: Mapping[str, Any]) -> dict[str, Any]:
    """Fill the address claims the ID token lacks from userinfo, which must be about the same
    person (OpenID Connect Core 5.3.4); everything else comes from the signed ID token alone."""
    if userinfo.get("sub") != claims.get("sub"):
        raise ClaimsRefused("userinfo_subject_mismatch", "userinfo is about another subject")
    merged = dict(claims)
    for name in USERINFO_FILLS:
        if name not in merged and name in userinfo:
            merged[name] = userinfo[name]
    return merged


def issuer_matches(advertised_issuer: str, claims: Mapping[str, Any]) -> bool:
    """The token's `iss` is the issuer discovery advertised; where that is Entra's multi-tenant
    template (`.../{tenantid}/v2.0`), the template filled in with the token's own `tid`."""
    issuer = claims.get("iss")
    if not isinstance(issuer, str):
        return False
    if TENANT_PLACEHOLDER not in advertised_issuer:
        return issuer == advertised_issuer
    tenant = claims.get("tid")
    if not isinstance(tenant, str) or not TENANT_ID.match(tenant):
        return False
    return issuer == advertised_issuer.replace(TENANT_PLACEHOLDER, tenant)


def clock_problem(
    claims: Mapping[str, Any], now: float, leeway: int = CLOCK_LEEWAY_SECONDS
) -> ClockProblem | None:
    """A token issued in the future, not yet valid, or already expired when it arrives."""

    def stamp(name: str) -> float | None:
        value = claims.get(name)
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if is_number else None

    issued_at, not_before, expires = stamp("iat"), stamp("nbf"), stamp("exp")
    if issued_at is not None and issued_at > now + leeway:
        return ClockProblem("iat", round(issued_at - now))
    if not_before is not None and not_before > now + leeway:
        return ClockProblem("nbf", round(not_before - now))
    if expires is not None and expires < now - leeway:
        return ClockProblem("exp", round(expires - now))
    return None


def identity_from(claims: Mapping[str, Any], rules: ClaimRules) -> ProviderIdentity:
    """Read who signed in; raise ClaimsRefused where the organisation is not allowed in."""
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not isinstance(subject, str) or not subject:
        raise ClaimsRefused("invalid_id_token", "the ID token has no issuer or subject")

    tenant_id = object_id = None
    if rules.kind is ProviderKind.ENTRA:
        tenant_id, object_id = claims.get("tid"), claims.get("oid")
        if not isinstance(tenant_id, str) or not isinstance(object_id, str) or not object_id:
            raise ClaimsRefused("invalid_id_token", "an Entra ID token without oid and tid")
        if rules.allowed_tenants and tenant_id.lower() not in rules.allowed_tenants:
            raise ClaimsRefused("tenant_not_allowed", f"tenant {tenant_id}")
    if rules.allowed_domains:
        # Google Workspace names the account's domain in `hd`; a personal account has none.
        domain = claims.get("hd")
        if not isinstance(domain, str) or domain.lower() not in rules.allowed_domains:
            raise ClaimsRefused("domain_not_allowed", f"hosted domain {domain or 'none'}")

    return ProviderIdentity(
        kind=rules.kind,
        issuer=issuer,
        subject=subject,
        address=address_from(claims, rules),
        address_verified=address_is_verified(claims, rules),
        tenant_id=tenant_id.lower() if tenant_id else None,
        object_id=object_id.lower() if object_id else None,
    )
