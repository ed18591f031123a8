"""Email settings from the environment: each mistake refused with a sentence saying what to set;
no mail server means emails are recorded but not sent, and production says so at startup."""

from __future__ import annotations

import logging

import pytest

from portal import create_app
from portal.config import ConfigurationError, SmtpSettings, email_settings_from_environment

SERVER = {"OPENPEP_SMTP_HOST": "smtp.anytown.gov.uk", "OPENPEP_MAIL_FROM": "vs@anytown.gov.uk"}


def test_without_a_mail_server_emails_are_recorded_but_not_sent():
    settings = email_settings_from_environment({}, "development")
    assert settings["SMTP"] is None
    assert "OPENPEP_SMTP_HOST is not set" in settings["EMAIL_NOT_SET_UP_REASON"]
    assert settings["BASE_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("extra", "port", "starttls", "tls"),
    [
        ({}, 25, False, False),
        ({"OPENPEP_SMTP_STARTTLS": "true"}, 587, True, False),
        ({"OPENPEP_SMTP_TLS": "yes"}, 465, False, True),
        ({"OPENPEP_SMTP_PORT": "2525", "OPENPEP_SMTP_STARTTLS": "1"}, 2525, True, False),
    ],
)
def test_a_mail_server_with_its_port_and_encryption(extra, port, starttls, tls):
    settings = email_settings_from_environment(
        {**SERVER, **extra, "OPENPEP_BASE_URL": "https://pep.anytown.gov.uk/"}, "development"
    )
    assert settings["SMTP"] == SmtpSettings(
        host="smtp.anytown.gov.uk", port=port, starttls=starttls, tls=tls
    )
    assert settings["MAIL_FROM"] == "vs@anytown.gov.uk"
    assert settings["BASE_URL"] == "https://pep.anytown.gov.uk"
    assert settings["EMAIL_NOT_SET_UP_REASON"] is None


def test_the_links_use_the_allowed_host_when_no_base_url_is_given():
    environ = {
        **SERVER,
        "OPENPEP_SMTP_STARTTLS": "true",
        "OPENPEP_ALLOWED_HOSTS": ".gov.uk,pep.x.gov.uk",
    }
    assert email_settings_from_environment(environ, "production")["BASE_URL"] == (
        "https://pep.x.gov.uk"
    )


@pytest.mark.parametrize(
    ("environ", "environment", "says"),
    [
        (
            {"OPENPEP_SMTP_PORT": "587"},
            "development",
            "OPENPEP_SMTP_PORT is set but OPENPEP_SMTP_HOST",
        ),
        ({**SERVER, "OPENPEP_SMTP_PORT": "smtp"}, "development", "port number from 1 to 65535"),
        ({**SERVER, "OPENPEP_SMTP_PORT": "70000"}, "development", "port number from 1 to 65535"),
        (
            {**SERVER, "OPENPEP_SMTP_STARTTLS": "true", "OPENPEP_SMTP_TLS": "true"},
            "development",
            "Set only one of OPENPEP_SMTP_STARTTLS",
        ),
        ({**SERVER, "OPENPEP_SMTP_TLS": "maybe"}, "development", "must be true or false"),
        (
            {**SERVER, "OPENPEP_SMTP_USERNAME": "pep"},
            "development",
            "Set both OPENPEP_SMTP_USERNAME and OPENPEP_SMTP_PASSWORD",
        ),
        ({"OPENPEP_SMTP_HOST": "smtp.anytown.gov.uk"}, "development", "Set OPENPEP_MAIL_FROM"),
        ({**SERVER, "OPENPEP_MAIL_FROM": "not an address"}, "development", "OPENPEP_MAIL_FROM"),
        ({**SERVER, "OPENPEP_SMTP_HOST": "smtp server!"}, "development", "must be a host name"),
        (SERVER, "production", "would travel unencrypted"),
        (
            {**SERVER, "OPENPEP_SMTP_STARTTLS": "true"},
            "production",
            "Set OPENPEP_BASE_URL",
        ),
        ({"OPENPEP_BASE_URL": "ftp://pep.anytown.gov.uk"}, "development", "starting with https://"),
        ({"OPENPEP_BASE_URL": "http://pep.anytown.gov.uk"}, "production", "starting with https://"),
    ],
)
def test_each_mistake_is_refused_with_what_to_set(environ, environment, says):
    with pytest.raises(ConfigurationError) as refusal:
        email_settings_from_environment(environ, environment)
    assert says in str(refusal.value)


def test_the_password_is_never_shown():
    environ = {
        **SERVER,
        "OPENPEP_SMTP_USERNAME": "pep",
        "OPENPEP_SMTP_PASSWORD": "s3cret-value",
        "OPENPEP_SMTP_STARTTLS": "true",
        "OPENPEP_BASE_URL": "https://pep.anytown.gov.uk",
    }
    settings = email_settings_from_environment(environ, "production")
    assert settings["SMTP"].password == "s3cret-value"
    assert "s3cret-value" not in repr(settings)
    with pytest.raises(ConfigurationError) as refusal:
        email_settings_from_environment({**environ, "OPENPEP_SMTP_TLS": "true"}, "production")
    assert "s3cret-value" not in str(refusal.value)


def test_production_without_a_mail_server_starts_and_says_so(caplog, tmp_path):
    with caplog.at_level(logging.WARNING):
        app = create_app(
            {
                "OPENPEP_ENV": "production",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                "SMTP": None,
                "EMAIL_NOT_SET_UP_REASON": "Email is not set up: OPENPEP_SMTP_HOST is not set.",
            }
        )
    assert app.config["SMTP"] is None
    assert any("OPENPEP_SMTP_HOST is not set" in record.getMessage() for record in caplog.records)
