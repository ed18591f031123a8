"""Register every configured OpenID Connect provider with authlib."""

from __future__ import annotations

from flask import Flask

from portal.config import OidcProviderSettings
from portal.extensions import oauth


def register_providers(app: Flask) -> None:
    oauth.init_app(app)
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


def configured_provider(app: Flask, name: str) -> OidcProviderSettings | None:
    return next((p for p in app.config["OIDC_PROVIDERS"] if p.name == name), None)
