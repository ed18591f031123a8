"""Sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.integrations.base_client.errors import OAuthError
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from portal.auth import access
from portal.auth.current_user import SESSION_USER_KEY
from portal.auth.providers import configured_provider, oidc_client
from portal.extensions import db
from portal.operations.sign_in import VerifiedClaims, record_sign_out, sign_in_with_oidc

blueprint = Blueprint("auth", __name__)
NEXT_URL_KEY = "after_sign_in"


def _safe_next(target: str | None) -> str | None:
    """Only local paths, so a crafted link cannot send someone elsewhere after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@blueprint.get("/login")
@access.public
def login() -> str:
    """List the sign-in providers."""
    next_url = _safe_next(request.args.get("next"))
    if next_url:
        session[NEXT_URL_KEY] = next_url
    return render_template("auth/login.html", providers=current_app.config["OIDC_PROVIDERS"])


@blueprint.get("/login/<provider>")
@access.public
def start_sign_in(provider: str) -> Response:
    """Send the person to their provider to sign in."""
    if configured_provider(current_app, provider) is None:
        abort(404)
    client = oidc_client(provider)
    redirect_uri = url_for("auth.finish_sign_in", provider=provider, _external=True)
    try:
        return client.authorize_redirect(redirect_uri)
    except Exception:  # the provider is down or misconfigured: tell the person, log for us
        current_app.logger.exception("Could not reach sign-in provider %s", provider)
        return Response(
            render_template("auth/sign_in_failed.html", provider_unreachable=True), status=503
        )


@blueprint.get("/auth/<provider>/callback")
@access.public
def finish_sign_in(provider: str) -> Response | tuple[str, int]:
    """Complete sign-in: validate the provider's answer, then let in only provisioned users."""
    settings = configured_provider(current_app, provider)
    if settings is None:
        abort(404)
    if request.args.get("error"):
        return render_template("auth/sign_in_failed.html"), 400
    client = oidc_client(provider)
    try:
        token = client.authorize_access_token()
    except OAuthError:
        return render_template("auth/sign_in_failed.html"), 400
    except Exception:
        current_app.logger.exception("Sign-in with %s failed", provider)
        return render_template("auth/sign_in_failed.html", provider_unreachable=True), 503
    claims = token.get("userinfo") or {}
    if not claims.get("sub"):
        return render_template("auth/sign_in_failed.html"), 400

    result = sign_in_with_oidc(
        db.session,
        VerifiedClaims(
            provider=provider,
            issuer=str(claims.get("iss", settings.issuer)),
            subject=str(claims["sub"]),
            email=str(claims.get("email") or ""),
            email_verified=claims.get("email_verified") is True,
        ),
        request.remote_addr,
    )
    if result.user is None:
        session.clear()
        return render_template("auth/no_access.html"), 403

    next_url = _safe_next(session.get(NEXT_URL_KEY))
    # A fresh session on sign-in, so nothing from before (fixation) carries over.
    session.clear()
    session.permanent = True
    session[SESSION_USER_KEY] = str(result.user.id)
    return redirect(next_url or url_for("pages.home"))


@blueprint.post("/logout")
@access.public
def logout() -> Response:
    """Sign out: forget the session."""
    user = g.get("user")
    if user is not None:
        record_sign_out(db.session, user, request.remote_addr)
    session.clear()
    return redirect(url_for("auth.signed_out"))


@blueprint.get("/signed-out")
@access.public
def signed_out() -> str:
    """Confirm sign-out."""
    return render_template("auth/signed_out.html")
