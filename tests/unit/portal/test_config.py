"""Settings come from the environment; production refuses unsafe ones with a clear message."""

import json
import re
from pathlib import Path

import pytest

from portal.auth.identity import ClientAuthMethod, ProviderKind
from portal.config import (
    DEVELOPMENT_SECRET_KEY,
    ConfigurationError,
    settings_from_environment,
)

INSTANCE = Path("/tmp/openpep-instance")
TENANT = "4d2c7e1a-0b5f-4c1e-9a8e-3f6b2d9c1a70"
OTHER_TENANT = "9b1f0c3e-5d7a-4e2b-8c6f-1a0d3e5b7c92"
PRODUCTION = {
    "OPENPEP_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "DATABASE_URL": "postgresql+psycopg://openpep@db.internal/openpep",
    "OPENPEP_OIDC_PROVIDERS": "entra",
    "OPENPEP_OIDC_ENTRA_ISSUER": "https://login.microsoftonline.com/tenant/v2.0",
    "OPENPEP_OIDC_ENTRA_CLIENT_ID": "client",
    "OPENPEP_OIDC_ENTRA_CLIENT_SECRET": "secret",
    "OPENPEP_OIDC_ENTRA_LABEL": "Anytown staff account",
}


def test_development_defaults_are_safe_to_start_with():
    settings = settings_from_environment({}, INSTANCE)
    assert settings["OPENPEP_ENV"] == "development"
    assert settings["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
    assert settings["DATABASE_URL"] == f"sqlite:///{INSTANCE / 'openpep.sqlite3'}"
    assert [p.name for p in settings["OIDC_PROVIDERS"]] == ["demo"]
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_settings_are_read_from_the_environment():
    settings = settings_from_environment(PRODUCTION, INSTANCE)
    assert settings["SESSION_COOKIE_SECURE"] is True
    (provider,) = settings["OIDC_PROVIDERS"]
    assert provider.name == "entra"
    assert provider.label == "Anytown staff account"
    assert provider.metadata_url.endswith("/v2.0/.well-known/openid-configuration")


@pytest.mark.parametrize("secret", [None, "", "short", DEVELOPMENT_SECRET_KEY])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    environ = dict(PRODUCTION)
    if secret is None:
        del environ["SECRET_KEY"]
    else:
        environ["SECRET_KEY"] = secret
    with pytest.raises(ConfigurationError, match="Set SECRET_KEY to a random value"):
        settings_from_environment(environ, INSTANCE)


def test_production_refuses_sqlite():
    environ = {**PRODUCTION, "DATABASE_URL": "sqlite:///x.db"}
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        settings_from_environment(environ, INSTANCE)


def test_production_never_offers_the_demo_provider():
    environ = {k: v for k, v in PRODUCTION.items() if "OIDC" not in k}
    assert settings_from_environment(environ, INSTANCE)["OIDC_PROVIDERS"] == ()
    environ["OPENPEP_OIDC_PROVIDERS_JSON"] = (
        '[{"name": "demo", "issuer": "https://x.example", "client_id": "a", "client_secret": "b"}]'
    )
    with pytest.raises(ConfigurationError, match="demo sign-in provider"):
        settings_from_environment(environ, INSTANCE)


def test_several_providers_at_once_from_json():
    environ = {
        "OPENPEP_OIDC_PROVIDERS_JSON": '[{"name": "entra", "issuer": "https://a.example",'
        ' "client_id": "a", "client_secret": "b"}, {"name": "google", "label": "School Google",'
        ' "issuer": "https://accounts.google.com", "client_id": "c", "client_secret": "d"}]'
    }
    providers = settings_from_environment(environ, INSTANCE)["OIDC_PROVIDERS"]
    assert [(p.name, p.label) for p in providers] == [
        ("entra", "Entra"),
        ("google", "School Google"),
    ]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OPENPEP_ENV": "staging"}, "OPENPEP_ENV must be one of"),
        ({"OPENPEP_BRAND_COLOUR": "purple"}, "OPENPEP_BRAND_COLOUR must be a colour"),
        ({"OPENPEP_OIDC_PROVIDERS": "entra"}, "missing issuer, client_id, client_secret"),
        ({"OPENPEP_OIDC_PROVIDERS_JSON": "{not json"}, "is not JSON"),
        (
            {
                "OPENPEP_OIDC_PROVIDERS": "x",
                "OPENPEP_OIDC_X_ISSUER": "http://idp.example",
                "OPENPEP_OIDC_X_CLIENT_ID": "a",
                "OPENPEP_OIDC_X_CLIENT_SECRET": "b",
            },
            "must be an https URL",
        ),
    ],
)
def test_bad_settings_are_explained(environ, message):
    with pytest.raises(ConfigurationError, match=message):
        settings_from_environment(environ, INSTANCE)


