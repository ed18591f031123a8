"""Real round trips against the development OIDC provider (devtools/oidc/server.mjs)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet

from devtools.oidc_provider import (
    free_loopback_port,
    running_oidc_provider,
    running_oidc_providers,
    start_oidc_provider,
    stop_oidc_provider,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO_EMAIL = "dt.oakfield@demo.openpep.test"
SCOPE = "openid email profile"


@pytest.fixture(scope="module")
def oidc():
    with running_oidc_provider(port=free_loopback_port()) as provider:
        yield provider


@pytest.fixture(scope="module")
def metadata(oidc):
    response = requests.get(oidc.metadata_url, timeout=5)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def redirect_uri():
    # Nothing listens here: we never follow the final redirect back to the client.
    return f"http://127.0.0.1:{free_loopback_port()}/auth/demo/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Login:
    session: requests.Session
    page: requests.Response  # the interaction (login) page


def open_login_page(
    metadata, oidc, redirect_uri, allow_redirects=True, session=None, **params
) -> Login:
    """Start an authorization request and follow it to the provider's login page."""
    session = session or requests.Session()
    query = {
        "client_id": oidc.client_id,
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": redirect_uri,
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        **params,
    }
    url = f"{metadata['authorization_endpoint']}?{urlencode(query)}"
    page = session.get(url, allow_redirects=allow_redirects, timeout=5)
    return Login(session, page)


def submit_login(login: Login, email: str, password: str) -> requests.Response:
    action = re.search(r'<form method="post" action="([^"]+)"', login.page.text).group(1)
    return login.session.post(
        urljoin(login.page.url, action),
        data={"login": email, "password": password},
        allow_redirects=False,
        timeout=5,
    )


def follow_redirects(session: requests.Session, response: requests.Response, redirect_uri: str):
    """Follow the provider's redirects; return the URL where the browser lands.

    The redirect_uri itself is never requested (nothing listens there).
    """
    for _ in range(10):
        if response.status_code not in (302, 303):
            return response.url
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(redirect_uri):
            return location
        response = session.get(location, allow_redirects=False, timeout=5)
    raise AssertionError("too many redirects")


def follow_to_client(session: requests.Session, response: requests.Response, redirect_uri: str):
    landed = follow_redirects(session, response, redirect_uri)
    assert landed.startswith(redirect_uri), response.text
    return landed


@dataclass
class SignIn:
    token: dict
    nonce: str
    callback: str  # the redirect_uri the provider sent the browser back to
    state: str
    browser: requests.Session  # holds the provider's session cookie


def sign_in(oidc, metadata, redirect_uri, email=DEMO_EMAIL):
    """Authorization code + PKCE with authlib's client, as the portal does it."""
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    client = OAuth2Session(
        oidc.client_id,
        oidc.client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    session = requests.Session()
    login = Login(session, session.get(url, timeout=5))
    callback = follow_to_client(session, submit_login(login, email, "any password"), redirect_uri)
    token = client.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
    )
    return SignIn(token, nonce, callback, state, session)


def portal_userinfo(oidc, token, nonce):
    """Validate the ID token exactly as authlib's Flask integration (the portal) does."""
    app = Flask(__name__)
    app.secret_key = "test"
    client = OAuth(app).register(
        "demo",
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        server_metadata_url=oidc.metadata_url,
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256"},
    )
    with app.app_context():
        return client.parse_id_token(token, nonce=nonce)


def test_discovery_document(oidc, metadata):
    assert metadata["issuer"] == oidc.issuer
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["response_types_supported"] == ["code"]
    assert {"openid", "email", "profile"} <= set(metadata["scopes_supported"])
    assert metadata["end_session_endpoint"].startswith(oidc.issuer)
    assert urlsplit(oidc.issuer).hostname == "127.0.0.1"


def test_login_page_is_an_accessible_form(oidc, metadata, redirect_uri):
    _, challenge = pkce_pair()
    login = open_login_page(
        metadata, oidc, redirect_uri, code_challenge=challenge, code_challenge_method="S256"
    )
    assert login.page.status_code == 200
    assert "/interaction/" in login.page.url
    html = login.page.text
    assert '<html lang="en">' in html
    assert "<h1>Sign in to the OpenPEP demo</h1>" in html
    assert "<main>" in html and "<title>" in html and "<script" not in html
    assert '<label for="login">Email address</label>' in html
    assert re.search(r'<input id="login" name="login" type="email" autocomplete="username"', html)
    assert '<label for="password">Password</label>' in html
    assert re.search(r'<input id="password" name="password" type="password"', html)
    assert '<button type="submit">Sign in</button>' in html
    for email in ("dt.riverside", "sw", "carer", "reviewer", "admin"):
        assert f"{email}@demo.openpep.test" in html


