"""Reading who signed in from a provider's claims, the way each real provider sends them."""

from __future__ import annotations

import pytest

from portal.auth.identity import (
    ClaimRules,
    ClaimsRefused,
    ClockProblem,
    ProviderKind,
    address_from,
    address_is_verified,
    clock_problem,
    identity_from,
    issuer_matches,
    merge_userinfo,
    needs_userinfo,
    read_boolean_claim,
)

TENANT = "4d2c7e1a-0b5f-4c1e-9a8e-3f6b2d9c1a70"
ENTRA = ClaimRules(kind=ProviderKind.ENTRA, email_claim="preferred_username")
ENTRA_TOKEN = {
    "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
    "sub": "pairwise-subject",
    "oid": "00000000-0000-0000-66f3-3332eca7ea81",
    "tid": TENANT,
    "preferred_username": "Priya.Shah@Oakfield.example",
}


@pytest.mark.parametrize(
    ("value", "read"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        (" TRUE ", True),
        ("False", False),
        ("yes", None),
        (1, None),
        (0, None),
        (None, None),
        ("", None),
    ],
)
def test_boolean_claims_are_read_as_booleans_or_as_strings(value, read):
    assert read_boolean_claim(value) is read


@pytest.mark.parametrize("claim", ["email", "preferred_username", "upn"])
def test_the_address_comes_from_the_configured_claim_in_lower_case(claim):
    claims = {claim: "  Priya.Shah@Oakfield.example ", "email": "other@example.org"}
    if claim == "email":
        claims["email"] = "  Priya.Shah@Oakfield.example "
    assert address_from(claims, ClaimRules(email_claim=claim)) == "priya.shah@oakfield.example"


@pytest.mark.parametrize("value", [None, "", "priya", 42, ["a@b.example"]])
def test_a_missing_or_unusable_address_reads_as_none(value):
    assert address_from({"email": value}, ClaimRules()) == ""


@pytest.mark.parametrize(
    ("claims", "rules", "verified"),
    [
        # Strict by default: only a token that says so.
        ({"email_verified": True}, ClaimRules(), True),
        ({"email_verified": "true"}, ClaimRules(), True),
        ({"email_verified": "false"}, ClaimRules(), False),
        ({}, ClaimRules(), False),
        # A trusted provider's addresses count as verified where the token does not say...
        ({}, ClaimRules(trust_email=True), True),
        # ...but never against what the token says.
        ({"email_verified": False}, ClaimRules(trust_email=True), False),
        # Entra: xms_edov stands in for the email_verified it never sends.
        ({"xms_edov": True}, ENTRA, True),
        ({"xms_edov": "true"}, ENTRA, True),
        ({"xms_edov": False}, ClaimRules(kind=ProviderKind.ENTRA, trust_email=True), False),
        ({}, ENTRA, False),
        ({}, ClaimRules(kind=ProviderKind.ENTRA, trust_email=True), True),
        # xms_edov means nothing from other providers.
        ({"xms_edov": True}, ClaimRules(), False),
        # email_verified, where a token has it, goes first.
        ({"email_verified": False, "xms_edov": True}, ENTRA, False),
        # It is about the `email` claim: an address read from the username is vouched for only
        # where `email` carries the same address (in any case)...
        (
            {
                "preferred_username": "Ann@School.example",
                "email": "ann@school.example",
                "email_verified": True,
            },
            ClaimRules(email_claim="preferred_username"),
            True,
        ),
        # ...never where it is another address: then only the provider's trust decides.
        (
            {
                "preferred_username": "admin@council.example",
                "email": "m@elsewhere.example",
                "email_verified": True,
            },
            ClaimRules(email_claim="preferred_username"),
            False,
        ),
        (
            {"upn": "admin@council.example", "email_verified": True},
            ClaimRules(email_claim="upn"),
            False,
        ),
        # A token saying an address is not verified is never overruled, not even by trust.
        (
            {"upn": "ann@school.example", "email": "m@elsewhere.example", "email_verified": False},
            ClaimRules(email_claim="upn", trust_email=True),
            False,
        ),
        # Trust alone lets in an address read from the username, as the authority decided.
        (
            {"upn": "ann@school.example", "email": "m@elsewhere.example", "email_verified": True},
            ClaimRules(email_claim="upn", trust_email=True),
            True,
        ),
    ],
)
def test_whether_an_address_is_verified(claims, rules, verified):
    assert address_is_verified(claims, rules) is verified


@pytest.mark.parametrize(
    ("claims", "rules", "needed"),
    [
        ({"email": "a@b.example", "email_verified": True}, ClaimRules(), False),
        ({"email": "a@b.example"}, ClaimRules(), True),
        ({}, ClaimRules(), True),
        ({"preferred_username": "a@b.example"}, ENTRA, False),
        ({}, ENTRA, True),
        # The address from another claim: userinfo may carry the `email` that verifies it...
        ({"upn": "a@b.example"}, ClaimRules(email_claim="upn"), True),
        ({"upn": "a@b.example", "email_verified": True}, ClaimRules(email_claim="upn"), True),
        # ...not needed once the token has both.
        (
            {"upn": "a@b.example", "email": "a@b.example", "email_verified": True},
            ClaimRules(email_claim="upn"),
            False,
        ),
    ],
)
def test_userinfo_is_read_only_when_the_id_token_lacks_the_address_or_its_verification(
    claims, rules, needed
):
    assert needs_userinfo(claims, rules) is needed


