"""Register every configured OpenID Connect provider with authlib."""

from __future__ import annotations

from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import Flask, current_app

from portal.config import OidcProviderSettings


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
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
            overwrite=True,
        )


def oidc_client(name: str) -> FlaskOAuth2App:
    return current_app.extensions["openpep_oauth"].create_client(name)


def configured_provider(app: Flask, name: str) -> OidcProviderSettings | None:
    return next((p for p in app.config["OIDC_PROVIDERS"] if p.name == name), None)