def test_authorization_code_flow_with_pkce(oidc, metadata, redirect_uri):
    result = sign_in(oidc, metadata, redirect_uri)
    token, nonce = result.token, result.nonce
    query = parse_qs(urlsplit(result.callback).query)
    assert query["state"] == [result.state]
    assert query["iss"] == [oidc.issuer]
    assert token["token_type"].lower() == "bearer"

    # The portal reads identity from the ID token via authlib (token["userinfo"]).
    userinfo = portal_userinfo(oidc, token, nonce)
    assert userinfo["email"] == DEMO_EMAIL
    assert userinfo["email_verified"] is True
    assert userinfo["name"] == "Dt Oakfield"
    assert userinfo["nonce"] == nonce
    assert re.fullmatch(r"[0-9a-f]{32}", userinfo["sub"])
    expected_sub = hashlib.sha256(f"openpep-demo:{DEMO_EMAIL}".encode()).hexdigest()[:32]
    assert userinfo["sub"] == expected_sub

    # And independently, with the published JWKS.
    jwks = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=5).json())
    id_token = jwt.decode(token["id_token"], jwks)
    assert id_token.header["alg"] == "RS256"
    assert id_token.claims["iss"] == oidc.issuer
    assert id_token.claims["aud"] == oidc.client_id
    assert id_token.claims["email"] == DEMO_EMAIL

    # The userinfo endpoint agrees.
    me = requests.get(
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=5,
    ).json()
    assert me == {
        "sub": expected_sub,
        "email": DEMO_EMAIL,
        "email_verified": True,
        "name": "Dt Oakfield",
    }


def test_sub_is_stable_per_email_and_email_is_normalised(oidc, metadata, redirect_uri):
    def userinfo(email):
        result = sign_in(oidc, metadata, redirect_uri, email=email)
        return portal_userinfo(oidc, result.token, result.nonce)

    sub1 = userinfo(DEMO_EMAIL)["sub"]
    again_info = userinfo("  DT.Oakfield@Demo.OpenPEP.test ")
    other_info = userinfo("someone.unknown@example.org")
    assert again_info["sub"] == sub1
    assert again_info["email"] == DEMO_EMAIL
    assert other_info["sub"] != sub1
    assert other_info["email"] == "someone.unknown@example.org"
    assert other_info["name"] == "Someone Unknown"


def test_localhost_redirect_uri_is_accepted(oidc, metadata):
    redirect_uri = f"http://localhost:{free_loopback_port()}/callback"
    result = sign_in(oidc, metadata, redirect_uri)
    assert portal_userinfo(oidc, result.token, result.nonce)["email"] == DEMO_EMAIL


def test_token_request_without_code_verifier_is_refused(oidc, metadata, redirect_uri):
    _, challenge = pkce_pair()
    login = open_login_page(
        metadata, oidc, redirect_uri, code_challenge=challenge, code_challenge_method="S256"
    )
    callback = follow_to_client(login.session, submit_login(login, DEMO_EMAIL, "pw"), redirect_uri)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        auth=(oidc.client_id, oidc.client_secret),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_authorize_without_code_challenge_is_refused(oidc, metadata, redirect_uri):
    # The error goes back to the (valid) redirect_uri, so we don't follow it.
    response = open_login_page(metadata, oidc, redirect_uri, allow_redirects=False).page
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    assert location.startswith(redirect_uri)
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["invalid_request"]
    assert "PKCE" in query["error_description"][0]


@pytest.mark.parametrize(
    "bad_redirect_uri",
    [
        "http://example.org/callback",
        "https://127.0.0.1:5000/auth/demo/callback",
        "http://127.0.0.1:5000/auth/demo/elsewhere",
        "http://127.0.0.1.example.org/callback",
    ],
)
def test_non_loopback_redirect_uri_is_refused(oidc, metadata, bad_redirect_uri):
    _, challenge = pkce_pair()
    page = open_login_page(
        metadata, oidc, bad_redirect_uri, code_challenge=challenge, code_challenge_method="S256"
    ).page
    assert page.status_code == 400
    assert not page.history
    assert "redirect_uri did not match any of the client" in page.text


@pytest.mark.parametrize(
    ("email", "password", "field", "message"),
    [
        (DEMO_EMAIL, "", "password", "Enter your password"),
        ("", "secret", "login", "Enter your email address"),
        ("", "", "login", "Enter your email address"),
        ("not-an-email", "secret", "login", "Enter an email address in the correct format"),
    ],
)
def test_incomplete_login_reshows_the_form(
    oidc, metadata, redirect_uri, email, password, field, message
):
    _, challenge = pkce_pair()
    login = open_login_page(
        metadata, oidc, redirect_uri, code_challenge=challenge, code_challenge_method="S256"
    )
    response = submit_login(login, email, password)
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert message in response.text
    assert 'name="login"' in response.text and 'name="password"' in response.text
    assert f'value="{email}"' in response.text
    invalid = re.findall(r'<input id="(\w+)"[^>]*aria-invalid="true"', response.text)
    assert invalid == [field]


