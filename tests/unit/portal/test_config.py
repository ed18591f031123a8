"""Settings come from the environment; production refuses unsafe ones with a clear message."""

from pathlib import Path

import pytest

from portal.config import (
    DEVELOPMENT_SECRET_KEY,
    ConfigurationError,
    settings_from_environment,
)

INSTANCE = Path("/tmp/openpep-instance")
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
