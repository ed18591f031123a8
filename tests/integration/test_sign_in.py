"""Sign-in through the real demo OIDC provider: who gets in, who does not, and the audit."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, User
from tests.conftest import DEMO_EMAILS, csrf_token_from


def audit_actions(app):
    with app.app_context():
        return [
            e.action
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at_utc))
        ]


def test_each_demo_user_signs_in_and_is_bound_to_the_provider_identity(
    seeded, client, sign_in, oidc_provider
):
    for email in DEMO_EMAILS.values():
        client = seeded.test_client()
        response = sign_in(client, email)
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        home = client.get("/")
        with seeded.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            assert user.sso_issuer == oidc_provider.issuer
            assert user.sso_subject
            assert user.last_signed_in_at_utc is not None
            assert user.display_name in home.get_data(as_text=True)
    actions = audit_actions(seeded)
    assert actions.count("sign_in.identity_bound") == len(DEMO_EMAILS)
    assert actions.count("sign_in.succeeded") == len(DEMO_EMAILS)


def test_a_second_sign_in_with_the_same_identity_is_let_in(seeded, sign_in):
    for _ in range(2):
        client = seeded.test_client()
        assert sign_in(client, DEMO_EMAILS["carer"]).status_code == 302
    assert audit_actions(seeded).count("sign_in.identity_bound") == 1


def test_unknown_email_gets_no_access_and_no_account(seeded, client, sign_in):
    with seeded.app_context():
        users_before = db.session.scalar(select(func.count()).select_from(User))
    response = sign_in(client, "stranger@example.org")
    assert response.status_code == 403
    assert "You do not have access" in response.get_data(as_text=True)
    assert client.get("/children").status_code == 302  # still signed out
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users_before
        refusal = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "sign_in.refused")
        )
        assert refusal.details["reason"] == "no_account"
        assert refusal.details["email"] == "stranger@example.org"


def test_inactive_user_is_refused(seeded, client, sign_in):
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["social_worker"]))
        user.active = False
        db.session.commit()
    response = sign_in(client, DEMO_EMAILS["social_worker"])
    assert response.status_code == 403
    assert client.get("/children").status_code == 302
    with seeded.app_context():
        refusal = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "sign_in.refused")
        )
        assert refusal.details["reason"] == "account_inactive"


def test_a_later_sign_in_with_a_different_subject_is_refused(seeded, client, sign_in):
    email = DEMO_EMAILS["dt_oakfield"]
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        # As if the first sign-in had come from another account with the same email.
        user.sso_issuer = "https://login.example.org"
        user.sso_subject = "someone-else"
        db.session.commit()
    response = sign_in(client, email)
    assert response.status_code == 403
    with seeded.app_context():
        refusal = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "sign_in.refused")
        )
        assert refusal.details["reason"] == "identity_mismatch"
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.sso_subject == "someone-else"  # the binding is not overwritten


def test_deactivating_a_signed_in_user_ends_their_session(seeded, client, sign_in):
    sign_in(client, DEMO_EMAILS["reviewer"])
    assert client.get("/children").status_code == 200
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["reviewer"]))
        user.active = False
        db.session.commit()
    assert client.get("/children").status_code == 302


def test_sign_out_clears_the_session_ends_it_at_the_provider_and_is_audited(
    seeded, client, sign_in, oidc_provider
):
    sign_in(client, DEMO_EMAILS["admin"])
    assert client.get("/children").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token_from(client)})
    # RP-initiated logout: the provider ends its session, then sends the browser back here. The
    # page moves on at once (a redirect from the form would break its form-action policy).
    assert response.status_code == 200
    assert "Signing you out" in response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]
    refresh = response.headers["Refresh"]
    assert refresh.startswith("0; url=")
    location = urlsplit(refresh.removeprefix("0; url="))
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{oidc_provider.issuer}/session/end"
    )
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/signed-out"]
    assert query["client_id"] == [oidc_provider.client_id]
    assert query["id_token_hint"][0].count(".") == 2
    assert client.get("/children").status_code == 302
    assert "sign_out" in audit_actions(seeded)


def test_sign_in_returns_to_the_page_first_asked_for(seeded, client, sign_in):
    response = client.get("/children")
    assert response.headers["Location"] == "/login?next=/children"
    client.get("/login?next=/children")
    assert sign_in(client, DEMO_EMAILS["admin"]).headers["Location"] == "/children"


def test_sign_in_will_not_send_people_to_another_site(seeded, client, sign_in):
    client.get("/login?next=https://evil.example/")
    assert sign_in(client, DEMO_EMAILS["admin"]).headers["Location"] == "/"
    client2 = seeded.test_client()
    client2.get("/login?next=//evil.example/")
    assert sign_in(client2, DEMO_EMAILS["admin"]).headers["Location"] == "/"


@pytest.mark.parametrize(
    "next_path",
    [
        "/%5Cevil.example/",  # a backslash: browsers read "/\\evil.example/" as another site
        "/%09/evil.example/",  # a tab, which urlsplit drops: "//evil.example/"
        "/children%0d",  # a line break no Location header can carry: once a server error
        "/children%0a",
    ],
)
def test_a_next_path_a_browser_would_read_otherwise_is_not_followed(
    seeded, client, sign_in, next_path
):
    client.get(f"/login?next={next_path}")
    response = sign_in(client, DEMO_EMAILS["admin"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_forged_callback_is_refused_without_a_stack_trace(seeded, client):
    response = client.get("/auth/demo/callback?code=made-up&state=made-up")
    assert response.status_code == 400
    assert "Sign-in did not finish" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_cancelled_sign_in_is_explained(seeded, client):
    response = client.get("/auth/demo/callback?error=access_denied&state=x")
    assert response.status_code == 400
    assert "Sign-in did not finish" in response.get_data(as_text=True)


def test_unknown_provider_is_not_found(seeded, client):
    assert client.get("/login/nope").status_code == 404
    assert client.get("/auth/nope/callback").status_code == 404


def test_session_cookie_is_httponly_and_lax(seeded, client, sign_in):
    response = sign_in(client, DEMO_EMAILS["admin"])
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sign_out_without_the_csrf_token_is_refused(seeded, client, sign_in):
    sign_in(client, DEMO_EMAILS["admin"])
    response = client.post("/logout")
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    assert client.get("/children").status_code == 200  # still signed in
