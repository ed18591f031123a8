"""Sign-in against providers configured the way authorities really run them.

Each provider below is a real OpenID Connect provider (devtools/oidc/server.mjs) started once per
run, configured like one real provider: Entra ID (no `email_verified`, the address in
`preferred_username` or `upn`, `oid`/`tid`, `xms_edov`; single and multi-tenant), one that sends
`email_verified` as a string, one with `email` only in userinfo, one that accepts only
`client_secret_post`, clocks ahead and behind, Keycloak (an issuer with a path) and Google
Workspace (`hd`, no RP-initiated logout). Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from devtools.oidc_provider import OidcProvider, running_oidc_providers
from portal import create_app
from portal.auth.identity import ClientAuthMethod, ProviderKind
from portal.config import OidcProviderSettings
from portal.extensions import db
from portal.models import AuditEvent, User
from tests.conftest import DEMO_EMAILS, complete_oidc_sign_in, csrf_token_from, portal_config

MALLORY = "mallory@elsewhere.example"
TENANT = "4d2c7e1a-0b5f-4c1e-9a8e-3f6b2d9c1a70"
OTHER_TENANT = "9b1f0c3e-5d7a-4e2b-8c6f-1a0d3e5b7c92"
ENTRA_CLAIMS = {
    "email": None,
    "email_verified": None,
    "preferred_username": "{login}",
    "upn": "{login}",
    "oid": "{oid}",
    "tid": TENANT,
    "xms_edov": True,
}
PROVIDER_CONFIGS: dict[str, dict[str, Any]] = {
    "entra": {
        "issuer_path": f"/{TENANT}/v2.0",
        "claims": ENTRA_CLAIMS,
        "accounts": {
            DEMO_EMAILS["social_worker"]: {"xms_edov": False},
            DEMO_EMAILS["carer"]: {"xms_edov": None},
        },
    },
    # The same tenant through a new app registration: every `sub` differs, `oid` does not.
    "entra_new_app": {
        "issuer_path": f"/{TENANT}/v2.0",
        "claims": ENTRA_CLAIMS,
        "subject_salt": "another-app-registration",
    },
    "entra_multi_tenant": {
        "issuer_path": "/organizations/v2.0",
        "tenant_issuer": "/{tenantid}/v2.0",
        "claims": {**ENTRA_CLAIMS, "preferred_username": None, "xms_edov": None},
        "accounts": {DEMO_EMAILS["reviewer"]: {"tid": OTHER_TENANT}},
    },
    "string_verified": {
        "signing_alg": "PS256",
        "claims": {"email_verified": "true"},
        "accounts": {DEMO_EMAILS["carer"]: {"email_verified": "false"}},
    },
    "userinfo_only": {"userinfo_only": ["email", "email_verified"]},
    # The address in the username, and `email` with `email_verified` only in userinfo.
    "username_userinfo": {
        "claims": {"preferred_username": "{login}"},
        "userinfo_only": ["email", "email_verified"],
    },
    "post_only": {"signing_alg": "ES256", "token_endpoint_auth_method": "client_secret_post"},
    "clock_ahead": {"clock_skew_seconds": 600},
    "clock_behind": {"clock_skew_seconds": -600, "id_token_ttl_seconds": 300},
    "keycloak": {"issuer_path": "/realms/openpep", "signing_alg": "ES256"},
    # A realm where people register themselves and choose their username: Mallory's own address
    # is verified, and the username she chose is spelled as the admin's address.
    "keycloak_usernames": {
        "issuer_path": "/realms/public",
        "claims": {"preferred_username": "{login}"},
        "accounts": {MALLORY: {"preferred_username": DEMO_EMAILS["admin"]}},
    },
    "google": {
        "claims": {"hd": "demo.openpep.test"},
        "accounts": {DEMO_EMAILS["admin"]: {"hd": None}},
        "rp_initiated_logout": False,
    },
}


@pytest.fixture(scope="session")
def providers() -> Iterator[dict[str, OidcProvider]]:
    with running_oidc_providers(PROVIDER_CONFIGS) as running:
        yield running


def settings_for(
    provider: OidcProvider, name: str, label: str | None = None, **options: Any
) -> OidcProviderSettings:
    return OidcProviderSettings(
        name=name,
        label=label or name.replace("_", " ").title(),
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        **options,
    )


@pytest.fixture
def portal(
    seeded: Flask, migrated_database: str, oidc_provider: OidcProvider
) -> Iterator[Callable[..., Flask]]:
    """A portal over the demo data with these providers besides the demo one."""
    built: list[Flask] = []

    def make(*providers: OidcProviderSettings) -> Flask:
        demo = settings_for(oidc_provider, "demo", "Demo sign-in")
        application = create_app(
            portal_config(migrated_database, oidc_provider, OIDC_PROVIDERS=(demo, *providers))
        )
        built.append(application)
        return application

    yield make
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def provider_origin(provider: OidcProvider) -> str:
    parts = urlsplit(provider.issuer)
    return f"{parts.scheme}://{parts.netloc}"


def sign_in_through(
    client: FlaskClient,
    provider: OidcProvider,
    name: str,
    email: str,
    browser: requests.Session | None = None,
) -> Any:
    """Sign in through the provider configured as `name` (see tests/conftest.py)."""
    return complete_oidc_sign_in(client, provider, email, name=name, browser=browser)


def user_by_email(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def refusals(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "sign_in.refused")
            .order_by(AuditEvent.occurred_at_utc)
        )
        return [dict(event.details) for event in events]


def audit_count(app: Flask, action: str) -> int:
    with app.app_context():
        return len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())


def page_text(response: Any) -> str:
    return " ".join(response.get_data(as_text=True).split())


def entra(providers: dict[str, OidcProvider], **options: Any) -> OidcProviderSettings:
    options.setdefault("email_claim", "preferred_username")
    return settings_for(
        providers["entra"], "entra", "Anytown staff account", kind=ProviderKind.ENTRA, **options
    )


# Entra ID --------------------------------------------------------------------------------------


@pytest.mark.parametrize("email_claim", ["preferred_username", "upn"])
def test_entra_lets_in_by_the_address_it_carries_and_binds_oid_and_tid(
    portal, providers, email_claim
):
    app = portal(entra(providers, email_claim=email_claim))
    response = sign_in_through(
        app.test_client(), providers["entra"], "entra", DEMO_EMAILS["dt_oakfield"]
    )
    assert response.status_code == 302, page_text(response)
    assert response.headers["Location"] == "/"
    user = user_by_email(app, DEMO_EMAILS["dt_oakfield"])
    assert user.sso_tenant_id == TENANT
    assert re.fullmatch(r"[0-9a-f-]{36}", user.sso_object_id)
    assert (user.sso_issuer, user.sso_subject, user.sso_provider) == (None, None, "entra")
    with app.app_context():
        bound = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "sign_in.identity_bound")
        )
        assert bound.details["binding"] == "tenant_and_object_id"
        assert bound.details["tenant_id"] == TENANT


def test_after_the_first_sign_in_the_binding_decides_not_the_address(portal, providers):
    app = portal(entra(providers))
    email = DEMO_EMAILS["dt_oakfield"]
    assert sign_in_through(app.test_client(), providers["entra"], "entra", email).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        user.email = "d.teacher@oakfield.example"  # the portal's record of the address changed
        db.session.commit()
    # The provider still sends the old address: the binding finds the account all the same.
    client = app.test_client()
    assert sign_in_through(client, providers["entra"], "entra", email).status_code == 302
    assert "Signed in as Priya Shah" in client.get("/").get_data(as_text=True)
    assert audit_count(app, "sign_in.identity_bound") == 1


def test_an_entra_account_stays_bound_when_the_app_registration_changes(portal, providers):
    email = DEMO_EMAILS["dt_oakfield"]
    first = portal(entra(providers))
    assert (
        sign_in_through(first.test_client(), providers["entra"], "entra", email).status_code == 302
    )
    # The authority registers the portal again: same tenant and people, a new `sub` for each.
    again = portal(
        settings_for(
            providers["entra_new_app"],
            "entra",
            kind=ProviderKind.ENTRA,
            email_claim="preferred_username",
        )
    )
    client = again.test_client()
    assert sign_in_through(client, providers["entra_new_app"], "entra", email).status_code == 302
    assert audit_count(again, "sign_in.identity_bound") == 1


def test_entra_refuses_an_address_whose_domain_owner_is_not_verified(portal, providers):
    app = portal(entra(providers, trust_email=True))
    client = app.test_client()
    response = sign_in_through(client, providers["entra"], "entra", DEMO_EMAILS["social_worker"])
    assert response.status_code == 403
    text = page_text(response)
    assert "Your sign-in provider did not confirm your email address" in text
    assert "Anytown staff account did not confirm" in text
    assert client.get("/children").status_code == 302
    assert refusals(app)[-1]["reason"] == "email_not_verified"


@pytest.mark.parametrize(("trust_email", "status"), [(False, 403), (True, 302)])
def test_without_xms_edov_entra_addresses_count_as_verified_only_where_trusted(
    portal, providers, trust_email, status
):
    app = portal(entra(providers, trust_email=trust_email))
    response = sign_in_through(app.test_client(), providers["entra"], "entra", DEMO_EMAILS["carer"])
    assert response.status_code == status
    if not trust_email:
        assert refusals(app)[-1]["reason"] == "email_not_verified"


def test_an_unknown_person_is_told_they_have_not_been_given_access(portal, providers):
    app = portal(entra(providers))
    response = sign_in_through(
        app.test_client(), providers["entra"], "entra", "stranger@example.org"
    )
    assert response.status_code == 403
    assert "You do not have access to this service" in page_text(response)
    refusal = refusals(app)[-1]
    assert refusal["reason"] == "no_account"
    assert refusal["email"] == "stranger@example.org"


@pytest.mark.parametrize("bound_first", [False, True])
def test_a_switched_off_account_is_told_so(portal, providers, bound_first):
    app = portal(entra(providers, trust_email=True))
    email = DEMO_EMAILS["reviewer"]
    if bound_first:
        assert (
            sign_in_through(app.test_client(), providers["entra"], "entra", email).status_code
            == 302
        )
    with app.app_context():
        db.session.scalar(select(User).where(User.email == email)).active = False
        db.session.commit()
    client = app.test_client()
    response = sign_in_through(client, providers["entra"], "entra", email)
    assert response.status_code == 403
    assert "Your account is switched off" in page_text(response)
    assert client.get("/children").status_code == 302
    assert refusals(app)[-1]["reason"] == "account_inactive"


def test_multi_tenant_entra_lets_in_people_of_an_allowed_tenant(portal, providers):
    provider = providers["entra_multi_tenant"]
    discovery = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5)
    assert discovery.json()["issuer"] == f"{provider_origin(provider)}/{{tenantid}}/v2.0"
    app = portal(
        settings_for(
            provider,
            "entra",
            kind=ProviderKind.ENTRA,
            email_claim="upn",
            trust_email=True,
            allowed_tenants=(TENANT,),
        )
    )
    response = sign_in_through(app.test_client(), provider, "entra", DEMO_EMAILS["dt_riverside"])
    assert response.status_code == 302, page_text(response)
    assert user_by_email(app, DEMO_EMAILS["dt_riverside"]).sso_tenant_id == TENANT


def test_multi_tenant_entra_refuses_people_of_other_tenants(portal, providers):
    provider = providers["entra_multi_tenant"]
    app = portal(
        settings_for(
            provider,
            "entra",
            "Anytown staff account",
            kind=ProviderKind.ENTRA,
            email_claim="upn",
            trust_email=True,
            allowed_tenants=(TENANT,),
        )
    )
    client = app.test_client()
    response = sign_in_through(client, provider, "entra", DEMO_EMAILS["reviewer"])
    assert response.status_code == 403
    assert "Your organisation cannot use this service" in page_text(response)
    assert client.get("/children").status_code == 302
    refusal = refusals(app)[-1]
    assert refusal["reason"] == "tenant_not_allowed"
    assert refusal["tenant_id"] == OTHER_TENANT
    assert user_by_email(app, DEMO_EMAILS["reviewer"]).sso_tenant_id is None


# Other providers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("dt_oakfield", 302), ("carer", 403)], ids=["true", "false"]
)
def test_email_verified_sent_as_a_string_is_read(portal, providers, who, status):
    app = portal(settings_for(providers["string_verified"], "school"))
    response = sign_in_through(
        app.test_client(), providers["string_verified"], "school", DEMO_EMAILS[who]
    )
    assert response.status_code == status
    if status == 403:
        assert refusals(app)[-1]["reason"] == "email_not_verified"


def test_an_address_only_in_userinfo_is_read_from_userinfo(portal, providers):
    provider = providers["userinfo_only"]
    app = portal(settings_for(provider, "council"))
    response = sign_in_through(app.test_client(), provider, "council", DEMO_EMAILS["admin"])
    assert response.status_code == 302, page_text(response)
    user = user_by_email(app, DEMO_EMAILS["admin"])
    assert (user.sso_issuer, user.sso_provider) == (provider.issuer, "council")


def test_a_username_verified_only_through_userinfo_is_read_from_userinfo(portal, providers):
    provider = providers["username_userinfo"]
    app = portal(settings_for(provider, "school", email_claim="preferred_username"))
    response = sign_in_through(app.test_client(), provider, "school", DEMO_EMAILS["reviewer"])
    assert response.status_code == 302, page_text(response)


def test_a_provider_that_accepts_only_client_secret_post(portal, providers):
    app = portal(
        settings_for(providers["post_only"], "trust", client_auth_method=ClientAuthMethod.POST)
    )
    response = sign_in_through(
        app.test_client(), providers["post_only"], "trust", DEMO_EMAILS["social_worker"]
    )
    assert response.status_code == 302, page_text(response)


def test_a_provider_refusing_the_client_is_explained_logged_and_audited(portal, providers, caplog):
    app = portal(settings_for(providers["post_only"], "trust", "Trust staff account"))
    with caplog.at_level(logging.ERROR):
        response = sign_in_through(
            app.test_client(), providers["post_only"], "trust", DEMO_EMAILS["social_worker"]
        )
    assert response.status_code == 502
    text = page_text(response)
    assert "The sign-in service refused the request" in text
    assert "Trust staff account refused to sign you in" in text
    assert "invalid_client" in text
    refusal = refusals(app)[-1]
    assert refusal["reason"] == "provider_refused_client"
    assert refusal["error"] == "invalid_client"
    assert refusal["error_description"]
    assert any(
        "refused the client: invalid_client" in record.getMessage() for record in caplog.records
    )


@pytest.mark.parametrize(("instance", "claim"), [("clock_ahead", "iat"), ("clock_behind", "exp")])
def test_a_provider_with_a_wrong_clock_is_named(portal, providers, instance, claim):
    app = portal(settings_for(providers[instance], "skewed", "Skewed sign-in"))
    client = app.test_client()
    response = sign_in_through(client, providers[instance], "skewed", DEMO_EMAILS["admin"])
    assert response.status_code == 502
    assert "clock is wrong" in page_text(response)
    assert client.get("/children").status_code == 302
    refusal = refusals(app)[-1]
    assert refusal["reason"] == "provider_clock_wrong"
    assert refusal["claim"] == claim
    assert abs(refusal["seconds_off"]) >= 120


def test_keycloak_with_an_issuer_path_binds_issuer_and_subject(portal, providers):
    provider = providers["keycloak"]
    assert urlsplit(provider.issuer).path == "/realms/openpep"
    app = portal(settings_for(provider, "keycloak"))
    response = sign_in_through(app.test_client(), provider, "keycloak", DEMO_EMAILS["reviewer"])
    assert response.status_code == 302, page_text(response)
    user = user_by_email(app, DEMO_EMAILS["reviewer"])
    assert user.sso_issuer == provider.issuer
    assert user.sso_subject and user.sso_tenant_id is None


def test_email_verified_does_not_vouch_for_a_username_spelled_as_someone_elses_address(
    portal, providers
):
    provider = providers["keycloak_usernames"]
    app = portal(settings_for(provider, "keycloak", email_claim="preferred_username"))
    client = app.test_client()
    response = sign_in_through(client, provider, "keycloak", MALLORY)
    assert response.status_code == 403
    assert refusals(app)[-1]["reason"] == "email_not_verified"
    assert client.get("/admin/staff").status_code == 302  # not signed in: sent to sign in
    assert user_by_email(app, DEMO_EMAILS["admin"]).sso_issuer is None  # nobody bound to it


@pytest.mark.parametrize("trust_email", [False, True])
def test_a_username_that_is_the_persons_verified_address_lets_them_in(
    portal, providers, trust_email
):
    # The same realm: the reviewer's username is the address the token verifies.
    provider = providers["keycloak_usernames"]
    app = portal(
        settings_for(
            provider, "keycloak", email_claim="preferred_username", trust_email=trust_email
        )
    )
    response = sign_in_through(app.test_client(), provider, "keycloak", DEMO_EMAILS["reviewer"])
    assert response.status_code == 302, page_text(response)
    assert user_by_email(app, DEMO_EMAILS["reviewer"]).sso_issuer == provider.issuer


def test_an_account_linked_to_another_provider_says_which_and_who_can_unlink_it(
    portal, providers, oidc_provider
):
    app = portal(settings_for(providers["keycloak"], "keycloak", "Anytown Keycloak"))
    email = DEMO_EMAILS["dt_riverside"]
    assert (
        sign_in_through(app.test_client(), providers["keycloak"], "keycloak", email).status_code
        == 302
    )
    client = app.test_client()
    response = sign_in_through(client, oidc_provider, "demo", email)
    assert response.status_code == 403
    text = page_text(response)
    assert "Your account is linked to another sign-in" in text
    assert "is linked to Anytown Keycloak, not to Demo sign-in" in text
    assert "Only a Virtual School admin can unlink it" in text
    assert client.get("/children").status_code == 302
    refusal = refusals(app)[-1]
    assert (refusal["reason"], refusal["linked_provider"]) == ("identity_mismatch", "keycloak")
    assert user_by_email(app, email).sso_issuer == providers["keycloak"].issuer


def test_an_admin_can_unlink_a_sign_in_from_the_command_line(portal, providers, oidc_provider):
    app = portal(settings_for(providers["keycloak"], "keycloak"))
    email = DEMO_EMAILS["dt_riverside"]
    assert (
        sign_in_through(app.test_client(), providers["keycloak"], "keycloak", email).status_code
        == 302
    )
    result = app.test_cli_runner().invoke(args=["unlink-sign-in", email.upper()])
    assert result.exit_code == 0, result.output
    assert "unlinked" in result.output
    assert sign_in_through(app.test_client(), oidc_provider, "demo", email).status_code == 302
    assert user_by_email(app, email).sso_provider == "demo"
    assert audit_count(app, "sign_in.unlinked") == 1
    missing = app.test_cli_runner().invoke(args=["unlink-sign-in", "nobody@example.org"])
    assert missing.exit_code != 0
    assert "No account has the address nobody@example.org" in missing.output


def test_google_workspace_lets_in_only_its_hosted_domain(portal, providers):
    provider = providers["google"]
    app = portal(settings_for(provider, "google", allowed_domains=("demo.openpep.test",)))
    assert (
        sign_in_through(app.test_client(), provider, "google", DEMO_EMAILS["carer"]).status_code
        == 302
    )
    response = sign_in_through(app.test_client(), provider, "google", DEMO_EMAILS["admin"])
    assert response.status_code == 403
    assert "Your organisation cannot use this service" in page_text(response)
    assert refusals(app)[-1]["reason"] == "domain_not_allowed"


def test_extra_scopes_are_asked_for(portal, providers):
    app = portal(settings_for(providers["keycloak"], "keycloak", extra_scopes=("groups",)))
    location = app.test_client().get("/login/keycloak").headers["Location"]
    assert parse_qs(urlsplit(location).query)["scope"] == ["openid email profile groups"]


# Errors the provider sends back ------------------------------------------------------------------


def started_state(client: FlaskClient, name: str) -> str:
    location = client.get(f"/login/{name}").headers["Location"]
    return parse_qs(urlsplit(location).query)["state"][0]


def test_an_error_from_the_provider_is_explained_logged_and_audited(portal, providers, caplog):
    app = portal(settings_for(providers["keycloak"], "keycloak", "Anytown Keycloak"))
    client = app.test_client()
    state = started_state(client, "keycloak")
    with caplog.at_level(logging.ERROR):
        response = client.get(
            "/auth/keycloak/callback?error=unauthorized_client"
            f"&error_description=Client+not+enabled&state={state}"
        )
    assert response.status_code == 502
    assert "Anytown Keycloak refused to sign you in" in page_text(response)
    refusal = refusals(app)[-1]
    assert refusal["reason"] == "provider_refused_client"
    assert refusal["error"] == "unauthorized_client"
    assert refusal["error_description"] == "Client not enabled"
    assert any("Client not enabled" in record.getMessage() for record in caplog.records)


def test_a_sign_in_the_person_cancelled_is_explained_and_audited(portal, providers):
    app = portal(settings_for(providers["keycloak"], "keycloak", "Anytown Keycloak"))
    client = app.test_client()
    state = started_state(client, "keycloak")
    response = client.get(f"/auth/keycloak/callback?error=access_denied&state={state}")
    assert response.status_code == 400
    assert "Anytown Keycloak did not sign you in" in page_text(response)
    assert refusals(app)[-1]["reason"] == "provider_denied"


def test_an_answer_to_a_sign_in_not_started_here_writes_no_audit_row(portal, providers):
    app = portal(settings_for(providers["keycloak"], "keycloak"))
    client = app.test_client()
    for query in ("error=unauthorized_client&state=forged", "code=made-up&state=forged"):
        response = client.get(f"/auth/keycloak/callback?{query}")
        assert response.status_code == 400
        assert "Sign-in did not finish" in response.get_data(as_text=True)
    assert refusals(app) == []


# Sign-out -----------------------------------------------------------------------------------------


def test_sign_out_ends_the_session_at_the_provider_too(portal, providers):
    provider = providers["keycloak"]
    app = portal(settings_for(provider, "keycloak"))
    client, browser = app.test_client(), requests.Session()
    email = DEMO_EMAILS["admin"]
    assert sign_in_through(client, provider, "keycloak", email, browser).status_code == 302
    response = client.post("/logout", data={"csrf_token": csrf_token_from(client)})
    assert client.get("/children").status_code == 302
    at_provider = response.headers["Refresh"].removeprefix("0; url=")
    assert at_provider.startswith(f"{provider.issuer}/session/end?")
    assert f'href="{at_provider.replace("&", "&amp;")}"' in response.get_data(as_text=True)
    # The provider ends its session (no question asked: the ID token says who asks) and sends
    # the browser back to the portal's signed-out page.
    page = browser.get(at_provider, timeout=5)
    assert page.status_code == 200
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    back = browser.post(urljoin(page.url, action), data=form, allow_redirects=False, timeout=5)
    assert back.status_code == 303
    assert back.headers["Location"].startswith("http://localhost/signed-out")
    assert "You have signed out" in client.get(urlsplit(back.headers["Location"]).path).get_data(
        as_text=True
    )
    # Signed out there too: signing in again asks for the password.
    start = client.get("/login/keycloak").headers["Location"]
    landed = browser.get(start, timeout=5)
    assert "/interaction/" in landed.url
    assert 'name="password"' in landed.text


@pytest.mark.parametrize(
    ("instance", "options"),
    [("google", {}), ("keycloak", {"sign_out_at_provider": False})],
    ids=["provider-offers-none", "switched-off"],
)
def test_sign_out_is_local_where_the_provider_offers_none_or_it_is_switched_off(
    portal, providers, instance, options
):
    app = portal(settings_for(providers[instance], instance, **options))
    client = app.test_client()
    assert (
        sign_in_through(client, providers[instance], instance, DEMO_EMAILS["carer"]).status_code
        == 302
    )
    response = client.post("/logout", data={"csrf_token": csrf_token_from(client)})
    assert response.headers["Location"] == "/signed-out"
    assert client.get("/children").status_code == 302
    assert audit_count(app, "sign_out") == 1