def test_echoed_login_is_html_escaped(oidc, metadata, redirect_uri):
    _, challenge = pkce_pair()
    login = open_login_page(
        metadata, oidc, redirect_uri, code_challenge=challenge, code_challenge_method="S256"
    )
    response = submit_login(login, '"><script>alert(1)</script>', "")
    assert response.status_code == 400
    assert "<script>" not in response.text
    assert "&#34;&#62;&#60;script&#62;" in response.text


def reauthorize(metadata, oidc, redirect_uri, session) -> str:
    """Start a new authorization request in an existing browser; return where it lands."""
    _, challenge = pkce_pair()
    response = open_login_page(
        metadata,
        oidc,
        redirect_uri,
        allow_redirects=False,
        session=session,
        code_challenge=challenge,
        code_challenge_method="S256",
    ).page
    return follow_redirects(session, response, redirect_uri)


def test_end_session_signs_out(oidc, metadata, redirect_uri):
    result = sign_in(oidc, metadata, redirect_uri)
    session = result.browser
    # Still signed in at the provider: no login page, straight back to the client.
    assert reauthorize(metadata, oidc, redirect_uri, session).startswith(redirect_uri)

    post_logout = f"http://127.0.0.1:{free_loopback_port()}/signed-out"
    query = urlencode(
        {"id_token_hint": result.token["id_token"], "post_logout_redirect_uri": post_logout}
    )
    page = session.get(f"{metadata['end_session_endpoint']}?{query}", timeout=5)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    action = re.search(r'action="([^"]+)"', page.text).group(1)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text).group(1)
    response = session.post(
        urljoin(page.url, action),
        data={"xsrf": xsrf, "logout": "yes"},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith(post_logout)
    # Signed out: a new authorization request asks for credentials again.
    assert "/interaction/" in reauthorize(metadata, oidc, redirect_uri, session)


def test_provider_exits_when_stdin_closes():
    provider = start_oidc_provider()
    try:
        assert provider.process.poll() is None
        provider.process.stdin.close()
        assert provider.process.wait(timeout=5) == 0
    finally:
        stop_oidc_provider(provider)


def test_provider_exits_when_its_parent_dies():
    """A crashed (SIGKILLed) test run must not leave the provider behind."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "from devtools.oidc_provider import start_oidc_provider\n"
            "print(start_oidc_provider().process.pid, flush=True)\n"
            "time.sleep(60)\n",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        node_pid = int(parent.stdout.readline())
        assert is_running(node_pid)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 5
    while is_running(node_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if is_running(node_pid):
        os.kill(node_pid, signal.SIGKILL)
        pytest.fail("the provider outlived its parent")


def is_running(pid: int) -> bool:
    """True if pid is a live (not zombie) process."""
    if not Path("/proc").is_dir():  # not Linux: orphans are reaped promptly
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_missing_node_modules_gives_a_clear_error(monkeypatch, tmp_path):
    import devtools.oidc_provider as helper

    monkeypatch.setattr(helper, "REPO_ROOT", tmp_path)
    with pytest.raises(RuntimeError, match="npm ci"):
        start_oidc_provider()


# Instances configured like real providers (OIDC_CONFIG) ------------------------------------------

TENANT = "4d2c7e1a-0b5f-4c1e-9a8e-3f6b2d9c1a70"
CONFIGURED = {
    "entra_like": {
        "issuer_path": "/organizations/v2.0",
        "tenant_issuer": "/{tenantid}/v2.0",
        "claims": {
            "email": None,
            "email_verified": None,
            "preferred_username": "{login}",
            "oid": "{oid}",
            "tid": TENANT,
            "xms_edov": True,
        },
        "accounts": {"guest@example.org": {"tid": "another-tenant", "xms_edov": None}},
        "subject_salt": "app-one",
    },
    "userinfo_only": {"userinfo_only": ["email", "email_verified"], "signing_alg": "ES256"},
    "post_only": {"token_endpoint_auth_method": "client_secret_post", "signing_alg": "PS256"},
    "ahead": {"clock_skew_seconds": 900, "rp_initiated_logout": False},
    "asks_to_sign_out": {"logout_confirmation": "always"},
}


@pytest.fixture(scope="module")
def configured():
    with running_oidc_providers(CONFIGURED) as providers:
        yield providers


def discovery_of(provider):
    response = requests.get(provider.metadata_url, timeout=5)
    response.raise_for_status()
    return response.json()


@dataclass
class Round:
    token: dict
    id_token: jwt.Token
    metadata: dict
    browser: requests.Session  # holds the provider's session cookie


def sign_in_with(provider, redirect_uri, email=DEMO_EMAIL, auth_method="client_secret_basic"):
    """A full round trip, with the ID token checked against the published keys."""
    metadata = discovery_of(provider)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    client = OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=auth_method,
    )
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    session = requests.Session()
    login = Login(session, session.get(url, timeout=5))
    callback = follow_to_client(session, submit_login(login, email, "any password"), redirect_uri)
    token = client.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
    )
    jwks = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=5).json())
    algorithms = metadata["id_token_signing_alg_values_supported"]
    id_token = jwt.decode(token["id_token"], jwks, algorithms=algorithms)
    return Round(token, id_token, metadata, session)


def test_several_configured_instances_run_side_by_side(configured):
    ports = {urlsplit(provider.issuer).port for provider in configured.values()}
    assert len(ports) == len(CONFIGURED)
    assert all(provider.process.poll() is None for provider in configured.values())
    assert configured["ahead"].config == CONFIGURED["ahead"]


def test_an_entra_like_instance_advertises_a_tenant_template_and_issues_per_tenant(
    configured, redirect_uri
):
    provider = configured["entra_like"]
    origin = provider.issuer.removesuffix("/organizations/v2.0")
    done = sign_in_with(provider, redirect_uri)
    id_token, metadata = done.id_token, done.metadata
    assert metadata["issuer"] == origin + "/{tenantid}/v2.0"
    assert metadata["authorization_endpoint"].startswith(provider.issuer + "/")
    claims = id_token.claims
    assert claims["iss"] == f"{origin}/{TENANT}/v2.0"
    assert claims["tid"] == TENANT
    assert claims["preferred_username"] == DEMO_EMAIL
    assert claims["xms_edov"] is True
    assert "email" not in claims and "email_verified" not in claims
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", claims["oid"]
    )
    # The salt changes every sub (a new app registration); oid is the person's whatever the app.
    assert claims["sub"] != hashlib.sha256(f"openpep-demo:{DEMO_EMAIL}".encode()).hexdigest()[:32]
    guest = sign_in_with(provider, redirect_uri, email="guest@example.org").id_token
    assert guest.claims["iss"] == f"{origin}/another-tenant/v2.0"
    assert "xms_edov" not in guest.claims


def test_claims_can_be_left_to_userinfo(configured, redirect_uri):
    provider = configured["userinfo_only"]
    done = sign_in_with(provider, redirect_uri)
    token, id_token, metadata = done.token, done.id_token, done.metadata
    assert id_token.header["alg"] == "ES256"
    assert "email" not in id_token.claims and "email_verified" not in id_token.claims
    assert id_token.claims["name"] == "Dt Oakfield"
    me = requests.get(
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=5,
    ).json()
    assert (me["email"], me["email_verified"]) == (DEMO_EMAIL, True)


def test_an_instance_that_accepts_only_client_secret_post(configured, redirect_uri):
    provider = configured["post_only"]
    done = sign_in_with(provider, redirect_uri, auth_method="client_secret_post")
    id_token, metadata = done.id_token, done.metadata
    assert metadata["token_endpoint_auth_methods_supported"] == ["client_secret_post"]
    assert id_token.header["alg"] == "PS256"
    with pytest.raises(OAuthError) as refused:
        sign_in_with(provider, redirect_uri)
    assert refused.value.error == "invalid_client"
    assert "client_secret_post" in refused.value.description


def test_an_instance_with_its_clock_ahead_stamps_tokens_in_the_future(configured, redirect_uri):
    provider = configured["ahead"]
    before = time.time()
    done = sign_in_with(provider, redirect_uri)
    id_token, metadata = done.id_token, done.metadata
    assert id_token.claims["iat"] >= before + 890
    assert "end_session_endpoint" not in metadata


def test_an_instance_can_ask_before_signing_out_even_with_an_id_token_hint(
    configured, redirect_uri
):
    provider = configured["asks_to_sign_out"]
    done = sign_in_with(provider, redirect_uri)
    query = urlencode({"id_token_hint": done.token["id_token"]})
    page = done.browser.get(f"{done.metadata['end_session_endpoint']}?{query}", timeout=5)
    assert "Do you want to sign out of the OpenPEP demo provider?" in page.text


def test_a_bad_config_stops_the_provider_with_its_reason():
    with pytest.raises(RuntimeError, match="issuer_path must start with /"):
        start_oidc_provider(config={"issuer_path": "realms/x"})
