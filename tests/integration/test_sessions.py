"""Sessions that end: kept on the server, ended by sign-out, by switching the account off, by
idle time and by an absolute lifetime; a new id at each sign-in; CSRF tokens die with them.
Every test runs on SQLite and on PostgreSQL."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.auth.sessions import SECONDS_LEFT_HEADER, SESSION_ID_KEY
from portal.config import ConfigurationError, settings_from_environment
from portal.extensions import db
from portal.models import AuditEvent, User, UserSession
from portal.operations.sessions import token_hash
from tests.conftest import DEMO_EMAILS, csrf_token_from
from tests.integration.pep_helpers import (
    form_fields,
    open_pep_id,
    replace_field,
    section_url,
    stored_section,
)
from tests.integration.test_page_accessibility import assert_accessible

COOKIE = "openpep_session"
OAKFIELD_DRAFT = "DCC-1106"
SECTION = "transitions_aspirations"


def cookie_of(client):
    return client.get_cookie(COOKIE).value


def with_cookie(app, value):
    """Another browser that presents a copied cookie, as someone who took it would."""
    other = app.test_client()
    other.set_cookie(COOKIE, value, domain="localhost")
    return other


def cookie_contents(app, value):
    contents = app.session_interface.get_signing_serializer(app).loads(value)
    contents.pop("_permanent", None)  # Flask's flag for the cookie's own lifetime
    return contents


def sessions_of(app, who):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == DEMO_EMAILS[who]))
        return db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id)
            .order_by(UserSession.created_at_utc)
        ).all()


def the_open_session(app, client):
    raw_id = cookie_contents(app, cookie_of(client))[SESSION_ID_KEY]
    with app.app_context():
        return db.session.scalar(
            select(UserSession).where(UserSession.token_hash == token_hash(raw_id))
        )


def move_session_times(app, row_id, **times):
    with app.app_context():
        row = db.session.get(UserSession, row_id)
        for name, value in times.items():
            setattr(row, name, value)
        db.session.commit()


def audit_actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEvent))]


def section_post(client, pep_id, data, headers=None):
    return client.post(section_url(pep_id, SECTION), data=MultiDict(data), headers=headers or {})


def test_the_cookie_carries_only_a_random_session_id_whose_hash_is_kept(seeded, client, sign_in):
    sign_in(client, DEMO_EMAILS["reviewer"])
    contents = cookie_contents(seeded, cookie_of(client))
    assert set(contents) == {SESSION_ID_KEY}  # no user id, no CSRF value, no ID token
    raw_id = contents[SESSION_ID_KEY]
    assert len(raw_id) >= 40
    client.get("/children")  # a page with forms: the CSRF value stays on the server
    assert set(cookie_contents(seeded, cookie_of(client))) == {SESSION_ID_KEY}
    with seeded.app_context():
        row = db.session.scalar(select(UserSession))
        assert row.token_hash == token_hash(raw_id) != raw_id
        assert row.id_token and row.id_token.count(".") == 2  # for RP-initiated logout
        assert row.csrf_secret and row.ended_at_utc is None
        assert row.ends_by_utc - row.created_at_utc == timedelta(hours=12)
        assert not db.session.scalar(select(func.count()).where(UserSession.token_hash == raw_id))


def test_after_sign_out_the_old_cookie_reads_nothing_and_its_csrf_token_writes_nothing(
    seeded, client_for
):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    assert client.get(f"/peps/{pep_id}").status_code == 200
    form = client.get(section_url(pep_id, SECTION)).get_data(as_text=True)
    data = replace_field(form_fields(form), "aspirations", "Written after sign-out")
    before = stored_section(seeded, pep_id, SECTION)
    old_cookie = cookie_of(client)

    client.post("/logout", data={"csrf_token": csrf_token_from(client)})

    stolen = with_cookie(seeded, old_cookie)
    read = stolen.get(f"/peps/{pep_id}")
    assert read.status_code == 302 and read.headers["Location"].startswith("/login")
    # The sign-in page says why, in words.
    assert "You signed out" in stolen.get(read.headers["Location"]).get_data(as_text=True)

    stolen = with_cookie(seeded, old_cookie)
    write = section_post(stolen, pep_id, [*data, ("action", "save")])
    assert write.status_code == 401
    page = write.get_data(as_text=True)
    assert "You have been signed out" in page and "Sign in again" in page

    stolen = with_cookie(seeded, old_cookie)
    autosave = section_post(stolen, pep_id, [*data, ("autosave", "1")], {"HX-Request": "true"})
    assert autosave.status_code == 401
    words = autosave.get_data(as_text=True)
    assert "data-autosave-message" in words and "<html" not in words
    assert "Not saved: you have been signed out" in words

    after = stored_section(seeded, pep_id, SECTION)
    assert (after.answers if after else None) == (before.answers if before else None)


def test_a_csrf_token_from_an_earlier_session_is_refused_in_the_next(seeded, client, sign_in):
    sign_in(client, DEMO_EMAILS["admin"])
    old_token = csrf_token_from(client)
    client.post("/logout", data={"csrf_token": old_token})
    sign_in(client, DEMO_EMAILS["admin"])
    refused = client.post("/logout", data={"csrf_token": old_token})
    assert refused.status_code == 400
    assert client.get("/children").status_code == 200  # still signed in: nothing happened
    assert client.post("/logout", data={"csrf_token": csrf_token_from(client)}).status_code in (
        200,
        302,
    )


def test_each_sign_in_gets_a_new_session_id_and_rows_are_per_person_and_kept(
    seeded, client, sign_in
):
    sign_in(client, DEMO_EMAILS["reviewer"])
    first = cookie_contents(seeded, cookie_of(client))[SESSION_ID_KEY]
    sign_in(client, DEMO_EMAILS["reviewer"])
    second = cookie_contents(seeded, cookie_of(client))[SESSION_ID_KEY]
    assert first != second
    # Another browser, another person: a row each.
    other = seeded.test_client()
    sign_in(other, DEMO_EMAILS["carer"])

    reviewer_rows = sessions_of(seeded, "reviewer")
    assert [row.token_hash for row in reviewer_rows] == [token_hash(first), token_hash(second)]
    assert reviewer_rows[0].ended_at_utc is not None  # the session before ended, and stayed
    assert reviewer_rows[0].ended_why == "signed_out"
    assert reviewer_rows[1].ended_at_utc is None
    assert len(sessions_of(seeded, "carer")) == 1

    client.post("/logout", data={"csrf_token": csrf_token_from(client)})
    rows = sessions_of(seeded, "reviewer")
    assert len(rows) == 2 and all(row.ended_why == "signed_out" for row in rows)
    assert sessions_of(seeded, "carer")[0].ended_at_utc is None  # only the reviewer's ended
    assert audit_actions(seeded).count("session.started") == 3


def test_switching_an_account_off_ends_its_sessions_at_once(seeded, client_for, sign_in):
    first, second = client_for("social_worker"), client_for("social_worker")
    bystander = client_for("reviewer")
    runner = seeded.test_cli_runner()

    result = runner.invoke(args=["switch-off", DEMO_EMAILS["social_worker"].upper()])
    assert result.exit_code == 0, result.output
    assert "switched off" in result.output and "2 open sessions ended" in result.output

    for client in (first, second):
        response = client.get("/children")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert bystander.get("/children").status_code == 200
    rows = sessions_of(seeded, "social_worker")
    assert {row.ended_why for row in rows} == {"account_switched_off"}
    assert "user.switched_off" in audit_actions(seeded)
    refused = sign_in(seeded.test_client(), DEMO_EMAILS["social_worker"])
    assert refused.status_code == 403

    result = runner.invoke(args=["switch-on", DEMO_EMAILS["social_worker"]])
    assert result.exit_code == 0 and "switched on" in result.output
    assert "user.switched_on" in audit_actions(seeded)
    again = seeded.test_client()
    assert sign_in(again, DEMO_EMAILS["social_worker"]).status_code == 302
    assert again.get("/children").status_code == 200
    assert runner.invoke(args=["switch-off", "nobody@example.test"]).exit_code != 0


def test_an_account_switched_off_any_other_way_is_signed_out_at_its_next_request(
    seeded, client_for
):
    client = client_for("reviewer")
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["reviewer"]))
        user.active = False
        db.session.commit()
    assert client.get("/children").status_code == 302
    assert sessions_of(seeded, "reviewer")[0].ended_why == "account_switched_off"


def test_a_session_idle_for_longer_than_the_timeout_ends(seeded, client_for):
    client = client_for("reviewer")
    row = the_open_session(seeded, client)
    now = datetime.now(UTC)
    move_session_times(seeded, row.id, last_seen_at_utc=now - timedelta(minutes=29))
    assert client.get("/children").status_code == 200  # 29 minutes idle: still on
    move_session_times(seeded, row.id, last_seen_at_utc=now - timedelta(minutes=31))
    response = client.get("/children")
    assert response.status_code == 302
    login = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because you had not used the service for 30 minutes" in login
    ended = sessions_of(seeded, "reviewer")[0]
    assert ended.ended_why == "idle_timeout" and ended.ended_at_utc is not None
    assert "session.ended" in audit_actions(seeded)
    # The ended session stays ended, even once its times look fresh again.
    move_session_times(seeded, row.id, last_seen_at_utc=datetime.now(UTC))
    assert client.get("/children").status_code == 302


def test_a_busy_session_still_ends_at_its_absolute_lifetime(seeded, client_for):
    client = client_for("reviewer")
    row = the_open_session(seeded, client)
    move_session_times(
        seeded,
        row.id,
        created_at_utc=datetime.now(UTC) - timedelta(hours=12, minutes=1),
        ends_by_utc=datetime.now(UTC) - timedelta(minutes=1),
    )
    assert client.get("/children").status_code == 302
    assert sessions_of(seeded, "reviewer")[0].ended_why == "max_lifetime"


def test_the_timeouts_are_settings(seeded, client_for):
    seeded.config.update(SESSION_IDLE_MINUTES=1, SESSION_MAX_HOURS=2)
    client = client_for("reviewer")
    row = the_open_session(seeded, client)
    assert row.ends_by_utc - row.created_at_utc == timedelta(hours=2)
    move_session_times(seeded, row.id, last_seen_at_utc=datetime.now(UTC) - timedelta(seconds=61))
    assert client.get("/children").status_code == 302
    assert sessions_of(seeded, "reviewer")[0].ended_why == "idle_timeout"


def test_settings_read_from_the_environment(tmp_path: Path):
    defaults = settings_from_environment({}, tmp_path)
    assert (defaults["SESSION_IDLE_MINUTES"], defaults["SESSION_MAX_HOURS"]) == (30, 12)
    chosen = settings_from_environment(
        {"OPENPEP_SESSION_IDLE_MINUTES": "15", "OPENPEP_SESSION_MAX_HOURS": "8"}, tmp_path
    )
    assert (chosen["SESSION_IDLE_MINUTES"], chosen["SESSION_MAX_HOURS"]) == (15, 8)
    assert chosen["PERMANENT_SESSION_LIFETIME"] == 8 * 60 * 60
    for wrong in ("0", "-5", "soon", "nan", "inf"):
        with pytest.raises(ConfigurationError, match="OPENPEP_SESSION_IDLE_MINUTES"):
            settings_from_environment({"OPENPEP_SESSION_IDLE_MINUTES": wrong}, tmp_path)


def test_last_seen_is_written_at_most_once_a_minute(seeded, client_for):
    client = client_for("reviewer")
    row = the_open_session(seeded, client)
    thirty_seconds_ago = datetime.now(UTC) - timedelta(seconds=30)
    move_session_times(seeded, row.id, last_seen_at_utc=thirty_seconds_ago)
    client.get("/children")
    assert sessions_of(seeded, "reviewer")[0].last_seen_at_utc == thirty_seconds_ago
    move_session_times(seeded, row.id, last_seen_at_utc=thirty_seconds_ago - timedelta(minutes=1))
    client.get("/children")
    assert sessions_of(seeded, "reviewer")[0].last_seen_at_utc > thirty_seconds_ago


def test_stay_signed_in_extends_the_session_and_asking_how_long_does_not(seeded, client_for):
    client = client_for("reviewer")
    row = the_open_session(seeded, client)
    page = client.get("/children")
    assert 0 < int(page.headers[SECONDS_LEFT_HEADER]) <= 30 * 60
    html = page.get_data(as_text=True)
    assert 'id="session-timeout-dialog"' in html and "Stay signed in" in html

    move_session_times(seeded, row.id, last_seen_at_utc=datetime.now(UTC) - timedelta(minutes=28))
    status = client.get("/session")
    assert status.status_code == 200 and 100 <= status.json["seconds_left"] <= 120
    assert client.get("/session").json["seconds_left"] <= 120  # asking did not extend it

    client.get("/children")
    move_session_times(seeded, row.id, last_seen_at_utc=datetime.now(UTC) - timedelta(minutes=28))
    token = csrf_token_from(client)
    extended = client.post("/session/extend", headers={"X-CSRFToken": token})
    assert extended.status_code == 200
    assert extended.json["seconds_left"] >= 30 * 60 - 5
    assert client.post("/session/extend").status_code == 400  # without the token: refused


def test_signed_out_pages_have_no_timeout_warning_and_no_session_header(seeded, client):
    page = client.get("/login")
    assert "session-timeout" not in page.get_data(as_text=True)
    assert SECONDS_LEFT_HEADER not in page.headers
    assert client.get("/session").json == {"seconds_left": 0}


def test_pages_turn_off_the_htmx_history_cache(seeded, client_for):
    html = client_for("reviewer").get("/children").get_data(as_text=True)
    assert '"historyCacheSize": 0' in html


def test_the_accessibility_statement_describes_the_time_limits_in_force(seeded, client):
    seeded.config.update(SESSION_IDLE_MINUTES=20, SESSION_MAX_HOURS=10)
    statement = client.get("/accessibility").get_data(as_text=True)
    assert "If you do not use the service for 20 minutes, you are signed out" in statement
    assert "Stay signed in" in statement
    assert "signed out 10 hours after you signed in" in statement
    assert "8 hours" not in statement and "with no warning beforehand" not in statement


@pytest.mark.parametrize("why", ["idle", "max_lifetime"])
def test_signing_out_after_the_session_timed_out_ends_the_providers_session_too(
    seeded, client_for, oidc_provider, why
):
    """Pressing "Sign out" on a page left open past the timeout: the portal's session is
    already over, the provider's may not be, and the next person at a shared computer would
    be signed in as this one."""
    client = client_for("reviewer")
    token = csrf_token_from(client)
    row = the_open_session(seeded, client)
    now = datetime.now(UTC)
    if why == "idle":
        move_session_times(seeded, row.id, last_seen_at_utc=now - timedelta(minutes=31))
    else:
        move_session_times(seeded, row.id, ends_by_utc=now - timedelta(minutes=1))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 200
    refresh = response.headers["Refresh"]
    assert refresh.startswith(f"0; url={oidc_provider.issuer}/session/end?")
    assert "id_token_hint=" in refresh
    assert client.get("/children").status_code == 302


def test_signing_out_of_a_session_already_signed_out_goes_straight_to_the_signed_out_page(
    seeded, client_for
):
    """Signed out in another tab: that sign-out already ended the provider's session."""
    client = client_for("reviewer")
    token = csrf_token_from(client)
    with_cookie_value = cookie_of(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 200
    again = with_cookie(seeded, with_cookie_value)
    response = again.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/signed-out")


def timed_out_and_noticed(seeded, client):
    row = the_open_session(seeded, client)
    move_session_times(seeded, row.id, last_seen_at_utc=datetime.now(UTC) - timedelta(minutes=31))
    # The page's own timeout script (or another tab) asks first, and ends the session.
    assert client.get("/session").status_code in (200, 401)


def test_sign_out_on_a_page_left_open_after_a_timeout_noticed_elsewhere_reaches_the_provider(
    seeded, client_for, oidc_provider
):
    client = client_for("reviewer")
    token = csrf_token_from(client)
    timed_out_and_noticed(seeded, client)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.headers["Refresh"].startswith(f"0; url={oidc_provider.issuer}/session/end?")


def test_the_sign_in_page_after_a_timeout_offers_to_sign_out_of_the_work_account_too(
    seeded, client_for, oidc_provider
):
    """On a shared computer the next person to sign in would otherwise be this one."""
    client = client_for("reviewer")
    timed_out_and_noticed(seeded, client)
    login = client.get("/login")
    page = login.get_data(as_text=True)
    assert "You were signed out because you had not used the service" in page
    assert "Sign out of your work account" in page
    assert_accessible(page, "sign-in page after a timeout")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.headers["Refresh"].startswith(f"0; url={oidc_provider.issuer}/session/end?")
    # Signed out there: the offer is not made again, nor after an ordinary sign-out.
    assert "Sign out of your work account" not in client.get("/login").get_data(as_text=True)
    other = client_for("social_worker")
    assert other.post("/logout", data={"csrf_token": csrf_token_from(other)}).status_code == 200
    assert "Sign out of your work account" not in other.get("/login").get_data(as_text=True)