def test_userinfo_fills_only_the_address_claims_the_id_token_lacks():
    claims = {"iss": "https://idp.example", "sub": "s1", "name": "From the ID token"}
    userinfo = {
        "sub": "s1",
        "email": "a@b.example",
        "email_verified": "true",
        "name": "From userinfo",
        "tid": "a-tenant",
        "iss": "https://elsewhere.example",
    }
    merged = merge_userinfo(claims, userinfo)
    assert merged == {
        "iss": "https://idp.example",
        "sub": "s1",
        "name": "From the ID token",
        "email": "a@b.example",
        "email_verified": "true",
    }


def test_userinfo_about_another_subject_is_refused():
    with pytest.raises(ClaimsRefused) as refused:
        merge_userinfo({"sub": "s1"}, {"sub": "s2", "email": "a@b.example"})
    assert refused.value.reason == "userinfo_subject_mismatch"


@pytest.mark.parametrize(
    ("advertised", "claims", "matches"),
    [
        ("https://idp.example/realms/x", {"iss": "https://idp.example/realms/x"}, True),
        ("https://idp.example/realms/x", {"iss": "https://idp.example/realms/y"}, False),
        ("https://idp.example/realms/x", {"iss": "https://idp.example/realms/x/"}, False),
        ("https://idp.example", {}, False),
        # Entra's multi-tenant template, filled in with the token's own tenant.
        (
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            {"iss": f"https://login.microsoftonline.com/{TENANT}/v2.0", "tid": TENANT},
            True,
        ),
        (
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            {"iss": f"https://login.microsoftonline.com/{TENANT}/v2.0", "tid": "another"},
            False,
        ),
        (
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            {"iss": "https://login.microsoftonline.com/{tenantid}/v2.0"},
            False,
        ),
        (
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            {"iss": "https://evil.example/x/v2.0", "tid": "../../evil.example/x"},
            False,
        ),
    ],
)
def test_the_issuer_is_the_advertised_one_or_its_tenant_template_filled_in(
    advertised, claims, matches
):
    assert issuer_matches(advertised, claims) is matches


NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({"iat": NOW, "exp": NOW + 3600}, None),
        ({"iat": NOW + 119, "exp": NOW + 3719}, None),
        ({"iat": NOW - 3000, "exp": NOW - 100}, None),
        ({"iat": NOW + 600, "exp": NOW + 4200}, ClockProblem("iat", 600)),
        ({"iat": NOW, "nbf": NOW + 300, "exp": NOW + 3600}, ClockProblem("nbf", 300)),
        ({"iat": NOW - 7200, "exp": NOW - 3600}, ClockProblem("exp", -3600)),
        ({"iat": "soon", "exp": True}, None),  # not times: left to the token checks
    ],
)
def test_a_token_stamped_outside_the_leeway_names_the_clock(claims, problem):
    assert clock_problem(claims, NOW) == problem


def test_an_entra_identity_is_its_tenant_and_object_id():
    identity = identity_from({**ENTRA_TOKEN, "xms_edov": True}, ENTRA)
    assert identity.kind is ProviderKind.ENTRA
    assert (identity.tenant_id, identity.object_id) == (TENANT, ENTRA_TOKEN["oid"])
    assert identity.address == "priya.shah@oakfield.example"
    assert identity.address_verified is True


def test_an_entra_token_without_oid_or_tid_is_refused():
    for missing in ("oid", "tid"):
        claims = {k: v for k, v in ENTRA_TOKEN.items() if k != missing}
        with pytest.raises(ClaimsRefused) as refused:
            identity_from(claims, ENTRA)
        assert refused.value.reason == "invalid_id_token"


def test_entra_people_of_a_tenant_not_allowed_are_refused():
    rules = ClaimRules(kind=ProviderKind.ENTRA, allowed_tenants=frozenset({"another-tenant"}))
    with pytest.raises(ClaimsRefused) as refused:
        identity_from(ENTRA_TOKEN, rules)
    assert refused.value.reason == "tenant_not_allowed"
    allowed = ClaimRules(kind=ProviderKind.ENTRA, allowed_tenants=frozenset({TENANT}))
    assert identity_from(ENTRA_TOKEN, allowed).tenant_id == TENANT


@pytest.mark.parametrize("hd", ["school.example", "SCHOOL.example"])
def test_google_workspace_people_of_an_allowed_domain_are_let_through(hd):
    rules = ClaimRules(allowed_domains=frozenset({"school.example"}))
    claims = {"iss": "https://accounts.google.com", "sub": "1", "hd": hd}
    assert identity_from(claims, rules).subject == "1"


@pytest.mark.parametrize("hd", [None, "gmail.com", "evil-school.example"])
def test_google_accounts_outside_the_allowed_domains_are_refused(hd):
    rules = ClaimRules(allowed_domains=frozenset({"school.example"}))
    claims = {"iss": "https://accounts.google.com", "sub": "1"}
    if hd:
        claims["hd"] = hd
    with pytest.raises(ClaimsRefused) as refused:
        identity_from(claims, rules)
    assert refused.value.reason == "domain_not_allowed"


def test_a_generic_identity_is_its_issuer_and_subject():
    claims = {"iss": "https://idp.example/realms/x", "sub": "abc", "email": "A@B.example"}
    identity = identity_from({**claims, "email_verified": "true"}, ClaimRules())
    assert (identity.issuer, identity.subject) == ("https://idp.example/realms/x", "abc")
    assert (identity.tenant_id, identity.object_id) == (None, None)
    assert (identity.address, identity.address_verified) == ("a@b.example", True)


@pytest.mark.parametrize("claims", [{"sub": "abc"}, {"iss": "https://idp.example"}, {}])
def test_a_token_without_issuer_or_subject_is_refused(claims):
    with pytest.raises(ClaimsRefused) as refused:
        identity_from(claims, ClaimRules())
    assert refused.value.reason == "invalid_id_token"