def test_create_app_refuses_production_without_secret_key(monkeypatch, tmp_path):
    from portal import create_app

    monkeypatch.setenv("OPENPEP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("OPENPEP_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_quality_assurance_scale_defaults_to_rag():
    settings = settings_from_environment({}, INSTANCE)
    assert (settings["QA_SCALE"], settings["QA_THRESHOLD"]) == ("rag", "amber")


def test_an_authority_can_choose_the_ofsted_scale_and_threshold():
    environ = {"OPENPEP_QA_SCALE": "ofsted", "OPENPEP_QA_THRESHOLD": "good"}
    settings = settings_from_environment(environ, INSTANCE)
    assert (settings["QA_SCALE"], settings["QA_THRESHOLD"]) == ("ofsted", "good")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OPENPEP_QA_SCALE": "stars"}, "OPENPEP_QA_SCALE must be one of"),
        ({"OPENPEP_QA_THRESHOLD": "good"}, "must be a rating on the rag scale"),
    ],
)
def test_bad_quality_assurance_settings_are_explained(environ, message):
    with pytest.raises(ConfigurationError, match=message):
        settings_from_environment(environ, INSTANCE)


def test_a_provider_is_strict_by_default():
    (provider,) = settings_from_environment(PRODUCTION, INSTANCE)["OIDC_PROVIDERS"]
    assert provider.kind is ProviderKind.GENERIC
    assert provider.email_claim == "email"
    assert provider.trust_email is False
    assert provider.client_auth_method is ClientAuthMethod.BASIC
    assert provider.scope == "openid email profile"
    assert provider.allowed_tenants == provider.allowed_domains == ()
    assert provider.sign_out_at_provider is True


def test_how_to_read_a_provider_is_set_in_its_environment_variables():
    environ = {
        **PRODUCTION,
        "OPENPEP_OIDC_PROVIDERS": "entra",
        "OPENPEP_OIDC_ENTRA_ISSUER": "https://login.microsoftonline.com/organizations/v2.0",
        "OPENPEP_OIDC_ENTRA_KIND": "Entra",
        "OPENPEP_OIDC_ENTRA_EMAIL_CLAIM": "preferred_username",
        "OPENPEP_OIDC_ENTRA_TRUST_EMAIL": "true",
        "OPENPEP_OIDC_ENTRA_CLIENT_AUTH_METHOD": "client_secret_post",
        "OPENPEP_OIDC_ENTRA_EXTRA_SCOPES": "offline_access, User.Read",
        "OPENPEP_OIDC_ENTRA_ALLOWED_TENANTS": f"{TENANT.upper()},{OTHER_TENANT}",
        "OPENPEP_OIDC_ENTRA_SIGN_OUT_AT_PROVIDER": "no",
    }
    (provider,) = settings_from_environment(environ, INSTANCE)["OIDC_PROVIDERS"]
    assert provider.kind is ProviderKind.ENTRA
    assert provider.email_claim == "preferred_username"
    assert provider.trust_email is True
    assert provider.client_auth_method is ClientAuthMethod.POST
    assert provider.scope == "openid email profile offline_access User.Read"
    assert provider.allowed_tenants == (TENANT, OTHER_TENANT)
    assert provider.sign_out_at_provider is False
    rules = provider.claim_rules
    assert (rules.kind, rules.email_claim, rules.trust_email) == (
        ProviderKind.ENTRA,
        "preferred_username",
        True,
    )
    assert rules.allowed_tenants == frozenset({TENANT, OTHER_TENANT})


def test_the_same_settings_can_come_as_json():
    entries = [
        {
            "name": "google",
            "issuer": "https://accounts.google.com",
            "client_id": "c",
            "client_secret": "d",
            "trust_email": False,
            "allowed_domains": ["School.example", "college.example"],
            "extra_scopes": ["openid", "groups"],
        },
        {
            "name": "keycloak",
            "issuer": "https://sso.anytown.example/realms/staff",
            "client_id": "e",
            "client_secret": "f",
            "email_claim": "email",
            "sign_out_at_provider": True,
        },
    ]
    environ = {**PRODUCTION, "OPENPEP_OIDC_PROVIDERS_JSON": json.dumps(entries)}
    google, keycloak = settings_from_environment(environ, INSTANCE)["OIDC_PROVIDERS"]
    assert google.allowed_domains == ("school.example", "college.example")
    assert google.scope == "openid email profile groups"
    assert keycloak.metadata_url == (
        "https://sso.anytown.example/realms/staff/.well-known/openid-configuration"
    )


