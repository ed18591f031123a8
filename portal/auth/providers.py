"""Register every configured OpenID Connect provider with authlib, and check its ID tokens."""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.oidc.core import CodeIDToken
from flask import Flask, current_app

from portal.auth.identity import CLOCK_LEEWAY_SECONDS, ClockProblem, clock_problem, issuer_matches
from portal.config import OidcProviderSettings


class ProviderClockWrong(Exception):
    """The ID token was stamped outside the leeway: the provider's clock (or ours) is wrong."""

    def __init__(self, problem: ClockProblem) -> None:
        super().__init__(f"{problem.claim} is {problem.seconds_off:+d}s from our clock")
        self.problem = problem


class CheckedIDToken(CodeIDToken):
    """authlib's ID token checks, with a wrong clock told apart from every other failure."""

    def validate(self, now: Any = None, leeway: int = 0) -> None:
        problem = clock_problem(self, time.time() if now is None else now, leeway)
        if problem is not None:
            raise ProviderClockWrong(problem)
        super().validate(now, leeway)


def register_providers(app: Flask) -> None:
    """One authlib registry per app, so apps built side by side (tests) never share clients."""
    oauth = OAuth(app)
    app.extensions["openpep_oauth"] = oauth
    providers: tuple[OidcProviderSettings, ...] = app.config["OIDC_PROVIDERS"]
    for provider in providers:
        oauth.register(
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.metadata_url,
            # Authorization code flow with PKCE; authlib also sends and checks state and nonce.
            client_kwargs={
                "scope": provider.scope,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": provider.client_auth_method.value,
            },
            overwrite=True,
        )


def oidc_client(name: str) -> FlaskOAuth2App:
    return current_app.extensions["openpep_oauth"].create_client(name)


def configured_provider(app: Flask, name: str) -> OidcProviderSettings | None:
    return next((p for p in app.config["OIDC_PROVIDERS"] if p.name == name), None)


def id_token_checks(client: FlaskOAuth2App) -> dict[str, Any]:
    """What authorize_access_token needs to check an ID token from this provider: `iss` against
    the issuer discovery advertised (Entra's multi-tenant template filled in with the token's
    `tid`), and the clock with a named refusal."""
    advertised = str(client.load_server_metadata().get("issuer", ""))
    return {
        "claims_options": {
            "iss": {
                "essential": True,
                "validate": lambda claims, _value: issuer_matches(advertised, claims),
            }
        },
        "claims_cls": CheckedIDToken,
        "leeway": CLOCK_LEEWAY_SECONDS,
    }


def end_session_url(
    client: FlaskOAuth2App, id_token: str | None, post_logout_redirect_uri: str
) -> str | None:
    """Where to send the browser to end the session at the provider, if it offers that."""
    if not client.load_server_metadata().get("end_session_endpoint"):
        return None
    result = client.create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri,
        id_token_hint=id_token,
        client_id=client.client_id,
    )
    return str(result["url"])
