"""Hardening found by trying: development mode stays on this computer, host names and proxies
are trusted only as configured, refusals are counted in the database, and the invite token
leaves the address on first use."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import session as flask_session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select

from portal import create_app
from portal.config import DEVELOPMENT_SECRET_KEY, ConfigurationError, settings_from_environment
from portal.extensions import db
from portal.models import AuditEvent, RateLimitCounter
from portal.operations.rate_limit import Limit, count_hit, hits_so_far
from portal.operations.workflow import REFUSAL_AUDIT_MAX
from tests.conftest import portal_config
from tests.integration.pep_helpers import open_pep_id
from tests.integration.test_invites import (
    HARRY,
    create_link,
    holder_client,
    open_link,
    token_of,
)
from tests.integration.test_signoff import DRAFT, post_event

HOST = "pep.anytown.gov.uk"


@pytest.fixture
def make_app(migrated_database, oidc_provider):
    made = []

    def make(**overrides):
        application = create_app(portal_config(migrated_database, oidc_provider, **overrides))
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def refused_addresses(app):
    with app.app_context():
        return [
            e.client_address
            for e in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "invite.token_refused")
                .order_by(AuditEvent.occurred_at_utc)
            )
        ]


# --- Development mode answers only this computer -----------------------------------------------


def forged_admin_cookie(app):
    """A session cookie signed with the key published in the repository."""
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.dumps({"user_id": "00000000-0000-0000-0000-000000000001"})


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_mode_with_the_published_key_answers_only_loopback(make_app, environment):
    app = make_app(OPENPEP_ENV=environment, SECRET_KEY=DEVELOPMENT_SECRET_KEY)
    local = app.test_client()
    assert local.get("/healthz").status_code == 200

    outsider = app.test_client()
    outsider.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    outsider.set_cookie(app.config["SESSION_COOKIE_NAME"], forged_admin_cookie(app))
    refused = outsider.get("/children")
    assert refused.status_code == 403
    assert b"development mode" in refused.data and b"OPENPEP_ENV=production" in refused.data
    assert outsider.get("/healthz").status_code == 403

    # A proxy on this computer would make everyone look local: forwarded requests are refused.
    proxied = local.get("/healthz", headers={"X-Forwarded-For": "192.0.2.10"})
    assert proxied.status_code == 403
    assert local.get("/healthz", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_development_mode_is_refused_behind_a_proxy_and_answers_only_loopback_names():
    with pytest.raises(ConfigurationError, match="set OPENPEP_ENV=production"):
        settings_from_environment({"OPENPEP_PROXIES": "1"}, INSTANCE)
    assert settings_from_environment({}, INSTANCE)["TRUSTED_HOSTS"] == ["127.0.0.1", "localhost"]


def test_development_mode_refuses_a_foreign_host_name(make_app):
    # A web page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) gets nowhere.
    app = make_app(OPENPEP_ENV="development", TRUSTED_HOSTS=["127.0.0.1", "localhost"])
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz", headers={"Host": "rebound.example"}).status_code == 400


# --- Trusted hosts and the proxy -------------------------------------------------------------

INSTANCE = __import__("pathlib").Path("/tmp/openpep-instance")
PRODUCTION = {
    "OPENPEP_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "DATABASE_URL": "postgresql+psycopg://openpep@db.internal/openpep",
}


def test_allowed_hosts_and_proxies_are_read_from_the_environment():
    settings = settings_from_environment(
        {
            **PRODUCTION,
            "OPENPEP_ALLOWED_HOSTS": f"{HOST}, .schools.anytown.gov.uk",
            "OPENPEP_PROXIES": "2",
        },
        INSTANCE,
    )
    assert settings["TRUSTED_HOSTS"] == [HOST, ".schools.anytown.gov.uk"]
    assert settings["OPENPEP_PROXIES"] == 2
    for bad in (
        {"OPENPEP_PROXIES": "one"},
        {"OPENPEP_PROXIES": "-1"},
        {"OPENPEP_ALLOWED_HOSTS": "a b"},
    ):
        with pytest.raises(ConfigurationError, match="OPENPEP_"):
            settings_from_environment({**PRODUCTION, **bad}, INSTANCE)


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    with pytest.raises(ConfigurationError, match="Set OPENPEP_ALLOWED_HOSTS"):
        create_app(
            {
                **PRODUCTION,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "TRUSTED_HOSTS": None,
                "OIDC_PROVIDERS": (),
            }
        )


def test_production_refuses_a_foreign_host(make_app):
    app = make_app(OPENPEP_ENV="production", TRUSTED_HOSTS=[HOST])
    client = app.test_client()
    assert client.get("/healthz", base_url=f"https://{HOST}").status_code == 200
    assert client.get("/healthz", base_url="https://evil.example").status_code == 400
    # The sign-in redirect is built from the host: a foreign one never gets that far.
    assert client.get("/login/demo", base_url="https://evil.example").status_code == 400


def test_a_forwarded_host_must_be_allowed_too(make_app):
    app = make_app(OPENPEP_ENV="production", TRUSTED_HOSTS=[HOST], OPENPEP_PROXIES=1)
    client = app.test_client()
    ok = client.get("/healthz", base_url="http://10.0.0.2", headers={"X-Forwarded-Host": HOST})
    assert ok.status_code == 200
    evil = {"X-Forwarded-Host": "evil.example"}
    assert client.get("/healthz", base_url=f"http://{HOST}", headers=evil).status_code == 400


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [(0, "10.0.0.2"), (1, "198.51.100.7"), (2, "203.0.113.9")],
)
def test_the_client_address_is_read_from_the_configured_number_of_proxies(
    make_app, seeded, proxies, expected
):
    app = make_app(OPENPEP_PROXIES=proxies)
    client = holder_client(app, "10.0.0.2")
    # A client may send any X-Forwarded-For it likes; each proxy appends the address it saw.
    forwarded = "192.0.2.66, 203.0.113.9, 198.51.100.7"
    assert client.get("/i/" + "B" * 43, headers={"X-Forwarded-For": forwarded}).status_code == 404
    assert refused_addresses(app) == [expected]


def test_an_invite_link_built_behind_a_proxy_uses_the_forwarded_host_and_scheme(
    make_app, seeded, sign_in
):
    app = make_app(OPENPEP_ENV="production", TRUSTED_HOSTS=[HOST, "localhost"], OPENPEP_PROXIES=1)
    # Sign in on the app's own address, then act through the proxy with the same cookie.
    staff = app.test_client()
    from tests.conftest import DEMO_EMAILS

    sign_in(staff, DEMO_EMAILS["dt_oakfield"])
    staff.environ_base.update(
        {
            "HTTP_X_FORWARDED_HOST": HOST,
            "HTTP_X_FORWARDED_PROTO": "https",
            # Flask-WTF checks a secure request comes from a page of the same host.
            "HTTP_REFERER": f"https://{HOST}/",
        }
    )
    link, _ = create_link(staff, open_pep_id(app, HARRY), "my_views")
    assert link.startswith(f"https://{HOST}/i/")


# --- Counters every worker shares --------------------------------------------------------------


def test_counters_are_shared_through_the_database_and_old_windows_are_forgotten(app):
    limit = Limit("test_scope", max_hits=3, window_seconds=600)
    now = datetime(2026, 11, 28, 9, 0, 30, tzinfo=UTC)
    with app.app_context():
        assert [count_hit(db.session, limit, "a", now) for _ in range(4)] == [1, 2, 3, 4]
        assert count_hit(db.session, limit, "b", now) == 1
        db.session.commit()
    # Another connection (another worker) sees the same count.
    with app.app_context():
        assert hits_so_far(db.session, limit, "a", now) == 4
        later = now + timedelta(minutes=10)
        assert hits_so_far(db.session, limit, "a", later) == 0
        assert count_hit(db.session, limit, "a", later) == 1
        db.session.commit()
        rows = db.session.scalar(select(func.count()).select_from(RateLimitCounter))
        assert rows == 1  # the ended window's rows, for "a" and "b", are gone


def test_refused_sign_off_attempts_are_always_shown_but_audited_only_a_few_times(
    client_for, seeded
):
    pep_id = open_pep_id(seeded, DRAFT)
    dt = client_for("dt_oakfield")
    for _ in range(REFUSAL_AUDIT_MAX + 5):
        response = post_event(dt, pep_id, "submitted")
        assert response.status_code == 400
        assert "You cannot submit" in response.get_data(as_text=True)
    with seeded.app_context():
        rows = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "pep.transition_refused")
        )
    assert rows == REFUSAL_AUDIT_MAX
    # Someone else's refusals on the same PEP are counted apart.
    assert post_event(client_for("reviewer"), pep_id, "approved").status_code in (400, 403)
    with seeded.app_context():
        rows = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "pep.transition_refused")
        )
    assert rows == REFUSAL_AUDIT_MAX + 1


# --- The invite token leaves the address ----------------------------------------------------


def test_the_token_is_exchanged_for_a_cookie_scoped_to_the_invite(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    token = token_of(create_link(client_for("dt_oakfield"), pep_id, "my_views")[0])
    child = holder_client(seeded)
    location, response = open_link(child, token)
    assert response.status_code == 303 and token not in location
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("openpep_invite=") and token not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert child.get(location).status_code == 200

    # The page's address opens nothing without the cookie, in another browser.
    assert holder_client(seeded, "10.0.0.9").get(location).status_code == 404
    # Nor with a cookie that was not signed by the portal.
    stranger = holder_client(seeded, "10.0.0.9")
    stranger.set_cookie("openpep_invite", "W10.forged.cookie", path="/contribute")
    assert stranger.get(location).status_code == 404


def test_a_cookie_stops_opening_the_page_when_the_link_is_stopped(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    dt = client_for("dt_oakfield")
    token = token_of(create_link(dt, pep_id, "my_views")[0])
    child = holder_client(seeded)
    location, _ = open_link(child, token)
    assert child.get(location).status_code == 200
    # A new link for the section stops the earlier one, and the page it opened.
    create_link(dt, pep_id, "my_views")
    assert child.get(location).status_code == 404


def test_two_links_in_one_browser_each_open_their_own_page(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    dt = client_for("dt_oakfield")
    child_token = token_of(create_link(dt, pep_id, "my_views")[0])
    carer_token = token_of(create_link(dt, pep_id, "carers_views")[0])
    browser = holder_client(seeded)
    child_page, _ = open_link(browser, child_token)
    carer_page, _ = open_link(browser, carer_token)
    assert child_page != carer_page
    assert "Your views" in browser.get(child_page).get_data(as_text=True)
    assert "carer" in browser.get(carer_page).get_data(as_text=True)


def test_the_portal_never_logs_a_token(client_for, seeded, caplog):
    pep_id = open_pep_id(seeded, HARRY)
    token = token_of(create_link(client_for("dt_oakfield"), pep_id, "my_views")[0])
    with caplog.at_level("INFO"):
        holder_client(seeded).get(f"/i/{token}")
        holder_client(seeded).get("/i/" + "C" * 43)
        import logging

        logging.getLogger("werkzeug").info('"GET /i/%s HTTP/1.1" 303 -', token)
    assert all(token not in record.getMessage() for record in caplog.records)


def test_the_flask_session_is_not_where_the_invite_lives(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    token = token_of(create_link(client_for("dt_oakfield"), pep_id, "my_views")[0])
    with seeded.test_client() as child:
        child.get(f"/i/{token}")
        assert token not in repr(dict(flask_session))