def provider_environ(**settings: str) -> dict[str, str]:
    environ = {
        "OPENPEP_OIDC_PROVIDERS": "x",
        "OPENPEP_OIDC_X_ISSUER": "https://idp.example",
        "OPENPEP_OIDC_X_CLIENT_ID": "a",
        "OPENPEP_OIDC_X_CLIENT_SECRET": "b",
    }
    environ.update({f"OPENPEP_OIDC_X_{key.upper()}": value for key, value in settings.items()})
    return environ


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kind": "azure"}, "kind of 'x' must be one of generic, entra"),
        ({"email_claim": "mail"}, "email_claim of 'x' must be one of email, preferred_username"),
        ({"client_auth_method": "private_key_jwt"}, "client_auth_method of 'x' must be one of"),
        ({"trust_email": "maybe"}, "trust_email of 'x' must be true or false"),
        ({"sign_out_at_provider": "sometimes"}, "sign_out_at_provider of 'x' must be true"),
        ({"extra_scopes": 'groups "quoted"'}, "extra_scopes of 'x' are not valid scope names"),
        ({"allowed_tenants": TENANT}, "allowed_tenants apply only to Entra ID"),
        ({"kind": "entra", "allowed_tenants": "../evil"}, "must be tenant ids"),
        ({"allowed_domains": "not a domain"}, "allowed_domains of 'x' must be domain names"),
        (
            {"kind": "entra", "issuer": "https://login.microsoftonline.com/organizations/v2.0"},
            "multi-tenant /organizations issuer: list the tenant ids",
        ),
        (
            {"kind": "entra", "issuer": "https://login.microsoftonline.com/common/v2.0"},
            "multi-tenant /common issuer",
        ),
    ],
)
def test_bad_provider_settings_are_explained(settings, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        settings_from_environment(provider_environ(**settings), INSTANCE)


def test_a_single_tenant_entra_issuer_needs_no_tenant_list():
    environ = provider_environ(
        kind="entra", issuer=f"https://login.microsoftonline.com/{TENANT}/v2.0"
    )
    (provider,) = settings_from_environment(environ, INSTANCE)["OIDC_PROVIDERS"]
    assert provider.allowed_tenants == ()


def test_a_provider_named_twice_is_refused():
    environ = {**provider_environ(), "OPENPEP_OIDC_PROVIDERS": "x,X"}
    with pytest.raises(ConfigurationError, match="names a provider twice"):
        settings_from_environment(environ, INSTANCE)


def test_the_demo_seed_refuses_to_run_in_production(tmp_path):
    from portal import create_app

    app = create_app(
        {
            "OPENPEP_ENV": "production",
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'untouched.sqlite3'}",
        }
    )
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "The demo data cannot be added in production" in result.output
    assert not (tmp_path / "untouched.sqlite3").exists()


def test_the_accessibility_contact_comes_from_the_environment(tmp_path):
    from portal.config import settings_from_environment

    settings = settings_from_environment(
        {"OPENPEP_ACCESSIBILITY_CONTACT": " virtual.school@anytown.example "}, tmp_path
    )
    assert settings["ACCESSIBILITY_CONTACT"] == "virtual.school@anytown.example"
    assert settings_from_environment({}, tmp_path)["ACCESSIBILITY_CONTACT"] == ""


def test_timeliness_rules_default_to_the_documented_file():
    settings = settings_from_environment({}, INSTANCE)
    rules = settings["TIMELINESS_RULES"]
    default_text = Path("workflows/definitions/timeliness.yaml").read_text(encoding="utf-8")
    assert "statutory" in default_text
    assert rules is settings_from_environment({}, INSTANCE)["TIMELINESS_RULES"]


def test_an_authority_can_point_at_its_own_timeliness_rules(tmp_path):
    own = tmp_path / "anytown-timeliness.yaml"
    default_text = Path("workflows/definitions/timeliness.yaml").read_text(encoding="utf-8")
    own.write_text(default_text, encoding="utf-8")
    settings = settings_from_environment({"OPENPEP_TIMELINESS_RULES": str(own)}, INSTANCE)
    default = settings_from_environment({}, INSTANCE)["TIMELINESS_RULES"]
    assert settings["TIMELINESS_RULES"] == default
    assert settings["TIMELINESS_RULES"] is not default


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        (None, "OPENPEP_TIMELINESS_RULES: .*cannot be read"),
        ("just words\n", "OPENPEP_TIMELINESS_RULES: .*must be a mapping"),
    ],
)
def test_a_broken_timeliness_rules_file_stops_the_portal_with_a_sentence(
    tmp_path, contents, message
):
    own = tmp_path / "rules.yaml"
    if contents is not None:
        own.write_text(contents, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        settings_from_environment({"OPENPEP_TIMELINESS_RULES": str(own)}, INSTANCE)
